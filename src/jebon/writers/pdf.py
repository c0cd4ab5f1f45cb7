"""PDF writer (WeasyPrint): one print HTML per volume, paged-media CSS, one font configuration."""

from __future__ import annotations

import atexit
import base64
import functools
import gc
import hashlib
import html
import io
import json
import multiprocessing
import multiprocessing.util
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

from .. import __version__, color, fonts, resources
from ..cache import Cache, digest, engine_version
from ..config import BookConfig, BookMeta
from ..images import Asset, sniff
from ..model import SeriesInfo
from ..printing import PrintOptions
from ..render import Chapter, RenderedVolume, remove_keep_tail
from ..typography.linebreak import Gluer
from . import printfile
from .assemble import XREF_SCHEME, Piece, assemble, placement
from .epub import identifier_for, modified_time
from .furniture import Furniture, measure
from .justified import Justifier, pango_positions

BASE = "file:///jebon-book/"
DOT_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#000"/></svg>'


CHAPTER_CSS = """
/* A chapter laid out on its own: its pages without running heads and folios (drawn on assembly). */
@page body:left { @top-left { content: none; } @bottom-left { content: none; } }
@page body:right { @top-right { content: none; } @bottom-right { content: none; } }
"""
FRONT_CSS = """
/* The front matter laid out on its own: the contents' page numbers are written in. */
.toc a::after { content: leader(". . . . ") " " attr(data-page); }
"""


@dataclass
class ChapterLayout:
    """One chapter laid out on its own: its PDF and what the volume needs to know of it."""

    pdf: bytes
    pages: int
    title: str
    """The running head."""
    anchors: dict[str, int]
    """Element id → 0-based page index within the chapter."""
    image_dpi: list[tuple[str, float]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lines: int = 0
    """Lines the total-fit planner set; of them, `split_words` end between two syllables of a word."""
    split_words: int = 0

    def dump(self) -> bytes:
        meta = json.dumps({"pages": self.pages, "title": self.title, "anchors": self.anchors,
                           "image_dpi": self.image_dpi, "refused": self.refused, "lines": self.lines,
                           "split_words": self.split_words}, ensure_ascii=False).encode()
        return len(meta).to_bytes(8, "big") + meta + self.pdf

    @classmethod
    def load(cls, data: bytes) -> ChapterLayout:
        size = int.from_bytes(data[:8], "big")
        meta = json.loads(data[8:8 + size])
        return cls(pdf=data[8 + size:], pages=meta["pages"], title=meta["title"], anchors=meta["anchors"],
                   image_dpi=[(name, dpi) for name, dpi in meta["image_dpi"]], refused=meta["refused"],
                   lines=meta.get("lines", 0), split_words=meta.get("split_words", 0))


_SHARED: dict[tuple[int, str], tuple[BookFetcher, Any, Any, Any, dict[str, Any]]] = {}
_PLANNERS: list[Justifier] = []


def release_layouts() -> None:
    """Let the layout contexts go, and collect them now. WeasyPrint copies the book's fonts into a
    /tmp/weasyprint-* folder per font configuration and removes it only when the configuration is
    freed, which takes the cycle collector: a process that ends without a collection (the CLI ends
    with os._exit, pool workers always do) would leave 20 MB behind per configuration."""
    _SHARED.clear()
    for planner in _PLANNERS:
        planner.forget()  # it holds WeasyPrint styles, and through them the font configuration
    _PLANNERS.clear()
    gc.collect()


atexit.register(release_layouts)  # the Python API: while the interpreter is whole


def _worker_start() -> None:
    """In each layout worker: release the layouts when the worker ends."""
    multiprocessing.util.Finalize(None, release_layouts, exitpriority=10)

_CONTEXT: tuple[PdfBuilder, str, str] | None = None
"""The builder, its CSS and the front matter's first-pass HTML, set before the workers fork (so a
task carries only its kind and index)."""


def _task(task: tuple[str, int]) -> ChapterLayout | Furniture | int:
    assert _CONTEXT is not None
    builder, css_text, front_source = _CONTEXT
    kind, index = task
    if kind == "front":
        document, _ = builder._render(front_source, css_text + FRONT_CSS, shared=True)
        return len(document.pages)
    if kind == "furniture":
        return builder.furniture(css_text)
    return _lay_out_chapter(builder, css_text + CHAPTER_CSS, index)


def _lay_out_chapter(builder: PdfBuilder, css_text: str, index: int) -> ChapterLayout:
    lines, split = builder.planned()
    source, title = builder.chapter_html(builder.rendered.chapters[index])
    lines, split = (a - b for a, b in zip(builder.planned(), (lines, split), strict=True))
    document, gate = builder._render(source, css_text, shared=True)
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, number)
    identifier = hashlib.sha256(source.encode()).hexdigest()[:32].encode()
    with deferred_fonts():
        data = builder._write(document, identifier)
    return ChapterLayout(pdf=data, pages=len(document.pages), title=title, anchors=anchors,
                         image_dpi=_image_dpi(document), refused=list(gate.refused), lines=lines,
                         split_words=split)


@contextmanager
def collector_at_default_pace() -> Iterator[None]:
    """Python's default cycle-collector pace for the layout (and the workers forked for it).
    WeasyPrint's box trees make reference cycles in great numbers: collected at the slower pace the
    CLI sets for the rest of a build (every 50,000 allocations), a 300-article volume's peak memory
    grew by a third (467 MB to 611 MB, measured)."""
    pace = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*pace)


