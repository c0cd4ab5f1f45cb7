"""The pipeline, top to bottom: config → sources → book → rendered volumes → writers → files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import config as config_mod
from . import fonts, preflight, printing, sources
from .errors import Diagnostics, JebonError, Problem
from .model import Book, assemble
from .render import RenderedVolume, render_volume
from .writers.epub import EpubBuilder
from .writers.pdf import PdfBuilder

FORMATS = ("epub", "pdf")
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances (for the CLI's progress bar)."""


@dataclass(frozen=True)
class OutputFile:
    path: Path
    format: str
    volume: int
    size: int
    pages: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "format": self.format, "volume": self.volume, "size": self.size,
                "pages": self.pages}


@dataclass
class BuildReport:
    """What a build (or a check) did: outputs, statistics and every warning."""

    book_dir: Path
    title: str = ""
    articles: int = 0
    characters: int = 0
    words: int = 0
    outputs: list[OutputFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def as_dict(self) -> dict[str, object]:
        return {
            "book": str(self.book_dir), "title": self.title, "articles": self.articles,
            "characters": self.characters, "words": self.words,
            "outputs": [o.as_dict() for o in self.outputs],
            "warnings": [p.as_dict() for p in self.warnings],
        }


def _noop(stage: str, done: int, total: int) -> None:
    return None


def source_date_epoch(environ: dict[str, str] | None = None) -> int | None:
    """`SOURCE_DATE_EPOCH` as an int, None when unset; an error when it is not a number."""
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise JebonError(f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds since 1970")
    return int(value)


def load_book(book_dir: Path | str, diag: Diagnostics | None = None) -> Book:
    """Read book.toml and every article; raise JebonError listing every problem."""
    diag = diag if diag is not None else Diagnostics()
    cfg = config_mod.load(book_dir)
    files = sources.collect(cfg, diag)
    return assemble(cfg, files, diag)


def _check_glyphs(book: Book, rendered: RenderedVolume, diag: Diagnostics) -> None:
    """Warn about every character no bundled font has, with the file and line where it first appears."""
    meta = book.config.book
    book_text = " ".join(filter(None, (meta.title, meta.subtitle, meta.publisher, meta.description,
                                       *meta.authors)))
    for char in fonts.missing(book_text):
        diag.warn(f"character {char!r} (U+{ord(char):04X}) is in no bundled font", book.config.path,
                  None, "readers will fall back to a system font")
    for chapter in rendered.chapters:
        article = chapter.article
        text = chapter.text + article.title + (article.subtitle or "")
        for char in fonts.missing(text):
            line = article.source.text.find(char)
            line_no = article.source.text.count("\n", 0, line) + 1 if line >= 0 else None
            diag.warn(f"character {char!r} (U+{ord(char):04X}) is in no bundled font", article.path,
                      line_no, "readers will fall back to a system font; the PDF may show a box")


def _prepare(book_dir: Path | str, progress: Progress, diag: Diagnostics) -> tuple[Book, list[RenderedVolume]]:
    # 1. Config and sources: every problem is collected, then raised together.
    progress("read", 0, 1)
    book = load_book(book_dir, diag)
    progress("read", 1, 1)
    # 2. Render each volume's articles to safe XHTML (format-blind); check glyph coverage.
    rendered = []
    for volume in book.volumes:
        progress("render", 0, len(volume.articles))
        rendered.append(render_volume(book, volume, diag))
        _check_glyphs(book, rendered[-1], diag)
        progress("render", len(volume.articles), len(volume.articles))
    return book, rendered


def _statistics(report: BuildReport, book: Book, rendered: list[RenderedVolume]) -> None:
    report.title = book.config.book.title
    report.articles = len(book.articles)
    texts = [c.text for r in rendered for c in r.chapters]
    report.characters = sum(len(t.replace(" ", "")) for t in texts)
    report.words = sum(len(t.split()) for t in texts)


def check(book_dir: Path | str, *, progress: Progress = _noop, pdf: bool = False,
          out_dir: Path | str | None = None, print_options: Mapping[str, object] | None = None) -> BuildReport:
    """Validate config, front matter, links, images and glyph coverage without writing anything.
    With `pdf`, also preflight the PDFs already built in the output folder."""
    diag = Diagnostics()
    report = BuildReport(Path(book_dir))
    try:
        book, rendered = _prepare(book_dir, progress, diag)
        if pdf:
            options = printing.resolve(book.config.pdf, book.config.epub.toc_depth, **(print_options or {}))
            out = _output_dir(book, out_dir)
            for volume in rendered:
                path = out / f"{book.config.slug}{_suffix(rendered, volume)}.pdf"
                if not path.is_file():
                    diag.error(f"no PDF to preflight at {path}", hint=f"run `jebon build {book_dir} --format pdf`")
                    continue
                preflight.check_pdf(path.read_bytes(), options, path, diag)
            diag.raise_if_errors()
    except JebonError as exc:
        raise type(exc)(diag.warnings + [p for p in exc.problems if p not in diag.warnings]) from None
    _statistics(report, book, rendered)
    report.problems = list(diag.problems)
    return report


def _suffix(rendered: list[RenderedVolume], volume: RenderedVolume) -> str:
    """Output name suffix: none for a single book, `-vol01`… for volumes of a series."""
    return "" if len(rendered) == 1 else f"-vol{volume.volume.number:02d}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _output_dir(book: Book, out_dir: Path | str | None) -> Path:
    out = Path(out_dir) if out_dir is not None else book.config.root / "build"
    articles = book.config.articles.dir.resolve()
    if out.resolve() == articles or out.resolve().is_relative_to(articles):
        raise JebonError(f"output folder {out} is inside the article folder {articles}; "
                         "choose another --out")
    return out


def build(book_dir: Path | str, formats: Iterable[str] = ("epub",), out_dir: Path | str | None = None, *,
          strict: bool = False, progress: Progress = _noop, epoch: int | None = None,
          print_options: Mapping[str, object] | None = None) -> BuildReport:
    """Build the book in `book_dir` into `out_dir` (default `<book_dir>/build`).

    `print_options` overrides book.toml's [pdf] (keys: trim, bleed, marks, variant, bookmarks,
    color, profile). Raises JebonError with every problem found; with `strict`, warnings count as
    errors and nothing is written."""
    formats = tuple(formats)
    for fmt in formats:
        if fmt not in FORMATS:
            raise JebonError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    if epoch is None:
        epoch = source_date_epoch()
    diag = Diagnostics()
    report = BuildReport(Path(book_dir))
    try:
        book, rendered = _prepare(book_dir, progress, diag)
    except JebonError as exc:
        raise type(exc)(diag.warnings + exc.problems) from None
    if strict and diag.warnings:
        raise JebonError([Problem(p.message, p.path, p.line, p.hint, "error") for p in diag.warnings])
    options = None
    if "pdf" in formats:
        options = printing.resolve(book.config.pdf, book.config.epub.toc_depth, **(print_options or {}))
    out = _output_dir(book, out_dir)
    _statistics(report, book, rendered)
    # 3. Writers: each volume to each format; files appear only when complete.
    slug = book.config.slug
    total = len(rendered) * len(formats)
    done = 0
    for volume in rendered:
        suffix = _suffix(rendered, volume)
        for fmt in formats:
            progress(f"write-{fmt}", done, total)
            path = out / f"{slug}{suffix}.{fmt}"
            pages = None
            if fmt == "epub":
                data = EpubBuilder(book.config, volume, epoch=epoch).build().data
            else:
                assert options is not None
                result = PdfBuilder(book.config, volume, options, epoch=epoch).build()
                data, pages = result.data, result.pages
                for url in result.refused:
                    diag.warn(f"the PDF layout asked for {url}, which jebon does not fetch", path)
                # Preflight after every PDF build: failures are named, never silent.
                checks = Diagnostics()
                preflight.check_pdf(data, options, path, checks, result.image_dpi)
                for problem in checks.problems:
                    diag.problems.append(problem)
            write_atomic(path, data)
            report.outputs.append(OutputFile(path, fmt, volume.volume.number, len(data), pages))
            done += 1
            progress(f"write-{fmt}", done, total)
    report.problems = list(diag.problems)
    if diag.errors:
        raise JebonError(diag.problems)
    return report
