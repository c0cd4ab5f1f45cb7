"""The built print PDF of each volume, for commands that read it (proof, cover): reused when it is
newer than every source and passes preflight for the settings asked for, otherwise built again."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import built, preflight, printing
from .errors import Diagnostics, JebonError, Problem, UsageError
from .model import Book

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Interior:
    """One volume's print PDF as found or built."""

    volume: int
    path: Path
    pages: int
    built: bool
    """True when this run built the file; False when an up-to-date file was reused."""
    settings: str = "book.toml's settings"
    """The print settings it was laid out with, as flags (`--profile kdp`), or "book.toml's settings"."""
    note: str | None = None
    """Why this file and not the usual one, when the user's own interior was left alone."""

    def as_dict(self) -> dict[str, object]:
        return {"volume": self.volume, "path": str(self.path), "pages": self.pages, "built": self.built,
                "settings": self.settings, "note": self.note}


def output_dir(book: Book, out_dir: Path | str | None) -> Path:
    """Where `jebon build` writes this book's files (its default: `<book>/build`)."""
    return Path(out_dir) if out_dir is not None else book.config.root / "build"


def stem(book: Book, volume: int) -> str:
    """`<slug>` for a single book, `<slug>-volNN` for a volume of a series (as `jebon build` names files)."""
    return book.config.slug if len(book.volumes) == 1 else f"{book.config.slug}-vol{volume:02d}"


def choose_volumes(book: Book, volumes: Iterable[int] | None) -> list[int]:
    """The volumes asked for (all when none), or UsageError naming the book's volumes."""
    numbers = [v.number for v in book.volumes]
    chosen = sorted(set(volumes)) if volumes else numbers
    unknown = [n for n in chosen if n not in numbers]
    if unknown:
        which = "1" if len(numbers) == 1 else f"1–{len(numbers)}"
        raise UsageError(f"--volume {', '.join(map(str, unknown))}: the book has volume{'s' * (len(numbers) > 1)} "
                         f"{which}")
    return chosen


def _files(folder: Path, skip: set[Path]) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (here / d).resolve() not in skip]
        for name in names:
            if not name.startswith("."):
                yield here / name


def newest_source(book: Book, outputs: Iterable[Path]) -> float:
    """The latest modification time of anything the build reads: book.toml, the book folder, the article
    folder and the cover images, leaving out `outputs` (folders jebon writes into) and `<book>/build`."""
    config = book.config
    skip = {p.resolve() for p in (*outputs, config.root / "build")}
    paths = [config.path, *_files(config.root, skip), *_files(config.articles.dir, skip)]
    covers = [config.book.cover, *(v.cover for v in book.volumes)]
    paths += [c for c in covers if c is not None]
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def _passes(path: Path, options: printing.PrintOptions) -> bool:
    diag = Diagnostics()
    try:
        preflight.check_pdf(path.read_bytes(), options, path, diag)
    except Exception:  # an unreadable or truncated file
        return False
    return not diag.errors


def is_current(path: Path, newest: float, options: printing.PrintOptions) -> bool:
    """The file exists, is at least as new as every source and is laid out with `options`: by its
    record (`jebon.built`), or for a file without one, by passing preflight for `options`."""
    if not path.is_file() or path.stat().st_mtime < newest:
        return False
    record = built.read(path)
    if record is not None:
        return record.matches(options)
    return _passes(path, options)


@dataclass(frozen=True)
class _Plan:
    path: Path
    flags: dict[str, object]
    stale: bool
    settings: str
    note: str | None = None


