"""Assemble a volume's PDF from pieces laid out apart (pikepdf).

The front matter is one document and every chapter another (its text pages, without running heads
or folios). Here the chapters' pages follow the front matter, each chapter on a recto; heads and
folios are drawn on (`furniture`); the chapters' named destinations and bookmarks move to their
pages; links between chapters become named destinations; and every bundled face ends as one font
program (`pdffonts.merge_fonts`)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pikepdf

from .furniture import Drawer, Furniture
from .pdffonts import merge_fonts

XREF_SCHEME = "jebon-xref:"
"""Links from one chapter to another are laid out as URIs with this scheme (the target is not in the
chapter's own document) and become named destinations here."""


@dataclass(frozen=True)
class Piece:
    """One chapter laid out on its own: its PDF, its page count and its running head."""

    pdf: bytes
    pages: int
    head: str


def placement(front_pages: int, pieces: Sequence[int]) -> list[int]:
    """0-based index of each chapter's first page: after the front matter, every chapter on a recto
    (an odd page number), with a blank verso before it when needed."""
    starts: list[int] = []
    count = front_pages
    for pages in pieces:
        if count % 2:  # the next page would be a verso
            count += 1
        starts.append(count)
        count += pages
    return starts


def assemble(front: bytes, pieces: Sequence[Piece], furniture: Furniture, *, book_title: str,
             signature: int, finish: Callable[[pikepdf.Pdf], None] | None = None) -> tuple[bytes, int]:
    """The volume: the front matter (with its metadata, output intent and identifiers), then the
    chapters, blank versos where a chapter must start on a recto, heads and folios drawn on, pages
    padded to the signature, then `finish` on the whole (the variant's rules); returns (PDF, page
    count)."""
    out = pikepdf.open(io.BytesIO(front))
    blank = out.pages[1]  # the half title's verso
    starts = placement(len(out.pages), [piece.pages for piece in pieces])
    drawer = Drawer(out, furniture)
    names = _dests(out)
    outline: list[tuple[str, pikepdf.Array, list[Any]]] = []
    for number, (piece, start) in enumerate(zip(pieces, starts, strict=True)):
        src = pikepdf.open(io.BytesIO(piece.pdf))
        if len(src.pages) != piece.pages:
            raise RuntimeError(f"chapter {number + 1}: {len(src.pages)} pages, expected {piece.pages}")
        while len(out.pages) < start:
            out.pages.append(blank)
        for page in src.pages:
            out.pages.append(page)
        targets = [out.pages[start + k] for k in range(piece.pages)]
        for k, target in enumerate(targets):
            folio = start + k + 1
            head = book_title if folio % 2 == 0 else (piece.head if k else None)
            drawer.draw(target, folio, head)
        for name, dest in _dests(src).items():  # the chapter's own anchors, at their exact spots
            names[name] = _moved(dest, src, targets)
        outline += _outline(src, targets)
        src.close()
    while signature > 1 and len(out.pages) % signature and len(out.pages) > 1:
        out.pages.append(blank)
    drawer.finish()
    for page in out.pages:
        for annot in page.obj.get("/Annots", []):
            _retarget(annot)
    _set_dests(out, names)
    if outline:
        with out.open_outline() as tree:
            tree.root.extend(_outline_items_from(outline))
    merge_fonts(out)
    if finish is not None:
        finish(out)
    buffer = io.BytesIO()
    # Object streams are PDF 1.5; PDF/X-1a stays 1.4.
    streams = pikepdf.ObjectStreamMode.generate if out.pdf_version >= "1.5" else pikepdf.ObjectStreamMode.disable
    out.save(buffer, object_stream_mode=streams, deterministic_id=True, fix_metadata_version=False)
    return buffer.getvalue(), len(out.pages)


def _outline(src: pikepdf.Pdf, targets: list[pikepdf.Page]) -> list[tuple[str, pikepdf.Array, list[Any]]]:
    """A chapter's bookmarks as (title, destination on the assembled pages, children)."""
    def walk(node: pikepdf.Object) -> list[tuple[str, pikepdf.Array, list[Any]]]:
        found = []
        child = node.get("/First")
        while child is not None:
            found.append((str(child.Title), _moved(child.Dest, src, targets), walk(child)))
            child = child.get("/Next")
        return found

    outlines = src.Root.get("/Outlines")
    return walk(outlines) if outlines is not None else []


def _outline_items_from(entries: list[tuple[str, pikepdf.Array, list[Any]]]) -> list[pikepdf.OutlineItem]:
    items = []
    for title, dest, children in entries:
        item = pikepdf.OutlineItem(title, dest)
        item.children.extend(_outline_items_from(children))
        items.append(item)
    return items


def _retarget(annot: pikepdf.Object) -> None:
    action = annot.get("/A")
    if action is None or action.get("/S") != pikepdf.Name.URI:
        return
    uri = str(action.get("/URI", ""))
    if uri.startswith(XREF_SCHEME):
        del annot["/A"]
        annot.Dest = pikepdf.String(unquote(uri[len(XREF_SCHEME):]))  # WeasyPrint %-encodes the URI


def _dests(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names: dict[str, pikepdf.Object] = {}
    root = pdf.Root.get("/Names")
    if root is None or "/Dests" not in root:
        return names
    stack = [root.Dests]
    while stack:
        node = stack.pop()
        if "/Names" in node:
            items = list(node.Names)
            for key, value in zip(items[::2], items[1::2], strict=True):
                names.setdefault(str(key), value)
        if "/Kids" in node:
            stack.extend(node.Kids)
    return names


def _set_dests(pdf: pikepdf.Pdf, names: dict[str, pikepdf.Object]) -> None:
    flat = pikepdf.Array()
    # By the keys' text (code point order), as qpdf and pdfium compare them: sorted by the bytes the
    # tree holds, the UTF-16 keys (ids with Hangul) come after every ASCII one and pdfium stops its
    # search before it reaches them, so links to those headings went nowhere.
    for key in sorted(names):
        flat.append(pikepdf.String(key))
        flat.append(names[key])
    if "/Names" not in pdf.Root:
        pdf.Root.Names = pikepdf.Dictionary()
    pdf.Root.Names.Dests = pdf.make_indirect(pikepdf.Dictionary(Names=flat))


def _moved(dest: pikepdf.Object, src: pikepdf.Pdf, targets: list[pikepdf.Page]) -> pikepdf.Array:
    """A destination `[page /XYZ x y z]` in a chapter document, pointing at the frame page instead."""
    index = _page_index(src, dest[0])
    return pikepdf.Array([targets[index].obj, *list(dest)[1:]])


def _page_index(src: pikepdf.Pdf, ref: pikepdf.Object) -> int:
    cache: dict[tuple[int, int], int] | None = getattr(src, "_jebon_pages", None)
    if cache is None:
        cache = {p.obj.objgen: i for i, p in enumerate(src.pages)}
        src._jebon_pages = cache  # type: ignore[attr-defined]
    return cache[ref.objgen]
