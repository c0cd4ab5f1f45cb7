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
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import __version__, helptext
from .errors import JebonError, Problem, UsageError
from .summary import plural

if TYPE_CHECKING:
    from rich.console import Console

    from .api import BuildReport
    from .watch import Rebuild, Watcher

app = typer.Typer(name="jebon", cls=helptext.Group, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_show_locals=False, rich_markup_mode=None,
                  help="jebon (제본): a Korean magazine series → EPUB 3 books and print PDFs.",
                  epilog="Run 'jebon COMMAND --help' for a command's options, 'jebon help' for the guides.")


class _Console:
    """A rich Console made on first use: a `--json` run never pays for importing rich."""

    def __init__(self, stderr: bool) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            # No markup unless asked for: titles, paths and messages are printed as they are.
            self._console = Console(stderr=self.stderr, highlight=False, markup=False)
        return self._console

    def print(self, *objects: object, **options: Any) -> None:
        self.console.print(*objects, **options)


err = _Console(stderr=True)
out = _Console(stderr=False)

EXIT_BOOK, EXIT_USAGE = 1, 2
FORMATS = ("epub", "pdf", "all")
PRINT = "Print options (PDF; each overrides book.toml's [pdf])"


# -- option values: parsed here, so a wrong value gets a plain message and exit 2 --------------------
def _count(flag: str, what: str, minimum: int = 1, maximum: int | None = None) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, int):
            return value
        try:
            number = int(str(value).strip())
        except ValueError:
            raise helptext.bad(f"{value!r} is not a whole number; {what}") from None
        if number < minimum or (maximum is not None and number > maximum):
            span = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            raise helptext.bad(f"{number} is out of range; {what} ({span})")
        return number

    parse.__name__ = flag
    return parse


def _number(what: str, low: float, high: float) -> Callable[[object], float]:
    def parse(value: object) -> float:
        if isinstance(value, int | float):
            return float(value)
        try:
            number = float(str(value).strip())
        except ValueError:
            raise helptext.bad(f"{value!r} is not a number; {what}") from None
        if not low <= number <= high:
            raise helptext.bad(f"{number:g} is out of range; {what} (from {low:g} to {high:g})")
        return number

    return parse


