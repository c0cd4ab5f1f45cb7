"""The pipeline, top to bottom: config → sources → book → rendered volumes → writers → files."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import built, fonts, printing, sources, summary
from . import config as config_mod
from .cache import CACHE_DIR, Cache
from .errors import Diagnostics, JebonError, Problem, UsageError, log
from .model import Book, Volume, assemble, edition
from .render import RenderedVolume, render_volume
from .writers.epub import EpubBuilder, review

FORMATS = ("epub", "pdf")
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances (for the command line's progress lines).

Stages, in order: "read" (articles read), "render" (articles rendered), "epub" (files written),
"pdf" (pages laid out), "preflight" (pages checked) for a book; "read" then "volumes" (volumes
built) for a series, whose volumes are built apart. A stage starts with a call whose `total` may be
0 (not known yet) and is finished when `done == total > 0`."""


@dataclass(frozen=True)
class OutputFile:
    path: Path
    format: str
    volume: int
    size: int
    pages: int | None = None
    lines: int | None = None
    """PDF: the body lines jebon's total-fit planner set; `split_words` of them end between two
    syllables of a word (balanced mode, or a word longer than a line)."""
    split_words: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "format": self.format, "volume": self.volume, "size": self.size,
                "pages": self.pages, "planned_lines": self.lines, "split_words": self.split_words}


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
    cache: dict[str, tuple[int, int]] = field(default_factory=dict)
    """What the build cache gave: kind → (reused, rebuilt)."""
    preflighted: list[tuple[Path, str]] = field(default_factory=list)
    """`check --pdf`: each PDF preflighted and the settings it was checked against."""

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def as_dict(self) -> dict[str, object]:
        return {
            "book": str(self.book_dir), "title": self.title, "articles": self.articles,
            "characters": self.characters, "words": self.words,
            "outputs": [o.as_dict() for o in self.outputs],
            "warnings": warnings_json(self.warnings),
            "warning_kinds": [{"kind": g.kind, "count": g.count} for g in summary.groups(self.warnings)],
            "cache": {kind: {"reused": hits, "rebuilt": misses} for kind, (hits, misses) in self.cache.items()},
        }


def warnings_json(problems: Iterable[Problem]) -> list[dict[str, object]]:
    """Every warning for `--json`, each with its kind (what `summary.kind` groups it by)."""
    return [{**p.as_dict(), "kind": summary.kind(p)} for p in problems]


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


def load_book(book_dir: Path | str, diag: Diagnostics | None = None, cache: Cache | None = None) -> Book:
    """Read book.toml and every article (front matter parsed before is taken from `cache`); raise
    JebonError listing every problem."""
    diag = diag if diag is not None else Diagnostics()
    cfg = config_mod.load(book_dir)
    files = sources.collect(cfg, diag, cache)
    return assemble(cfg, files, diag)


MISSING_GLYPH_HINT = ("the PDF shows it as an empty box, the same on every machine; e-book readers use a font "
                      "of their own; replace it, or leave it if a box is acceptable")


def _check_glyphs(book: Book, rendered: RenderedVolume, diag: Diagnostics, cache: Cache | None = None) -> None:
    """Warn about every character no bundled font has, with the file and line where it first appears."""
    covered = fonts.covered_by(cache or Cache(None))
    meta = book.config.book
    book_text = " ".join(filter(None, (meta.title, meta.subtitle, meta.publisher, meta.description,
                                       *meta.authors)))
    for char in fonts.missing(book_text, covered):
        diag.warn(f"character {char!r} (U+{ord(char):04X}) is in no bundled font", book.config.path,
                  None, MISSING_GLYPH_HINT)
    shown = [(c, c.chars + c.article.title + (c.article.subtitle or "")) for c in rendered.chapters]
    absent = set(fonts.missing(set().union(*(chars for _, chars in shown)), covered))
    if not absent:
        return
    for chapter, chars in shown:
        article = chapter.article
        for char in sorted(absent.intersection(chars)):
            line = article.source.text.find(char)
            line_no = article.source.text.count("\n", 0, line) + 1 if line >= 0 else None
            diag.warn(f"character {char!r} (U+{ord(char):04X}) is in no bundled font", article.path,
                      line_no, MISSING_GLYPH_HINT)


