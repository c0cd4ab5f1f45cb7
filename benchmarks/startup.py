"""Where the wall time of an EPUB rebuild from the command line goes: starting Python, the Typer
command line itself, importing jebon and its libraries, and the rebuild's own work.

Usage: python benchmarks/startup.py [--size 300] [--repeat 7] [--keep DIR] [--seed S]

It builds the generated magazine once with the cache (as `run.py`'s "first build with cache"), then
measures, each `--repeat` times and each as its own process unless said otherwise:

- `python -c pass`: the interpreter alone;
- a Typer app with one command and as many options as `jebon build`, doing nothing: what any
  Typer 0.2x command line costs before its command runs (Typer converts every option through a
  pydantic TypeAdapter, so pydantic is imported and set up on every run);
- `import jebon.cli`: jebon's modules and the libraries a build needs (lxml, Python-Markdown,
  ebooklib; rich, PyYAML, HarfBuzz and Pillow are imported only when used);
- `jebon build BOOK --format epub --json` after appending a sentence to the middle article;
- the same rebuild inside one running process (`jebon.build`), as `build --watch`, `preview` and
  the Python API do it: no start-up at all.

The fastest and the median run are printed; jebon's modules are byte-compiled first, as in `run.py`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from run import book_for, byte_compile_jebon, edit_one_article

TYPER_APP = '''
import typer
from pathlib import Path
from typing import Annotated
app = typer.Typer()
def build(book: Path, {options}) -> None:
    pass
def other() -> None:
    pass
app.command()(build)
app.command()(other)
app()
'''


def typer_app(options: int) -> str:
    """A do-nothing Typer app whose one command has `options` options of the kinds jebon's has."""
    kinds = ["bool = False", 'str = "x"', "Annotated[Path | None, typer.Option()] = None",
             "Annotated[int | None, typer.Option()] = None", "Annotated[list[int] | None, typer.Option()] = None"]
    return TYPER_APP.format(options=", ".join(f"o{i}: {kinds[i % len(kinds)]}" for i in range(options)))


def build_options() -> int:
    """How many parameters `jebon build` has, besides the book folder."""
    code = ("import typer.main, jebon.cli; "
            "print(len(typer.main.get_command(jebon.cli.app).commands['build'].params) - 1)")
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def timed(repeat: int, run: Callable[[], object], before: Callable[[], object] = lambda: None) -> list[float]:
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def in_process(book: Path, out: Path, repeat: int) -> list[float]:
    """Rebuilds inside one process (the first, which still imports what a rebuild loads lazily, is dropped)."""
    code = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
from pathlib import Path
from run import edit_one_article
from jebon import build
for _ in range({repeat + 1}):
    edit_one_article(Path({str(book)!r}))
    start = time.perf_counter()
    build({str(book)!r}, ("epub",), {str(out)!r})
    print(time.perf_counter() - start)
"""
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return [float(x) for x in lines[1:]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated book in this folder")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    where = args.keep or Path(tempfile.mkdtemp(prefix="jebon-startup-"))
    where.mkdir(parents=True, exist_ok=True)
    compiled = byte_compile_jebon()
    source = book_for(args.size, args.seed, where)
    book, out = where / "startup-book", where / "startup-out"
    for path in (book, out):
        shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(source, book)
    jebon = [sys.executable, "-m", "jebon", "build", str(book), "--format", "epub", "--out", str(out), "--json"]
    subprocess.run(jebon, capture_output=True, check=True)  # the first build with the cache
    subprocess.run(jebon, capture_output=True, check=True)  # and the entries a first rebuild adds
    options = build_options()

    def run(command: list[str]) -> Callable[[], object]:
        return lambda: subprocess.run(command, capture_output=True, check=True)

    rows = [
        ("python -c pass", timed(args.repeat, run([sys.executable, "-c", "pass"]))),
        (f"Typer app, 1 command with {options} options, doing nothing",
         timed(args.repeat, run([sys.executable, "-c", typer_app(options), "build", "x"]))),
        ("python -c 'import jebon.cli'", timed(args.repeat, run([sys.executable, "-c", "import jebon.cli"]))),
        ("jebon build --format epub, after one edit",
         timed(args.repeat, run(jebon), lambda: edit_one_article(book))),
        ("the same rebuild inside a running process", in_process(book, out, args.repeat)),
    ]
    print(f"{args.size} articles ({book}); jebon byte-compiled in {compiled}; {args.repeat} runs each")
    print(f"  {'':58} {'fastest':>8} {'median':>8}")
    for label, times in rows:
        print(f"  {label:58} {min(times):7.3f}s {statistics.median(times):7.3f}s")
    if args.keep is None:
        shutil.rmtree(where, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