@contextmanager
def deferred_fonts() -> Iterator[None]:
    """While WeasyPrint writes a PDF, the bundled faces are not subset: they go in as empty programs,
    and `pdffonts.merge_fonts` embeds each face once, cut to the glyphs all pieces used.

    This replaces `weasyprint.pdf.fonts.Font.clean`, which `build_fonts_dictionary` calls once per
    font file before it embeds `font.file_content`; tests/test_pdf.py pins that behaviour of the
    WeasyPrint version jebon is tested with (pyproject.toml pins it)."""
    from weasyprint.pdf.fonts import Font

    original = Font.clean
    families = {face.family for face in fonts.FACES}

    def clean(font: Any, to_unicode: Any, hinting: Any) -> None:
        if font.family in families and not font.used_in_forms:
            font.file_content = b""
        else:
            original(font, to_unicode, hinting)

    Font.clean = clean
    try:
        yield
    finally:
        Font.clean = original


@dataclass
class PdfResult:
    data: bytes
    pages: int
    image_dpi: list[tuple[str, float]] = field(default_factory=list)
    """(image name, effective resolution) for every placed raster image."""
    refused: list[str] = field(default_factory=list)
    """URLs the layout asked for that jebon did not fetch."""
    starts: list[tuple[int, Path]] = field(default_factory=list)
    """(0-based index of its first page, source file) of each chapter, in order, when known."""
    lines: int = 0
    """Lines set by the total-fit planner; `split_words` of them end between two syllables of a word
    (balanced mode, or a word longer than the line)."""
    split_words: int = 0

    def source_of(self, page: int) -> Path | None:
        """The article a 1-based page number belongs to (None in the front matter or when unknown)."""
        found = None
        for start, path in self.starts:
            if start < page:
                found = path
        return found


_SVG_TRANSPARENCY = re.compile(
    r"""(?:(?:fill-|stroke-|stop-|flood-)?opacity\s*[:=]\s*["']?\s*(?:0?\.\d+|0)(?![\d.])"""
    r"""|rgba\(|hsla\(|<mask\b|\bmask\s*[:=]|\bfilter\s*[:=]|mix-blend-mode)""", re.IGNORECASE)
FLATTEN_PPI = 600
"""An SVG drawing with transparency is flattened for PDF/X-1a to a raster this fine at the widest it
can be placed (the text block), as print flatteners do for line art."""


def svg_transparency(svg: str) -> bool:
    """Whether an SVG drawing uses opacity, translucent colours, masks, filters or blending."""
    return _SVG_TRANSPARENCY.search(svg) is not None


class BookFetcher:
    """The one gate for every resource WeasyPrint asks for: the book's own images, jebon's fonts and
    its CMYK profile. Nothing else is ever fetched (no network, no other files). With `cmyk`, images
    are handed over in CMYK (raster → CMYK JPEG, SVG colours → device-cmyk()). With `flatten_px`
    (PDF/X-1a, which forbids transparency), an SVG drawing that uses transparency is handed over as
    the same drawing flattened on white paper: a CMYK raster `flatten_px` pixels wide at most, inside
    an SVG of the original's size (so the layout does not change)."""

    def __init__(self, assets: tuple[Asset, ...], *, cmyk: bool = False, flatten_px: int | None = None) -> None:
        self.assets = {a.name: a for a in assets}
        self.cmyk = cmyk
        self.flatten_px = flatten_px
        self.flattened: dict[str, bytes] = {}
        self.refused: list[str] = []

    def resolve(self, url: str) -> tuple[bytes, str] | None:
        if url.startswith("data:image/"):
            return self._data(url)
        if not url.startswith(BASE):
            return None
        name = unquote(urlsplit(url).path)[len("/jebon-book/"):]
        if name.startswith(FLAT_PREFIX) and name[len(FLAT_PREFIX):] in self.flattened:
            return self.flattened[name[len(FLAT_PREFIX):]], "image/jpeg"
        if name in self.assets:
            asset = self.assets[name]
            if not self.cmyk:
                return asset.data, asset.media_type
            if asset.media_type == "image/svg+xml":
                text = asset.data.decode("utf-8")
                if self.flatten_px and svg_transparency(text):
                    return self._flatten(asset), asset.media_type
                return color.to_cmyk(text).encode("utf-8"), asset.media_type
            return color.image_to_cmyk(asset.data), "image/jpeg"
        if name.startswith("fonts/") and "/" not in name[6:]:
            file = name[6:]
            if any(face.file == file for face in fonts.FACES):
                return resources.font_path(file).read_bytes(), "font/otf"
        if name == "marks/dot.svg":  # the emphasis mark (드러냄표)
            dot = DOT_SVG if not self.cmyk else color.to_cmyk(DOT_SVG)
            return dot.encode("utf-8"), "image/svg+xml"
        if name == color.PROFILE_NAME:
            return (resources.data_dir("styles") / name).read_bytes(), "application/vnd.iccprofile"
        return None

    def _data(self, url: str) -> tuple[bytes, str] | None:
        """An image inside a drawing (`<image xlink:href="data:image/png;base64,…">`, which SVGs
        exported from design tools carry): decoded from the URL itself, nothing is read; refused
        unless it is a PNG, JPEG, GIF, WebP or SVG by its bytes. CMYK variants get it in CMYK."""
        head, _, body = url.partition(",")
        try:
            data = base64.b64decode(body, validate=False) if head.endswith(";base64") \
                else unquote(body).encode("utf-8")
        except ValueError:
            return None
        media_type = sniff(data)
        if media_type is None:
            return None
        if self.cmyk:
            if media_type == "image/svg+xml":
                return color.to_cmyk(data.decode("utf-8")).encode("utf-8"), media_type
            return color.image_to_cmyk(data), "image/jpeg"
        return data, media_type

    def _flatten(self, asset: Asset) -> bytes:
        """The drawing laid out alone by WeasyPrint at its own size, drawn by pdfium, flattened on
        white and made CMYK; wrapped in an SVG of the original's width, height and viewBox."""
        import pypdfium2 as pdfium
        from weasyprint import HTML

        plain = BookFetcher(tuple(self.assets.values()))
        document = HTML(string=f'<img src="{html.escape(BASE + asset.name)}" style="display: block">',
                        base_url=BASE, url_fetcher=weasy_fetcher(plain)).render(
            stylesheets=[_flatten_css()])
        page = document.pages[0]
        box = page._page_box.children[0].children[0].children[0]  # html > body > img
        width_px, height_px = float(box.width), float(box.height)
        pdf = pdfium.PdfDocument(document.copy([page]).write_pdf())
        try:
            # As wide as the text block at FLATTEN_PPI, or at its own size (CSS px) at FLATTEN_PPI
            # when it is narrower (images are never scaled up).
            factor = min((self.flatten_px or 0) / max(width_px, 1), FLATTEN_PPI / 96)
            scale = max(1.0, factor) * 96 / 72
            # crop = what to cut off: (left, bottom, right, top); the drawing is at the top left
            bitmap = pdf[0].render(scale=scale, crop=(0, pdf[0].get_height() - height_px * 0.75,
                                                      pdf[0].get_width() - width_px * 0.75, 0))
            raster = bitmap.to_pil().convert("RGB")
        finally:
            pdf.close()
        out = io.BytesIO()
        raster.save(out, format="PNG")
        self.flattened[asset.name] = color.image_to_cmyk(out.getvalue())
        root = etree.fromstring(asset.data)
        attributes = {k: root.get(k) for k in ("width", "height", "viewBox", "preserveAspectRatio") if root.get(k)}
        view = attributes.get("viewBox") or f"0 0 {width_px:g} {height_px:g}"
        x, y, w, h = (float(v) for v in re.split(r"[\s,]+", view.strip()))
        title = root.find("{http://www.w3.org/2000/svg}title")
        wrapper = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                   + " ".join(f'{k}="{html.escape(str(v))}"' for k, v in attributes.items()) + ">"
                   + (f"<title>{html.escape(title.text or '')}</title>" if title is not None else "")
                   + f'<image x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" preserveAspectRatio="none" '
                   f'xlink:href="{html.escape(BASE + FLAT_PREFIX + asset.name)}"/></svg>')
        return wrapper.encode("utf-8")


