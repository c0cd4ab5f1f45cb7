"""Preflight: check a built PDF against its print settings (boxes, fonts, page count, images, metadata)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pikepdf

from .errors import Diagnostics
from .printing import CoverGeometry, PrintOptions

PT_PER_MM = 72 / 25.4
TOLERANCE_PT = 0.6


def _open(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def _box(page: pikepdf.Page, name: str) -> tuple[float, float, float, float] | None:
    box = page.obj.get(f"/{name}")
    if box is None:
        return None
    return tuple(float(v) for v in box)  # type: ignore[return-value]


def _fonts(pdf: pikepdf.Pdf) -> dict[str, bool]:
    """Every font used on any page → whether its program is embedded. Shared resources, fonts and
    forms are looked at once (a long book repeats them on every page); images are never opened."""
    result: dict[str, bool] = {}
    seen: set[tuple[int, int]] = set()

    def once(obj: pikepdf.Object) -> bool:
        if not obj.is_indirect:
            return True
        if obj.objgen in seen:
            return False
        seen.add(obj.objgen)
        return True

    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        stack = [resources] if resources is not None and once(resources) else []
        while stack:
            res = stack.pop()
            for font in (res.get("/Font") or {}).values():
                if not once(font):
                    continue
                name = str(font.get("/BaseFont", "?"))
                if font.get("/Subtype") == pikepdf.Name.Type0:
                    font = font.DescendantFonts[0]
                descriptor = font.get("/FontDescriptor")
                embedded = descriptor is not None and any(  # a program, and not an empty one
                    k in descriptor and len(descriptor[k].read_raw_bytes()) > 0
                    for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                result[name] = result.get(name, True) and embedded
            for xobject in (res.get("/XObject") or {}).values():
                if once(xobject) and xobject.get("/Subtype") == pikepdf.Name.Form:
                    inner = xobject.get("/Resources")
                    if inner is not None and once(inner):
                        stack.append(inner)
    return result


def _outline(pdf: pikepdf.Pdf) -> bool:
    outlines = pdf.Root.get("/Outlines")
    return outlines is not None and "/First" in outlines


def _contents(page: pikepdf.Page) -> bytes:
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return bytes(contents.read_bytes())


def check_pdf(data: bytes, options: PrintOptions, path: Path, diag: Diagnostics,
              image_dpi: list[tuple[str, float]] | None = None) -> int:
    """Record every preflight failure in `diag` (errors; low image resolution is a warning), each
    naming its page and object. Returns the page count."""
    reader = _open(data)
    pages = len(reader.pages)
    _check_boxes(reader, options, path, diag)
    missing = sorted(name for name, ok in _fonts(reader).items() if not ok)
    if missing:
        diag.error(f"preflight: fonts not embedded: {', '.join(missing)}", path)
    _check_font_forms(reader, options, path, diag)
    if pages % options.signature:
        diag.error(f"preflight: {pages} pages is not a multiple of {options.signature}", path,
                   hint="printers need whole sheets")
    info: Any = reader.docinfo
    if not info.get("/Title"):
        diag.error("preflight: PDF metadata Title is missing", path)
    if not info.get("/Author"):
        diag.warn("preflight: PDF metadata Author is missing", path, hint="set author in book.toml [book]")
    if not reader.Root.get("/Lang"):
        diag.error("preflight: the PDF does not declare its language", path)
    outline = _outline(reader)
    if options.bookmarks and not outline:
        diag.error("preflight: the PDF has no bookmarks (outline)", path)
    if not options.bookmarks and outline:
        diag.error("preflight: the PDF has bookmarks, which this profile forbids", path)
    if options.color == "cmyk":
        _check_cmyk(reader, path, diag)
    _check_images_and_annotations(reader, options, path, diag)
    _check_variant(reader, options, path, diag)
    if options.min_margin_mm:
        _check_margins(data, reader, options, path, diag)
    for name, dpi in image_dpi or []:
        if dpi < options.min_dpi:
            diag.warn(f"preflight: image {name} prints at {dpi:.0f} dpi (below {options.min_dpi})", path,
                      hint="use a larger image or show it smaller")
    return pages


def _check_boxes(reader: pikepdf.Pdf, options: PrintOptions, path: Path, diag: Diagnostics) -> None:
    """TrimBox = the trim; bleed on every edge (none on the spine edge when the profile asks), or the
    marks' room; TrimBox ⊆ BleedBox ⊆ MediaBox. One failure per kind is reported (a whole book repeats it)."""
    trim_w, trim_h = options.width_mm * PT_PER_MM, options.height_mm * PT_PER_MM
    bleed = options.bleed_mm * PT_PER_MM
    for number, page in enumerate(reader.pages, 1):
        media, trim = _box(page, "MediaBox"), _box(page, "TrimBox")
        if media is None or trim is None:
            diag.error(f"preflight: page {number} has no {'MediaBox' if media is None else 'TrimBox'}", path)
            return
        size = (trim[2] - trim[0], trim[3] - trim[1])
        if abs(size[0] - trim_w) > TOLERANCE_PT or abs(size[1] - trim_h) > TOLERANCE_PT:
            diag.error(f"preflight: page {number} TrimBox is {size[0]:.1f}×{size[1]:.1f} pt, "
                       f"expected the {options.trim} trim {trim_w:.1f}×{trim_h:.1f} pt", path)
            return
        spine = 0 if number % 2 else 2  # a recto's spine edge is its left one
        expected = [bleed] * 4
        if not options.spine_bleed:
            expected[spine] = 0.0
        margins = (trim[0] - media[0], trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
        marked = [i for i in range(4) if options.marks and (options.spine_bleed or i != spine)]
        if marked and min(margins[i] for i in marked) < bleed + 10:
            diag.error(f"preflight: page {number} has no room for crop marks outside the bleed", path)
            return
        edges = ("left", "bottom", "right", "top")
        wrong = [f"{edges[i]} {m:.2f} pt" for i, (m, e) in enumerate(zip(margins, expected, strict=True))
                 if i not in marked and abs(m - e) > TOLERANCE_PT]
        if wrong:
            what = "spine edge none, other edges" if not options.spine_bleed else "every edge"
            diag.error(f"preflight: page {number} bleed is {', '.join(wrong)}; expected {what} {bleed:.2f} pt", path)
            return
        bleed_box = _box(page, "BleedBox")
        if bleed_box is None and bleed:
            diag.error(f"preflight: page {number} has no BleedBox", path)
            return
        if bleed_box is not None:
            grown = [abs(b - t) for b, t in zip(bleed_box, trim, strict=True)]
            if any(abs(g - e) > TOLERANCE_PT for g, e in zip(grown, expected, strict=True)):
                diag.error(f"preflight: page {number} BleedBox is not the TrimBox grown by the bleed "
                           f"({bleed:.2f} pt)", path)
                return
            if not _inside(bleed_box, media) or not _inside(trim, bleed_box):
                diag.error(f"preflight: page {number} BleedBox {_fmt(bleed_box)} is not inside its MediaBox "
                           f"{_fmt(media)} (or the TrimBox not inside it)", path)
                return


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3])