def _choice(*choices: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise helptext.bad(f"{value!r}: choose {', '.join(choices[:-1])} or {choices[-1]}")
        return text

    return parse


def _book_dir(value: Path | None) -> Path | None:
    """BOOK_DIR must be a folder: a missing one is a usage error (exit 2), like any wrong argument."""
    if value is not None and not value.is_dir():
        hint = f"`jebon new {value}` starts a book there" if not value.exists() else "give the folder that holds it"
        what = "no such folder" if not value.exists() else "a file, not a book folder"
        raise helptext.bad(f"{str(value)!r}: {what} ({hint})")
    return value


BookDir = Annotated[Path, typer.Argument(metavar="BOOK_DIR", help="The book folder (the one that holds book.toml).",
                                         callback=_book_dir, show_default=False)]
OutDir = Annotated[Path | None, typer.Option("--out", "-o", metavar="DIR", help="Output folder.",
                                             show_default="BOOK_DIR/build")]
AsJson = Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout, and nothing else.")]
Verbose = Annotated[bool, typer.Option("--verbose", help="List every warning, not only the first few of each kind.")]
Trim = Annotated[str | None, typer.Option(metavar="SIZE", rich_help_panel=PRINT, show_default="book.toml, else 46",
                                          help="Trim size: 46, sinkukpan, a5, b5, 6x9in or WxH in mm or in.")]
Bleed = Annotated[str | None, typer.Option(metavar="LENGTH", rich_help_panel=PRINT, show_default="book.toml, else 0",
                                           help="Bleed on each outer edge, e.g. 3mm or 0.125in.")]
Marks = Annotated[bool | None, typer.Option("--marks/--no-marks", rich_help_panel=PRINT,
                                            show_default="book.toml, else --no-marks",
                                            help="Crop marks outside the bleed.")]
Variant = Annotated[str | None, typer.Option(metavar="VARIANT", rich_help_panel=PRINT,
                                             show_default="book.toml, else none",
                                             help="PDF standard: pdf/x-4, pdf/x-1a, pdf/a-2b, pdf/ua-1 or none.")]
Bookmarks = Annotated[bool | None, typer.Option("--bookmarks/--no-bookmarks", rich_help_panel=PRINT,
                                                show_default="book.toml, else --bookmarks",
                                                help="A PDF outline that mirrors the contents.")]
Color = Annotated[str | None, typer.Option(metavar="MODEL", rich_help_panel=PRINT, show_default="book.toml, else rgb",
                                           help="Output intent: rgb or cmyk.")]
Profile = Annotated[str | None, typer.Option(metavar="SERVICE", rich_help_panel=PRINT,
                                             show_default="book.toml, else none",
                                             help="Print service whose rules to follow: kdp, lulu, ingramspark "
                                                  "or bookk.")]


def _print_options(trim: str | None, bleed: str | None, marks: bool | None, variant: str | None,
                   bookmarks: bool | None, color: str | None, profile: str | None) -> dict[str, object]:
    return {"trim": trim, "bleed": bleed, "marks": marks, "variant": variant, "bookmarks": bookmarks,
            "color": color, "profile": profile}


# -- printing problems -------------------------------------------------------------------------------
def _said(problem: Problem) -> str:
    """`file:line: message (hint)`, the file as short as it can be said."""
    if problem.path is None:
        return str(problem)
    where = _shown_path(problem.path) + (f":{problem.line}" if problem.line else "")
    return f"{where}: {problem.message}" + (f" ({problem.hint})" if problem.hint else "")


def _problem_line(problem: Problem) -> object:
    from rich.text import Text

    style = "red" if problem.severity == "error" else "yellow"
    label = "error" if problem.severity == "error" else "warning"
    # Text, not markup: messages quote [book], [[volumes]] and other brackets literally.
    return Text.assemble((label, style), f": {_said(problem)}")


def _print_problems(problems: list[Problem]) -> None:
    """Every problem in full, one after the other (errors always; warnings with --verbose)."""
    for problem in problems:
        err.print(_problem_line(problem), soft_wrap=True)


def _print_warnings(warnings: list[Problem], verbose: bool) -> None:
    """Warnings as a person can take them in: grouped by kind, the first few of each with file:line and
    how many more there are (`--verbose` lists them all)."""
    if verbose or len(warnings) <= 5:
        _print_problems(warnings)
        return
    from rich.text import Text

    from .summary import summarise

    shown, left_out = summarise(warnings)
    for item in shown:
        group = item.group
        if group.count == 1:
            err.print(_problem_line(group.problems[0]), soft_wrap=True)
            continue
        err.print(Text.assemble(("warning", "yellow"), f": {plural(group.count, 'time')}: {group.kind}"),
                  soft_wrap=True)
        for problem in item.examples:
            err.print(Text("  " + _said(replace(problem, hint=None))), soft_wrap=True)
        if item.hidden:
            err.print(Text(f"  … and {item.hidden:,} more", "dim"), soft_wrap=True)
        if group.hint:
            err.print(Text(f"  hint: {group.hint}", "dim"), soft_wrap=True)
    if left_out:
        err.print(Text(f"… and {plural(left_out, 'more kind')} of warning", "yellow"), soft_wrap=True)
    if len(warnings) > sum(len(item.examples) for item in shown):
        err.print(Text(f"{plural(len(warnings), 'warning')} in all: --verbose lists every one, --json gives them "
                       "as data", "dim"), soft_wrap=True)


def _fail(exc: JebonError, as_json: bool) -> typer.Exit:
    """Report a JebonError (as JSON too with --json) and give the exit to raise: 2 for usage, 1 otherwise.
    Errors are listed in full; warnings that came with them are summarised."""
    if as_json:
        from .api import warnings_json

        print(json.dumps({"ok": False, "errors": [p.as_dict() for p in exc.problems if p.severity == "error"],
                          "warnings": warnings_json(p for p in exc.problems if p.severity == "warning")},
                         ensure_ascii=False, indent=2))
    else:
        _print_warnings([p for p in exc.problems if p.severity == "warning"], verbose=False)
        _print_problems([p for p in exc.problems if p.severity == "error"])
    return typer.Exit(EXIT_USAGE if isinstance(exc, UsageError) else EXIT_BOOK)


def _version(value: bool) -> None:
    if value:
        print(f"jebon {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                                help="Print jebon's version and exit.")] = False) -> None:
    logging.basicConfig(level=logging.ERROR, format="%(message)s")


def _human(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.1f} MB"


def _seconds(value: float) -> str:
    if value < 10:
        return f"{value:.2f} s" if value < 1 else f"{value:.1f} s"
    if value < 60:
        return f"{value:.0f} s"
    return f"{int(value // 60)} min {value % 60:.0f} s"


def _shown_path(path: Path) -> str:
    """A path as short as it can be said: relative to the current folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


# -- progress: one line per stage on a terminal --------------------------------------------------------
_STAGES: dict[str, tuple[str, Callable[[int], str]]] = {
    "read": ("Reading the sources", lambda n: f"Read {plural(n, 'article')}"),
    "render": ("Rendering the articles", lambda n: f"Rendered {plural(n, 'article')}"),
    "epub": ("Writing the EPUB", lambda n: "Wrote the EPUB"),
    "pdf": ("Laying out the PDF", lambda n: f"Laid out {plural(n, 'PDF page')}"),
    "preflight": ("Preflighting the PDF", lambda n: f"Preflighted {plural(n, 'page')}"),
    "volumes": ("Building the volumes", lambda n: f"Built {plural(n, 'volume')}"),
}


class _Quiet:
    """Progress shown nowhere: not a terminal, or --json."""

    def __call__(self, stage: str, done: int, total: int) -> None:
        pass

    def stop(self) -> None:
        pass


class _Stages:
    """progress(stage, done, total) on a terminal: a live line for the stage under way (its count and
    the time so far), and a line that stays for each stage once finished: what was done, how many,
    in how long."""

    def __init__(self) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.fields[count]}"),
                            TimeElapsedColumn(), console=err.console, transient=True)
        self.task = self.bar.add_task("", total=None, count="")
        self.stage: str | None = None
        self.started = time.perf_counter()
        self.bar.start()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != self.stage:
            self.stage, self.started = stage, now
            self.bar.reset(self.task)
        live, finished = _STAGES.get(stage, (stage, lambda _: stage))
        if total > 0 and done >= total:
            self.bar.console.print(f"[green]✓[/] {finished(total)} [dim]in {_seconds(now - self.started)}[/]",
                                   markup=True)
            self.stage = None
            self.bar.update(self.task, description="", count="")
            return
        count = f"{done:,}/{total:,}" if total > 1 else ""
        self.bar.update(self.task, description=live + "…", count=count)

    def stop(self) -> None:
        self.bar.stop()


@contextlib.contextmanager
def _progress(hidden: bool) -> Iterator[Any]:
    """The progress lines, on stderr when it is a terminal and `hidden` is false; nothing otherwise."""
    if hidden or not sys.stderr.isatty():
        yield _Quiet()
        return
    stages = _Stages()
    try:
        yield stages
    finally:
        stages.stop()


BUILD_EXAMPLES = """Examples:
  jebon build books/golmok                    the EPUB, into books/golmok/build/
  jebon build books/golmok -f all             the EPUB and the print PDF
  jebon build books/golmok -f pdf --profile kdp
                                              the interior for KDP (trim, bleed, no bookmarks)
  jebon build books/golmok -f all --watch     build, then again on every save (Ctrl-C stops)
  jebon build books/series --volume 2 -j 1    only volume 2 of a series, in this process
  jebon build books/golmok --json | jq .outputs

More: jebon help book (book.toml), jebon help printing, jebon help series."""


@app.command(cls=helptext.Command, epilog=BUILD_EXAMPLES)
def build(
    book_dir: BookDir,
    out_dir: OutDir = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", parser=_choice(*FORMATS),
                                     help="What to build: epub, pdf or all.")] = "epub",
    as_json: AsJson = False,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors: nothing is written.")] = False,
    verbose: Verbose = False,
    trim: Trim = None,
    bleed: Bleed = None,
    marks: Marks = None,
    variant: Variant = None,
    bookmarks: Bookmarks = None,
    color: Color = None,
    profile: Profile = None,
    volume: Annotated[list[int] | None, typer.Option(
        "--volume", "-v", metavar="N", parser=_count("--volume", "give a volume number"),
        help="Build only this volume of a series (repeatable).", show_default="every volume")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", metavar="N", parser=_count("--jobs", "give how many worker processes"),
        help="Worker processes for volumes and PDF chapters.", show_default="one per core")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Fetch remote images (http/https, at most 20 MB and 10 s each).")] = False,
    watch: Annotated[bool, typer.Option(
        "--watch", help="After building, build again whenever a file of the book changes.")] = False,
    cache: Annotated[bool, typer.Option("--cache/--no-cache",
                                        help="Reuse unchanged work from OUT/.jebon-cache/.")] = True,
) -> None:
    """Build the book's EPUB and/or print PDF (every volume of a series).

    On a terminal, one line per stage shows what was done and how long it took; then the warnings,
    summarised by kind, and a table of the files written."""
    from .api import build as run_build

    formats = ["epub", "pdf"] if fmt == "all" else [fmt]
    print_options = _print_options(trim, bleed, marks, variant, bookmarks, color, profile)
    watcher = None
    if watch:
        from .watch import Watcher, book_inputs

        if as_json:
            _print_problems([Problem("--watch and --json cannot be used together")])
            raise typer.Exit(EXIT_USAGE)
        watcher = Watcher(book_inputs(book_dir, out_dir))  # before the first build: no change is missed
    with _progress(as_json) as progress:
        try:
            report = run_build(book_dir, formats, out_dir, strict=strict, progress=progress,
                               print_options=print_options, volumes=volume, jobs=jobs, allow_remote=allow_remote,
                               cache=cache)
        except JebonError as exc:
            progress.stop()
            # Watching goes on after a broken book (the next save fixes it), not after a bad command line
            # or without a book to watch.
            if watcher is None or isinstance(exc, UsageError) or not (book_dir / "book.toml").is_file():
                raise _fail(exc, as_json) from None
            _fail(exc, False)
            report = None
    if report is not None:
        _print_report(report, as_json, verbose)
    if watcher is not None:
        _watch_builds(watcher, lambda: run_build(book_dir, formats, out_dir, strict=strict, print_options=print_options,
                                                 volumes=volume, jobs=jobs, allow_remote=allow_remote, cache=cache),
                      book_dir, report)


def _print_report(report: BuildReport, as_json: bool, verbose: bool) -> None:
    from rich.markup import escape

    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    _print_warnings(report.warnings, verbose)
    series = len({o.volume for o in report.outputs}) > 1
    # One line per file, its path whole (copied from the terminal as it is): path, size, pages.
    paths = [_shown_path(o.path) for o in report.outputs]
    width = max((len(p) for p in paths), default=0)
    out.print(f"[bold]{escape(report.title)}[/]" if report.outputs else "no files written", soft_wrap=True,
              markup=True)
    for path, output in zip(paths, report.outputs, strict=True):
        pages = f"  {plural(output.pages, 'page')}" if output.pages else ""
        out.print(f"  {path.ljust(width)}  {_human(output.size):>9}{pages}", soft_wrap=True)
    planned = sum(o.lines or 0 for o in report.outputs)
    split = sum(o.split_words or 0 for o in report.outputs)
    if split:
        out.print(f"  {split:,} of {planned:,} PDF lines ({split / planned:.1%}) end inside a word, split "
                  "between syllables (balanced line breaking, or a word longer than the line)", soft_wrap=True)
    volumes = f" in {plural(len({o.volume for o in report.outputs}), 'volume')}" if series else ""
    out.print(f"{plural(report.articles, 'article')}{volumes} · {report.characters:,} characters · "
              f"{plural(report.words, 'word')} · {plural(len(report.warnings), 'warning')}")
    reused = sum(hits for hits, _ in report.cache.values())
    if reused:
        done = sum(hits + misses for hits, misses in report.cache.values())
        line = f"cache: reused {reused:,} of {plural(done, 'piece')}"
        if verbose:
            line += " (" + ", ".join(f"{kind} {hits}/{hits + misses}"
                                     for kind, (hits, misses) in report.cache.items()) + ")"
        out.print(line, soft_wrap=True)


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
            err.print(Text(f"{stamp} {names} changed → build failed ({plural(errors, 'error')}); "
                           "fix and save to rebuild",
                           "red"), soft_wrap=True)
            return
        _print_warnings([w for w in result.report.warnings if w not in seen], verbose=False)
        seen = set(result.report.warnings)
        files = ", ".join(f"{o.path.name} ({_human(o.size)})" for o in result.report.outputs)
        out.print(Text(f"{stamp} {names} changed → rebuilt {files} in {result.seconds:.1f} s · "
                       f"{plural(len(result.report.warnings), 'warning')}"), soft_wrap=True)

    err.print(f"watching {book_dir} for changes (Ctrl-C to stop)")
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


@app.command(cls=helptext.Command, epilog="""Examples:
  jebon check books/golmok                    the sources only; writes nothing
  jebon check books/golmok --strict           fail (exit 1) on warnings too, as CI would
  jebon check books/golmok --pdf              also preflight build/golmok.pdf, against the settings
                                              it was built with
  jebon check books/golmok --pdf --profile kdp
                                              preflight it against KDP's rules""")
def check(
    book_dir: BookDir,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 1) when there are warnings too.")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also preflight the PDF already built in the output folder.")]
    = False,
    out_dir: OutDir = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
    trim: Trim = None,
    bleed: Bleed = None,
    marks: Marks = None,
    variant: Variant = None,
    bookmarks: Bookmarks = None,
    color: Color = None,
    profile: Profile = None,
) -> None:
    """Check config, front matter, links, images and glyph coverage without writing anything.

    With --pdf, the built PDF is preflighted too: against the print options given here (the same as
    `jebon build` takes), else against the settings it was built with, else book.toml's."""
    from .api import check as run_check

    print_options = _print_options(trim, bleed, marks, variant, bookmarks, color, profile)
    with _progress(as_json) as progress:
        try:
            report = run_check(book_dir, pdf=pdf, out_dir=out_dir, print_options=print_options, progress=progress)
        except JebonError as exc:
            progress.stop()
            raise _fail(exc, as_json) from None
    failed = strict and bool(report.warnings)
    if as_json:
        print(json.dumps({"ok": not failed, **report.as_dict(),
                          "preflighted": [{"path": str(p), "against": a} for p, a in report.preflighted]},
                         ensure_ascii=False, indent=2))
    else:
        _print_warnings(report.warnings, verbose)
        for path, against in report.preflighted:
            out.print(f"preflight passed: {_shown_path(path)} (against {against})", soft_wrap=True)
        out.print(f"{report.title}: {plural(report.articles, 'article')}, {plural(len(report.warnings), 'warning')}, "
                  "no errors")
        if failed:
            from rich.text import Text

            err.print(Text.assemble(("error", "red"), f": --strict: {plural(len(report.warnings), 'warning')} "
                                    "count as errors (fix them, or check without --strict)"), soft_wrap=True)
    if failed:
        raise typer.Exit(EXIT_BOOK)


