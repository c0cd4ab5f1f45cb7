"""Command-line interface (Typer + Rich): parse options, call the API, print; no book logic here."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import __version__
from .errors import JebonError, Problem, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from .api import BuildReport
    from .watch import Rebuild, Watcher

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="jebon (제본): Korean magazine series → EPUB 3 books (and print PDF).")


class _Console:
    """A rich Console made on first use: a `--json` run never pays for importing rich."""

    def __init__(self, stderr: bool) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self.stderr)
        return self._console

    def print(self, *objects: object, **options: Any) -> None:
        self.console.print(*objects, **options)


err = _Console(stderr=True)
out = _Console(stderr=False)

EXIT_BOOK, EXIT_USAGE = 1, 2


class Format(StrEnum):
    epub = "epub"
    pdf = "pdf"
    all = "all"


def _print_problems(problems: list[Problem]) -> None:
    from rich.text import Text

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
    watch: Annotated[bool, typer.Option("--watch", help="After building, rebuild whenever the book changes.")]
    = False,
    cache: Annotated[bool, typer.Option("--cache/--no-cache",
                                        help="Reuse unchanged work from OUT/.jebon-cache [default: on].")] = True,
) -> None:
    """Build the book's EPUB and/or print PDF (every volume of a series)."""
    from .api import build as run_build

    formats = ["epub", "pdf"] if fmt is Format.all else [fmt.value]
    print_options = {"trim": trim, "bleed": bleed, "marks": marks, "variant": variant, "bookmarks": bookmarks,
                     "color": color, "profile": profile}
    watcher = None
    if watch:
        from .watch import Watcher, book_inputs

        if as_json:
            _print_problems([Problem("--watch and --json cannot be used together")])
            raise typer.Exit(EXIT_USAGE)
        watcher = Watcher(book_inputs(book_dir, out_dir))  # before the first build: no change is missed
    with _progress_bar(as_json) as progress:
        try:
            report = run_build(book_dir, formats, out_dir, strict=strict, progress=progress,
                               print_options=print_options, volumes=volume, jobs=jobs, allow_remote=allow_remote,
                               cache=cache)
        except JebonError as exc:
            progress.stop()
            if as_json:
                print(json.dumps({"ok": False, "errors": [p.as_dict() for p in exc.problems]},
                                 ensure_ascii=False, indent=2))
            _print_problems(exc.problems)
            # Watching goes on after a broken book (the next save fixes it), not after a bad command line
            # or without a book to watch.
            if watcher is None or isinstance(exc, UsageError) or not (book_dir / "book.toml").is_file():
                raise typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else EXIT_BOOK) from None
            report = None
    if report is not None:
        _print_report(report, as_json)
    if watcher is not None:
        _watch_builds(watcher, lambda: run_build(book_dir, formats, out_dir, strict=strict, print_options=print_options,
                                                 volumes=volume, jobs=jobs, allow_remote=allow_remote, cache=cache),
                      book_dir, report)


class _NoBar:
    """The progress of a `--json` build: shown nowhere."""

    def __call__(self, stage: str, done: int, total: int) -> None:
        pass

    def stop(self) -> None:
        pass


@contextlib.contextmanager
def _progress_bar(hidden: bool) -> Iterator[Any]:
    """A callable `progress(stage, done, total)` drawing a transient bar on stderr (nothing when
    `hidden`), with `.stop()` to take the bar down before errors are printed."""
    if hidden:
        yield _NoBar()
        return
    from rich.progress import BarColumn, Progress, TextColumn

    labels = {"read": "Reading sources", "volumes": "Building volumes"}
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=err.console, transient=True) as bar:
        task = bar.add_task("Starting", total=None)

        class Bar:
            def __call__(self, stage: str, done: int, total: int) -> None:
                bar.update(task, description=labels.get(stage, stage), completed=done, total=total)

            def stop(self) -> None:
                bar.stop()

        yield Bar()


