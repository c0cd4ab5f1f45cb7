"""Preflight: check a built PDF against its print settings (boxes, fonts, page count, images, metadata)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from .errors import Diagnostics
from .printing import PrintOptions

PT_PER_MM = 72 / 25.4
TOLERANCE_PT = 0.6


def _box(page: Any, name: str) -> tuple[float, float, float, float] | None:
    box = page.get(f"/{name}")
    if box is None:
        return None
    return tuple(float(v) for v in box)  # type: ignore[return-value]


def _fonts(reader: PdfReader) -> dict[str, bool]:
    """Every font used on any page → whether its program is embedded."""
    result: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        stack = [resources.get_object()] if resources is not None else []
        while stack:
            res = stack.pop()
            if not isinstance(res, DictionaryObject):
                continue
            font_dict: Any = (res.get("/Font") or DictionaryObject()).get_object()
            for font in font_dict.values():
                font = font.get_object()
                name = str(font.get("/BaseFont", "?"))
                if font.get("/Subtype") == "/Type0":
                    font = font["/DescendantFonts"][0].get_object()
                descriptor = font.get("/FontDescriptor")
                embedded = descriptor is not None and any(
                    k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                result[name] = result.get(name, True) and embedded
            xobjects: Any = (res.get("/XObject") or DictionaryObject()).get_object()
            for xobject in xobjects.values():
                inner = xobject.get_object().get("/Resources")
                if inner is not None:
                    stack.append(inner.get_object())
    return result


def check_pdf(data: bytes, options: PrintOptions, path: Path, diag: Diagnostics,
              image_dpi: list[tuple[str, float]] | None = None) -> int:
    """Record every preflight failure in `diag` (errors; low image resolution is a warning).
    Returns the page count."""
    reader = PdfReader(io.BytesIO(data))
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
    info: Any = reader.metadata or {}
    if not info.get("/Title"):
        diag.error("preflight: PDF metadata Title is missing", path)
    if not info.get("/Author"):
        diag.warn("preflight: PDF metadata Author is missing", path, hint="set author in book.toml [book]")
    root: Any = reader.trailer["/Root"].get_object()
    if not root.get("/Lang"):
        diag.error("preflight: the PDF does not declare its language", path)
    outline = reader.outline
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


def _check_cmyk(reader: PdfReader, path: Path, diag: Diagnostics) -> None:
    """A CMYK print file has a CMYK output intent and no RGB colour anywhere."""
    root: Any = reader.trailer["/Root"].get_object()
    intents = root.get("/OutputIntents")
    intent: Any = intents[0].get_object() if intents else None
    profile = intent.get("/DestOutputProfile") if intent is not None else None
    if profile is None or profile.get_object().get("/N") != 4:
        diag.error("preflight: no CMYK output intent", path)
    for number, page in enumerate(reader.pages, 1):
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
        resources: Any = page["/Resources"]
        xobjects: Any = resources.get("/XObject") or {}
        rgb_images = [str(name) for name, x in xobjects.items() if x.get_object().get("/ColorSpace") == "/DeviceRGB"]
        if _RGB_OPERATOR.search(data) or b"/DeviceRGB" in data or rgb_images:
            what = f" (images {', '.join(rgb_images)})" if rgb_images else ""
            diag.error(f"preflight: page {number} uses RGB colour in a CMYK file{what}", path)
            break
