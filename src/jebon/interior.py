"""The built print PDF of each volume, for commands that read it (proof, cover): reused when it is
newer than every source and passes preflight for the settings asked for, otherwise built again."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import preflight, printing
from .errors import Diagnostics, UsageError
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

    def as_dict(self) -> dict[str, object]:
        return {"volume": self.volume, "path": str(self.path), "pages": self.pages, "built": self.built}


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


def is_current(path: Path, newest: float, options: printing.PrintOptions) -> bool:
    """The file exists, is at least as new as every source and passes preflight for `options` (so a PDF
    built for another trim, bleed or profile is not taken for this one)."""
    if not path.is_file() or path.stat().st_mtime < newest:
        return False
    diag = Diagnostics()
    try:
        preflight.check_pdf(path.read_bytes(), options, path, diag)
    except Exception:  # an unreadable or truncated file is simply rebuilt
        return False
    return not diag.errors


def interiors(book_dir: Path | str, book: Book, volumes: list[int], out_dir: Path | str | None = None,
              print_options: Mapping[str, object] | None = None, *, rebuild: bool = False,
              also_written: Iterable[Path] = (), progress: Progress | None = None) -> list[Interior]:
    """Each chosen volume's print PDF in the output folder, building (once, together) the volumes whose
    file is missing, older than a source, or made with other print settings (`also_written`: other
    folders the caller writes into, which are not sources). Raises JebonError when the book cannot be
    built."""
    from .api import build

    out = output_dir(book, out_dir)
    options = printing.resolve(book.config.pdf, book.config.epub.toc_depth, **(print_options or {}))
    newest = newest_source(book, [out, *also_written])
    paths = {n: out / f"{stem(book, n)}.pdf" for n in volumes}
    stale = [n for n in volumes if rebuild or not is_current(paths[n], newest, options)]
    if stale:
        if progress is None:
            build(book_dir, ["pdf"], out, print_options=print_options, volumes=stale)
        else:
            build(book_dir, ["pdf"], out, print_options=print_options, volumes=stale, progress=progress)
    return [Interior(n, paths[n], page_count(paths[n]), n in stale) for n in volumes]
