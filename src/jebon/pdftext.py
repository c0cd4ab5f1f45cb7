"""The text of a PDF as lines on each page (pypdfium2), the way a reader sees them.

pdfium gives the text in the order it is drawn and starts a new line whenever the baseline moves, so
a line that carries ruby (the reading is drawn between two runs of the base text) comes out in
three pieces. Here the pieces that share a baseline are put back together, left to right, and the
lines are ordered top to bottom: what poppler's `pdftotext` prints, without needing poppler."""

from __future__ import annotations

import ctypes
import itertools
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Run:
    text: str
    x: float
    end: float
    baseline: float
    size: float


def _runs(textpage: object) -> list[_Run]:
    """The page's text cut where pdfium breaks lines, each piece with the origin of its first character."""
    import pypdfium2.raw as raw

    handle = textpage.raw  # type: ignore[attr-defined]
    runs: list[_Run] = []
    chars: list[str] = []
    first = last = -1
    count = raw.FPDFText_CountChars(handle)

    def close() -> None:
        shown = "".join(chars).rstrip()
        if shown.strip() and first >= 0:
            x, y = ctypes.c_double(), ctypes.c_double()
            box = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
            if (raw.FPDFText_GetCharOrigin(handle, first, ctypes.byref(x), ctypes.byref(y))
                    and raw.FPDFText_GetCharBox(handle, last, *(ctypes.byref(b) for b in box))):
                size = float(raw.FPDFText_GetFontSize(handle, first)) or 10.0
                runs.append(_Run(shown, x.value, box[1].value, y.value, size))
        chars.clear()

    for index in range(count):
        char = chr(raw.FPDFText_GetUnicode(handle, index))
        if char in "\r\n":
            close()
            first = -1
            continue
        if not char.isspace():
            last = index
            if first < 0:
                first = index
        if first >= 0:
            chars.append(char)
    close()
    return runs


def _join(runs: list[_Run]) -> str:
    """Runs of one line, a space between two that a visible gap separates (a list's bullet and its text,
    table cells), none between the pieces of a line that ruby cut apart."""
    text = runs[0].text
    for before, run in itertools.pairwise(runs):
        gap = run.x - before.end
        text += (" " if gap > 0.2 * min(before.size, run.size) else "") + run.text
    return text.strip()


def page_lines(pdf: Path | str | bytes) -> list[list[str]]:
    """Every page's lines of text, top to bottom (pieces on one baseline joined left to right)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    pages: list[list[str]] = []
    try:
        for page in document:
            textpage = page.get_textpage()
            lines: list[list[_Run]] = []
            for run in _runs(textpage):
                for line in lines:
                    if abs(line[0].baseline - run.baseline) <= 0.2 * min(line[0].size, run.size):
                        line.append(run)
                        break
                else:
                    lines.append([run])
            lines.sort(key=lambda line: -line[0].baseline)
            pages.append([_join(sorted(line, key=lambda r: r.x)) for line in lines])
            textpage.close()
            page.close()
    finally:
        document.close()
    return pages


def text(pdf: Path | str | bytes) -> str:
    """The whole text: lines joined by newlines, pages by form feeds (like `pdftotext`)."""
    return "\f".join("\n".join(lines) for lines in page_lines(pdf))