def _prepare(book_dir: Path | str, progress: Progress, diag: Diagnostics) -> tuple[Book, list[RenderedVolume]]:
    # 1. Config and sources: every problem is collected, then raised together.
    progress("read", 0, 0)
    book = load_book(book_dir, diag)
    progress("read", len(book.articles), len(book.articles))
    # 2. Render each volume's articles to safe XHTML (format-blind); check glyph coverage.
    rendered = []
    total = len(book.articles)
    progress("render", 0, total)
    for volume in book.volumes:
        rendered.append(render_checked(book, volume, diag))
        progress("render", sum(len(r.chapters) for r in rendered), total)
    return book, rendered


def _statistics(report: BuildReport, book: Book, rendered: list[RenderedVolume]) -> None:
    report.title = book.config.book.title
    report.articles = len(book.articles)
    report.characters = sum(r.characters for r in rendered)
    report.words = sum(r.words for r in rendered)


def check(book_dir: Path | str, *, progress: Progress = _noop, pdf: bool = False,
          out_dir: Path | str | None = None, print_options: Mapping[str, object] | None = None) -> BuildReport:
    """Validate config, front matter, links, images and glyph coverage without writing anything.
    With `pdf`, also preflight the PDFs already built in the output folder: against `print_options`
    (the same flags as `build`) when any is given, else against the settings each PDF was built with
    (recorded by `build`), else against book.toml's."""
    diag = Diagnostics()
    report = BuildReport(Path(book_dir))
    try:
        book, rendered = _prepare(book_dir, progress, diag)
        if pdf:
            from . import built

            flags = built.given(print_options)
            wanted = printing.resolve(book.config.pdf, book.config.epub.toc_depth, **flags)
            out = _output_dir(book, out_dir)
            for volume in rendered:
                path = out / f"{book.config.slug}{_suffix(rendered, volume)}.pdf"
                if not path.is_file():
                    diag.error(f"no PDF to preflight at {path}", hint=f"run `jebon build {book_dir} --format pdf`")
                    continue
                from . import preflight  # the PDF side is imported only when a PDF is involved

                options, against = wanted, built.describe(flags)
                record = built.read(path)
                if not flags and record is not None:
                    options = printing.resolve(book.config.pdf, book.config.epub.toc_depth, **record.flags)
                    against = f"{record.describe()}, as it was built"
                before = len(diag.errors)
                data = path.read_bytes()
                whole(data, path, diag, built=True)
                preflight.check_pdf(data, options, path, diag)
                report.preflighted.append((path, against))
                if len(diag.errors) > before and not flags and record is None:
                    diag.error("preflight was against book.toml's settings: jebon has no record of how this PDF "
                               "was built", path, hint="if it was built with print flags (--profile, --marks, …), "
                               "give `check --pdf` the same flags")
            diag.raise_if_errors()
    except JebonError as exc:
        raise type(exc)(diag.warnings + [p for p in exc.problems if p not in diag.warnings]) from None
    _statistics(report, book, rendered)
    report.problems = list(diag.problems)
    return report


def whole(data: bytes, path: Path, diag: Diagnostics, source_of: Callable[[int], Path | None] | None = None, *,
          built: bool = False) -> bool:
    """The integrity check (`jebon.integrity`): every reason a PDF is not whole is an error, naming
    the page and, through `source_of`, the article on it. Returns whether the PDF is whole: a build
    does not write one that is not; `check --pdf` (`built`) reports on the file already there."""
    from . import integrity

    problems = integrity.check(data, thorough=built)
    if not problems:
        return True
    hint = ("build it again; if it stays broken, please report it" if built
            else "the PDF was not written (an earlier one is left as it was): please report this as a bug, "
                 "with the article if you can")
    for problem in problems[:20]:
        page = integrity.page_of(problem)
        source = source_of(page) if source_of is not None and page is not None else None
        diag.error(f"the PDF is not whole: {problem}", source or path, hint=hint)
    if len(problems) > 20:
        diag.error(f"the PDF is not whole: {len(problems) - 20} more problems", path, hint=hint)
    return False


def _suffix(rendered: list[RenderedVolume], volume: RenderedVolume) -> str:
    """Output name suffix: none for a single book, `-vol01`… for volumes of a series."""
    return "" if len(rendered) == 1 else f"-vol{volume.volume.number:02d}"