def _fmt(box: tuple[float, ...]) -> str:
    return "[" + " ".join(f"{v:g}" for v in box) + "]"


def _font_objects(reader: pikepdf.Pdf) -> list[pikepdf.Object]:
    found: list[pikepdf.Object] = []
    seen: set[tuple[int, int]] = set()
    for obj in reader.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font and obj.objgen not in seen:
            seen.add(obj.objgen)
            found.append(obj)
    return found


def _check_font_forms(reader: pikepdf.Pdf, options: PrintOptions, path: Path, diag: Diagnostics) -> None:
    """The font rules of the PDF version and the variant: CFF programs as FontFile3 /Type1C or
    /CIDFontType0C (an /OpenType wrapper needs PDF 1.6 and is never PDF/X-1a), no CIDToGIDMap in a
    CIDFontType0 font, no FontFamily before PDF 1.5, a ToUnicode map on every font."""
    version = reader.pdf_version
    x1a = options.variant == "pdf/x-1a"
    for font in _font_objects(reader):
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        number = font.objgen[0]
        subtype = font.get("/Subtype")
        if subtype == pikepdf.Name.Type0 and "/ToUnicode" not in font:
            diag.error(f"preflight: font {name} (object {number}) has no ToUnicode map: its text cannot be "
                       "searched, copied or read aloud", path)
        if subtype == pikepdf.Name.CIDFontType0 and "/CIDToGIDMap" in font:
            diag.error(f"preflight: font {name} (object {number}) is a CIDFontType0 (CFF) font with a "
                       "CIDToGIDMap, which only CIDFontType2 fonts may have", path)
        descriptor = font.get("/FontDescriptor")
        if not isinstance(descriptor, pikepdf.Dictionary):
            continue
        where = f"font {name} (descriptor object {descriptor.objgen[0]})"
        if "/FontFamily" in descriptor and version < "1.5":
            diag.error(f"preflight: {where} has a FontFamily entry, which is PDF 1.5; this file is PDF {version}",
                       path)
        program = descriptor.get("/FontFile3")
        if isinstance(program, pikepdf.Stream):
            form = program.get("/Subtype")
            allowed = [pikepdf.Name.Type1C, pikepdf.Name.CIDFontType0C]
            if not x1a and version >= "1.6":
                allowed.append(pikepdf.Name.OpenType)
            if form not in allowed:
                rule = "PDF/X-1a" if x1a else f"PDF {version}"
                diag.error(f"preflight: {where} embeds its program as FontFile3 {form}, which {rule} does not "
                           "allow (a bare CFF program is /Type1C or /CIDFontType0C)", path)