@app.command("list", cls=helptext.Command)
def list_volumes(
    book_dir: BookDir,
    out_dir: OutDir = None,
    as_json: AsJson = False,
) -> None:
    """List the volumes: title, articles, dates and (once built) pages."""
    from .api import list_volumes as run_list

    try:
        rows = run_list(book_dir, out_dir)
    except JebonError as exc:
        raise _fail(exc, as_json) from None
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("vol.", justify="right", no_wrap=True)
    table.add_column("title", ratio=1, overflow="fold")
    table.add_column("articles", overflow="ellipsis", max_width=28)
    table.add_column("dates", no_wrap=True)
    table.add_column("pages", justify="right", no_wrap=True)
    for row in rows:
        title = Text(str(row["title"]))
        if row.get("subtitle"):
            title.append(f"\n{row['subtitle']}", "dim")
        articles = Text(f"{row['articles']}")
        articles.append(f"\n{row['first']}…" if row["first"] != row["last"] else f"\n{row['first']}", "dim")
        if row["first"] != row["last"]:
            articles.append(f"\n…{row['last']}", "dim")
        dates = "—" if not row["from"] else (str(row["from"]) if row["from"] == row["to"]
                                            else f"{row['from']}\n{row['to']}")
        table.add_row(str(row["volume"]), title, articles, dates, f"{row['pages']:,}" if row["pages"] else "—")
    out.print(table)