def list_volumes(book_dir: Path | str, out_dir: Path | str | None = None) -> list[dict[str, object]]:
    """One row per volume: number, title (a series volume's is the series title and "제N권") and
    subtitle (its own title), article count, first and last article, date range and the page count of
    its PDF when one has been built in the output folder."""
    from pypdf import PdfReader

    book = load_book(book_dir)
    out = _output_dir(book, out_dir)
    rows: list[dict[str, object]] = []
    for volume in book.volumes:
        meta, _ = edition(book, volume)
        stem = book.config.slug + ("" if len(book.volumes) == 1 else f"-vol{volume.number:02d}")
        pdf = out / f"{stem}.pdf"
        dates = volume.dates
        rows.append({
            "volume": volume.number, "title": meta.title,
            "subtitle": meta.subtitle,
            "articles": len(volume.articles), "first": volume.articles[0].path.name,
            "last": volume.articles[-1].path.name,
            "from": dates[0].isoformat() if dates else None, "to": dates[1].isoformat() if dates else None,
            "pages": len(PdfReader(pdf).pages) if pdf.is_file() else None,
        })
    return rows


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


def _out_path(book_dir: Path | str, out_dir: Path | str | None) -> Path:
    """Where a build writes: `--out`, or the book's `build` folder."""
    return Path(out_dir) if out_dir is not None else Path(book_dir) / "build"