def _check_images_and_annotations(reader: pikepdf.Pdf, options: PrintOptions, path: Path,
                                  diag: Diagnostics) -> None:
    for obj in reader.objects:
        if (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image
                and bool(obj.get("/Interpolate", False))):
            diag.error(f"preflight: image object {obj.objgen[0]} asks viewers to interpolate it (/Interpolate true),"
                       " which PDF/A forbids and print preflights flag", path)
            break
    for number, page in enumerate(reader.pages, 1):
        for annot in page.obj.get("/Annots", []):
            kind = str(annot.get("/Subtype", "?")).lstrip("/")
            if options.variant == "pdf/x-1a":
                diag.error(f"preflight: page {number} has a {kind} annotation (object {annot.objgen[0]}); "
                           "PDF/X-1a allows none on the page", path)
                return
            if not int(annot.get("/F", 0)) & 4:
                diag.error(f"preflight: page {number}: the {kind} annotation (object {annot.objgen[0]}) is not "
                           "marked printable (/F 4)", path)
                return


PDFX_KEYS = {"pdf/x-1a": ("PDF/X-1:2001", "PDF/X-1a:2001"), "pdf/x-4": ("PDF/X-4", None)}


def _check_variant(reader: pikepdf.Pdf, options: PrintOptions, path: Path, diag: Diagnostics) -> None:
    """What the variant and the profile claim, rule by rule (docs/printing.md, "What each variant
    guarantees")."""
    from .writers.printfile import transparency

    info: Any = reader.docinfo
    variant = options.variant
    trapped = info.get("/Trapped")
    print_file = options.profile is not None or (variant or "").startswith("pdf/x")
    if print_file and trapped not in (pikepdf.Name("/False"), pikepdf.Name("/True")):
        diag.error("preflight: the Info dictionary has no /Trapped /False (PDF/X and printers' preflight ask "
                   "whether the file is trapped)", path)
    if variant in PDFX_KEYS:
        version, conformance = PDFX_KEYS[variant]
        if variant == "pdf/x-4":  # PDF/X-4 names itself in the XMP metadata (ISO 15930-7)
            said = str(reader.open_metadata().get("pdfxid:GTS_PDFXVersion", "missing")) \
                if "/Metadata" in reader.Root else "missing (no XMP metadata)"
        else:
            said = str(info.get("/GTS_PDFXVersion", "missing"))
        if said != version:
            diag.error(f"preflight: GTS_PDFXVersion is {said!r}, {variant} needs {version!r}", path)
        if conformance and str(info.get("/GTS_PDFXConformance", "")) != conformance:
            diag.error(f"preflight: GTS_PDFXConformance is {str(info.get('/GTS_PDFXConformance', 'missing'))!r}, "
                       f"{variant} needs {conformance!r}", path)
        intents: Any = reader.Root.get("/OutputIntents") or []
        if not any(i.get("/S") == pikepdf.Name.GTS_PDFX and "/DestOutputProfile" in i for i in intents):
            diag.error("preflight: no /GTS_PDFX output intent with an ICC profile", path)
    if variant == "pdf/x-1a":
        if reader.pdf_version != "1.3":
            diag.error(f"preflight: the file is PDF {reader.pdf_version}; PDF/X-1a:2001 is PDF 1.3", path)
        for item in transparency(reader)[:10]:
            diag.error(f"preflight: transparency, which PDF/X-1a forbids: {item}", path)
        if "/Metadata" in reader.Root:
            diag.error("preflight: an XMP metadata stream (PDF 1.4) in a PDF/X-1a:2001 (PDF 1.3) file", path)
        _check_actions(reader, path, diag)
    if variant == "pdf/a-2b":
        _check_xmp(reader, path, diag, part=("pdfaid", "2", "B"))
    if variant == "pdf/ua-1":
        _check_xmp(reader, path, diag, part=("pdfuaid", "1", None))
        _check_tags(reader, path, diag)


