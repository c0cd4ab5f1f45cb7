"""The PDF's fonts: every bundled face ends as one font program cut from the bundled file.

WeasyPrint writes the pieces of a volume (and the single-call PDF/UA file) with empty programs for
the bundled faces (`writers.pdf.deferred_fonts`); `merge_fonts` then embeds, per face, one program
cut to the union of the glyphs every piece used, glyph ids kept (the ids the pages use are the
bundled file's own, and in its CFF every CID equals the glyph id). It handles every form WeasyPrint
writes: Identity-H fonts (merged into one font dictionary per face) and fonts with a CMap stream
(written when a character has no glyph: their codes past the font's glyphs are WeasyPrint's own
numbers for those characters, so each keeps its dictionary and shares the face's program)."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from typing import Any

import pikepdf

from .. import fonts

_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")
_DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")
OPENTYPE_VERSION = "1.6"
"""`FontFile3 /OpenType` is PDF 1.6; older files (PDF/X-1a, X-3, A-1) get the bare CFF program."""


def widths_of(w: pikepdf.Object) -> dict[int, float]:
    """A CIDFont's /W array as glyph id → width."""
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


def pdf_widths(widths: dict[int, float]) -> pikepdf.Array:
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


def to_unicode_map(stream: pikepdf.Object) -> dict[int, bytes]:
    data = stream.read_bytes()
    found: dict[int, bytes] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for gid, text in _BFCHAR.findall(block):
            found.setdefault(int(gid, 16), NBSP_TEXT.sub(b"0020", text))
    return found


NBSP_TEXT = re.compile(rb"(?i)^00a0$")
NBSP_TARGET = re.compile(rb"(?i)(<[0-9a-f]+>\s*)<00a0>")


def plain_spaces(font: pikepdf.Object) -> None:
    """Map a glyph WeasyPrint first met as U+00A0 to U+0020 in the font's ToUnicode: jebon's total fit
    sets most word spaces as no-break spaces (writers/justified.py), and copied, searched and
    extracted text must read them as spaces."""
    if "/ToUnicode" not in font:
        return
    data = font.ToUnicode.read_bytes()
    fixed = NBSP_TARGET.sub(rb"\1<0020>", data)
    if fixed != data:
        font.ToUnicode.write(fixed)


def to_unicode_stream(pdf: pikepdf.Pdf, mapping: dict[int, bytes]) -> pikepdf.Stream:
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
    """The face cut down to `gids`, glyph ids unchanged (what the pages use), the unused tail dropped;
    every name record kept (copyright and licence travel with the font)."""
    import uharfbuzz as hb

    source = hb.Face(hb.Blob.from_file_path(str(face.path)))
    wanted = sorted({gid for gid in gids if gid < source.glyph_count} | {0})
    first = hb.SubsetInput()
    first.glyph_set.update(wanted)
    first.flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                   | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NOTDEF_OUTLINE)
    drop = first.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    drop.update(_tag(tag) for tag in _DROP_TABLES)
    _keep_names(hb, first)
    cut = hb.subset(source, first)
    if cut is None:
        raise RuntimeError(f"HarfBuzz could not subset {face.file}")
    second = hb.SubsetInput()
    second.glyph_set.update(range(wanted[-1] + 1))
    second.flags = (hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
                    | hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.NOTDEF_OUTLINE)
    _keep_names(hb, second)
    final = hb.subset(cut, second)
    if final is None:
        raise RuntimeError(f"HarfBuzz could not subset {face.file}")
    return bytes(final.blob.data)


def _keep_names(hb: Any, subset_input: Any) -> None:
    names = subset_input.sets(hb.SubsetInputSets.NAME_ID)
    names.clear()
    names.invert()


def _tag(tag: str) -> int:
    raw = tag.encode("ascii")
    return (raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]


def sfnt_table(data: bytes, tag: bytes) -> bytes | None:
    """One table of an OpenType/TrueType file, or None."""
    count = struct.unpack(">H", data[4:6])[0]
    for i in range(count):
        entry = data[12 + 16 * i:28 + 16 * i]
        if entry[:4] == tag:
            offset, length = struct.unpack(">II", entry[8:16])
            return data[offset:offset + length]
    return None


