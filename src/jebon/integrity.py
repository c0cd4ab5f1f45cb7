"""Is a PDF whole? The checks every built PDF passes before it is written (and `jebon check --pdf`).

What the renderers that forgive (pdfium, poppler) hide and the ones that do not (MuPDF,
Ghostscript, Acrobat, print RIPs) show: a font without its program or with a program that does
not parse, a CID-keyed font whose CIDs are not its glyph ids, a glyph the page draws that the
program does not have (or has empty), a font jebon does not ship, a bookmark whose title is not on
its page, and whatever qpdf finds in the file's syntax."""

from __future__ import annotations

import array
import io
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pikepdf

from . import fonts
from .fonts import needs_glyph

_TEXT_OPS = re.compile(
    rb"/([^\s/\[\]<>()]+)\s+[-+\d.]+\s+Tf"  # a font selection: /F1 10 Tf
    rb"|\[((?:[^\]\\(]|\((?:\\.|[^\\)])*\))*)\]\s*TJ"  # [<0a1b> -20 <0c0d>] TJ
    rb"|(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))\s*(?:Tj|'|\")")  # <0a1b> Tj, (...) Tj
"""What a content stream draws as text: font selections and the string operands of Tj, TJ, ' and "."""
_STRING = re.compile(rb"<([0-9A-Fa-f\s]*)>|\(((?:\\.|[^\\)])*)\)")
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

    def text(self, code: int) -> str:
        return self.unicode.get(code, "")

    def draws(self, code: int) -> bool:
        """Whether the program has the glyph a code stands for, drawn when its text has ink."""
        if not self.identity and code in self.missing:
            return True  # a character no font has: .notdef by design (the build warned about it)
        if code >= self.glyphs:
            return False
        return not any(_inked(c) for c in self.text(code)) or bool(self.outline(code))


def check(data: bytes, *, thorough: bool = False) -> list[str]:
    """Every reason the PDF is not whole, each naming the page or object; empty when it is whole.

    The document's structures (cross-reference, page tree, name and number trees) are qpdf's to
    check; `thorough` has qpdf also decode every stream and parse every page (as `qpdf --check`
    does: seconds on a long book), which `jebon check --pdf` and the tests ask for. Every page's
    content is read here in any case, for its text and the glyphs it draws."""
    problems: list[str] = []
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        return [f"the file does not open: {exc}"]
    with pdf:
        structures = getattr(pdf, "_check_document_structures", None)
        if thorough or structures is None:
            found = pdf.check_pdf_syntax()
        else:
            structures()
            found = [f"WARNING: {warning}" for warning in pdf.get_warnings()]
        problems += [f"qpdf: {_STREAM_NAME.sub('the PDF', line)}" for line in found]
        outline = _outline_entries(pdf)
        wanted = {page for _, page in outline}
        scan = _Scan()
        for number, page in enumerate(pdf.pages, 1):
            scan.page(number, page, text=number - 1 in wanted)
        problems += scan.flaws()
        problems += _check_outline(outline, scan.texts)
    return problems


