#!/usr/bin/env python3
"""Build every book under a folder for CI: EPUB + print PDF, proofs and (optionally) a print cover.

For each `FOLDER/*/book.toml` (or FOLDER itself when it holds book.toml) this runs, through the
`jebon` command line and its `--json` reports:

    jebon build BOOK --format all --json [--out OUT/<slug>] [--strict] [--no-cache] [--jobs N]
    jebon proof BOOK --json [--build-dir OUT/<slug>] [--pages P]             (unless --no-proof)
    jebon cover BOOK --profile P --json --out <build dir>/cover-P             (with --cover P)

then writes `artifacts.txt` (every file written, one path per line), `release.txt` (only the EPUBs and
PDFs of `jebon build`, the files to attach to a release) and `summary.md` (a Markdown table: book,
volume, format, size, pages, then any warnings and errors), e.g. for `$GITHUB_STEP_SUMMARY`. A book
that fails contributes no file to either list.
Every book is tried; the exit status is 1 when any of them failed, 2 when there is no book to build.

The cover gets its own folder because `jebon cover --profile P` lays the interior out again for P when
the built PDF was made with other print settings, and would otherwise replace the PDF just built.

    python scripts/ci_build_all.py books --out /tmp/books-out --strict
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Output:
    path: str
    format: str
    volume: int
    size: int
    pages: int | None


@dataclass
class BookResult:
    book: Path
    title: str = ""
    ok: bool = True
    seconds: float = 0.0
    outputs: list[Output] = field(default_factory=list)
    proofs: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    covers: list[Output] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reused: int = 0
    """Pieces of work `jebon build` took from its cache (of `pieces`)."""
    pieces: int = 0

    @property
    def files(self) -> list[str]:
        return [o.path for o in self.outputs] + self.proofs + [c.path for c in self.covers]


def find_books(folder: Path) -> list[Path]:
    """The book folders: FOLDER itself when it holds book.toml, else each `FOLDER/*/book.toml`'s folder."""
    if (folder / "book.toml").is_file():
        return [folder]
    return sorted(toml.parent for toml in folder.glob("*/book.toml"))


def jebon_command(given: str | None) -> list[str]:
    """`--jebon` when given, else `jebon` on PATH, else this Python's `-m jebon`."""
    if given:
        return [given]
    found = shutil.which("jebon")
    return [found] if found else [sys.executable, "-m", "jebon"]


def problem_text(problem: dict[str, Any]) -> str:
    """One `{"severity", "path", "line", "message", "hint"}` of a report as `path:line: message (hint)`."""
    where = str(problem.get("path") or "")
    if where and problem.get("line"):
        where += f":{problem['line']}"
    text = f"{where}: {problem.get('message', '')}" if where else str(problem.get("message", ""))
    return text + (f" ({problem['hint']})" if problem.get("hint") else "")


def run_json(command: list[str], result: BookResult, what: str) -> dict[str, Any] | None:
    """Run one jebon command with `--json`; its report when it succeeded, else None with the errors noted.
    stderr (progress, layout-engine chatter) is shown only when the command fails without a report."""
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", check=False)
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = {}
    if done.returncode == 0 and report.get("ok"):
        return report
    result.ok = False
    errors = [problem_text(p) for p in report.get("errors", [])]
    if not errors:  # a usage error from the option parser, a crash: no JSON, only stderr
        lines = (line.strip(" │") for line in done.stderr.splitlines() if not line.lstrip().startswith(("╭", "╰")))
        tail = [line for line in lines if line][-10:]  # Rich's error box, unboxed
        errors = [f"`jebon {what}` exited with {done.returncode}: " + " / ".join(tail)]
    result.errors += [f"{what}: {e}" for e in errors]
    return None


def outputs(entries: list[dict[str, Any]]) -> list[Output]:
    return [Output(str(e["path"]), str(e.get("format", "pdf")), int(e["volume"]), int(e["size"]), e.get("pages"))
            for e in entries]


def build_book(book: Path, jebon: list[str], args: argparse.Namespace) -> BookResult:
    result = BookResult(book)
    started = time.monotonic()
    out = args.out / book.name if args.out is not None else None
    command = [*jebon, "build", str(book), "--format", "all", "--json"]
    command += ["--out", str(out)] if out is not None else []
    command += ["--strict"] if args.strict else []
    command += ["--no-cache"] if args.no_cache else []
    command += ["--jobs", str(args.jobs)] if args.jobs is not None else []
    report = run_json(command, result, "build")
    if report is not None:
        result.title = str(report.get("title", ""))
        result.outputs = outputs(report["outputs"])
        result.warnings += [problem_text(w) for w in report.get("warnings", [])]
        for counts in report.get("cache", {}).values():
            result.reused += int(counts["reused"])
            result.pieces += int(counts["reused"]) + int(counts["rebuilt"])
    if report is not None and not args.no_proof:
        # The same folder as the build: proof reads the PDF just built instead of laying it out again.
        command = [*jebon, "proof", str(book), "--json"]
        command += ["--build-dir", str(out)] if out is not None else []
        command += ["--pages", args.proof_pages] if args.proof_pages else []
        proof = run_json(command, result, "proof")
        if proof is not None:
            result.proofs = [str(f) for f in proof["files"]]
            result.sheets = [str(s["path"]) for s in proof["contact_sheets"]]
    if report is not None and args.cover:
        built = Path(report["outputs"][0]["path"]).parent
        command = [*jebon, "cover", str(book), "--profile", args.cover, "--paper", args.paper, "--json",
                   "--out", str(built / f"cover-{args.cover}")]
        cover = run_json(command, result, "cover")
        if cover is not None:
            result.covers = outputs(cover["outputs"])
            # The interior the cover was sized for is the PDF to send with it.
            result.covers += [Output(str(o["interior"]["path"]), "pdf", int(o["volume"]),
                                     Path(o["interior"]["path"]).stat().st_size, int(o["interior"]["pages"]))
                              for o in cover["outputs"] if o.get("interior")]
            result.warnings += [problem_text(w) for w in cover.get("warnings", [])]
    if args.strict and result.warnings and result.ok:
        # `jebon build --strict` stops on warnings from the sources; this also catches the PDF preflight's.
        result.ok = False
        result.errors.append(f"{len(result.warnings)} warning(s) with --strict")
    result.seconds = time.monotonic() - started
    return result