@app.command(cls=helptext.Command)
def preview(
    book_dir: BookDir,
    port: Annotated[int, typer.Option("--port", "-p", metavar="N", parser=_count("--port", "give a port number",
                                                                                  0, 65535),
                                      help="Port on 127.0.0.1 (0: any free port).")] = 8000,
    volume: Annotated[int, typer.Option("--volume", "-v", metavar="N",
                                        parser=_count("--volume", "give a volume number"),
                                        help="Which volume of a series to show.")] = 1,
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
                           f"{plural(len(site.warnings), 'warning')}"), soft_wrap=True)
        else:
            _print_problems(list(site.problems))
            count = len(site.problems)
            err.print(Text(f"{stamp} {names} changed → the page shows {plural(count, 'error')}", "red"),
                      soft_wrap=True)

    try:
        server = PreviewServer(book_dir, port=port, volume=volume, on_render=rendered)
    except JebonError as exc:
        raise _fail(exc, False) from None
    if not server.site.ok:
        _print_problems(list(server.site.problems))
    out.print(f"serving {book_dir} at {server.url} (only on this computer; Ctrl-C to stop)", soft_wrap=True)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        err.print("preview stopped")
        raise typer.Exit(130) from None


@app.command(cls=helptext.Command)
def new(book_dir: Annotated[Path, typer.Argument(metavar="BOOK_DIR", help="Folder for the new book (must not hold "
                                                                          "a book.toml yet).", show_default=False)]
        ) -> None:
    """Start a new book: book.toml and two sample articles that build at once."""
    from .scaffold import scaffold

    try:
        created = scaffold(book_dir)
    except JebonError as exc:
        raise _fail(exc, False) from None
    for path in created:
        out.print(f"created {path}")
    out.print(f"next: jebon build {book_dir}")


