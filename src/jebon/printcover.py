"""The print cover: one full-wrap PDF page (bleed | back | spine | front | bleed) whose spine width comes
from the interior's page count and the service's paper, set with WeasyPrint in the bundled fonts."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PIL import Image

from . import __version__, color, preflight, printing
from .config import BookMeta
from .covers import ACCENT, INK, PAPER
from .errors import Diagnostics, JebonError, Problem, UsageError
from .fonts import FACES, font_face_rules
from .images import Asset, sniff
from .interior import Interior, choose_volumes, interiors, output_dir, stem
from .model import Book, SeriesInfo, edition
from .printing import COVERS, CoverGeometry, cover_geometry
from .writers.pdf import (
    BASE,
    BookFetcher,
    deferred_fonts,
    embed_fonts,
    label_pdfx1a_2001,
    own_font_configuration,
    weasy_fetcher,
)

Progress = Callable[[str, int, int], None]
PT_PER_MM = 72 / 25.4
IMAGE_NAME = "cover-front"


def _rgb(value: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*value)


def _mm(value: float) -> str:
    return f"{value:.3f}mm"


def _words(text: str) -> str:
    """Korean is broken between words only (어절): each word is kept whole (WeasyPrint has no keep-all)."""
    return " ".join(f'<span class="w">{html.escape(word)}</span>' for word in text.split())


@dataclass(frozen=True)
class CoverContent:
    """What the cover says and shows."""

    meta: BookMeta
    series: SeriesInfo | None
    image: Asset | None
    """The EPUB cover image (PNG or JPEG, flattened on white) when the book configures one."""

    @property
    def front_title(self) -> str:
        return self.series.title if self.series else self.meta.title


def front_image(meta: BookMeta) -> Asset | None:
    """The configured cover image as an opaque PNG or JPEG (print files must not carry transparency)."""
    if meta.cover is None or not meta.cover.is_file():
        return None
    data = meta.cover.read_bytes()
    media_type = sniff(data)
    if media_type not in ("image/png", "image/jpeg"):
        return None
    image: Image.Image = Image.open(io.BytesIO(data))
    if image.mode not in ("RGB", "L", "CMYK") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        out = io.BytesIO()
        flat.save(out, format="PNG")
        data, media_type = out.getvalue(), "image/png"
    return Asset(f"{IMAGE_NAME}.{'png' if media_type == 'image/png' else 'jpg'}", media_type, data, meta.cover)


def edge_colour(data: bytes) -> tuple[int, int, int]:
    """The median colour of an image's left edge (the strip that meets the spine)."""
    with Image.open(io.BytesIO(data)) as im:
        rgb = im.convert("RGB")
        strip = rgb.crop((0, 0, max(1, rgb.width // 50), rgb.height))
    half = strip.width * strip.height / 2
    median = []
    for band in strip.split():
        seen = 0
        for value, count in enumerate(band.histogram()):
            seen += count
            if seen >= half:
                median.append(value)
                break
    return median[0], median[1], median[2]


def blurb_size(text: str, width_mm: float, height_mm: float) -> tuple[float, str]:
    """The largest body size (pt) at which `text` fits the box, and the text (shortened with … when it
    does not fit even at 7 pt). Hangul is about one em wide; lines are 1.75 em apart."""
    def capacity(size_pt: float) -> int:
        em = size_pt / PT_PER_MM
        return int(0.82 * (width_mm / em) * (height_mm / (1.75 * em)))

    for tenth in range(105, 69, -5):
        size = tenth / 10
        if len(text) <= capacity(size):
            return size, text
    room = max(0, capacity(7.0) - 1)
    return 7.0, text[:room].rstrip() + "…"


class CoverBuilder:
    """Lays out one volume's wrap as a single HTML page of the full media size (trim + bleed) and
    prints it with WeasyPrint through jebon's resource gate."""

    def __init__(self, geometry: CoverGeometry, content: CoverContent, options: printing.PrintOptions, *,
                 created: dt.datetime | None = None) -> None:
        self.g = geometry
        self.content = content
        self.options = options
        self.created = created
        self.cmyk = options.color == "cmyk"
        self.notes: list[str] = []
        """Things the author should know (a shortened blurb, a low-resolution image)."""
        self.paper, self.ink = PAPER, INK
        if content.image is not None:
            # Back and spine continue the colour of the front image's spine edge, so the wrap has no seam.
            self.paper = edge_colour(content.image.data)
            if 0.2126 * self.paper[0] + 0.7152 * self.paper[1] + 0.0722 * self.paper[2] < 128:
                self.ink = PAPER

    # -- layout ----------------------------------------------------------------------------------
    @property
    def margin(self) -> float:
        """The design margin inside the trim: the service's safety margin plus 1 mm (glyphs overhang
        their boxes a little), and never less than 9 % of the trim width (the EPUB cover's proportions)."""
        return max(self.g.spec.safety_mm + 1.0, 0.09 * self.g.trim_width)

    def _c(self, rgb: tuple[int, int, int]) -> str:
        """A colour for the HTML's inline styles: sRGB, or device-cmyk() in a CMYK file."""
        return color.to_cmyk(_rgb(rgb)) if self.cmyk else _rgb(rgb)

    def css(self) -> str:
        g = self.g
        rules = [
            font_face_rules(lambda face: f"fonts/{face.file}", FACES),
            f"@page {{ size: {_mm(g.width)} {_mm(g.height)}; margin: 0; }}",
            f"html, body {{ margin: 0; padding: 0; background: {_rgb(self.paper)}; color: {_rgb(self.ink)}; }}",
            'body { font-family: "Jebon Serif KR"; }',
            ".box { position: absolute; margin: 0; }",
            ".w { white-space: nowrap; }",
            ".block { position: absolute; box-sizing: border-box; }",
            ".spine { display: flex; align-items: center; justify-content: space-between; white-space: nowrap;"
            " overflow: hidden; transform: rotate(90deg); transform-origin: 50% 50%; }",
        ]
        text = "\n".join(rules) + "\n"
        if self.cmyk:
            text = color.to_cmyk(f'@color-profile device-cmyk {{ src: url("{color.PROFILE_NAME}"); '
                                 "components: cyan, magenta, yellow, black; }\n" + text)
        return text

    def _box(self, left: float, top: float, width: float, height: float | None = None, style: str = "",
             cls: str = "box") -> str:
        size = f" height: {_mm(height)};" if height is not None else ""
        css = html.escape(f"left: {_mm(left)}; top: {_mm(top)}; width: {_mm(width)};{size} {style}")
        return f'<div class="{cls}" style="{css}">'

    def barcode_area(self) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the clear box for the ISBN barcode: bottom right of the back panel."""
        g, spec = self.g, self.g.spec
        width, height = spec.barcode_mm
        bottom = g.bleed + g.trim_height - spec.barcode_offset_mm
        return g.spine_left - spec.barcode_offset_mm - width, bottom - height, width, height

    def back(self) -> str:
        g, meta = self.g, self.content.meta
        m = self.margin
        left, top = g.bleed + m, g.bleed + m
        width = g.trim_width - 2 * m
        bar_left, bar_top, bar_w, bar_h = self.barcode_area()
        parts = [self._box(left, top, 0.12 * g.trim_width, 0.9, f"background: {self._c(ACCENT)};") + "</div>"]
        head = 0.9 + 4.0
        title_size = min(12.0, 0.055 * g.trim_width * PT_PER_MM)
        parts.append(self._box(left, top + head, width, None,
                               f'font: 700 {title_size:.2f}pt/1.4 "Jebon Sans KR";') + _words(self.content.front_title)
                     + "</div>")
        head += title_size / PT_PER_MM * 1.4 * 2 + 4
        text = " ".join((meta.description or meta.subtitle or "").split())
        if text:
            height = bar_top - 6 - (top + head)
            size, shown = blurb_size(text, width, height)
            if shown != text:
                self.notes.append(f"the description is too long for the back cover: shortened to {len(shown)} "
                                  "characters")
            parts.append(self._box(left, top + head, width, height,
                                   f'font: 400 {size:.1f}pt/1.75 "Jebon Serif KR"; overflow: hidden;')
                         + f"<p style=\"margin: 0\">{_words(shown)}</p></div>")
        foot = []
        if meta.authors:
            foot.append(" · ".join(meta.authors))
        if meta.publisher:
            foot.append(meta.publisher)
        if foot:
            foot_bottom = min(bar_top + bar_h, g.bleed + g.trim_height - m)  # inside the safety margin
            parts.append(self._box(left, foot_bottom - 9, bar_left - left - 4, 9,
                                   'font: 400 8pt/1.5 "Jebon Sans KR"; display: flex; flex-direction: column;'
                                   ' justify-content: flex-end;')
                         + "".join(f"<div>{_words(line)}</div>" for line in foot) + "</div>")
        if meta.isbn:
            parts.append(self._box(bar_left, bar_top - 4.5, bar_w, 4, 'font: 400 7pt/1.3 "Jebon Sans KR";'
                                   " text-align: center;") + f"ISBN {html.escape(meta.isbn)}</div>")
        # The barcode area: white and empty, where the service (or the publisher) places the ISBN barcode.
        parts.append(self._box(bar_left, bar_top, bar_w, bar_h, f"background: {self._c((255, 255, 255))};") + "</div>")
        return "".join(parts)

    def spine(self) -> str:
        g = self.g
        if not g.spine_text:
            return ""
        spec = g.spec
        length = g.trim_height - 2 * max(self.margin, 8.0)
        thickness = g.spine - 2 * spec.spine_margin_mm
        size_pt = min(11.0, 0.62 * thickness * PT_PER_MM)
        center_x, center_y = g.spine_left + g.spine / 2, g.bleed + g.trim_height / 2
        meta = self.content.meta
        items = [f'<span style="font: 700 {size_pt:.2f}pt/1 \'Jebon Serif KR\';">{html.escape(meta.title)}</span>']
        tail = []
        if meta.authors:
            tail.append(f'<span style="font: 400 {size_pt * 0.8:.2f}pt/1 \'Jebon Sans KR\';">'
                        f'{html.escape(" · ".join(meta.authors))}</span>')
        if meta.publisher:
            tail.append(f'<span style="font: 700 {size_pt * 0.7:.2f}pt/1 \'Jebon Sans KR\'; color: {self._c(ACCENT)};'
                        f' margin-left: {size_pt * 1.6:.1f}pt;">{html.escape(meta.publisher)}</span>')
        items.append("<span>" + "".join(tail) + "</span>")
        return (self._box(center_x - length / 2, center_y - thickness / 2, length, thickness, "", "box spine")
                + "".join(items) + "</div>")

    def front(self) -> str:
        g = self.g
        x0 = g.spine_right
        if self.content.image is not None:
            # The image fills the front panel and its top, bottom and outer bleed.
            width, height = g.width - x0, g.height
            return (self._box(x0, 0, width, height, "overflow: hidden;")
                    + f'<img src="{quote(self.content.image.name)}" alt="" style="display: block; width: 100%;'
                      ' height: 100%; object-fit: cover;"></div>')
        return self.front_design(x0, g.bleed)

    def front_design(self, x0: float, y0: float) -> str:
        """The typographic front of covers.generate() redrawn as vector type: a band of type blocks,
        the title, subtitle, author and publisher in the bundled fonts."""
        g, meta = self.g, self.content.meta
        u = g.trim_width / 1600  # covers.py draws on a 1600 px wide canvas
        v = g.trim_height / 2400
        m = max(150 * u, self.margin)
        inner = g.trim_width - 2 * m
        parts = []
        block, gap = 56 * u, 14 * u
        for row in range(3):
            for col in range(int(inner // (block + gap))):
                shade = self._c(ACCENT if (row * 7 + col * 3) % 11 == 0 else INK)
                fill = f"background: {shade};" if (row + col) % 4 else ""
                parts.append(self._box(x0 + m + col * (block + gap), y0 + 300 * v + row * (block + gap), block, block,
                                       f"border: {4 * u:.3f}mm solid {shade}; {fill}", "block") + "</div>")
        title = self.content.front_title
        size = (150 if len(title) <= 12 else 120 if len(title) <= 24 else 96) * u
        top = y0 + 620 * v
        series = self.content.series
        if series is not None:
            parts.append(self._box(x0 + m, top - 40 * v, inner, None,
                                   f'font: 700 {110 * u:.3f}mm/1.2 "Jebon Sans KR"; color: {self._c(ACCENT)};')
                         + f"제{series.current}권</div>")
            top += 150 * v
        parts.append(self._box(x0 + m, top, inner, None, f'font: 700 {size:.3f}mm/1.3 "Jebon Serif KR";')
                     + _words(title)
                     + (f'<p style="margin: {40 * u:.3f}mm 0 0; font: 400 {60 * u:.3f}mm/1.4 \'Jebon Sans KR\';">'
                        f"{_words(meta.subtitle)}</p>" if meta.subtitle else "")
                     + "</div>")
        bottom = y0 + g.trim_height
        parts.append(self._box(x0 + m, bottom - 420 * v, 160 * u, 12 * u, f"background: {self._c(ACCENT)};") + "</div>")
        parts.append(self._box(x0 + m, bottom - 370 * v, inner, None, f'font: 700 {64 * u:.3f}mm/1.3 "Jebon Sans KR";')
                     + _words(" · ".join(meta.authors)) + "</div>")
        if meta.publisher:
            style = f'font: 400 {48 * u:.3f}mm/1.3 "Jebon Sans KR";'
            parts.append(self._box(x0 + m, bottom - 260 * v, inner, None, style) + _words(meta.publisher) + "</div>")
        return "".join(parts)

    def html(self) -> str:
        meta = self.content.meta
        head = [
            '<meta charset="utf-8">',
            f"<title>{html.escape(meta.title)} — 표지</title>",
            f'<meta name="author" content="{html.escape(", ".join(meta.authors))}">',
            f'<meta name="generator" content="jebon {__version__}">',
        ]
        if self.created is not None:
            stamp = self.created.strftime("%Y-%m-%dT%H:%M:%SZ")
            head += [f'<meta name="dcterms.created" content="{stamp}">',
                     f'<meta name="dcterms.modified" content="{stamp}">']
        body = self.back() + self.spine() + self.front()
        return (f'<!DOCTYPE html>\n<html lang="{html.escape(meta.language)}"><head>{"".join(head)}</head>'
                f"<body>{body}</body></html>")

    # -- PDF ---------------------------------------------------------------------------------------
    def build(self) -> bytes:
        from weasyprint import CSS, HTML

        gate = BookFetcher((self.content.image,) if self.content.image else (), cmyk=self.cmyk)
        fetcher = weasy_fetcher(gate)
        font_config = own_font_configuration()  # one configuration for CSS() and write_pdf()
        color_profiles: dict[str, Any] = {}
        css = CSS(string=self.css(), base_url=BASE, url_fetcher=fetcher, font_config=font_config,
                  color_profiles=color_profiles)
        source = self.html()
        document = HTML(string=source, base_url=BASE, url_fetcher=fetcher).render(
            font_config=font_config, stylesheets=[css], color_profiles=color_profiles)
        if gate.refused:
            raise JebonError(f"the cover asked for {', '.join(gate.refused)}, which jebon does not fetch")
        identifier = hashlib.sha256((source + repr(self.g)).encode()).hexdigest()[:32].encode()
        with deferred_fonts():
            data: bytes = document.write_pdf(pdf_identifier=identifier, pdf_variant=self.options.variant,
                                             finisher=self._finish,
                                             output_intent="device-cmyk" if self.cmyk else None)
        return embed_fonts(data)

    def _finish(self, document: Any, pdf: Any) -> None:
        """TrimBox = the media less the bleed on all four edges, BleedBox = the media; the cover's measures
        are recorded in the Info dictionary (`JebonCover`) so preflight can check the file later."""
        import pydyf

        bleed = self.g.bleed * PT_PER_MM
        for obj in pdf.objects:
            if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page":
                left, bottom, right, top = (float(v) for v in obj["MediaBox"])
                obj["TrimBox"] = pydyf.Array([left + bleed, bottom + bleed, right - bleed, top - bleed])
                obj["BleedBox"] = pydyf.Array([left, bottom, right, top])
            if self.cmyk and isinstance(obj, pydyf.Dictionary) and "lab-d50" in obj:
                for key in ("lab-d50", "lab-d65", "device-cmyk"):  # PDF/X-1a allows neither Lab nor ICC spaces
                    obj.pop(key, None)
        pdf.info["JebonCover"] = pydyf.String(json.dumps(self.g.as_dict(), sort_keys=True))
        if self.options.variant == "pdf/x-1a":
            label_pdfx1a_2001(pdf)


def image_dpi(image: Asset, geometry: CoverGeometry) -> float:
    """The front image's resolution as placed (scaled to cover the front panel with its bleed)."""
    with Image.open(io.BytesIO(image.data)) as im:
        width_px, height_px = im.size
    panel_w, panel_h = geometry.width - geometry.spine_right, geometry.height
    scale_mm = max(panel_w / width_px, panel_h / height_px)
    return 25.4 / scale_mm


# -- the command's work ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverOutput:
    volume: int
    path: Path
    size: int
    geometry: CoverGeometry
    interior: Interior | None

    def as_dict(self) -> dict[str, object]:
        return {"volume": self.volume, "path": str(self.path), "size": self.size, **self.geometry.as_dict(),
                "interior": self.interior.as_dict() if self.interior else None}


@dataclass
class CoverReport:
    title: str
    outputs: list[CoverOutput] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def as_dict(self) -> dict[str, object]:
        return {"title": self.title, "outputs": [o.as_dict() for o in self.outputs],
                "warnings": [p.as_dict() for p in self.warnings]}


def _created(book: Book, number: int) -> dt.datetime:
    from .api import source_date_epoch

    epoch = source_date_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).replace(tzinfo=None)
    dates = [d for d in (book.config.book.date, *(book.volumes[number - 1].dates or ())) if d is not None]
    newest = max(dates) if dates else dt.date(2000, 1, 1)
    return dt.datetime(newest.year, newest.month, newest.day)


def make_covers(book_dir: Path | str, profile: str, *, paper: str = "white", volumes: Iterable[int] | None = None,
                pages: int | None = None, spine: str | None = None, out_dir: Path | str | None = None,
                rebuild: bool = False, progress: Progress | None = None) -> CoverReport:
    """Write `<stem>-cover.pdf` for each chosen volume into the output folder (default `<book>/build`).
    The spine follows the page count of the interior PDF built for `profile` (built first when missing
    or stale), or `pages` when given, or a fixed `spine` width (e.g. "11.2mm" from the service's own
    template). Every cover is preflighted; raises JebonError listing every failure."""
    from .api import load_book, write_atomic

    if profile not in COVERS:
        raise UsageError(f"--profile {profile!r}: choose " + ", ".join(COVERS))
    if paper not in COVERS[profile].papers:
        raise UsageError(f"--paper {paper!r}: {profile} offers " + ", ".join(COVERS[profile].papers))
    if pages is not None and pages < 1:
        raise UsageError(f"--pages {pages}: give the interior's page count (1 or more)")
    spine_mm = None
    if spine is not None:
        spine_mm = printing.length_mm(spine)
        if spine_mm is None or not 0 < spine_mm <= 150:
            raise UsageError(f"--spine {spine!r}: give a width such as 11.2mm or 0.45in")
    book = load_book(book_dir)
    chosen = choose_volumes(book, volumes)
    print_options = {"profile": profile}
    options = printing.resolve(book.config.pdf, book.config.epub.toc_depth, **print_options)
    found: dict[int, Interior] = {}
    if pages is None:
        found = {i.volume: i for i in interiors(book_dir, book, chosen, out_dir, print_options, rebuild=rebuild,
                                                progress=progress, tag=profile)}
    out = output_dir(book, out_dir)
    diag = Diagnostics()
    report = CoverReport(book.config.book.title)
    spec = COVERS[profile]
    results: list[tuple[int, Path, bytes, CoverGeometry]] = []
    for number in chosen:
        count = pages if pages is not None else found[number].pages
        path = out / f"{stem(book, number)}-cover.pdf"
        geometry = cover_geometry(profile, paper, count, options.width_mm, options.height_mm, spine_mm)
        if spec.min_pages is not None and count < spec.min_pages:
            diag.warn(f"{count} pages is fewer than {profile} binds as a paperback ({spec.min_pages})", path)
        if count % 2:
            diag.warn(f"{count} pages is an odd count; printers bind whole leaves", path)
        meta, series = edition(book, book.volumes[number - 1])
        image = front_image(meta)
        if image is not None and (dpi := image_dpi(image, geometry)) < options.min_dpi:
            diag.warn(f"the cover image {meta.cover} prints at {dpi:.0f} dpi on the front (below {options.min_dpi})",
                      path, hint="give book.toml a larger cover image")
        builder = CoverBuilder(geometry, CoverContent(meta, series, image), options, created=_created(book, number))
        data = builder.build()
        for note in builder.notes:
            diag.warn(note, path, hint="shorten [book] description")
        preflight.check_cover(data, geometry, path, diag, cmyk=options.color == "cmyk")
        results.append((number, path, data, geometry))
    report.problems = list(diag.problems)
    if diag.errors:
        raise JebonError(diag.problems)
    for number, path, data, geometry in results:  # gather everything, then write
        write_atomic(path, data)
        report.outputs.append(CoverOutput(number, path, len(data), geometry, found.get(number)))
    return report
