"""Command-line interface (Typer + Rich): parse options, call the API, print; no book logic here."""

from __future__ import annotations

import json
import logging
import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from . import __version__
from .errors import JebonError, Problem, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="jebon (제본): Korean magazine series → EPUB 3 books (and print PDF).")
err = Console(stderr=True)
out = Console()

EXIT_BOOK, EXIT_USAGE = 1, 2


class Format(StrEnum):
    epub = "epub"
    pdf = "pdf"
    all = "all"


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        label = "error" if problem.severity == "error" else "warning"
        # Text, not markup: messages quote [book], [[volumes]] and other brackets literally.
        err.print(Text.assemble((label, style), f": {problem}"), highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"jebon {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    logging.basicConfig(level=logging.ERROR, format="%(message)s")


def _human(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.1f} MB"


@app.command()
def build(
    book_dir: Annotated[Path, typer.Argument(help="The book folder (holds book.toml).")],
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: BOOK_DIR/build].")]
    = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="What to build.")] = Format.epub,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    trim: Annotated[str | None, typer.Option(help="PDF trim: 46, sinkukpan, a5, b5, 6x9in or WxH{mm,in}.")] = None,
    bleed: Annotated[str | None, typer.Option(help="PDF bleed, e.g. 3mm or 0.125in.")] = None,
    marks: Annotated[bool | None, typer.Option("--marks/--no-marks", help="PDF crop marks.")] = None,
    variant: Annotated[str | None, typer.Option(help="pdf/x-4, pdf/x-1a, pdf/a-2b, pdf/ua-1 or none.")] = None,
    bookmarks: Annotated[bool | None, typer.Option("--bookmarks/--no-bookmarks", help="PDF outline.")] = None,
    color: Annotated[str | None, typer.Option(help="PDF output intent: rgb or cmyk.")] = None,
    profile: Annotated[str | None, typer.Option(help="Print service: kdp, lulu, ingramspark, bookk.")] = None,
    volume: Annotated[list[int] | None, typer.Option("--volume", "-v", help="Build only this volume (repeatable).")]
    = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes [default: cores].")]
    = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Fetch remote images (size/time-limited).")]
    = False,
) -> None:
    """Build the book's EPUB and/or print PDF (every volume of a series)."""
    from .api import build as run_build

    formats = ["epub", "pdf"] if fmt is Format.all else [fmt.value]
    print_options = {"trim": trim, "bleed": bleed, "marks": marks, "variant": variant, "bookmarks": bookmarks,
                     "color": color, "profile": profile}
    labels = {"read": "Reading sources", "volumes": "Building volumes"}
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=err, transient=True, disable=as_json) as bar:
        task = bar.add_task("Starting", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=labels.get(stage, stage), completed=done, total=total)

        try:
            report = run_build(book_dir, formats, out_dir, strict=strict, progress=progress,
                               print_options=print_options, volumes=volume, jobs=jobs, allow_remote=allow_remote)
        except JebonError as exc:
            bar.stop()
            if as_json:
                print(json.dumps({"ok": False, "errors": [p.as_dict() for p in exc.problems]},
                                 ensure_ascii=False, indent=2))
            _print_problems(exc.problems)
            raise typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else EXIT_BOOK) from None
    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    _print_problems(report.warnings)
    table = Table(title=report.title, show_header=True, header_style="bold")
    table.add_column("output", overflow="fold")
    table.add_column("vol.", justify="right")
    table.add_column("format")
    table.add_column("size", justify="right")
    table.add_column("pages", justify="right")
    for output in report.outputs:
        table.add_row(str(output.path), str(output.volume), output.format, _human(output.size),
                      str(output.pages) if output.pages else "")
    out.print(table)
    out.print(f"{report.articles} articles · {report.characters:,} characters · {report.words:,} words · "
              f"{len(report.warnings)} warnings")


@app.command()
def check(
    book_dir: Annotated[Path, typer.Argument(help="The book folder (holds book.toml).")],
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also preflight the built PDF in the output folder.")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: BOOK_DIR/build].")]
    = None,
    profile: Annotated[str | None, typer.Option(help="Preflight against this print service's rules.")] = None,
) -> None:
    """Check config, front matter, links, images and glyph coverage without writing anything."""
    from .api import check as run_check

    try:
        report = run_check(book_dir, pdf=pdf, out_dir=out_dir, print_options={"profile": profile})
    except JebonError as exc:
        _print_problems(exc.problems)
        raise typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else EXIT_BOOK) from None
    _print_problems(report.warnings)
    out.print(f"{report.title}: {report.articles} articles, {len(report.warnings)} warnings, no errors")
    if strict and report.warnings:
        raise typer.Exit(EXIT_BOOK)