FLAT_PREFIX = "flattened/"


@functools.cache
def _flatten_css() -> Any:
    from weasyprint import CSS

    return CSS(string="@page { size: 10000px 10000px; margin: 0 } html, body { margin: 0 }")


def own_font_configuration() -> Any:
    """A WeasyPrint font configuration that sees jebon's fonts only: fontconfig reads
    fonts/fonts.conf (no font folder of the machine; the generic families and the fallbacks are the
    bundled faces), so a book lays out with the same glyphs on every machine. The bundled faces come
    in through the @font-face rules of `css_text`."""
    import os

    from weasyprint.text.fonts import FontConfiguration

    before = os.environ.get("FONTCONFIG_FILE")
    os.environ["FONTCONFIG_FILE"] = str(resources.font_path(fonts.FONTCONFIG_FILE))
    try:  # fontconfig reads the variable when the configuration is made, and only then
        return FontConfiguration()
    finally:
        if before is None:
            del os.environ["FONTCONFIG_FILE"]
        else:
            os.environ["FONTCONFIG_FILE"] = before


def label_pdfx1a_2001(pdf: Any) -> None:
    """WeasyPrint labels its PDF/X-1a as the 2003 revision; the services ask for PDF/X-1a:2001, whose
    Info keys are `GTS_PDFXVersion (PDF/X-1:2001)` and `GTS_PDFXConformance (PDF/X-1a:2001)` (ISO
    15930-1). The interior's last pass (`printfile.finish`) applies the rest of the standard."""
    import pydyf

    pdf.info["GTS_PDFXVersion"] = pydyf.String("PDF/X-1:2001")
    pdf.info["GTS_PDFXConformance"] = pydyf.String("PDF/X-1a:2001")
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and b"pdfxid" in b"".join(
                part if isinstance(part, bytes) else str(part).encode() for part in obj.stream):
            raw = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in obj.stream)
            raw = raw.replace(b"<pdfxid:GTS_PDFXVersion>PDF/X-1a:2003", b"<pdfxid:GTS_PDFXVersion>PDF/X-1:2001")
            raw = raw.replace(b"<pdfx:GTS_PDFXVersion>PDF/X-1a:2003", b"<pdfx:GTS_PDFXVersion>PDF/X-1:2001")
            obj.stream = [raw.replace(b"PDF/X-1a:2003", b"PDF/X-1a:2001")]


def weasy_fetcher(gate: BookFetcher) -> Any:
    """WeasyPrint's URL fetcher, answering only through `gate`."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class _Fetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            found = gate.resolve(url)
            if found is None:
                gate.refused.append(url)
                raise ValueError(f"jebon does not fetch {url}")
            data, media_type = found
            return URLFetcherResponse(url, data, {"Content-Type": media_type})

    return _Fetcher()


def ascii_id(ident: str) -> str:
    """An element id as the PDF names it: letters, digits and `-.` kept, every other character
    written `_hex_` (so `_` too: no two ids meet). A named destination is then ASCII, and the PDF's
    name tree sorts the same by bytes (as the PDF specification says) and by text (as qpdf checks)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-.") else f"_{ord(c):x}_" for c in ident)


def _mm(value: float) -> str:
    return f"{value:.3f}mm"  # 0.125 in of bleed is 3.175 mm


MARKS_ROOM_MM = 8.0
"""Crop marks sit outside the bleed: WeasyPrint draws them in the outer half of the CSS bleed area,
so with marks the page is extended by this much more (BleedBox is then set to the real bleed)."""


