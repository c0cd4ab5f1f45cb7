"""Proofs: pages of the print PDF as PNG (pypdfium2) and a contact sheet of spreads (Pillow)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .errors import UsageError
from .fonts import FACES
from .interior import Interior, choose_volumes, interiors, output_dir, stem

Progress = Callable[[str, int, int], None]

_RANGE = re.compile(r"^\s*(\d+)\s*(?:([-–])\s*(\d*)\s*)?$")


def _ranges(text: str, allowed: str) -> list[tuple[int, int | None]]:
    """The (first, last) pairs of a page list; last None means "to the end"."""
    ranges: list[tuple[int, int | None]] = []
    for part in text.split(","):
        m = _RANGE.match(part)
        if not m:
            raise UsageError(f"--pages {text!r}: write pages as 1-12 or 3,5,7-9 ({allowed})")
        first = int(m.group(1))
        last = first if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
        ranges.append((first, last))
    return ranges


def parse_pages(text: str | None, total: int) -> list[int]:
    """`1-12`, `3,5,7-9`, `10-` (to the end) → sorted page numbers; None → every page. Raise UsageError
    naming the allowed range for anything else."""
    allowed = f"the PDF has pages 1–{total}" if total > 1 else "the PDF has 1 page"
    if text is None or not text.strip():
        return list(range(1, total + 1))
    pages: set[int] = set()
    for first, last in _ranges(text, allowed):
        end = total if last is None else last
        if first < 1 or end > total or first > end:
            shown = f"{first}-{'' if last is None else last}" if first != last else str(first)
            problem = "runs backwards" if first > end and first <= total else "is outside the PDF"
            raise UsageError(f"--pages {text!r}: {shown} {problem} ({allowed})")
        pages.update(range(first, end + 1))
    return sorted(pages)


def page_list(pages: list[int]) -> str:
    """[1, 2, 3, 5, 7, 8, 9] → "1–3, 5, 7–9"."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def check_pages_syntax(text: str | None) -> None:
    """Raise UsageError for a malformed page list (before the PDF, and so its page count, exists)."""
    if text is not None and text.strip():
        for first, last in _ranges(text, "pages count from 1"):
            if first < 1 or (last is not None and last < first):
                raise UsageError(f"--pages {text!r}: pages count from 1 and ranges run forwards, e.g. 1-12")


