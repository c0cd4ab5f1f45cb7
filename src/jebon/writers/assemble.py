"""Assemble a volume's PDF from pieces laid out apart (pikepdf).

The front matter is one document and every chapter another (its text pages, without running heads
or folios). Here the chapters' pages follow the front matter, each chapter on a recto; heads and
folios are drawn on (`furniture`); the chapters' named destinations and bookmarks move to their
pages; links between chapters become named destinations; and every bundled face ends as one font
program: the union of the glyphs all pieces used, cut from the bundled file with the glyph ids
kept (the ids the pieces use are the file's own)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pikepdf
import uharfbuzz as hb

from .. import fonts
from .furniture import Drawer, Furniture

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
    for key in sorted(names, key=lambda k: bytes(pikepdf.String(k))):  # the bytes the tree holds
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


# -- one font program per face -------------------------------------------------------------------
_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")
_DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


def _face_file(base_font: str) -> fonts.Face | None:
    """The bundled face a PDF font name stands for: `ABCDEF+Jebon-Serif-KR-Bold`, also with a style
    WeasyPrint synthesised on the same file (`…-Oblique`): the glyph ids are the file's."""
    name = base_font.lstrip("/").split("+", 1)[-1]
    for face in sorted(fonts.FACES, key=lambda f: -len(f.family)):
        stem = face.family.replace(" ", "-")
        if name == stem or name.startswith(stem + "-"):
            bold = "Bold" in name[len(stem):].split("-")
            if bold == (face.weight == 700):
                return face
    return None


def _widths(w: pikepdf.Object) -> dict[int, float]:
    found: dict[int, float] = {}
    items = list(w)
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for k, each in enumerate(items[i + 1]):
                found[first + k] = float(each)
            i += 2
        else:
            last, width = int(items[i + 1]), float(items[i + 2])
            for cid in range(first, last + 1):
                found[cid] = width
            i += 3
    return found


def _pdf_widths(widths: dict[int, float]) -> pikepdf.Array:
    array = pikepdf.Array()
    run: pikepdf.Array | None = None
    for cid in sorted(widths):
        if run is None or cid - 1 not in widths:
            array.append(cid)
            run = pikepdf.Array()
            array.append(run)
        value = widths[cid]
        run.append(int(value) if value == int(value) else value)
    return array


def _to_unicode(stream: pikepdf.Object) -> dict[int, bytes]:
    data = stream.read_bytes()
    found: dict[int, bytes] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for gid, text in _BFCHAR.findall(block):
            found.setdefault(int(gid, 16), text)
    return found


def _to_unicode_stream(pdf: pikepdf.Pdf, mapping: dict[int, bytes]) -> pikepdf.Stream:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange",
             b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [b"<%04x> <%s>" % (gid, text) for gid, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return pikepdf.Stream(pdf, b"\n".join(lines))


def subset_retaining_ids(face: fonts.Face, gids: Iterable[int]) -> bytes:
    """The face cut down to `gids`, glyph ids unchanged (what WeasyPrint embeds), the unused tail dropped."""
    source = hb.Face(hb.Blob.from_file_path(str(face.path)))
    wanted = sorted(set(gids) | {0})
    first = hb.SubsetInput()
    first.glyph_set.update(wanted)
    first.flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                   | hb.SubsetFlags.DESUBROUTINIZE)
    drop = first.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    drop.update(_tag(tag) for tag in _DROP_TABLES)
    cut = hb.subset(source, first)
    if cut is None:
        raise RuntimeError(f"HarfBuzz could not subset {face.file}")
    second = hb.SubsetInput()
    second.glyph_set.update(range(wanted[-1] + 1))
    second.flags = (hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
                    | hb.SubsetFlags.NO_HINTING)
    final = hb.subset(cut, second)
    if final is None:
        raise RuntimeError(f"HarfBuzz could not subset {face.file}")
    return bytes(final.blob.data)


def _tag(tag: str) -> int:
    raw = tag.encode("ascii")
    return (raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]