def _interior_line(interior: Any) -> None:
    how = "built now" if interior.built else "up to date"
    out.print(f"{_shown_path(interior.path)}: {plural(interior.pages, 'page')}, {interior.settings}, {how}",
              soft_wrap=True)
    if interior.note:
        err.print(f"note: {interior.note}", soft_wrap=True)


@app.command(cls=helptext.Command, epilog="""Examples:
  jebon proof books/golmok --pages 1-12       the first twelve pages and their contact sheet
  jebon proof books/golmok --pages 10- --dpi 100
  jebon proof books/series --volume 2""")
def proof(
    book_dir: BookDir,
    pages: Annotated[str | None, typer.Option("--pages", "-p", metavar="PAGES",
                                              help="Pages to render: 1-12, 3,5,7-9 or 10- (to the end).",
                                              show_default="every page")] = None,
    volume: Annotated[list[int] | None, typer.Option(
        "--volume", "-v", metavar="N", parser=_count("--volume", "give a volume number"),
        help="Only this volume (repeatable).", show_default="every volume")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", metavar="DIR", help="Folder for the PNGs.",
                                                 show_default="BUILD_DIR/proof")] = None,
    build_dir: Annotated[Path | None, typer.Option("--build-dir", metavar="DIR",
                                                   help="Where the print PDF is (and is built).",
                                                   show_default="BOOK_DIR/build")] = None,
    dpi: Annotated[float, typer.Option(metavar="DPI", parser=_number("give a resolution", 10, 600),
                                       help="Resolution of the page PNGs.")] = 60,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Lay the PDF out again even if it is up to date.")]
    = False,
    as_json: AsJson = False,
) -> None:
    """Render pages of the print PDF to PNG, with a contact sheet of spreads.

    The PDF is the one `jebon build` made, with the settings it was built with (a `--profile kdp`
    build is proofed as such); it is built first when missing or older than the sources."""
    from .proof import proof as run_proof

    with _progress(as_json) as progress:
        try:
            report = run_proof(book_dir, pages, volumes=volume, out_dir=out_dir, build_dir=build_dir, dpi=dpi,
                               rebuild=rebuild, progress=progress)
        except JebonError as exc:
            progress.stop()
            raise _fail(exc, as_json) from None
    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    for interior in report.interiors:
        _interior_line(interior)
    for number, sheet in report.sheets:
        count = sum(1 for p in report.pages if p.volume == number)
        out.print(f"{plural(count, 'page PNG')} and the contact sheet {_shown_path(sheet)}")