def _check_actions(reader: pikepdf.Pdf, path: Path, diag: Diagnostics) -> None:
    if "/OpenAction" in reader.Root or "/AA" in reader.Root:
        diag.error("preflight: the document runs an action when opened, which PDF/X-1a forbids", path)
    outlines = reader.Root.get("/Outlines")
    stack = [outlines.get("/First")] if outlines is not None else []
    while stack:
        item = stack.pop()
        if item is None:
            continue
        if "/A" in item:
            diag.error(f"preflight: the bookmark {str(item.get('/Title', ''))!r} carries an action, which "
                       "PDF/X-1a forbids (a destination is allowed)", path)
            return
        stack += [item.get("/Next"), item.get("/First")]


XMP_FIELDS = (("/Title", "dc:title"), ("/Author", "dc:creator"), ("/Subject", "dc:description"),
              ("/Keywords", "pdf:Keywords"), ("/Creator", "xmp:CreatorTool"), ("/Producer", "pdf:Producer"),
              ("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate"))


def _check_xmp(reader: pikepdf.Pdf, path: Path, diag: Diagnostics, part: tuple[str, str, str | None]) -> None:
    """The XMP stream declares the part (and conformance) and says what the Info dictionary says."""
    import warnings
    from datetime import datetime

    if "/Metadata" not in reader.Root:
        diag.error("preflight: no XMP metadata stream", path)
        return
    prefix, number, level = part
    meta = reader.open_metadata()
    if str(meta.get(f"{prefix}:part", "")) != number or (level and str(meta.get(f"{prefix}:conformance")) != level):
        diag.error(f"preflight: the XMP metadata does not declare {prefix}:part {number}"
                   + (f" conformance {level}" if level else ""), path)
    info: Any = reader.docinfo
    for key, field in XMP_FIELDS:
        if key not in info:
            continue
        value = str(info[key])
        found: Any = meta.get(field)
        if field == "dc:creator" and isinstance(found, list):
            found = ", ".join(found)
        if key.endswith("Date"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    same = (pikepdf.models.metadata.decode_pdf_date(value)
                            == datetime.fromisoformat(str(found).replace("Z", "+00:00")))
                except (ValueError, TypeError):
                    same = False
        else:
            same = str(found) == value
        if not same:
            diag.error(f"preflight: Info {key[1:]} {value[:40]!r} and XMP {field} {str(found)[:40]!r} differ", path)
    trapped = info.get("/Trapped")
    if trapped is not None and str(meta.get("pdf:Trapped", "")) != str(trapped).lstrip("/"):
        diag.error("preflight: Info Trapped and XMP pdf:Trapped differ", path)


def _check_tags(reader: pikepdf.Pdf, path: Path, diag: Diagnostics) -> None:
    """PDF/UA-1 (the machine-checkable part): a tagged file whose every table header has a scope,
    every figure an alternative text, every list item a body, every link a description, and whose
    marked content all belongs to the structure tree or is an artifact."""
    from .writers.printfile import _elements

    root = reader.Root
    mark: Any = root.get("/MarkInfo")
    if mark is None or not bool(mark.get("/Marked", False)) or "/StructTreeRoot" not in root:
        diag.error("preflight: not a tagged PDF (no /MarkInfo /Marked true or no structure tree)", path)
        return
    prefs = root.get("/ViewerPreferences")
    if prefs is None or not bool(prefs.get("/DisplayDocTitle", False)):
        diag.error("preflight: the viewer is not told to show the document title (DisplayDocTitle)", path)
    page_numbers = {page.obj.objgen: n for n, page in enumerate(reader.pages, 1)}
    owned: set[tuple[int, int]] = set()
    counts: dict[str, int] = {}
    firsts: dict[str, str] = {}
    for elem in _elements(reader):
        kind = str(elem.get("/S", "")).lstrip("/")
        pg: Any = elem.get("/Pg")
        on = page_numbers.get(pg.objgen) if pg is not None else None
        where = f"page {on}" if on else "the structure tree"
        kids = elem.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, int) and pg is not None:
                owned.add((pg.objgen[0], int(kid)))
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == pikepdf.Name.MCR:
                mcr_page: Any = kid.get("/Pg", pg)
                if mcr_page is not None:
                    owned.add((mcr_page.objgen[0], int(kid.MCID)))
        label = None
        if kind == "TH" and "/Scope" not in (elem.get("/A") or {}):
            label = f"{where}: a table header cell (TH, object {elem.objgen[0]}) has no /Scope"
        elif kind == "Figure" and not str(elem.get("/Alt", "")).strip():
            label = f"{where}: a figure (object {elem.objgen[0]}) has no alternative text (/Alt)"
        elif kind == "LI" and not any(str(k.get("/S")) == "/LBody" for k in _kids(elem)):
            label = f"{where}: a list item (LI, object {elem.objgen[0]}) has no LBody"
        elif kind == "Note" and "/ID" not in elem:
            label = f"{where}: a footnote (Note, object {elem.objgen[0]}) has no /ID"
        if label:  # the first of each kind, with how many there are
            counts.setdefault(kind, 0)
            counts[kind] += 1
            if counts[kind] == 1:
                firsts[kind] = label
    for kind, label in firsts.items():
        more = f" (and {counts[kind] - 1} more like it)" if counts[kind] > 1 else ""
        diag.error(f"preflight: {label}{more}", path)
    for number, page in enumerate(reader.pages, 1):
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") == pikepdf.Name.Link and not str(annot.get("/Contents", "")).strip():
                diag.error(f"preflight: page {number}: a link (object {annot.objgen[0]}) has no /Contents "
                           "description", path)
                break
        stray = _untagged_content(page, owned)
        if stray:
            diag.error(f"preflight: page {number}: {stray}", path)