@app.command("list")
def list_volumes(
    book_dir: Annotated[Path, typer.Argument(help="The book folder (holds book.toml).")],
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: BOOK_DIR/build].")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the volumes as JSON.")] = False,
) -> None:
    """List the volumes: articles, date range and (after a build) pages."""
    from .api import list_volumes as run_list

    try:
        rows = run_list(book_dir, out_dir)
    except JebonError as exc:
        _print_problems(exc.problems)
        raise typer.Exit(EXIT_BOOK) from None
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(show_header=True, header_style="bold")
    for column, justify in (("vol.", "right"), ("title", "left"), ("articles", "right"), ("first", "left"),
                            ("last", "left"), ("from", "left"), ("to", "left"), ("pages", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(str(row["volume"]), str(row["title"]), str(row["articles"]), str(row["first"]),
                      str(row["last"]), str(row["from"] or "—"), str(row["to"] or "—"),
                      str(row["pages"]) if row["pages"] else "—")
    out.print(table)


@app.command()
def new(book_dir: Annotated[Path, typer.Argument(help="Folder for the new book.")]) -> None:
    """Start a new book: book.toml and two sample articles that build at once."""
    from .scaffold import scaffold

    try:
        created = scaffold(book_dir)
    except JebonError as exc:
        _print_problems(exc.problems)
        raise typer.Exit(EXIT_BOOK) from None
    for path in created:
        out.print(f"created {path}")
    out.print(f"next: jebon build {book_dir}")


import_app = typer.Typer(no_args_is_help=True, help="Import articles written elsewhere into a book folder.")
app.add_typer(import_app, name="import")


@import_app.command("brunch")
def import_brunch(
    saved: Annotated[list[Path], typer.Argument(
        help="Saved Brunch pages: Title.html (with Title_files/ beside it) or copied text (.txt); "
             "a folder stands for the pages in it.", show_default=False)],
    into: Annotated[Path, typer.Option("--into", help="The book folder (created if missing).", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Write over articles the book already has.")] = False,
    title: Annotated[str | None, typer.Option(
        help="Title for a new book.toml (default: the first article's magazine, else its author).")] = None,
    date_from_mtime: Annotated[bool, typer.Option(
        "--date-from-mtime", help="Date pages that show none by their file's modification time.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")] = False,
) -> None:
    """Import Brunch articles saved from the browser as Markdown articles, in date order."""
    from .importers.run import import_pages

    try:
        report = import_pages("brunch", saved, into, force=force, title=title, date_from_mtime=date_from_mtime)
    except JebonError as exc:
        if as_json:
            print(json.dumps({"ok": False, "errors": [p.as_dict() for p in exc.problems]}, ensure_ascii=False,
                             indent=2))
        _print_problems(exc.problems)
        raise typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else EXIT_BOOK) from None
    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    _print_problems(report.warnings)
    table = Table(show_header=True, header_style="bold")
    for column in ("", "date", "title", "article", "images", "note"):
        table.add_column(column, overflow="fold", justify="right" if column == "images" else "left")
    for row in report.articles:
        style = {"imported": "green", "replaced": "yellow", "skipped": "dim"}[row.status]
        table.add_row(Text(row.status, style), row.date.isoformat() if row.date else "—", row.title,
                      row.path.name if row.path else "—", str(row.images) if row.images else "",
                      Text(row.reason or "", "dim"))
    out.print(table)
    if report.book_toml:
        out.print(f"created {report.book_toml}")
    out.print(f"{report.count('imported')} imported · {report.count('replaced')} replaced · "
              f"{report.count('skipped')} skipped · {len(report.warnings)} warnings")
    if report.count("skipped"):
        out.print("skipped pages are already in the book: --force writes over their articles")
    if report.count("imported") or report.count("replaced"):
        out.print(f"next: jebon build {into}")


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so no temporary file is left behind."""
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point; exit codes: 0 ok, 1 book errors, 2 usage, 130 interrupted."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted: files already finished are complete, the others were not touched")
        sys.exit(130)