@app.command(cls=helptext.Command, epilog="""Examples:
  jebon cover books/golmok --profile kdp --paper cream
  jebon cover books/golmok --profile lulu --pages 212     spine from a page count, no interior built
  jebon cover books/golmok --profile ingramspark --spine 11.2mm

The interior is the one in BOOK_DIR/build when it was built for the same service; otherwise the
cover's own interior is built beside it (BOOK_DIR/build/<name>-<service>.pdf) and yours is left
as it is.""")
def cover(
    book_dir: BookDir,
    profile: Annotated[str, typer.Option(metavar="SERVICE", parser=_choice("kdp", "lulu", "ingramspark", "bookk"),
                                         help="Print service: kdp, lulu, ingramspark or bookk.",
                                         show_default="required")],
    paper: Annotated[str, typer.Option(metavar="PAPER", help="Interior paper: white or cream (kdp also: color).")]
    = "white",
    volume: Annotated[list[int] | None, typer.Option(
        "--volume", "-v", metavar="N", parser=_count("--volume", "give a volume number"),
        help="Only this volume (repeatable).", show_default="every volume")] = None,
    pages: Annotated[int | None, typer.Option(metavar="N", parser=_count("--pages", "give the interior's page count"),
                                              help="Interior page count.", show_default="from the interior PDF")]
    = None,
    spine: Annotated[str | None, typer.Option(metavar="LENGTH",
                                              help="Spine width from the service's own template, e.g. 11.2mm.",
                                              show_default="computed from pages and paper")] = None,
    out_dir: OutDir = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Lay the interior out again even if it is up to date.")]
    = False,
    as_json: AsJson = False,
) -> None:
    """Make the full-wrap print cover (back, spine, front, bleed) sized from the interior's page count."""
    from .printcover import make_covers

    with _progress(as_json) as progress:
        try:
            report = make_covers(book_dir, profile, paper=paper, volumes=volume, pages=pages, spine=spine,
                                 out_dir=out_dir, rebuild=rebuild, progress=progress)
        except JebonError as exc:
            progress.stop()
            raise _fail(exc, as_json) from None
    if as_json:
        print(json.dumps({"ok": True, **report.as_dict()}, ensure_ascii=False, indent=2))
        return
    _print_warnings(report.warnings, verbose=False)
    for output in report.outputs:
        if output.interior is not None:
            _interior_line(output.interior)
        g = output.geometry
        source = plural(g.pages, "page") + (" (--pages)" if output.interior is None else "")
        out.print(f"{_shown_path(output.path)}: {g.width:.2f} × {g.height:.2f} mm ({g.width / 25.4:.3f} × "
                  f"{g.height / 25.4:.3f} in), spine {g.spine:.2f} mm on {g.profile} {g.paper} paper for {source},"
                  f" {'title on the spine' if g.spine_text else 'spine too narrow for text'}", soft_wrap=True)