def page_css(options: PrintOptions, justify: bool = True) -> str:
    """The generated @page rules: trim, mirrored margins with a gutter, bleed, marks, body size."""
    width, height = options.width_mm, options.height_mm
    bleed = options.bleed_mm + (MARKS_ROOM_MM if options.marks else 0.0)
    top, bottom, inner, outer = options.margins_mm
    rules = [
        f"@page {{ size: {_mm(width)} {_mm(height)}; margin: {_mm(top)} 0 {_mm(bottom)} 0;"
        f" bleed: {_mm(bleed)}; marks: {'crop' if options.marks else 'none'}; }}",
        f"@page :left {{ margin-left: {_mm(outer)}; margin-right: {_mm(inner)}; }}",
        f"@page :right {{ margin-left: {_mm(inner)}; margin-right: {_mm(outer)}; }}",
        f"html {{ font-size: {options.font_size_pt:g}pt; }}",
        # The colophon sits at the foot of its page, as in Korean books.
        f".colophon {{ height: {_mm(height - top - bottom - 2)}; }}",
    ]
    if not justify:
        # More specific than print.css's `body { text-align: justify }`, which comes after this.
        rules.append("html body { text-align: left; }")
    if options.bookmarks:
        rules.append(".chapter-head h1 { bookmark-level: 1; }")
        rules.append(f"h2 {{ bookmark-level: {2 if options.toc_depth >= 2 else 'none'}; }}")
        rules.append(f"h3 {{ bookmark-level: {3 if options.toc_depth >= 3 else 'none'}; }}")
    else:
        rules.append("h1, h2, h3, h4, h5, h6 { bookmark-level: none !important; }")
    return "\n".join(rules) + "\n"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _plain(el: etree._Element) -> etree._Element:
    """Copy an XHTML tree into plain HTML elements (no namespaces, no epub:* attributes)."""
    new: etree._Element = lxml.html.Element(_local(el))
    for key, value in el.attrib.items():
        if not str(key).startswith("{"):
            new.set(str(key), str(value))
    new.text = el.text
    for child in el:
        if not isinstance(child.tag, str):
            continue
        sub = _plain(child)
        sub.tail = child.tail
        new.append(sub)
    return new