def merge_fonts(pdf: pikepdf.Pdf) -> None:
    """Replace every Type0 font of a bundled face by one font: union of glyphs, widths and Unicode
    maps, and a program cut from the bundled file (the pieces carry none: `deferred_fonts`)."""
    resource_dicts: list[pikepdf.Object] = []
    seen: set[tuple[int, int]] = set()

    def visit(resources: pikepdf.Object | None) -> None:
        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.is_indirect:
            if resources.objgen in seen:
                return
            seen.add(resources.objgen)
        if "/Font" in resources:
            resource_dicts.append(resources)
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Form and "/Resources" in xobject:
                visit(xobject.Resources)
        for pattern in (resources.get("/Pattern") or {}).values():
            if "/Resources" in pattern:
                visit(pattern.Resources)

    for page in pdf.pages:
        visit(page.obj.get("/Resources"))

    groups: dict[str, list[pikepdf.Object]] = {}
    for resources in resource_dicts:
        for font in resources.Font.values():
            if font.get("/Subtype") != pikepdf.Name.Type0 or not isinstance(font.get("/Encoding"), pikepdf.Name):
                continue
            face = _face_file(str(font.BaseFont))
            if face is None:
                continue
            group = groups.setdefault(face.file, [])
            if all(f.objgen != font.objgen for f in group):
                group.append(font)

    replacement: dict[tuple[int, int], pikepdf.Object] = {}
    for _, members in sorted(groups.items()):
        face = _face_file(str(members[0].BaseFont))
        assert face is not None
        widths: dict[int, float] = {}
        unicode_map: dict[int, bytes] = {}
        bbox = [0.0, 0.0, 0.0, 0.0]
        cidsets: list[bytes] = []
        for font in members:
            cid_font = font.DescendantFonts[0]
            for cid, value in _widths(cid_font.get("/W", pikepdf.Array())).items():
                widths.setdefault(cid, value)
            if "/ToUnicode" in font:
                for gid, text in _to_unicode(font.ToUnicode).items():
                    unicode_map.setdefault(gid, text)
            descriptor = cid_font.FontDescriptor
            box = [float(v) for v in descriptor.FontBBox]
            bbox = [min(bbox[0], box[0]), min(bbox[1], box[1]), max(bbox[2], box[2]), max(bbox[3], box[3])]
            if "/CIDSet" in descriptor:
                cidsets.append(descriptor.CIDSet.read_bytes())
        first = members[0]
        cid_first = first.DescendantFonts[0]
        descriptor = pikepdf.Dictionary({k: v for k, v in cid_first.FontDescriptor.items()})
        program = subset_retaining_ids(face, widths)
        cff = program[:4] == b"OTTO"
        for key in ("/FontFile", "/FontFile2", "/FontFile3"):
            if key in descriptor:
                del descriptor[key]
        new_file = pikepdf.Stream(pdf, program)
        if cff:
            new_file.Subtype = pikepdf.Name.OpenType
        else:
            new_file.Length1 = len(program)
        descriptor["/FontFile3" if cff else "/FontFile2"] = pdf.make_indirect(new_file)
        descriptor.FontBBox = pikepdf.Array([int(v) if v == int(v) else v for v in bbox])
        if cidsets:  # PDF 1.4 (PDF/X-1a): every glyph any member uses
            merged = bytearray(max(widths) // 8 + 1)
            for cid in widths:
                merged[cid // 8] |= 0x80 >> (cid % 8)
            descriptor.CIDSet = pdf.make_indirect(pikepdf.Stream(pdf, bytes(merged)))
        cid_font = pikepdf.Dictionary({k: v for k, v in cid_first.items()})
        cid_font.Subtype = pikepdf.Name.CIDFontType0 if cff else pikepdf.Name.CIDFontType2
        cid_font.W = _pdf_widths(widths)
        cid_font.FontDescriptor = pdf.make_indirect(descriptor)
        font = pikepdf.Dictionary({k: v for k, v in first.items()})
        font.DescendantFonts = pikepdf.Array([pdf.make_indirect(cid_font)])
        if unicode_map:
            font.ToUnicode = pdf.make_indirect(_to_unicode_stream(pdf, unicode_map))
        merged_font = pdf.make_indirect(font)
        for member in members:
            replacement[member.objgen] = merged_font

    for resources in resource_dicts:
        for key, font in list(resources.Font.items()):
            single = replacement.get(font.objgen)
            if single is not None:
                resources.Font[key] = single
            elif font.get("/Subtype") == pikepdf.Name.Type0:
                descriptor = font.DescendantFonts[0].get("/FontDescriptor") or pikepdf.Dictionary()
                files = [descriptor[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
                if files and not files[0].read_raw_bytes():  # never ship a font without its glyphs
                    raise RuntimeError(f"font {font.get('/BaseFont')} was left without its program")
