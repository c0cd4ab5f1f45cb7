"""Is a PDF whole? The checks every built PDF passes before it is written (and `jebon check --pdf`).

What the renderers that forgive (pdfium, poppler) hide and the ones that do not (MuPDF,
Ghostscript, Acrobat, print RIPs) show: a font without its program or with a program that does
not parse, a CID-keyed font whose CIDs are not its glyph ids, a glyph the page draws that the
program does not have (or has empty), a font jebon does not ship, a bookmark whose title is not on
its page, and whatever qpdf finds in the file's syntax."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pikepdf

from . import fonts
from .fonts import needs_glyph

_TEXT_RUN = re.compile(rb"/([^\s/\[\]<>()]+)\s+[-\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>|\(((?:\\.|[^\\)])*)\)")
"""A font selection (`/F1 10 Tf`) or a string operand (`<0a1b>` or `(…)`) in a content stream."""
_WORD_JOINER = "\u2060"
_STREAM_NAME = re.compile(r"stream <_io\.BytesIO object at 0x[0-9a-f]+>")


@dataclass
class _Font:
    """What the check knows of one font dictionary."""

    name: str
    face: fonts.Face | None
    glyphs: int = 0
    """Glyphs in its program."""
    outline: Any = None
    """glyph id → whether the program draws something for it (memoised; None until parsed)."""
    unicode: dict[int, str] = field(default_factory=dict)
    identity: bool = True
    """Identity-H encoding (codes are glyph ids); False for a CMap stream."""
    missing: set[int] = field(default_factory=set)
    """Codes of a CMap-encoded font that stand for characters without a glyph (drawn as .notdef)."""
    problem: str | None = None


def check(data: bytes) -> list[str]:
    """Every reason the PDF is not whole, each naming the page or object; empty when it is whole."""
    problems: list[str] = []
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        return [f"the file does not open: {exc}"]
    with pdf:
        problems += [f"qpdf: {_STREAM_NAME.sub('the PDF', line)}" for line in pdf.check_pdf_syntax()]
        seen: dict[tuple[int, int], _Font] = {}
        for number, page in enumerate(pdf.pages, 1):
            problems += _check_page(number, page, seen)
        problems += [f"font {font.name}: {font.problem}" for font in seen.values() if font.problem]
        problems += _check_outline(pdf, data)
    return problems


def _content(page_or_form: pikepdf.Object) -> bytes:
    contents = page_or_form.get("/Contents") if "/Contents" in page_or_form else None
    if contents is None:
        return bytes(page_or_form.read_bytes()) if isinstance(page_or_form, pikepdf.Stream) else b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return bytes(contents.read_bytes())


def _check_page(number: int, page: pikepdf.Page, seen: dict[tuple[int, int], _Font]) -> list[str]:
    problems: list[str] = []
    for where, content, resources in _streams(page.obj, f"page {number}"):
        font_dict = resources.get("/Font") if resources is not None else None
        current: _Font | None = None
        bad: dict[str, set[int]] = {}
        for match in _TEXT_RUN.finditer(content):
            name, hexes, literal = match.groups()
            if name is not None:
                font = font_dict.get("/" + name.decode("latin-1")) if font_dict is not None else None
                if font is None:
                    current = None
                    continue
                key = font.objgen
                if key not in seen:
                    seen[key] = _inspect(font)
                current = seen[key]
                continue
            if current is None or current.problem:
                continue
            if hexes is not None:
                raw = bytes.fromhex(hexes.decode("ascii").replace(" ", "").replace("\n", ""))
            else:
                raw = literal or b""
            for code in (int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2)):
                if not current.identity and code in current.missing:
                    continue  # a character no font has: .notdef by design (the build warned about it)
                text = current.unicode.get(code, "")
                visible = any(needs_glyph(c) for c in text)
                if code >= current.glyphs or (visible and not current.outline(code)):
                    bad.setdefault(current.name, set()).add(code)
        for name, codes in sorted(bad.items()):
            shown = "".join(sorted({c for code in codes for c in seen_text(seen, name, code)}))[:20]
            problems.append(f"{where}: font {name} draws {len(codes)} glyph(s) its program does not have"
                            + (f" ({shown})" if shown else ""))
    return problems


def seen_text(seen: dict[tuple[int, int], _Font], name: str, code: int) -> str:
    return next((font.unicode.get(code, "") for font in seen.values() if font.name == name), "")


def _streams(obj: pikepdf.Object, where: str) -> Iterator[tuple[str, bytes, pikepdf.Object | None]]:
    """The page's content, then every form it draws (their own resources), each once."""
    resources = obj.get("/Resources")
    yield where, _content(obj), resources
    stack = [(resources, where)]
    done: set[tuple[int, int]] = set()
    while stack:
        res, place = stack.pop()
        if not isinstance(res, pikepdf.Dictionary):
            continue
        for key, xobject in (res.get("/XObject") or {}).items():
            if xobject.get("/Subtype") != pikepdf.Name.Form or xobject.objgen in done:
                continue
            done.add(xobject.objgen)
            inner = xobject.get("/Resources") or res
            yield f"{place}, form {key}", bytes(xobject.read_bytes()), inner
            stack.append((inner, f"{place}, form {key}"))