def _kids(elem: pikepdf.Object) -> list[pikepdf.Object]:
    kids = elem.get("/K")
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    return [k for k in items if isinstance(k, pikepdf.Dictionary)]


def _untagged_content(page: pikepdf.Page, owned: set[tuple[int, int]]) -> str | None:
    """What on the page is neither tagged (marked content the structure tree owns) nor an artifact."""
    depth: list[str] = []
    for instruction in pikepdf.parse_content_stream(page):
        operator = str(instruction.operator)
        operands: Any = instruction.operands
        if operator in ("BDC", "BMC"):
            tag = str(operands[0]).lstrip("/")
            if operator == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                mcid = int(operands[1].MCID)
                if (page.obj.objgen[0], mcid) not in owned:
                    return (f"marked content {tag} MCID {mcid} belongs to no structure element (running heads and "
                            "folios must be artifacts)")
                depth.append("tagged")
            else:
                depth.append("artifact" if tag == "Artifact" else (depth[-1] if depth else "untagged"))
        elif operator == "EMC":
            if depth:
                depth.pop()
        elif operator in ("Tj", "TJ", "'", '"', "Do") and not depth:
            return f"content drawn with {operator} outside any tag or artifact"
    return None


def _check_margins(data: bytes, reader: pikepdf.Pdf, options: PrintOptions, path: Path, diag: Diagnostics) -> None:
    """Text and images at least `options.min_margin_mm` inside the trim on every page (running heads
    and folios included), as the profile's service asks."""
    import pypdfium2 as pdfium

    limit = options.min_margin_mm * PT_PER_MM
    document = pdfium.PdfDocument(data)
    worst: dict[str, tuple[float, int]] = {}
    try:
        for index in range(len(document)):
            page = document[index]
            trim = _box(reader.pages[index], "TrimBox")
            media = _box(reader.pages[index], "MediaBox")
            if trim is None or media is None:
                continue
            boxes: list[tuple[float, float, float, float]] = []
            text = page.get_textpage()
            # pdfium's text rectangles (one per run of characters on a line, whitespace left out):
            # a few dozen a page instead of a call per character
            for i in range(text.count_rects()):
                boxes.append(text.get_rect(i))
            for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]):
                boxes.append(obj.get_bounds())
            for left, bottom, right, top in boxes:
                for edge, room in (("left", left - trim[0]), ("bottom", bottom - trim[1]),
                                   ("right", trim[2] - right), ("top", trim[3] - top)):
                    if room < limit - TOLERANCE_PT and (edge not in worst or room < worst[edge][0]):
                        worst[edge] = (room, index + 1)
    finally:
        document.close()
    for edge, (room, number) in sorted(worst.items()):
        diag.error(f"preflight: page {number}: something printed {room / PT_PER_MM:.1f} mm from the {edge} trim, "
                   f"inside the {options.min_margin_mm:.1f} mm the {options.profile} profile keeps clear", path)


