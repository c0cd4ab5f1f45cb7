"""What the tests ask of a PDF, through the Python libraries the test extras install (pikepdf is qpdf's
library, pypdfium2 is pdfium): no qpdf, poppler or Java command needed. Where poppler or qpdf happen
to be installed they run too, as an extra check, never instead."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from jebon.pdftext import page_lines, text

__all__ = ["Font", "check", "fonts", "page_lines", "text", "unresolved_links"]

_SUBSET = re.compile(r"^[A-Z]{6}\+")


@dataclass(frozen=True)
class Font:
    """One row of what `pdffonts` prints: the font's name, type and whether it is embedded, subset and
    has a ToUnicode map."""

    name: str
    type: str
    embedded: bool
    subset: bool
    unicode: bool


def _descriptor(font: pikepdf.Dictionary) -> pikepdf.Dictionary | None:
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts")
        if not descendants:
            return None
        font = descendants[0]
    descriptor = font.get("/FontDescriptor")
    return descriptor if isinstance(descriptor, pikepdf.Dictionary) else None


def _resources(resources: object, seen: set[tuple[int, int]]) -> list[pikepdf.Dictionary]:
    """The fonts of a resource dictionary and of the form XObjects it draws (each once)."""
    found: list[pikepdf.Dictionary] = []
    if not isinstance(resources, pikepdf.Dictionary):
        return found
    for font in (resources.get("/Font") or pikepdf.Dictionary()).values():
        if font.objgen not in seen:
            seen.add(font.objgen)
            found.append(font)
    for xobject in (resources.get("/XObject") or pikepdf.Dictionary()).values():
        if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            found += _resources(xobject.get("/Resources"), seen)
    return found


def fonts(path: Path) -> list[Font]:
    """Every font the pages use (as `pdffonts` lists them)."""
    rows: list[Font] = []
    seen: set[tuple[int, int]] = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in _resources(page.obj.get("/Resources"), seen):
                descriptor = _descriptor(font)
                embedded = descriptor is not None and any(
                    key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
                name = str(font.get("/BaseFont", "")).lstrip("/")
                rows.append(Font(name, str(font.get("/Subtype", "")).lstrip("/"), embedded,
                                 bool(_SUBSET.match(name)), "/ToUnicode" in font))
    if shutil.which("pdffonts"):  # poppler, where installed, must see the same fonts
        listing = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
        assert len(listing.splitlines()[2:]) == len(rows), listing
    return rows


def unresolved_links(path: Path) -> list[int]:
    """The pages (1-based) of every link that pdfium (Chrome's PDF viewer) cannot follow: a link with
    neither an action nor a destination it finds."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(str(path))
    broken: list[int] = []
    try:
        for number in range(len(document)):
            page = document[number]
            position, link = ctypes.c_int(0), raw.FPDF_LINK()
            while raw.FPDFLink_Enumerate(page.raw, ctypes.byref(position), ctypes.byref(link)):
                if not raw.FPDFLink_GetDest(document.raw, link) and not raw.FPDFLink_GetAction(link):
                    broken.append(number + 1)
            page.close()
    finally:
        document.close()
    return broken


def check(path: Path) -> None:
    """The file is sound: qpdf's checks (through pikepdf: syntax, streams, document structures such
    as the name tree's order) find nothing, and pdfium follows every link; `qpdf --check` too where
    qpdf is installed."""
    with pikepdf.open(path) as pdf:
        problems = pdf.check_pdf_syntax()
    assert not problems, problems
    assert not unresolved_links(path), f"links pdfium cannot follow on pages {unresolved_links(path)}"
    if shutil.which("qpdf"):
        subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