# -- jebon help TOPIC ----------------------------------------------------------------------------------
TOPICS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # topic: (file, its sections to show (all when empty), what it covers)
    "commands": ("commands.md", (), "every command, what it prints, --json, exit codes"),
    "book": ("README.md", ("## Input format", "## Bad input"), "book.toml's keys, the articles, bad input"),
    "series": ("README.md", ("### A series in volumes",), "a magazine in volumes: cutting, titles, numbers"),
    "printing": ("printing.md", (), "trim sizes, bleed, profiles, preflight, proofs and covers"),
    "typography": ("typography.md", (), "Korean line breaking, punctuation, emphasis marks, ruby"),
    "import": ("import.md", (), "bringing Brunch articles in"),
    "preview": ("preview.md", (), "the live preview and build --watch"),
    "ci": ("ci.md", (), "building the books in CI, and jebon's own CI"),
    "performance": ("performance.md", (), "the build cache, parallel work and where the time goes"),
}


def _guide(name: str) -> Path:
    """A guide's file: in the wheel, `jebon/_data/docs/` holds docs/ and README.md; in a checkout they are
    `docs/` and the README beside it."""
    from .resources import data_dir

    docs = data_dir("docs")
    return docs / name if (docs / name).is_file() or name != "README.md" else docs.parent / name