def human(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.1f} MB"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary(results: list[BookResult]) -> str:
    failed = [r for r in results if not r.ok]
    lines = [f"## jebon: {len(results)} book{'s' * (len(results) != 1)}, "
             + (f"{len(failed)} failed" if failed else "all built"), "",
             "| book | volume | format | size | pages |", "| --- | ---: | --- | ---: | ---: |"]
    for r in results:
        name = cell(f"{r.title} (`{r.book}`)" if r.title else f"`{r.book}`")
        if not r.outputs:
            lines.append(f"| {name} | | **failed** | | |")
        for o in r.outputs + [c for c in r.covers if c.path.endswith("-cover.pdf")]:
            kind = "cover" if o.path.endswith("-cover.pdf") else o.format
            lines.append(f"| {name} | {o.volume} | {kind} | {human(o.size)} | {o.pages or ''} |")
    lines.append("")
    for r in results:
        status = "ok" if r.ok else "**failed**"
        proofs = f", {len(r.proofs) - len(r.sheets)} proof pages + {len(r.sheets)} contact sheet(s)" if r.proofs else ""
        cache = f", cache reused {r.reused} of {r.pieces} pieces" if r.pieces else ""
        lines.append(f"- `{r.book}`: {status} in {r.seconds:.1f} s, {len(r.warnings)} warning(s){proofs}{cache}")
        lines += [f"  - error: {cell(e)}" for e in r.errors]
        lines += [f"  - warning: {cell(w)}" for w in r.warnings[:20]]
        if len(r.warnings) > 20:
            lines.append(f"  - … and {len(r.warnings) - 20} more warnings")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folder", type=Path, help="A folder of books (each with book.toml), or one book folder.")
    parser.add_argument("--out", type=Path, help="Write each book into OUT/<folder name> [default: BOOK/build].")
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts.txt"), help="List of files written.")
    parser.add_argument("--release", type=Path, default=Path("release.txt"),
                        help="List of the EPUBs and PDFs of jebon build (not proofs or covers).")
    parser.add_argument("--summary", type=Path, default=Path("summary.md"), help="Markdown summary.")
    parser.add_argument("--strict", action="store_true", help="Fail a book on any warning.")
    parser.add_argument("--no-cache", action="store_true", help="Pass --no-cache to jebon build.")
    parser.add_argument("--jobs", type=int, help="Pass --jobs N to jebon build.")
    parser.add_argument("--no-proof", action="store_true", help="Skip the proof PNGs and contact sheets.")
    parser.add_argument("--proof-pages", help="Pages to proof, e.g. 1-16 [default: all].")
    parser.add_argument("--cover", metavar="PROFILE", help="Also make the print cover for kdp, lulu, ingramspark "
                                                           "or bookk (in BUILD_DIR/cover-PROFILE).")
    parser.add_argument("--paper", default="white", help="Interior paper for --cover [default: white].")
    parser.add_argument("--jebon", help="The jebon executable [default: jebon on PATH, else python -m jebon].")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    books = find_books(args.folder)
    if not books:
        print(f"error: no book.toml in {args.folder} or its subfolders", file=sys.stderr)
        return 2
    jebon = jebon_command(args.jebon)
    results: list[BookResult] = []
    try:
        for book in books:
            print(f"building {book} …", flush=True)
            result = build_book(book, jebon, args)
            results.append(result)
            status = f"ok: {len(result.files)} files" if result.ok else "FAILED (its files are not listed)"
            print(f"  {status}, {len(result.warnings)} warnings, cache reused {result.reused} of {result.pieces} "
                  f"pieces, {result.seconds:.1f} s", flush=True)
            for error in result.errors:
                print(f"  error: {error}", flush=True)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    files = [f for r in results if r.ok for f in r.files]
    args.artifacts.write_text("".join(f"{f}\n" for f in files), encoding="utf-8")
    released = [o.path for r in results if r.ok for o in r.outputs]
    args.release.write_text("".join(f"{f}\n" for f in released), encoding="utf-8")
    args.summary.write_text(summary(results), encoding="utf-8")
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} of {len(results)} books built; {len(files)} files listed in "
          f"{args.artifacts}, {len(released)} in {args.release}, summary in {args.summary}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