class PdfBuilder:
    """Builds one volume's print PDF: half title, title page, colophon, contents, chapters."""

    def __init__(self, config: BookConfig, rendered: RenderedVolume, options: PrintOptions, *,
                 epoch: int | None = None, typography: bool = True, meta: BookMeta | None = None,
                 series: SeriesInfo | None = None, total_fit: bool = True) -> None:
        self.config = config
        self.meta = meta or config.book
        self.series = series
        self.rendered = rendered
        self.options = options
        self.modified = modified_time(config, rendered, epoch)
        self.identifier = identifier_for(self.meta, series)
        self.line_break = config.typography.line_break
        self.gluer = Gluer(line_em=options.line_em)
        self.typography = typography
        """False leaves Korean line breaking to Pango (for measurements: benchmarks/typography.py)."""
        self.total_fit = total_fit
        """False sets justified paragraphs first-fit, as WeasyPrint does (for measurements)."""
        self._justifier: Justifier | None = None
        self._css_text: str | None = None

    def planned(self) -> tuple[int, int]:
        """(lines the planner has set so far, of them ending inside a word)."""
        if self._justifier is None:
            return 0, 0
        return self._justifier.lines, self._justifier.split_words

    def justifier(self) -> Justifier:
        """The total-fit planner, kept for the builder's chapters (what its probe found is reused)."""
        if self._justifier is None:
            self._justifier = Justifier(lambda source: self._render(source, self.css_text() + CHAPTER_CSS,
                                                                    shared=True)[0], pango_positions())
            _PLANNERS.append(self._justifier)
            # Every kind of paragraph and inline text of the volume, measured in one probe layout.
            self._justifier.prescan([self._prepared(c) for c in self.rendered.chapters])
        return self._justifier

    # -- the print HTML --------------------------------------------------------------------
    def chapter(self, chapter: Chapter) -> etree._Element:
        section = self._prepared(chapter)
        mode = str(chapter.article.extra.get("line_break") or self.line_break)
        if self.typography:
            planner = self.justifier() if self.total_fit and self.config.typography.justify else None
            self.gluer.apply(section, mode, planner)
            if planner is not None:
                planner.finish(section)
        section.set("class", "chapter body")
        section.set("id", chapter.article.id)
        return section

    def _prepared(self, chapter: Chapter) -> etree._Element:
        """The chapter's print HTML before its lines are planned and glued."""
        section = _plain(etree.fromstring(chapter.html))
        cid = chapter.article.id
        for el in section.iter():
            ident = el.get("id")
            if ident:
                el.set("id", ascii_id(ident if ident.startswith(f"{cid}-") else f"{cid}-{ident}"))
        for a in section.iter("a"):
            href = a.get("href") or ""
            if href.startswith("#"):
                a.set("href", "#" + ascii_id(f"{cid}-{unquote(href[1:])}"))
            elif re.match(r"^ch\d+\.xhtml", href):
                target, _, fragment = href.partition("#")
                other = target.removesuffix(".xhtml")
                a.set("href", "#" + ascii_id(f"{other}-{unquote(fragment)}" if fragment else f"{other}-title"))
        self._footnotes(section, cid)
        for heading in section.iter("h1", "h2", "h3"):
            # bookmarks and running heads read this clean copy (the text itself gets word joiners)
            heading.set("data-title", " ".join("".join(str(t) for t in heading.itertext()).split()))
        _emphasis_dots(section)
        _ruby(section)
        return section

    def _footnotes(self, section: etree._Element, cid: str) -> None:
        """Move each footnote to its reference as `float: footnote`; notes referenced from places
        where WeasyPrint cannot float them (headings, tables, captions) stay at the article's end."""
        notes = section.find(".//section[@class='footnotes']")
        if notes is None:
            return
        bodies = {li.get("id"): li for li in notes.iter("li")}
        for sup in list(section.iter("sup")):
            a = sup.find("a")
            if a is None or "footnote-ref" not in (a.get("class") or ""):
                continue
            if any(anc.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "table", "figcaption", "dt")
                   for anc in sup.iterancestors()):
                continue
            li = bodies.pop((a.get("href") or "#")[1:], None)
            if li is None:
                continue
            note = lxml.html.Element(printfile.NOTE_TAG, {"class": "footnote"})
            parts: list[str] = []
            for back in li.iter("a"):
                if "footnote-backref" in (back.get("class") or ""):
                    back.drop_tree()  # type: ignore[attr-defined]
            paragraphs = li.findall("p") or [li]
            for index, p in enumerate(paragraphs):
                if index:
                    parts.append("<br/>")
                parts.append(_inner_html(p))
            for child in lxml.html.fragments_fromstring("".join(parts)):
                if isinstance(child, str):
                    note.text = (note.text or "") + child
                else:
                    note.append(child)
            note.tail = sup.tail
            parent = sup.getparent()
            if parent is not None:
                parent.replace(sup, note)
            li.getparent().remove(li)  # type: ignore[union-attr]
        if not bodies:
            notes.getparent().remove(notes)  # type: ignore[union-attr]
        else:
            notes.set("class", "endnotes")

    def front_matter(self) -> list[etree._Element]:
        m = self.meta
        E = lxml.html.Element
        half = E("section", {"class": "half-title front"})
        half.append(_el("h1", m.title))
        title = E("section", {"class": "title-page front"})
        title.append(_el("h1", m.title))
        if m.subtitle:
            title.append(_el("p", m.subtitle, "subtitle"))
        if m.authors:
            title.append(_el("p", " · ".join(m.authors), "author"))
        if m.publisher:
            title.append(_el("p", m.publisher, "publisher"))
        colophon = E("section", {"class": "colophon front"})
        colophon.append(_el("h2", m.title + (f" — {m.subtitle}" if m.subtitle else "")))
        dl = E("dl")
        rows = []
        if m.authors:
            rows.append(("지은이", " · ".join(m.authors)))
        if m.publisher:
            rows.append(("펴낸곳", m.publisher))
        if m.date:
            rows.append(("펴낸날", f"{m.date.year}년 {m.date.month}월 {m.date.day}일"))
        rows.append(("ISBN" if m.isbn else "식별자", m.isbn or self.identifier))
        rows.append(("글꼴", fonts.FONT_CREDIT))
        rows.append(("만든 도구", f"jebon {__version__}"))
        for term, value in rows:
            dl.append(_el("dt", term))
            dl.append(_el("dd", value))
        colophon.append(dl)
        colophon.append(_el("p", "이 책에 담긴 글꼴은 SIL Open Font License 1.1에 따라 포함되었습니다.", "licence"))
        front = [half, title, colophon]
        if self.series is not None:
            page = lxml.html.Element("section", {"class": "series-page front"})
            page.append(_el("h1", self.series.title))
            page.append(_el("p", f"전 {len(self.series.volumes)}권", "series-note"))
            ol = lxml.html.Element("ol")
            for number, label in self.series.volumes:
                ol.append(_el("li", label + (" (이 책)" if number == self.series.current else ""),
                              "current" if number == self.series.current else None))
            page.append(ol)
            front.append(page)
        return [*front, self.toc()]

    def toc(self) -> etree._Element:
        nav: etree._Element = lxml.html.Element("nav", {"class": "toc front"})
        nav.append(_el("h1", "차례"))
        ol = lxml.html.Element("ol")
        depth = self.options.toc_depth
        for chapter in self.rendered.chapters:
            cid = chapter.article.id
            li = lxml.html.Element("li")
            li.append(_el("a", chapter.article.title, href=f"#{cid}-title"))
            sub: etree._Element | None = None
            current: etree._Element | None = None
            for heading in chapter.headings:
                if heading.level > depth:
                    continue
                if sub is None:
                    sub = lxml.html.Element("ol")
                    li.append(sub)
                item = lxml.html.Element("li")
                item.append(_el("a", heading.text, href="#" + ascii_id(f"{cid}-{heading.id}")))
                if heading.level == 2 or current is None:
                    sub.append(item)
                    current = item
                else:
                    inner = current.find("ol")
                    if inner is None:
                        inner = lxml.html.Element("ol")
                        current.append(inner)
                    inner.append(item)
            ol.append(li)
        nav.append(ol)
        if self.typography:
            self.gluer.apply(nav, self.line_break)
        return nav

    def _head(self) -> list[str]:
        m = self.meta
        stamp = self.modified.strftime("%Y-%m-%dT%H:%M:%SZ")
        return [
            '<meta charset="utf-8">',
            f"<title>{html.escape(m.title + (': ' + m.subtitle if m.subtitle else ''))}</title>",
            f'<meta name="author" content="{html.escape(", ".join(m.authors))}">',
            f'<meta name="description" content="{html.escape(m.description or m.subtitle or m.title)}">',
            f'<meta name="keywords" content="{html.escape(", ".join(m.tags))}">',
            f'<meta name="generator" content="jebon {__version__}">',
            *([f'<meta name="series" content="{html.escape(self.series.title)}">',
               f'<meta name="volume" content="{self.series.current}">'] if self.series else []),
            f'<meta name="dcterms.created" content="{stamp}">',
            f'<meta name="dcterms.modified" content="{stamp}">',
        ]

    def html(self) -> str:
        m = self.meta
        head = self._head()
        parts = [lxml.html.tostring(el, encoding="unicode") for el in self.front_matter()]
        parts += [lxml.html.tostring(self.chapter(c), encoding="unicode") for c in self.rendered.chapters]
        return (f'<!DOCTYPE html>\n<html lang="{m.language}"><head>{"".join(head)}</head>'
                f'<body>{"".join(parts)}</body></html>')

    # -- layout and PDF ---------------------------------------------------------------------
    def css_text(self) -> str:
        if self._css_text is None:
            self._css_text = self._make_css_text()
        return self._css_text

    def _make_css_text(self) -> str:
        faces = fonts.font_face_rules(lambda face: f"fonts/{face.file}", fonts.FACES)
        css_text = faces + page_css(self.options, self.config.typography.justify) + resources.style("print.css")
        if self.options.color == "cmyk":
            css_text = color.to_cmyk(
                f'@color-profile device-cmyk {{ src: url("{color.PROFILE_NAME}"); '
                "components: cyan, magenta, yellow, black; }\nhtml { color: black; }\n" + css_text)
        return css_text

    def _render(self, source: str, css_text: str, *, shared: bool = False) -> tuple[Any, BookFetcher]:
        """Lay `source` out. With `shared`, the parsed stylesheet, the font configuration (the
        bundled fonts loaded once) and the resource gate are kept for the next call with the same
        CSS: chapters laid out one after another in a worker reuse them."""
        from weasyprint import HTML

        key = (id(self), css_text)
        context = _SHARED.get(key) if shared else None
        if context is None:
            context = self._context(css_text)
            if shared:
                if len(_SHARED) > 3:
                    _SHARED.clear()
                _SHARED[key] = context
        gate, fetcher, font_config, css, color_profiles = context
        gate.refused = []
        document = HTML(string=source, base_url=BASE, url_fetcher=fetcher).render(
            font_config=font_config, stylesheets=[css], color_profiles=color_profiles)
        return document, gate

    def _context(self, css_text: str) -> tuple[BookFetcher, Any, Any, Any, dict[str, Any]]:
        from weasyprint import CSS

        flatten = round(self.options.text_width_mm / 25.4 * FLATTEN_PPI) if self.options.variant == "pdf/x-1a" else None
        gate = BookFetcher(self.rendered.assets, cmyk=self.options.color == "cmyk", flatten_px=flatten)
        fetcher = weasy_fetcher(gate)
        font_config = own_font_configuration()  # one configuration for CSS() and write_pdf()
        color_profiles: dict[str, Any] = {}  # likewise one dict, or the output intent is lost
        css = CSS(string=css_text, base_url=BASE, url_fetcher=fetcher, font_config=font_config,
                  color_profiles=color_profiles)
        return gate, fetcher, font_config, css, color_profiles

    def layout(self) -> tuple[Any, BookFetcher, str]:
        """Lay the whole volume out as one document: (WeasyPrint document, the resource gate, the
        print HTML). The plain single-call layout: `build()` uses it for PDF/UA, benchmarks compare."""
        source = self.html()
        document, gate = self._render(source, self.css_text())
        return document, gate, source

    def _write(self, document: Any, identifier: bytes) -> bytes:
        cmyk = self.options.color == "cmyk"
        data: bytes = document.write_pdf(
            pdf_identifier=identifier, pdf_variant=self.options.variant, finisher=self._finish,
            pdf_tags=self.options.variant == "pdf/ua-1", output_intent="device-cmyk" if cmyk else None,
            custom_metadata=self.series is not None,
        )
        return data

    def _pad(self, document: Any) -> Any:
        pages = list(document.pages)
        signature = self.options.signature
        if len(pages) % signature and len(pages) > 1:
            # Pad with copies of the blank verso of the half title (page 2) to the signature.
            pages += [pages[1]] * (signature - len(pages) % signature)
            document = document.copy(pages)
        return document

    def build_whole(self) -> PdfResult:
        """One WeasyPrint call for the whole volume (tagged PDF/UA needs one structure tree); its
        fonts are embedded as the assembled volume's are (`pdffonts.merge_fonts`)."""
        document, gate, source = self.layout()
        document = self._pad(document)
        identifier = hashlib.sha256((source + repr(self.options)).encode()).hexdigest()[:32].encode()
        with deferred_fonts(), printfile.ua_tags(self.options.variant == "pdf/ua-1"):
            data = self._write(document, identifier)
        from .pdffonts import merge_fonts

        data = printfile.finish_bytes(data, self.options, first=merge_fonts)  # one open and save
        lines, split = self.planned()
        return PdfResult(data=data, pages=len(document.pages), image_dpi=_image_dpi(document),
                         refused=gate.refused, lines=lines, split_words=split)

    def build(self, *, jobs: int = 1, cache: Cache | None = None) -> PdfResult:
        """Lay every chapter out on its own (in `jobs` worker processes, or take it from `cache`),
        then the front matter with the contents' page numbers, and assemble the volume: chapters on
        rectos, running heads and folios drawn on, one font program per face."""
        with collector_at_default_pace():
            try:
                if self.options.variant == "pdf/ua-1":
                    return self.build_whole()
                _SHARED.clear()  # contexts are per build: an earlier builder's images must not be served
                return self._build(jobs, cache or Cache(None))
            finally:
                release_layouts()

    def _build(self, jobs: int, cache: Cache) -> PdfResult:
        css_text = self.css_text()
        chapters = self.rendered.chapters
        fonts_key = digest(*(cache.file_digest(face.path) for face in fonts.FACES))
        base_key = digest(engine_version(), css_text, fonts_key, repr(self.options), repr(self.config.typography),
                          str(self.typography), self.meta.language,
                          cache.file_digest(resources.data_dir("styles") / color.PROFILE_NAME)
                          if self.options.color == "cmyk" else "")
        images = [f"{a.name}:{digest(a.data)}" for a in self.rendered.assets]
        keys = [digest(base_key, c.article.id, str(c.article.extra.get("line_break") or ""), c.html,
                       *[image for a, image in zip(self.rendered.assets, images, strict=True) if a.name in c.html])
                for c in chapters]
        layouts: list[ChapterLayout | None] = []
        for key in keys:
            layouts.append(cache.read("pdf-chapter", key, ChapterLayout.load))
        # What else is laid out apart: the heads and folios sample, and a first pass of the front
        # matter (its length, with placeholder page numbers) — unless the cache knows them.
        furniture_key = digest(base_key, "furniture")
        furniture = cache.read("pdf-furniture", furniture_key, Furniture.load)
        front_source = self.front_html(None)
        front_key = digest(base_key, front_source)
        front_pages = cache.read("pdf-front-pages", front_key, int)
        tasks: list[tuple[str, int]] = [("chapter", i) for i, found in enumerate(layouts) if found is None]
        tasks.sort(key=lambda t: -len(chapters[t[1]].html))  # longest first: no big chapter starts last
        if furniture is None:
            tasks.insert(0, ("furniture", 0))
        if front_pages is None:
            tasks.insert(0, ("front", 0))
        global _CONTEXT
        _CONTEXT = (self, css_text, front_source)

        def keep(task: tuple[str, int], result: ChapterLayout | Furniture | int) -> None:
            """Each result goes into the cache as soon as it is made: an interrupted build keeps it."""
            nonlocal furniture, front_pages
            if isinstance(result, ChapterLayout):
                layouts[task[1]] = result
                cache.put("pdf-chapter", keys[task[1]], result.dump())
            elif isinstance(result, Furniture):
                furniture = result
                cache.put("pdf-furniture", furniture_key, result.dump())
            else:
                front_pages = result

        try:
            if jobs > 1 and len(tasks) > 1:
                with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), initializer=_worker_start,
                                         mp_context=multiprocessing.get_context("fork")) as pool:
                    futures = {pool.submit(_task, task): task for task in tasks}
                    for future in as_completed(futures):
                        keep(futures[future], future.result())
            else:
                for task in tasks:
                    keep(task, _task(task))
        finally:
            _CONTEXT = None
        ready = [layout for layout in layouts if layout is not None]
        assert furniture is not None and front_pages is not None
        # The front matter with the contents' page numbers. Its own length decides where the
        # chapters start: if the numbers change that length, it is laid out again.
        sizes = [layout.pages for layout in ready]
        refused: list[str] = []
        for _ in range(4):
            final_source = self.front_html(self._numbers(ready, placement(front_pages, sizes)))
            final_key = digest(base_key, css_text + FRONT_CSS, final_source)
            entry = cache.get("pdf-front", final_key)
            if entry is not None:  # the same contents with the same numbers: laid out before
                count, front_pdf = int.from_bytes(entry[:4], "big"), entry[4:]
            else:
                front, gate = self._render(final_source, css_text + FRONT_CSS)
                count, refused = len(front.pages), list(gate.refused)
                if count == front_pages:
                    with deferred_fonts():  # the document's /ID is recomputed on assembly
                        front_pdf = self._write(front, digest(final_source)[:32].encode())
                    cache.put("pdf-front", final_key, count.to_bytes(4, "big") + front_pdf)
            if count == front_pages:
                break
            front_pages = count
        else:
            raise RuntimeError("the table of contents does not settle on a length")
        cache.put("pdf-front-pages", front_key, str(front_pages).encode())
        pieces = [Piece(layout.pdf, layout.pages, layout.title) for layout in ready]
        data, pages = assemble(front_pdf, pieces, furniture, book_title=" ".join(self.meta.title.split()),
                               signature=self.options.signature,
                               finish=lambda pdf: printfile.finish(pdf, self.options))
        data = printfile.settle_stream_ends(data)
        if self.options.variant == "pdf/x-1a":
            data = printfile.pdf13_header(data)
        starts = [(start, chapter.article.path)
                  for start, chapter in zip(placement(front_pages, sizes), chapters, strict=True)]
        return PdfResult(data=data, pages=pages, starts=starts,
                         image_dpi=[d for layout in ready for d in layout.image_dpi],
                         refused=refused + [url for layout in ready for url in layout.refused],
                         lines=sum(layout.lines for layout in ready),
                         split_words=sum(layout.split_words for layout in ready))

    def _numbers(self, layouts: list[ChapterLayout], starts: list[int]) -> dict[str, int]:
        """Page number of every anchor, the chapters starting at `starts` (0-based page indices)."""
        pages: dict[str, int] = {}
        for chapter, layout, start in zip(self.rendered.chapters, layouts, starts, strict=True):
            for name, page in layout.anchors.items():
                pages[name] = start + page + 1
            pages.setdefault(f"{chapter.article.id}-title", start + 1)
        return pages

    def furniture(self, css_text: str) -> Furniture:
        """Running heads and folios as the page rules set them, measured on a three-page sample."""
        sample = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>'
                  '<section class="half-title front"><h1>가</h1></section>'
                  '<section class="chapter body"><div class="chapter-head"><h1 data-title="가">가</h1></div>'
                  '<div style="break-before: page"></div><div style="break-before: page"></div>'
                  '<div style="break-before: page"></div></section></body></html>')
        document, _ = self._render(sample, css_text)
        return measure([page for page in document.pages if page._page_box.page_type.name == "body"])

    def front_html(self, numbers: dict[str, int] | None) -> str:
        """The front matter alone, the contents' page numbers written in (placeholders of a likely
        width when `numbers` is None: a first pass that measures the front matter's length)."""
        front = self.front_matter()
        placeholder = "8" * len(str(sum(len(c.html) for c in self.rendered.chapters) // 1500 + 99))
        for el in front:
            for a in el.iter("a"):
                target = (a.get("href") or "")[1:]
                a.set("data-page", str(numbers.get(target, "")) if numbers is not None else placeholder)
                a.set("href", XREF_SCHEME + target)  # the target is in a chapter: a named destination
        parts = [lxml.html.tostring(el, encoding="unicode") for el in front]
        return (f'<!DOCTYPE html>\n<html lang="{self.meta.language}"><head>{"".join(self._head())}</head>'
                f'<body>{"".join(parts)}</body></html>')

    def chapter_html(self, chapter: Chapter) -> tuple[str, str]:
        """One chapter's print HTML as its own document (links to other chapters become xref URIs),
        and its running-head title."""
        section = self.chapter(chapter)
        head = section.find(".//h1[@data-title]")
        title = head.get("data-title", "") if head is not None else ""
        own = {el.get("id") for el in section.iter() if el.get("id")}
        for a in section.iter("a"):
            href = a.get("href") or ""
            if href.startswith("#") and href[1:] not in own:
                a.set("href", XREF_SCHEME + href[1:])
        body = lxml.html.tostring(section, encoding="unicode")
        return (f'<!DOCTYPE html>\n<html lang="{self.meta.language}"><head><meta charset="utf-8"></head>'
                f"<body>{body}</body></html>"), title

    def _finish(self, document: Any, pdf: Any) -> None:
        """What WeasyPrint writes into every piece that the variant forbids (the page boxes and the
        rest of the standard are set on the whole volume: `printfile.finish`)."""
        import pydyf

        for obj in pdf.objects:
            if self.options.color == "cmyk" and isinstance(obj, pydyf.Dictionary) and "lab-d50" in obj:
                # WeasyPrint declares Lab and ICC colour spaces on every page; PDF/X-1a allows neither.
                for key in ("lab-d50", "lab-d65", "device-cmyk"):
                    obj.pop(key, None)
        if self.options.variant == "pdf/x-1a":
            label_pdfx1a_2001(pdf)


def embed_fonts(data: bytes) -> bytes:
    """A PDF written with `deferred_fonts`, with the bundled faces' programs embedded."""
    import io

    import pikepdf

    from .pdffonts import merge_fonts

    with pikepdf.open(io.BytesIO(data)) as pdf:
        merge_fonts(pdf)
        out = io.BytesIO()
        streams = (pikepdf.ObjectStreamMode.generate if pdf.pdf_version >= "1.5"
                   else pikepdf.ObjectStreamMode.disable)
        pdf.save(out, object_stream_mode=streams, deterministic_id=True, fix_metadata_version=False)
        return out.getvalue()


def _emphasis_dots(root: etree._Element) -> None:
    """드러냄표 in the PDF: each syllable of an `.emphasis-marks` element gets a dot drawn above it
    (a background, not a character, so the text extracts unchanged)."""
    for el in list(root.iter()):
        if "emphasis-marks" not in (el.get("class") or "").split():
            continue
        for node, attr in [(el, "text"), *[(child, "tail") for child in el]]:
            text = getattr(node, attr)
            if not text:
                continue
            setattr(node, attr, None)
            spans: list[etree._Element] = []
            for char in text:
                if char.isspace():
                    if spans:
                        spans[-1].tail = (spans[-1].tail or "") + char
                    else:
                        setattr(node, attr, (getattr(node, attr) or "") + char)
                    continue
                span = lxml.html.Element("span", {"class": "em-dot"})
                span.text = char
                spans.append(span)
            index = 0 if attr == "text" else list(el).index(node) + 1
            for offset, span in enumerate(spans):
                el.insert(index + offset, span)


def _ruby(root: etree._Element) -> None:
    """Ruby in the PDF: the reading set small above its Hanja, as two stacked blocks. The base is a
    float (print.css): WeasyPrint paints floats before the flow, so the base comes first in the
    content stream and text extraction, search and copy read "檢印검인", base then reading."""
    for ruby in list(root.iter("ruby")):
        annotation = "".join(str(t) for rt in ruby.iter("rt") for t in rt.itertext())
        for child in list(ruby):
            if child.tag in ("rt", "rp"):
                remove_keep_tail(child)
        base = lxml.html.Element("span", {"class": "rb"})
        base.text = ruby.text
        for child in list(ruby):
            base.append(child)
        ruby.text = None
        for key in list(ruby.attrib):
            del ruby.attrib[key]
        ruby.set("class", "ruby")  # stays <ruby> and <rt>: tagged as Ruby/RB/RT in PDF/UA
        top = lxml.html.Element("rt", {"class": "rt"})
        top.text = annotation
        ruby.append(top)
        ruby.append(base)


def _el(tag: str, text: str, cls: str | None = None, **attrs: str) -> etree._Element:
    el: etree._Element = lxml.html.Element(tag, attrs)
    if cls:
        el.set("class", cls)
    el.text = text
    return el


def _inner_html(el: etree._Element) -> str:
    text = html.escape(el.text or "")
    return text + "".join(lxml.html.tostring(child, encoding="unicode") for child in el)


def _image_dpi(document: Any) -> list[tuple[str, float]]:
    """Effective resolution of every raster image as placed: pixels / printed inches."""
    from weasyprint.formatting_structure.boxes import ReplacedBox
    from weasyprint.images import RasterImage

    found: list[tuple[str, float]] = []
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, ReplacedBox) and isinstance(box.replacement, RasterImage):
                width_in = box.width / 96
                if width_in > 0:
                    name = str(getattr(box.element, "get", lambda _: "")("src") or "")
                    found.append((name, box.replacement.width / width_in))
            stack.extend(getattr(box, "children", []))
    return found