def render(pdf: Path, pages: Iterable[int], dpi: float) -> dict[int, Image.Image]:
    """Each page (1-based) as an RGB image at `dpi`, cut to its TrimBox: the page as the reader sees it,
    without bleed or crop marks."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    images: dict[int, Image.Image] = {}
    try:
        for number in pages:
            page = document[number - 1]
            left, bottom, right, top = page.get_cropbox()
            t_left, t_bottom, t_right, t_top = page.get_trimbox()
            crop = (max(0.0, t_left - left), max(0.0, t_bottom - bottom), max(0.0, right - t_right),
                    max(0.0, top - t_top))
            bitmap = page.render(scale=dpi / 72, crop=crop, fill_color=(255, 255, 255, 255))
            images[number] = bitmap.to_pil().convert("RGB")
            page.close()
    finally:
        document.close()
    return images


# -- the contact sheet ------------------------------------------------------------------------
THUMB_HEIGHT = 240
SPREADS_PER_ROW = 4
MARGIN, SPREAD_GAP, ROW_GAP, LABEL = 32, 36, 20, 26
BACKGROUND = (226, 223, 216)
INK = (34, 38, 46)
EDGE = (150, 150, 150)


def _font(key: str, size: int) -> ImageFont.FreeTypeFont:
    face = next(f for f in FACES if f.key == key)
    return ImageFont.truetype(str(face.path), size)


def spreads(pages: Iterable[int]) -> list[tuple[int | None, int | None]]:
    """(left, right) pairs as a reader sees them: page 1 alone on the right, then 2|3, 4|5, …; a page
    whose facing page is not in `pages` keeps its side with the other slot empty."""
    pairs: dict[int, list[int | None]] = {}
    for page in pages:
        pair = pairs.setdefault(page // 2, [None, None])
        pair[page % 2] = page  # even pages are versos (left), odd pages rectos (right)
    return [(pair[0], pair[1]) for _, pair in sorted(pairs.items())]


def contact_sheet(images: dict[int, Image.Image], title: str) -> Image.Image:
    """A grid of spreads, page numbers under the pages, `title` on top."""
    thumbs = {n: im.resize((max(1, round(im.width * THUMB_HEIGHT / im.height)), THUMB_HEIGHT), Image.Resampling.LANCZOS)
              for n, im in images.items()}
    page_w = max(t.width for t in thumbs.values())
    spread_w = 2 * page_w
    pairs = spreads(thumbs)
    columns = min(SPREADS_PER_ROW, len(pairs))
    rows = -(-len(pairs) // columns)
    header = 64
    width = 2 * MARGIN + columns * spread_w + (columns - 1) * SPREAD_GAP
    height = header + MARGIN + rows * (THUMB_HEIGHT + LABEL) + (rows - 1) * ROW_GAP
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.text((MARGIN, 24), title, font=_font("sans-bold", 24), fill=INK)
    label_font = _font("sans-regular", 15)
    for index, pair in enumerate(pairs):
        row, column = divmod(index, columns)
        x0 = MARGIN + column * (spread_w + SPREAD_GAP)
        y0 = header + row * (THUMB_HEIGHT + LABEL + ROW_GAP)
        for side, number in enumerate(pair):
            if number is None:
                continue
            thumb = thumbs[number]
            # verso flush against the gutter from the left, recto from the right
            x = x0 + page_w - thumb.width if side == 0 else x0 + page_w
            draw.rectangle((x + 3, y0 + 3, x + thumb.width + 2, y0 + THUMB_HEIGHT + 2), fill=(190, 186, 178))
            sheet.paste(thumb, (x, y0))
            draw.rectangle((x, y0, x + thumb.width - 1, y0 + THUMB_HEIGHT - 1), outline=EDGE)
            label = str(number)
            text_w = draw.textlength(label, font=label_font)
            draw.text((x + (thumb.width - text_w) / 2, y0 + THUMB_HEIGHT + 5), label, font=label_font, fill=INK)
        if pair[0] is not None and pair[1] is not None:
            draw.line((x0 + page_w, y0, x0 + page_w, y0 + THUMB_HEIGHT - 1), fill=EDGE)  # the gutter
    return sheet


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# -- the command's work -------------------------------------------------------------------------
@dataclass(frozen=True)
class ProofPage:
    volume: int
    page: int
    path: Path
    width: int
    height: int

    def as_dict(self) -> dict[str, object]:
        return {"volume": self.volume, "page": self.page, "path": str(self.path), "width": self.width,
                "height": self.height}


@dataclass
class ProofReport:
    """What `jebon proof` wrote: the PDFs it read (and whether it built them), pages and contact sheets."""

    title: str
    out_dir: Path
    dpi: float
    interiors: list[Interior] = field(default_factory=list)
    pages: list[ProofPage] = field(default_factory=list)
    sheets: list[tuple[int, Path]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"title": self.title, "out": str(self.out_dir), "dpi": self.dpi,
                "pdfs": [i.as_dict() for i in self.interiors],
                "pages": [p.as_dict() for p in self.pages],
                "contact_sheets": [{"volume": v, "path": str(p)} for v, p in self.sheets],
                "files": [str(p.path) for p in self.pages] + [str(p) for _, p in self.sheets]}


def proof(book_dir: Path | str, pages: str | None = None, *, volumes: Iterable[int] | None = None,
          out_dir: Path | str | None = None, build_dir: Path | str | None = None, dpi: float = 60,
          rebuild: bool = False, progress: Progress | None = None) -> ProofReport:
    """Render `pages` (e.g. "1-12"; default all) of each chosen volume's print PDF to
    `<out_dir>/<stem>-p001.png`… and draw a contact sheet per volume. The PDF is the one in `build_dir`
    (default `<book>/build`), built first if missing or older than the sources. `out_dir` defaults to
    `<build_dir>/proof`."""
    from .api import load_book, write_atomic

    if not 10 <= dpi <= 600:
        raise UsageError(f"--dpi {dpi:g}: give a resolution from 10 to 600")
    check_pages_syntax(pages)  # a malformed range fails before anything is built
    book = load_book(book_dir)
    chosen = choose_volumes(book, volumes)
    out = Path(out_dir) if out_dir is not None else output_dir(book, build_dir) / "proof"
    found = interiors(book_dir, book, chosen, build_dir, rebuild=rebuild, also_written=[out], progress=progress)
    # Check every range before writing anything.
    wanted = {i.volume: parse_pages(pages, i.pages) for i in found}
    report = ProofReport(book.config.book.title, out, dpi, found)
    single = len(book.volumes) == 1
    for interior in found:
        name = stem(book, interior.volume)
        images = render(interior.path, wanted[interior.volume], dpi)
        for number, image in images.items():
            path = out / f"{name}-p{number:03d}.png"
            write_atomic(path, png(image))
            report.pages.append(ProofPage(interior.volume, number, path, image.width, image.height))
        span = "p. " + page_list(wanted[interior.volume])
        title = f"{book.config.book.title}{'' if single else f' · 제{interior.volume}권'} · {span} / {interior.pages}쪽"
        sheet = out / ("contact.png" if single else f"contact-vol{interior.volume:02d}.png")
        write_atomic(sheet, png(contact_sheet(images, title)))
        report.sheets.append((interior.volume, sheet))
    return report