_RGB_OPERATOR = re.compile(rb"(?:^|\s)(?:rg|RG)(?:\s|$)")


def _check_cmyk(reader: pikepdf.Pdf, path: Path, diag: Diagnostics) -> None:
    """A CMYK print file has a CMYK output intent and no RGB colour anywhere."""
    intents = reader.Root.get("/OutputIntents")
    intent: Any = intents[0] if intents else None
    profile = intent.get("/DestOutputProfile") if intent is not None else None
    if profile is None or profile.get("/N") != 4:
        diag.error("preflight: no CMYK output intent", path)
    for number, page in enumerate(reader.pages, 1):
        data = _contents(page)
        resources: Any = page.obj.get("/Resources") or {}
        xobjects: Any = resources.get("/XObject") or {}
        rgb_images = [str(name) for name, x in xobjects.items() if x.get("/ColorSpace") == pikepdf.Name.DeviceRGB]
        if _RGB_OPERATOR.search(data) or b"/DeviceRGB" in data or rgb_images:
            what = f" (images {', '.join(rgb_images)})" if rgb_images else ""
            diag.error(f"preflight: page {number} uses RGB colour in a CMYK file{what}", path)
            break


COVER_TOLERANCE_PT = 0.5


def _text_boxes(data: bytes) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(character, (left, bottom, right, top) in points) for every visible character on page 1."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        page = document[0]
        text = page.get_textpage()
        found = []
        for index in range(text.count_chars()):
            char = text.get_text_range(index, 1)
            if char.strip():
                found.append((char, text.get_charbox(index)))
        return found
    finally:
        document.close()