def _print_report(report: BuildReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

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
    reused = sum(hits for hits, _ in report.cache.values())
    if reused:
        done = sum(hits + misses for hits, misses in report.cache.values())
        kinds = ", ".join(f"{kind} {hits}/{hits + misses}" for kind, (hits, misses) in report.cache.items())
        out.print(f"cache: reused {reused} of {done} pieces ({kinds})")


def _watch_builds(watcher: Watcher, rebuild: Callable[[], BuildReport], book_dir: Path,
                  first: BuildReport | None) -> None:
    """`build --watch`: one line per rebuild, its new warnings and its errors, until Ctrl-C."""
    from rich.text import Text

    from .watch import watch_build

    seen = set(first.warnings) if first is not None else set()

    def show(result: Rebuild) -> None:
        nonlocal seen
        names = ", ".join(_shown(p, book_dir) for p in result.changed[:3]) + (
            f" and {len(result.changed) - 3} more" if len(result.changed) > 3 else "")
        stamp = time.strftime("%H:%M:%S")
        if result.report is None:
            _print_problems(list(result.problems))
            errors = sum(1 for p in result.problems if p.severity == "error")
            err.print(Text(f"{stamp} {names} changed → build failed ({errors} error{'s' * (errors != 1)}); "
                           "fix and save to rebuild",
                           "red"), highlight=False, soft_wrap=True)
            return
        _print_problems([w for w in result.report.warnings if w not in seen])
        seen = set(result.report.warnings)
        files = ", ".join(f"{o.path.name} ({_human(o.size)})" for o in result.report.outputs)
        out.print(Text(f"{stamp} {names} changed → rebuilt {files} in {result.seconds:.1f} s · "
                       f"{len(result.report.warnings)} warnings"), highlight=False, soft_wrap=True)

    err.print(f"watching {book_dir} for changes (Ctrl-C to stop)", highlight=False)
    try:
        watch_build(watcher, rebuild, show, threading.Event())
    except KeyboardInterrupt:
        err.print("stopped watching")
        raise typer.Exit(130) from None


def _shown(path: Path, book_dir: Path) -> str:
    """A changed file as the author knows it: relative to the book folder, or just its name."""
    try:
        return str(path.relative_to(Path(book_dir).resolve()))
    except ValueError:
        return path.name


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
        raise _fail(exc, False) from None
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
        raise _fail(exc, as_json) from None
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

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
def preview(
    book_dir: Annotated[Path, typer.Argument(help="The book folder (holds book.toml).")],
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")]
    = 8000,
    volume: Annotated[int, typer.Option("--volume", "-v", min=1, help="Which volume of a series to show.")] = 1,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the preview in the web browser.")]
    = False,
) -> None:
    """Serve the book as web pages on 127.0.0.1, reloaded whenever a file of the book changes."""
    from rich.text import Text

    from .preview import PreviewServer, Site

    def rendered(site: Site, changed: set[Path]) -> None:
        names = ", ".join(sorted(_shown(p, book_dir) for p in changed)[:3])
        stamp = time.strftime("%H:%M:%S")
        if site.ok:
            out.print(Text(f"{stamp} {names} changed → reloaded in {site.seconds:.1f} s · "
                           f"{len(site.warnings)} warnings"), highlight=False, soft_wrap=True)
        else:
            _print_problems(list(site.problems))
            count = len(site.problems)
            err.print(Text(f"{stamp} {names} changed → the page shows {count} error{'s' * (count != 1)}", "red"),
                      highlight=False, soft_wrap=True)

    try:
        server = PreviewServer(book_dir, port=port, volume=volume, on_render=rendered)
    except JebonError as exc:
        _print_problems(exc.problems)
        raise typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else EXIT_BOOK) from None
    if not server.site.ok:
        _print_problems(list(server.site.problems))
    out.print(f"serving {book_dir} at {server.url} (only on this computer; Ctrl-C to stop)", highlight=False,
              soft_wrap=True)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        err.print("preview stopped")
        raise typer.Exit(130) from None


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


