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
    """Record every preflight failure in `diag` (errors; low image resolution is a warning).
    Returns the page count."""
    reader = _open(data)
    pages = len(reader.pages)
    trim_w, trim_h = options.width_mm * PT_PER_MM, options.height_mm * PT_PER_MM
    bleed = options.bleed_mm * PT_PER_MM
    for number, page in enumerate(reader.pages, 1):
        media, trim = _box(page, "MediaBox"), _box(page, "TrimBox")
        if media is None or trim is None:
            diag.error(f"preflight: page {number} has no {'MediaBox' if media is None else 'TrimBox'}", path)
            break
        size = (trim[2] - trim[0], trim[3] - trim[1])
        if abs(size[0] - trim_w) > TOLERANCE_PT or abs(size[1] - trim_h) > TOLERANCE_PT:
            diag.error(f"preflight: page {number} TrimBox is {size[0]:.1f}×{size[1]:.1f} pt, "
                       f"expected the {options.trim} trim {trim_w:.1f}×{trim_h:.1f} pt", path)
            break
        margins = (trim[0] - media[0], trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
        if options.marks and min(margins) < bleed + 10:
            diag.error(f"preflight: page {number} has no room for crop marks outside the bleed", path)
            break
        if not options.marks and any(abs(m - bleed) > TOLERANCE_PT for m in margins):
            diag.error(f"preflight: page {number} bleed is {min(margins):.1f}–{max(margins):.1f} pt, "
                       f"expected {bleed:.1f} pt", path)
            break
        bleed_box = _box(page, "BleedBox")
        if bleed_box is None or any(abs(abs(b - t) - bleed) > TOLERANCE_PT for b, t in zip(bleed_box, trim,
                                                                                             strict=True)):
            diag.error(f"preflight: page {number} BleedBox is not the TrimBox grown by {bleed:.1f} pt", path)
            break
    missing = sorted(name for name, ok in _fonts(reader).items() if not ok)
    if missing:
        diag.error(f"preflight: fonts not embedded: {', '.join(missing)}", path)
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
    for name, dpi in image_dpi or []:
        if dpi < options.min_dpi:
            diag.warn(f"preflight: image {name} prints at {dpi:.0f} dpi (below {options.min_dpi})", path,
                      hint="use a larger image or show it smaller")
    return pages


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