def check_cover(data: bytes, geometry: CoverGeometry, path: Path, diag: Diagnostics, *, cmyk: bool = False) -> None:
    """Record every preflight failure of a full-wrap cover in `diag`: one page; MediaBox = the formula's
    size (trim + spine + bleed) and TrimBox = it less the bleed, within 0.5 pt; BleedBox = MediaBox; fonts
    embedded; no text on a spine too narrow for it, spine text clear of the folds by the service's
    margin; no text in the bleed, the safety margin or the barcode area; CMYK when asked."""
    reader = _open(data)
    if len(reader.pages) != 1:
        diag.error(f"preflight: a cover is one page, this one has {len(reader.pages)}", path)
        return
    page = reader.pages[0]
    g, spec = geometry, geometry.spec
    mm = PT_PER_MM
    media, trim, bleed_box = _box(page, "MediaBox"), _box(page, "TrimBox"), _box(page, "BleedBox")
    want = (g.width * mm, g.height * mm)
    if media is None or trim is None or bleed_box is None:
        diag.error("preflight: the cover lacks a MediaBox, TrimBox or BleedBox", path)
        return
    size = (media[2] - media[0], media[3] - media[1])
    if any(abs(a - b) > COVER_TOLERANCE_PT for a, b in zip(size, want, strict=True)):
        diag.error(f"preflight: cover is {size[0]:.1f}×{size[1]:.1f} pt, the formula gives {want[0]:.1f}×{want[1]:.1f}"
                   f" pt ({g.pages} pages on {g.profile} {g.paper} paper: spine {g.spine:.2f} mm)", path)
    inset = g.bleed * mm
    expected_trim = (media[0] + inset, media[1] + inset, media[2] - inset, media[3] - inset)
    if any(abs(a - b) > COVER_TOLERANCE_PT for a, b in zip(trim, expected_trim, strict=True)):
        diag.error(f"preflight: the cover's TrimBox is not the media less {g.bleed:.2f} mm of bleed on each edge", path)
    if any(abs(a - b) > COVER_TOLERANCE_PT for a, b in zip(bleed_box, media, strict=True)):
        diag.error("preflight: the cover's BleedBox is not its MediaBox", path)
    missing = sorted(name for name, ok in _fonts(reader).items() if not ok)
    if missing:
        diag.error(f"preflight: fonts not embedded: {', '.join(missing)}", path)
    spine_left, spine_right = media[0] + g.spine_left * mm, media[0] + g.spine_right * mm
    margin = spec.spine_margin_mm * mm
    on_spine = outside = in_barcode = 0
    bar_w, bar_h = spec.barcode_mm
    bar_right = spine_left - spec.barcode_offset_mm * mm
    bar_bottom = trim[1] + spec.barcode_offset_mm * mm
    barcode = (bar_right - bar_w * mm, bar_bottom, bar_right, bar_bottom + bar_h * mm)
    safe = spec.safety_mm * mm
    for _, (left, bottom, right, top) in _text_boxes(data):
        center = (left + right) / 2
        if spine_left <= center <= spine_right:
            on_spine += 1
            if left < spine_left + margin - COVER_TOLERANCE_PT or right > spine_right - margin + COVER_TOLERANCE_PT:
                outside += 1
            continue
        if (left < trim[0] + safe or right > trim[2] - safe or bottom < trim[1] + safe or top > trim[3] - safe
                or (spine_left - margin < right and left < spine_right + margin)):
            outside += 1
        if left < barcode[2] and right > barcode[0] and bottom < barcode[3] and top > barcode[1]:
            in_barcode += 1
    if on_spine and not g.spine_text:
        diag.error(f"preflight: text on a {g.spine:.2f} mm spine, which is too narrow for it "
                   f"({g.profile}: {g.pages} pages)", path)
    if g.spine_text and not on_spine:
        diag.error("preflight: the spine has room for title and author but carries no text", path)
    if outside:
        diag.error(f"preflight: {outside} characters lie outside the safe area (within {spec.safety_mm:.1f} mm of "
                   f"the trim or {spec.spine_margin_mm:.1f} mm of a spine fold)", path)
    if in_barcode:
        diag.error(f"preflight: {in_barcode} characters lie in the barcode area", path)
    if cmyk:
        _check_cmyk(reader, path, diag)