def _sections(text: str, headings: tuple[str, ...]) -> str:
    """The parts of a Markdown text under `headings`, each to the next heading of its level or above."""
    if not headings:
        return text
    lines = text.splitlines()
    parts = []
    for heading in headings:
        level = len(heading) - len(heading.lstrip("#"))
        start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
        if start is None:
            continue
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")
                    and len(lines[i]) - len(lines[i].lstrip("#")) <= level), len(lines))
        parts.append("\n".join(lines[start:end]).strip())
    return "\n\n".join(parts) + "\n"


@app.command("help", cls=helptext.Command, epilog="""Examples:
  jebon help                 the guides
  jebon help printing        one of them, in the terminal
  jebon help printing --path where it is, to open it elsewhere""")
def help_topic(
    topic: Annotated[str | None, typer.Argument(metavar="TOPIC", help="One of the guides `jebon help` lists.",
                                                show_default=False)] = None,
    path: Annotated[bool, typer.Option("--path", help="Print only where the guide's file is.")] = False,
) -> None:
    """Show a guide: `jebon help` lists them, `jebon help printing` shows one."""
    if topic is None:
        out.print("Guides (jebon help TOPIC):")
        for name, (_, _, about) in TOPICS.items():
            out.print(f"  {name:<12} {about}")
        out.print("\nFor a command's options: jebon COMMAND --help")
        return
    if topic not in TOPICS:
        raise helptext.bad(f"{topic!r} is not a guide; choose {', '.join(TOPICS)}")
    name, headings, _ = TOPICS[topic]
    page = _guide(name)
    if path:
        print(page)
        return
    text = _sections(page.read_text("utf-8"), headings)
    if sys.stdout.isatty():
        from rich.markdown import Markdown

        with out.console.pager(styles=True):
            out.print(Markdown(text))
            out.print(f"\n(from {page})")
    else:
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))


import_app = typer.Typer(cls=helptext.Group, no_args_is_help=True, rich_markup_mode=None,
                         help="Import articles written elsewhere into a book folder.")
app.add_typer(import_app, name="import")


@import_app.command("brunch", cls=helptext.Command, epilog="""Examples:
  jebon import brunch ~/Downloads/brunch --into books/my-magazine
  jebon import brunch 'Title.html' copied.txt --into books/my-magazine --force

More: jebon help import""")
def import_brunch(
    saved: Annotated[list[Path], typer.Argument(
        metavar="SAVED",
        help="Saved Brunch pages: Title.html (with Title_files/ beside it) or copied text (.txt); "
             "a saved magazine or brunchbook page, or a .txt of article addresses, gives the order; "
             "a folder stands for the pages in it.", show_default=False)],
    into: Annotated[Path, typer.Option("--into", metavar="BOOK_DIR", help="The book folder (created if missing).",
                                       show_default="required")],
    force: Annotated[bool, typer.Option("--force", help="Write over articles the book already has.")] = False,
    title: Annotated[str | None, typer.Option(
        metavar="TITLE", help="Title for a new book.toml.",
        show_default="the first article's magazine, else its author")] = None,
    date_from_mtime: Annotated[bool, typer.Option(
        "--date-from-mtime", help="Date pages that show none by their file's modification time.")] = False,
    lines: Annotated[bool, typer.Option(
        "--lines", help="Keep every line, blank ones too (poems): blank lines stay empty lines.")] = False,
    h4: Annotated[str, typer.Option(
        "--h4", help="h4/h5 body lines: auto (text unless they look like headings), heading or text.",
        metavar="auto|heading|text")] = "auto",
    as_json: AsJson = False,
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

    _print_warnings(report.warnings, verbose=False)
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
              f"{report.count('skipped')} skipped · {plural(len(report.warnings), 'warning')}")
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