def _inspect(font: pikepdf.Object) -> _Font:
    name = str(font.get("/BaseFont", "?")).lstrip("/")
    found = _Font(name=name, face=fonts.face_named(name))
    if found.face is None:
        found.problem = "is not a font jebon ships (the PDF would depend on the machine that made it)"
        return found
    if font.get("/Subtype") != pikepdf.Name.Type0:
        found.problem = f"is a {font.get('/Subtype')} font, not the Type0 font jebon embeds"
        return found
    if "/ToUnicode" not in font:
        found.problem = "has no ToUnicode map (its text cannot be searched or copied)"
        return found
    found.unicode = _unicode(font.ToUnicode)
    encoding = font.get("/Encoding")
    found.identity = encoding == pikepdf.Name("/Identity-H")
    if not found.identity:
        found.missing = _notdef_codes(encoding)
    cid_font = font.DescendantFonts[0]
    descriptor = cid_font.get("/FontDescriptor")
    programs = [(key, descriptor[key]) for key in ("/FontFile", "/FontFile2", "/FontFile3")
                if descriptor is not None and key in descriptor]
    if len(programs) != 1:
        found.problem = "has no font program" if not programs else "has more than one font program"
        return found
    key, stream = programs[0]
    program = bytes(stream.read_bytes())
    if not program:
        found.problem = "has an empty font program (its text is not drawn)"
        return found
    subtype = stream.get("/Subtype")
    cff = cid_font.get("/Subtype") == pikepdf.Name.CIDFontType0
    if cff and "/CIDToGIDMap" in cid_font:
        found.problem = "is a CIDFontType0 font with a CIDToGIDMap (only CIDFontType2 fonts may have one)"
        return found
    try:
        if key == "/FontFile3" and subtype == pikepdf.Name.CIDFontType0C:
            found.glyphs, found.outline, mismatches = _bare_cff(program)
        else:
            found.glyphs, found.outline, mismatches = _sfnt(program)
    except Exception as exc:  # fontTools raises many kinds on a broken program
        found.problem = f"has a font program that does not parse ({type(exc).__name__}: {exc})"
        return found
    if mismatches:
        found.problem = (f"has {mismatches} glyphs whose CID is not their glyph id (readers that follow the PDF "
                         "specification would draw other glyphs)")
    return found


def _unicode(stream: pikepdf.Object) -> dict[int, str]:
    data = stream.read_bytes()
    found: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            try:
                found.setdefault(int(code, 16), bytes.fromhex(text.decode()).decode("utf-16-be"))
            except ValueError:
                continue
    return found


def _notdef_codes(encoding: Any) -> set[int]:
    """Codes a CMap stream sends to CID 0 (WeasyPrint's numbers for characters without a glyph)."""
    if not isinstance(encoding, pikepdf.Stream):
        return set()
    data = encoding.read_bytes()
    return {int(code, 16) for code, cid in re.findall(rb"<([0-9a-fA-F]+)>\s+(\d+)", data) if int(cid) == 0}


Outline = Callable[[int], bool]


def _sfnt(program: bytes) -> tuple[int, Outline, int]:
    """(glyph count, glyph id → has an outline, CID mismatches) of an OpenType or TrueType program."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(program))
    count = int(font["maxp"].numGlyphs)
    if "CFF " in font:
        return _cff_facts(font["CFF "].cff, count)
    glyf = font["glyf"]
    order = font.getGlyphOrder()

    @cache
    def outline(gid: int) -> bool:
        return bool(glyf[order[gid]].numberOfContours)

    return count, outline, 0


def _bare_cff(program: bytes) -> tuple[int, Outline, int]:
    from fontTools.cffLib import CFFFontSet

    cff = CFFFontSet()
    cff.decompile(io.BytesIO(program), None)
    return _cff_facts(cff, len(cff.topDictIndex[0].charset))


_NOT_DRAWING = {"endchar", "hstem", "vstem", "hstemhm", "vstemhm", "hintmask", "cntrmask"}


def _cff_facts(cff: Any, count: int) -> tuple[int, Outline, int]:
    top = cff.topDictIndex[0]
    charset = top.charset
    mismatches = 0
    if hasattr(top, "ROS"):
        mismatches = sum(1 for gid, name in enumerate(charset) if gid and name != f"cid{gid:05d}")
    strings = top.CharStrings

    @cache
    def outline(gid: int) -> bool:
        charstring = strings[charset[gid]]
        charstring.decompile()
        return any(isinstance(token, str) and token not in _NOT_DRAWING for token in charstring.program)

    return count, outline, mismatches


def _check_outline(pdf: pikepdf.Pdf, data: bytes) -> list[str]:
    """Every bookmark's title is on the page it leads to (text extraction with pdfium)."""
    entries: list[tuple[str, int]] = []
    index = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
    names = _named_destinations(pdf)
    with pdf.open_outline() as outline:
        stack = list(outline.root)
        while stack:
            item = stack.pop()
            stack.extend(item.children)
            dest: Any = item.destination
            if isinstance(dest, (pikepdf.String, pikepdf.Name)):
                dest = names.get(str(dest))
            if isinstance(dest, pikepdf.Array) and len(dest) and dest[0].objgen in index:
                entries.append((item.title, index[dest[0].objgen]))
            else:
                entries.append((item.title, -1))
    if not entries:
        return []
    import pypdfium2 as pdfium

    problems: list[str] = []
    document = pdfium.PdfDocument(data)
    try:
        texts: dict[int, str] = {}
        for title, page in entries:
            if page < 0:
                problems.append(f"bookmark {title!r} leads nowhere")
                continue
            if page not in texts:
                texts[page] = _squeeze(document[page].get_textpage().get_text_range())
            if _squeeze(title) not in texts[page]:
                problems.append(f"bookmark {title!r}: its title is not on page {page + 1}, where it leads")
    finally:
        document.close()
    return problems


def _named_destinations(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
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


def _squeeze(text: str) -> str:
    """Text without white space, word joiners and soft hyphens, for comparing extracted text."""
    return "".join(c for c in text if not c.isspace() and c not in (_WORD_JOINER, "\u00ad", "\ufffe", "\x02"))