def _output_dir(book: Book, out_dir: Path | str | None) -> Path:
    out = _out_path(book.config.root, out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; give a folder for the outputs")
    articles = book.config.articles.dir.resolve()
    if out.resolve() == articles or out.resolve().is_relative_to(articles):
        raise JebonError(f"output folder {out} is inside the article folder {articles}; "
                         "choose another --out")
    return out


def build(book_dir: Path | str, formats: Iterable[str] = ("epub",), out_dir: Path | str | None = None, *,
          strict: bool = False, progress: Progress = _noop, epoch: int | None = None,
          print_options: Mapping[str, object] | None = None, volumes: Iterable[int] | None = None,
          jobs: int | None = None, allow_remote: bool = False, cache: bool = True,
          name_suffix: str = "") -> BuildReport:
    """Build the book in `book_dir` into `out_dir` (default `<book_dir>/build`).

    `print_options` overrides book.toml's [pdf] (keys: trim, bleed, marks, variant, bookmarks,
    color, profile). `volumes` picks volumes of a series (default: all); they are built in `jobs`
    worker processes (default: one per core), and a volume's chapters are laid out for the PDF in
    parallel too. Unless `cache` is False, what was laid out before and has not changed is reused from
    `<out>/.jebon-cache/`. Every PDF's settings are recorded (`jebon.built`). `name_suffix` goes
    after the files' usual names (`golmok-lulu.pdf`: what `jebon cover` builds beside the user's own
    interior). Raises JebonError with every problem found; with `strict`, warnings count as errors and
    nothing is written."""
    formats = tuple(dict.fromkeys(formats))
    for fmt in formats:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    if epoch is None:
        epoch = source_date_epoch()
    # 1. Config and sources, once, here: every problem is collected, then raised together.
    diag = Diagnostics()
    progress("read", 0, 0)
    started = time.time()
    # Front matter read before is in the cache under the output folder; new entries are written once
    # that folder has been checked, below.
    reading = Cache(_out_path(book_dir, out_dir) / CACHE_DIR if cache else None, held=[])
    try:
        book = load_book(book_dir, diag, reading)
    except JebonError as exc:
        raise type(exc)(diag.warnings + exc.problems) from None
    progress("read", len(book.articles), len(book.articles))
    numbers = [v.number for v in book.volumes]
    chosen = sorted(set(volumes)) if volumes else numbers
    unknown = [n for n in chosen if n not in numbers]
    if unknown:
        raise UsageError(f"--volume {', '.join(map(str, unknown))}: the book has volumes 1–{len(numbers)}")
    options = None
    if "pdf" in formats:
        options = printing.resolve(book.config.pdf, book.config.epub.toc_depth, **(print_options or {}))
    out = _output_dir(book, out_dir)
    report = BuildReport(Path(book_dir), title=book.config.book.title, articles=sum(
        len(v.articles) for v in book.volumes if v.number in chosen))
    cores = jobs or os.cpu_count() or 1
    workers = min(cores, len(chosen))
    cache_dir: Path | None = out / CACHE_DIR if cache else None
    if cache_dir is not None and cache_dir.exists() and not cache_dir.is_dir():
        diag.warn("a file stands where the build cache's folder goes: this build reuses nothing", cache_dir,
                  None, "remove the file so that later builds can reuse what did not change")
        cache_dir = reading.root = None
    job = _Job(Path(book_dir), formats, out, options, epoch, strict, single=len(numbers) == 1,
               allow_remote=allow_remote, cache=cache_dir, chapter_jobs=max(1, cores // workers),
               flags=tuple(sorted(built.given(print_options).items())), name_suffix=name_suffix)
    if strict:
        # Strict: render every chosen volume first; any warning stops the build before a file is written.
        for number in chosen:
            render_checked(book, book.volumes[number - 1], diag, allow_remote)
        if diag.warnings:
            raise JebonError([Problem(p.message, p.path, p.line, p.hint, "error") for p in diag.warnings])
    if reading.root == job.cache:
        reading.release()  # the output folder is a good one, and this build writes into it
    # 2. Each volume is rendered and written on its own, in parallel worker processes for a series;
    #    files appear only when complete, and one volume's failure leaves the others' files whole.
    results: list[_VolumeResult] = []
    if job.single:  # one book: its stages are shown as they happen
        results.append(_build_volume(job, chosen[0], book, progress))
    elif workers <= 1:
        progress("volumes", 0, len(chosen))
        for done, number in enumerate(chosen, 1):
            results.append(_build_volume(job, number, book))
            progress("volumes", done, len(chosen))
    else:
        import gc
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        global _FORKED_BOOK
        progress("volumes", 0, len(chosen))
        # The workers fork from here: they find the book already read (no second reading of every
        # source per volume) and the PDF side imported, and with the objects made so far frozen, the
        # cycle collector never walks them in a worker, which would copy every page it touches.
        _FORKED_BOOK = book
        if "pdf" in formats:  # imported once here rather than once in each worker
            from . import preflight  # noqa: F401
            from .writers import pdf  # noqa: F401
        gc.freeze()
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = [pool.submit(_build_volume, job, number) for number in chosen]
                for done, future in enumerate(as_completed(futures), 1):
                    results.append(future.result())
                    progress("volumes", done, len(chosen))
        finally:
            _FORKED_BOOK = None
            gc.unfreeze()
    used = Cache(job.cache)
    if reading.root is not None:
        used.merge(reading.stats())
    for result in sorted(results, key=lambda r: r.number):
        used.merge(result.cache)
        report.outputs += result.outputs
        report.characters += result.characters
        report.words += result.words
        for problem in result.problems:
            if problem not in diag.problems:
                diag.problems.append(problem)
    report.problems = list(diag.problems)
    report.cache = used.stats()
    if diag.errors:
        raise JebonError(diag.problems)
    if chosen == numbers and set(formats) == set(FORMATS):
        used.prune(started)  # a full build: what it did not use is stale
    return report


_FORKED_BOOK: Book | None = None
"""The book as read by `build`, for the volume workers forked from it."""


@dataclass(frozen=True)
class _Job:
    """What every volume's worker needs (picklable: workers load the book themselves)."""

    book_dir: Path
    formats: tuple[str, ...]
    out: Path
    options: printing.PrintOptions | None
    epoch: int | None
    strict: bool
    single: bool
    allow_remote: bool = False
    cache: Path | None = None
    chapter_jobs: int = 1
    """Worker processes for one volume's PDF chapters."""
    flags: tuple[tuple[str, object], ...] = ()
    """The print flags given (recorded with every PDF)."""
    name_suffix: str = ""


@dataclass
class _VolumeResult:
    number: int
    outputs: list[OutputFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    characters: int = 0
    words: int = 0
    cache: dict[str, tuple[int, int]] = field(default_factory=dict)


def render_checked(book: Book, volume: Volume, diag: Diagnostics, allow_remote: bool = False,
                    cache: Cache | None = None, jobs: int = 1) -> RenderedVolume:
    """Render a volume and check its glyph coverage (every warning and error into `diag`)."""
    rendered = render_volume(book, volume, diag, allow_remote=allow_remote, cache=cache, jobs=jobs)
    _check_glyphs(book, rendered, diag, cache)
    meta, series = edition(book, volume)
    review(book.config, meta, rendered, diag, series)  # notes on the EPUB: stores, accessibility
    return rendered


def _image_names(rendered: RenderedVolume, image_dpi: list[tuple[str, float]],
                 root: Path) -> list[tuple[str, float]]:
    """Preflight's images named as the author knows them (`articles/images/press.jpg`), not by the name
    the book gives them inside (`images/press-1f3a….png`)."""
    sources = {asset.name: asset.source for asset in rendered.assets if asset.source is not None}
    named = []
    for name, dpi in image_dpi:
        source = sources.get(name)
        if source is not None:
            try:
                name = str(source.relative_to(root.resolve()))
            except ValueError:
                name = str(source)
        named.append((name, dpi))
    return named


def _build_volume(job: _Job, number: int, book: Book | None = None, progress: Progress = _noop) -> _VolumeResult:
    """Render one volume and write its files. Errors are returned, named by volume, not raised.
    `progress` is told each stage (for a book built in this process)."""
    result = _VolumeResult(number)
    diag = Diagnostics()
    cache = Cache(job.cache)
    label = "" if job.single else f"volume {number}: "
    try:
        if book is None:
            book = _FORKED_BOOK if _FORKED_BOOK is not None else load_book(job.book_dir, diag)
        volume = book.volumes[number - 1]
        progress("render", 0, len(volume.articles))
        rendered = render_checked(book, volume, diag, job.allow_remote, cache, job.chapter_jobs)
        progress("render", len(volume.articles), len(volume.articles))
        meta, series = edition(book, volume)
        result.characters, result.words = rendered.characters, rendered.words
        stem = f"{book.config.slug}{'' if job.single else f'-vol{number:02d}'}{job.name_suffix}"
        made: list[tuple[OutputFile, bytes]] = []
        for fmt in job.formats:
            path = job.out / f"{stem}.{fmt}"
            pages = lines = split = None
            if fmt == "epub":
                progress("epub", 0, 1)
                data = EpubBuilder(book.config, rendered, epoch=job.epoch, meta=meta, series=series,
                                   cache=cache).build()
                progress("epub", 1, 1)
            else:
                assert job.options is not None
                from . import preflight  # the PDF side is imported only when a PDF is asked for
                from .writers.pdf import PdfBuilder

                progress("pdf", 0, 0)
                pdf = PdfBuilder(book.config, rendered, job.options, epoch=job.epoch, meta=meta,
                                 series=series).build(jobs=job.chapter_jobs, cache=cache)
                data, pages, lines, split = pdf.data, pdf.pages, pdf.lines, pdf.split_words
                progress("pdf", pages, pages)
                if not whole(data, path, diag, pdf.source_of):
                    continue  # never written; the EPUB, if any, still is
                before = len(diag.problems)
                for url in pdf.refused:
                    diag.warn(f"the PDF layout asked for {url}, which jebon does not fetch", path)
                # Preflight after every PDF build: failures are named, never silent.
                progress("preflight", 0, pages)
                preflight.check_pdf(data, job.options, path, diag,
                                    _image_names(rendered, pdf.image_dpi, book.config.root))
                progress("preflight", pages, pages)
                if job.strict and len(diag.problems) > before:
                    # --strict: what preflight warns about only now, after layout, is an error too.
                    diag.problems[before:] = [replace(p, severity="error") for p in diag.problems[before:]]
            made.append((OutputFile(path, fmt, number, len(data), pages, lines, split), data))
        if not (job.strict and diag.errors):  # strict writes nothing when anything is wrong
            for output, data in made:
                write_atomic(output.path, data)
                if output.format == "pdf" and job.options is not None and job.cache is not None:
                    # What it was built with, beside the cache (`--no-cache` writes no cache folder at all).
                    built.write(output.path, data, job.options, dict(job.flags))
                result.outputs.append(output)
    except JebonError as exc:
        diag.problems += [p for p in exc.problems if p not in diag.problems]
    except Exception as exc:  # a crash in one volume must not take the others down
        log.exception("volume %s failed", number)
        diag.error(f"{label}jebon failed: {type(exc).__name__}: {exc}", hint="please report this as a bug")
    result.cache = cache.stats()
    result.problems = [replace(p, message=label + p.message) if p.severity == "error" and label
                       and not p.message.startswith(label) else p for p in diag.problems]
    return result