def _resource_dicts(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """Every resource dictionary with fonts: pages, forms and patterns, each once."""
    found: list[pikepdf.Object] = []
    seen: set[tuple[int, int]] = set()

    def visit(resources: pikepdf.Object | None) -> None:
        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.is_indirect:
            if resources.objgen in seen:
                return
            seen.add(resources.objgen)
        if "/Font" in resources:
            found.append(resources)
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Form and "/Resources" in xobject:
                visit(xobject.Resources)
        for pattern in (resources.get("/Pattern") or {}).values():
            if "/Resources" in pattern:
                visit(pattern.Resources)

    for page in pdf.pages:
        visit(page.obj.get("/Resources"))
    return found


def merge_fonts(pdf: pikepdf.Pdf) -> None:
    """Give every Type0 font of a bundled face the face's one program (union of the glyphs all its
    fonts use, cut from the bundled file); merge the Identity-H fonts of a face into one dictionary."""
    resource_dicts = _resource_dicts(pdf)
    groups: dict[fonts.Face, list[pikepdf.Object]] = {}
    for resources in resource_dicts:
        for font in resources.Font.values():
            if font.get("/Subtype") != pikepdf.Name.Type0:
                continue
            face = fonts.face_named(str(font.BaseFont))
            if face is None:
                continue
            group = groups.setdefault(face, [])
            if all(f.objgen != font.objgen for f in group):
                group.append(font)

    bare_cff = pdf.pdf_version < OPENTYPE_VERSION
    replacement: dict[tuple[int, int], pikepdf.Object] = {}
    for face, members in sorted(groups.items(), key=lambda item: fonts.FACES.index(item[0])):
        for member in members:
            plain_spaces(member)
        member_widths = [widths_of(f.DescendantFonts[0].get("/W", pikepdf.Array())) for f in members]
        used = set().union(*member_widths)
        program = subset_retaining_ids(face, used)
        cff = program[:4] == b"OTTO"
        descriptor = _descriptor(pdf, face, members, program, cff=cff, bare=bare_cff, used=used)
        identity = [(f, w) for f, w in zip(members, member_widths, strict=True)
                    if f.get("/Encoding") == pikepdf.Name("/Identity-H")]
        if identity:
            widths: dict[int, float] = {}
            unicode_map: dict[int, bytes] = {}
            for font, found in identity:
                for cid, value in found.items():
                    widths.setdefault(cid, value)
                if "/ToUnicode" in font:
                    for gid, text in to_unicode_map(font.ToUnicode).items():
                        unicode_map.setdefault(gid, text)
            first = identity[0][0]
            merged = pikepdf.Dictionary({k: v for k, v in first.items()})
            merged.DescendantFonts = pikepdf.Array([_cid_font(pdf, first, widths, descriptor, cff)])
            if unicode_map:
                merged.ToUnicode = pdf.make_indirect(to_unicode_stream(pdf, unicode_map))
            single = pdf.make_indirect(merged)
            for font, _ in identity:
                replacement[font.objgen] = single
        for font, found in zip(members, member_widths, strict=True):
            if font.objgen in replacement:
                continue
            # A CMap-encoded font (characters without a glyph): its own codes, the face's program.
            font.DescendantFonts = pikepdf.Array([_cid_font(pdf, font, found, descriptor, cff)])

    for resources in resource_dicts:
        for key, used_font in list(resources.Font.items()):
            found_font = replacement.get(used_font.objgen)
            if found_font is not None:
                resources.Font[key] = found_font


def _descriptor(pdf: pikepdf.Pdf, face: fonts.Face, members: list[pikepdf.Object], program: bytes, *,
                cff: bool, bare: bool, used: set[int]) -> pikepdf.Object:
    """The face's one FontDescriptor, with its program."""
    first = members[0].DescendantFonts[0].FontDescriptor
    descriptor = pikepdf.Dictionary({k: v for k, v in first.items()
                                     if k not in ("/FontFile", "/FontFile2", "/FontFile3", "/CIDSet")})
    bbox = [0.0, 0.0, 0.0, 0.0]
    had_cidset = False
    for font in members:
        found = font.DescendantFonts[0].FontDescriptor
        box = [float(v) for v in found.FontBBox]
        bbox = [min(bbox[0], box[0]), min(bbox[1], box[1]), max(bbox[2], box[2]), max(bbox[3], box[3])]
        had_cidset = had_cidset or "/CIDSet" in found
    descriptor.FontBBox = pikepdf.Array([int(v) if v == int(v) else v for v in bbox])
    if bare and "/FontFamily" in descriptor:
        del descriptor["/FontFamily"]  # a PDF 1.5 key
    if cff and bare:
        table = sfnt_table(program, b"CFF ")
        if table is None:
            raise RuntimeError(f"{face.file}: the subset has no CFF table")
        stream = pikepdf.Stream(pdf, table)
        stream.Subtype = pikepdf.Name.CIDFontType0C
        descriptor.FontFile3 = pdf.make_indirect(stream)
    elif cff:
        stream = pikepdf.Stream(pdf, program)
        stream.Subtype = pikepdf.Name.OpenType
        descriptor.FontFile3 = pdf.make_indirect(stream)
    else:
        stream = pikepdf.Stream(pdf, program)
        stream.Length1 = len(program)
        descriptor.FontFile2 = pdf.make_indirect(stream)
    if had_cidset:  # PDF/A-1: every glyph any font of the face uses (glyph ids = CIDs)
        glyphs = sorted(gid for gid in used if gid < 65536)
        merged = bytearray(glyphs[-1] // 8 + 1 if glyphs else 1)
        for gid in glyphs:
            merged[gid // 8] |= 0x80 >> (gid % 8)
        descriptor.CIDSet = pdf.make_indirect(pikepdf.Stream(pdf, bytes(merged)))
    return pdf.make_indirect(descriptor)


def _cid_font(pdf: pikepdf.Pdf, font: pikepdf.Object, widths: dict[int, float], descriptor: pikepdf.Object,
              cff: bool) -> pikepdf.Object:
    """A descendant CIDFont for `font`: its widths, the face's descriptor. CIDFontType0 (CFF) glyphs
    are found by CID, which equals the glyph id: no CIDToGIDMap (the key belongs to CIDFontType2)."""
    old = font.DescendantFonts[0]
    cid_font = pikepdf.Dictionary({k: v for k, v in old.items() if k != "/CIDToGIDMap"})
    cid_font.Subtype = pikepdf.Name.CIDFontType0 if cff else pikepdf.Name.CIDFontType2
    if not cff:
        cid_font.CIDToGIDMap = pikepdf.Name.Identity
    cid_font.W = pdf_widths(widths)
    cid_font.FontDescriptor = descriptor
    return pdf.make_indirect(cid_font)