def _plan_as_built(book_dir: Path | str, book: Book, number: int, out: Path, newest: float,
                   rebuild: bool) -> _Plan:
    """`proof`: the PDF the user built, as it is. When it is missing or older than the sources it is
    built again with the flags it was built with."""
    path = out / f"{stem(book, number)}.pdf"
    record = built.read(path) if path.is_file() else None
    if record is not None:
        fresh = path.stat().st_mtime >= newest
        return _Plan(path, record.flags, rebuild or not fresh, record.describe())
    options = printing.resolve(book.config.pdf, book.config.epub.toc_depth)
    if not path.is_file() or rebuild:
        return _Plan(path, {}, True, built.describe({}))
    if path.stat().st_mtime >= newest:
        return _Plan(path, {}, False, "unknown settings (no record of its build)" if not _passes(path, options)
                     else built.describe({}))
    if _passes(path, options):  # older than the sources; by its boxes and fonts, a book.toml build
        return _Plan(path, {}, True, built.describe({}))
    raise JebonError(Problem(
        "older than the sources, and built with settings jebon has no record of (not book.toml's: it fails their "
        "preflight); it is not laid out again with other settings", path,
        hint="build it again with the flags you built it with (`jebon build … --format pdf --profile …`), "
             "or give --rebuild to lay it out with book.toml's settings"))


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def _plan_for(book: Book, number: int, out: Path, newest: float, flags: dict[str, object], rebuild: bool,
              tag: str) -> _Plan:
    """`cover`: an interior laid out with `flags`: the user's own file when it was built with the same
    settings, else jebon's own file beside it (`<stem>-<tag>.pdf`), never the user's file rebuilt."""
    options = printing.resolve(book.config.pdf, book.config.epub.toc_depth, **flags)
    settings = built.describe(flags)
    path = out / f"{stem(book, number)}.pdf"
    record = built.read(path) if path.is_file() else None
    if not path.is_file() or (record is not None and record.matches(options)) or (
            record is None and is_current(path, newest, options)):
        stale = rebuild or not is_current(path, newest, options)
        return _Plan(path, flags, stale, settings)
    theirs = record.describe() if record is not None else "other settings"
    beside = out / f"{stem(book, number)}-{tag}.pdf"
    stale = rebuild or not is_current(beside, newest, options)
    note = f"{path} was built with {theirs}: left as it is; the {settings} interior is {beside}"
    return _Plan(beside, flags, stale, settings, note)


def interiors(book_dir: Path | str, book: Book, volumes: list[int], out_dir: Path | str | None = None,
              print_options: Mapping[str, object] | None = None, *, rebuild: bool = False,
              also_written: Iterable[Path] = (), progress: Progress | None = None, tag: str = "") -> list[Interior]:
    """Each chosen volume's print PDF in the output folder (`also_written`: other folders the caller
    writes into, which are not sources). Without `print_options` (proof): the PDF as the user built it,
    built again with its own flags when missing or older than a source. With `print_options` (cover):
    a PDF laid out with those, which is the user's own file when it was built with the same settings and
    otherwise jebon's own `<stem>-<tag>.pdf` beside it. A file the user built with other settings is
    never replaced. Raises JebonError when the book cannot be built."""
    from .api import build

    out = output_dir(book, out_dir)
    newest = newest_source(book, [out, *also_written])
    flags = built.given(print_options)
    plans = {n: (_plan_for(book, n, out, newest, flags, rebuild, tag or "interior") if print_options is not None
                 else _plan_as_built(book_dir, book, n, out, newest, rebuild)) for n in volumes}
    # Build what is stale, together when the volumes share flags and file names.
    groups: dict[tuple[tuple[tuple[str, object], ...], str], list[int]] = {}
    for number, plan in plans.items():
        if plan.stale:
            suffix = plan.path.stem[len(stem(book, number)):]
            groups.setdefault((tuple(sorted(plan.flags.items())), suffix), []).append(number)
    for (group_flags, suffix), numbers in groups.items():
        build(book_dir, ["pdf"], out, print_options=dict(group_flags), volumes=numbers, name_suffix=suffix,
              progress=progress or _quiet)
    return [Interior(n, plan.path, page_count(plan.path), plan.stale, plan.settings, plan.note)
            for n, plan in plans.items()]