def _fail(exc: JebonError, as_json: bool) -> typer.Exit:
    """Report a JebonError (as JSON too with --json) and give the exit to raise: 2 for usage, 1 otherwise."""
    if as_json:
        print(json.dumps({"ok": False, "errors": [p.as_dict() for p in exc.problems]}, ensure_ascii=False, indent=2))
    _print_problems(exc.problems)
    return typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else EXIT_BOOK)


@app.command()
def proof(
    book_dir: Annotated[Path, typer.Argument(help="The book folder (holds book.toml).")],
    pages: Annotated[str | None, typer.Option("--pages", "-p", help="Pages to render: 1-12, 3,5,7-9 or 10- "
                                                                    "[default: all].")] = None,
    volume: Annotated[list[int] | None, typer.Option("--volume", "-v", help="Only this volume (repeatable).")]
    = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the PNGs "
                                                                     "[default: BUILD_DIR/proof].")] = None,
    build_dir: Annotated[Path | None, typer.Option("--build-dir", help="Where the print PDF is built "
                                                                       "[default: BOOK_DIR/build].")] = None,
    dpi: Annotated[float, typer.Option(help="Resolution of the page PNGs.")] = 60,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build the PDF even if it looks up to date.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="List the files written as JSON on stdout.")] = False,
) -> None:
    """Render pages of the print PDF to PNG, with a contact sheet of spreads (builds the PDF if needed)."""
    from .proof import proof as run_proof

    try:
        report = run_proof(book_dir, pages, volumes=volume, out_dir=out_dir, build_dir=build_dir, dpi=dpi,
                           rebuild=rebuild)
    except JebonError as exc:
        raise _fail(exc, as_json) from None
    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    for interior in report.interiors:
        how = "built" if interior.built else "up to date"
        out.print(f"{interior.path} ({interior.pages} pages, {how})", highlight=False)
    for number, sheet in report.sheets:
        count = sum(1 for p in report.pages if p.volume == number)
        out.print(f"{count} page PNGs and the contact sheet {sheet}", highlight=False)


@app.command()
def cover(
    book_dir: Annotated[Path, typer.Argument(help="The book folder (holds book.toml).")],
    profile: Annotated[str, typer.Option(help="Print service: kdp, lulu, ingramspark, bookk.")],
    paper: Annotated[str, typer.Option(help="Interior paper: white, cream (kdp also: color).")] = "white",
    volume: Annotated[list[int] | None, typer.Option("--volume", "-v", help="Only this volume (repeatable).")]
    = None,
    pages: Annotated[int | None, typer.Option(help="Interior page count [default: from the built PDF].")] = None,
    spine: Annotated[str | None, typer.Option(help="Spine width from the service's own template, e.g. 11.2mm "
                                                   "(overrides the computed width).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: BOOK_DIR/build].")]
    = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build the interior even if it looks up to date.")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")] = False,
) -> None:
    """Make the full-wrap print cover (back, spine, front, bleed) sized from the interior's page count."""
    from .printcover import make_covers

    try:
        report = make_covers(book_dir, profile, paper=paper, volumes=volume, pages=pages, spine=spine,
                             out_dir=out_dir, rebuild=rebuild)
    except JebonError as exc:
        raise _fail(exc, as_json) from None
    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    _print_problems(report.warnings)
    for output in report.outputs:
        g = output.geometry
        source = f"{g.pages} pages" + (f" ({output.interior.path})" if output.interior else " (--pages)")
        out.print(f"{output.path}: {g.width:.2f} × {g.height:.2f} mm ({g.width / 25.4:.3f} × {g.height / 25.4:.3f} in),"
                  f" spine {g.spine:.2f} mm on {g.profile} {g.paper} paper for {source},"
                  f" {'title on the spine' if g.spine_text else 'spine too narrow for text'}", highlight=False,
                  soft_wrap=True)


import_app = typer.Typer(no_args_is_help=True, help="Import articles written elsewhere into a book folder.")
app.add_typer(import_app, name="import")