class _Scan:
    """What the pages draw: per font, the codes each page uses; the text of the pages asked for."""

    def __init__(self) -> None:
        self.fonts: dict[tuple[int, int], _Font] = {}
        self.used: dict[tuple[int, int], dict[int, set[int]]] = {}
        """font → page → codes drawn."""
        self.texts: dict[int, str] = {}
        """0-based page → its text (letters and digits only)."""
        self.done: set[tuple[int, int]] = set()

    def page(self, number: int, page: pikepdf.Page, *, text: bool) -> None:
        parts: list[str] = []
        for content, resources in self._streams(page.obj):
            font_dict = resources.get("/Font") if resources is not None else None
            current: _Font | None = None
            codes: set[int] | None = None
            for match in _TEXT_OPS.finditer(content):
                name, array_operand, single = match.groups()
                if name is not None:
                    font = font_dict.get("/" + name.decode("latin-1")) if font_dict is not None else None
                    current, codes = None, None
                    if font is None:
                        continue
                    key = font.objgen
                    if key not in self.fonts:
                        self.fonts[key] = _inspect(font)
                    current = self.fonts[key]
                    codes = self.used.setdefault(key, {}).setdefault(number, set())
                    continue
                if current is None or codes is None:
                    continue
                raw = _string_bytes(array_operand if array_operand is not None else single)
                run = array.array("H", raw[:len(raw) // 2 * 2])
                if sys.byteorder == "little":
                    run.byteswap()
                codes.update(run)
                if text:
                    parts.append("".join(map(current.text, run)))
        if text:
            self.texts[number - 1] = _squeeze("".join(parts))

    def _streams(self, obj: pikepdf.Object) -> Iterator[tuple[bytes, pikepdf.Object | None]]:
        """The page's content, then every form it draws that no page drew before (own resources)."""
        resources = obj.get("/Resources")
        yield _content(obj), resources
        stack = [resources]
        while stack:
            res = stack.pop()
            if not isinstance(res, pikepdf.Dictionary):
                continue
            if res.is_indirect:
                if res.objgen in self.done:
                    continue
                self.done.add(res.objgen)
            for xobject in (res.get("/XObject") or {}).values():
                if xobject.get("/Subtype") != pikepdf.Name.Form or xobject.objgen in self.done:
                    continue
                self.done.add(xobject.objgen)
                inner = xobject.get("/Resources") or res
                yield bytes(xobject.read_bytes()), inner
                stack.append(inner)

    def flaws(self) -> list[str]:
        problems = [f"font {font.name}: {font.problem}" for font in self.fonts.values() if font.problem]
        by_page: dict[int, list[str]] = {}
        for key, pages in self.used.items():
            font = self.fonts[key]
            if font.problem:
                continue
            bad = {code for code in set().union(*pages.values()) if not font.draws(code)}
            if not bad:
                continue
            for number, codes in sorted(pages.items()):
                if codes & bad:
                    shown = "".join(sorted({c for code in codes & bad for c in font.unicode.get(code, "")}))[:20]
                    by_page.setdefault(number, []).append(
                        f"page {number}: font {font.name} draws {len(codes & bad)} glyph(s) its program does not "
                        "have" + (f" ({shown})" if shown else ""))
        return problems + [flaw for number in sorted(by_page) for flaw in by_page[number]]


def _string_bytes(operand: bytes) -> bytes:
    """The bytes of the strings in a text operand (one string, or a TJ array's), in order."""
    if b"(" not in operand:
        return bytes.fromhex(b"".join(re.findall(rb"<([0-9A-Fa-f\s]*)>", operand)).decode("ascii"))
    parts: list[bytes] = []
    for hexes, literal in _STRING.findall(operand):
        if hexes or not literal:
            parts.append(bytes.fromhex(hexes.decode("ascii")))
        else:
            parts.append(_unescape(literal))
    return b"".join(parts)


def _unescape(literal: bytes) -> bytes:
    """A PDF literal string's bytes: its backslash escapes (\\n, \\(, \\ddd) resolved."""
    out = bytearray()
    i = 0
    while i < len(literal):
        char = literal[i]
        if char != 0x5C or i + 1 == len(literal):
            out.append(char)
            i += 1
            continue
        following = literal[i + 1:i + 4]
        octal = re.match(rb"[0-7]{1,3}", following)
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
            continue
        out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(following[:1], following[:1])
        i += 2
    return bytes(out)


_PAGE = re.compile(r"^page (\d+)\b")


def page_of(problem: str) -> int | None:
    """The 1-based page a problem of `check` names, if it names one."""
    found = _PAGE.match(problem)
    return int(found.group(1)) if found else None


def _content(page_or_form: pikepdf.Object) -> bytes:
    contents = page_or_form.get("/Contents") if "/Contents" in page_or_form else None
    if contents is None:
        return bytes(page_or_form.read_bytes()) if isinstance(page_or_form, pikepdf.Stream) else b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return bytes(contents.read_bytes())


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
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(program), lazy=True)
    count = int(font["maxp"].numGlyphs)
    mismatches = 0
    if "CFF " in font:
        top = font["CFF "].cff.topDictIndex[0]
        if hasattr(top, "ROS"):
            mismatches = sum(1 for gid, name in enumerate(top.charset) if gid and name != f"cid{gid:05d}")
    shaper = hb.Font(hb.Face(hb.Blob(program)))  # HarfBuzz reads outlines far faster than fontTools

    @cache
    def outline(gid: int) -> bool:
        extents = shaper.get_glyph_extents(gid)
        return extents is not None and extents.width != 0 and extents.height != 0

    return count, outline, mismatches


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


def _outline_entries(pdf: pikepdf.Pdf) -> list[tuple[str, int]]:
    """Every bookmark as (title, 0-based page it leads to; -1 when it leads nowhere)."""
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
    return entries


def _check_outline(entries: list[tuple[str, int]], texts: dict[int, str]) -> list[str]:
    """Every bookmark's title is on the page it leads to (the page's text through its fonts' Unicode maps)."""
    problems: list[str] = []
    for title, page in entries:
        if page < 0:
            problems.append(f"bookmark {title!r} leads nowhere")
        elif _squeeze(title) not in texts.get(page, ""):
            problems.append(f"page {page + 1}: bookmark {title!r} leads here, but its title is not on the page")
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


def _inked(char: str) -> bool:
    """Whether a character's glyph draws something: not a space of any width (U+3000 included), not
    a control, format character or variation selector."""
    return needs_glyph(char) and not char.isspace() and unicodedata.category(char) != "Zs" \
        and not 0xFE00 <= ord(char) <= 0xFE0F and not 0xE0100 <= ord(char) <= 0xE01EF


def _squeeze(text: str) -> str:
    """The letters and digits of a text, for comparing a title with a page's extracted text (spaces,
    punctuation, symbols, emoji and their variation selectors, word joiners, soft hyphens and line
    ends fall away; what is left is the title's words, in order)."""
    return "".join(c for c in unicodedata.normalize("NFC", text) if c.isalnum())