@import_app.command("brunch")
def import_brunch(
    saved: Annotated[list[Path], typer.Argument(
        help="Saved Brunch pages: Title.html (with Title_files/ beside it) or copied text (.txt); "
             "a saved magazine or brunchbook page, or a .txt of article addresses, gives the order; "
             "a folder stands for the files in it.", show_default=False)],
    into: Annotated[Path, typer.Option("--into", help="The book folder (created if missing).", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Write over articles the book already has.")] = False,
    title: Annotated[str | None, typer.Option(
        help="Title for a new book.toml (default: the first article's magazine, else its author).")] = None,
    date_from_mtime: Annotated[bool, typer.Option(
        "--date-from-mtime", help="Date pages that show none by their file's modification time.")] = False,
    lines: Annotated[bool, typer.Option(
        "--lines", help="Keep every line, blank ones too (poems): blank lines stay empty lines.")] = False,
    h4: Annotated[str, typer.Option(
        "--h4", help="h4/h5 body lines: auto (text unless they look like headings), heading or text.",
        metavar="auto|heading|text")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")] = False,
) -> None:
    """Import Brunch articles saved from the browser as Markdown articles, in the order of a magazine,
    a brunchbook or a list of addresses when one is given, else in date order."""
    from .importers.run import import_pages

    try:
        report = import_pages("brunch", saved, into, force=force, title=title, date_from_mtime=date_from_mtime,
                              lines=lines, h4=h4)
    except JebonError as exc:
        raise _fail(exc, as_json) from None
    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    from rich.table import Table
    from rich.text import Text

    _print_problems(report.warnings)
    table = Table(show_header=True, header_style="bold")
    for column in ("", "date", "title", "article", "images", "note"):
        table.add_column(column, overflow="fold", justify="right" if column == "images" else "left")
    place = {name: i for i, name in enumerate(report.order or ())}  # the book's order when a list gave one
    for row in sorted(report.articles, key=lambda a: place.get(a.path.name if a.path else "", len(place))):
        style = {"imported": "green", "replaced": "yellow", "skipped": "dim"}[row.status]
        table.add_row(Text(row.status, style), row.date.isoformat() if row.date else "—", row.title,
                      row.path.name if row.path else "—", str(row.images) if row.images else "",
                      Text(row.reason or "", "dim"))
    out.print(table)
    if report.book_toml:
        out.print(f"created {report.book_toml}")
    if report.order is not None:
        lists = ", ".join(li.title or li.source.name for li in report.lists)
        state = {"created": "written to the new", "updated": "updated in", "unchanged": "already in"}
        out.print(f"[articles] order ({len(report.order)} articles, from {lists}) "
                  f"{state.get(report.order_written or '', 'in')} {into / 'book.toml'}", highlight=False,
                  markup=False)
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
    # A build makes hundreds of thousands of objects that live until the end (cached articles, trees),
    # and almost no reference cycles: the cycle collector's default pace (every 700 allocations)
    # spends a few percent of a rebuild walking them. It still runs, less often.
    gc.set_threshold(50_000, 20, 20)
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:
        err.print("interrupted: files already finished are complete, the others were not touched")
        code = 130
    _exit_now(code)


def _exit_code(code: object) -> int:
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)  # sys.exit("message"): the message, and failure
    return 1


def _exit_now(code: int) -> None:
    """End the process without tearing the interpreter down. Tear-down frees every object a build
    made, one by one, and unloads every module: a tenth of a second or more after a big book,
    with nothing to show for it. By now every file jebon writes is closed (each is written inside
    a `with`, then renamed into place) and worker processes are joined; what is left is flushing
    the standard streams and the log."""
    if "weasyprint" in sys.modules:  # its font configurations remove their /tmp folders when collected
        gc.collect()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            pass  # the reader went away (`| head`): nothing more to tell it
        except (OSError, ValueError):
            code = code or 120  # what Python exits with when the last flush fails (a full disk)
    os._exit(code)
