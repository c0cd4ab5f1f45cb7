"""Korean justification measured three ways: jebon's PDF, plain WeasyPrint on jebon's print HTML
(jebon's Korean pass off) and Chromium's print, each read by `jebon.spacing` (scripts/check_spacing.py).

Usage: python benchmarks/typography.py [BOOK...] [--no-chromium] [--json]

BOOK defaults to books/golmok, plus every book folder in /work/realbooks and ../shared/corpus when
they exist (text nobody on the project wrote). Chromium gets jebon's print HTML with the same fonts,
trim, margins and body size, and `word-break: keep-all; text-align: justify` (it has no chapter
openers on rectos and no running heads; images are left out). jebon's build time is one
`jebon build --format pdf --no-cache` run: wall clock, and CPU of the process and its workers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jebon.api import load_book
from jebon.errors import Diagnostics
from jebon.printing import resolve
from jebon.render import render_volume
from jebon.spacing import Report, measure
from jebon.writers.pdf import BASE, PdfBuilder

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--allow-file-access-from-files", "--no-pdf-header-footer"]


def books(given: list[Path]) -> list[Path]:
    if given:
        return given
    found = [ROOT / "books" / "golmok"]
    for place in (Path("/work/realbooks"), ROOT.parent / "shared" / "corpus"):
        if place.is_dir():
            found += sorted(p for p in place.iterdir() if (p / "book.toml").exists())
    return found


def jebon_pdf(book: Path, out: Path) -> tuple[Path, float, float]:
    """Build with the CLI; (PDF, wall seconds, CPU seconds of the build and its workers)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "jebon", "build", str(book), "--format", "pdf", "-o", str(out),
                    "--no-cache"], check=True, env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return next(out.glob("*.pdf")), wall, cpu


def builder(book: Path, typography: bool) -> PdfBuilder:
    diag = Diagnostics()
    loaded = load_book(book, diag)
    rendered = render_volume(loaded, loaded.volumes[0], diag)
    options = resolve(loaded.config.pdf, loaded.config.epub.toc_depth)
    return PdfBuilder(loaded.config, rendered, options, typography=typography)


def plain_weasyprint(book: Path, out: Path) -> Path:
    """jebon's print HTML and CSS laid out by WeasyPrint with jebon's Korean pass off."""
    result = builder(book, typography=False).build()
    path = out / "weasyprint.pdf"
    path.write_bytes(result.data)
    return path


def chromium_pdf(book: Path, out: Path, chromium: str) -> Path:
    made = builder(book, typography=False)
    css = made.css_text().replace('url("fonts/', f'url("{(ROOT / "fonts").as_uri()}/')
    css += ("\nhtml, body, p { word-break: keep-all; line-break: strict; text-align: justify; }"
            "\nh1, h2, h3, h4, h5, h6, blockquote, figcaption, td, th, li, pre { text-align: left; }\n")
    html = made.html().replace(f'src="{BASE}', 'data-src="')  # no images: Chromium cannot reach jebon's fetcher
    page = out / "chromium.html"
    page.write_text(html.replace("</head>", f"<style>{css}</style></head>", 1), encoding="utf-8")
    path = out / "chromium.pdf"
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--print-to-pdf={path}", page.as_uri()], check=True,
                   capture_output=True, timeout=300)
    return path


def row(name: str, report: Report, extra: str = "") -> str:
    def num(value: float | None) -> str:
        return "     –" if value is None else f"{value:6.2f}"

    share = "     –" if report.over_1_5 is None else f"{report.over_1_5:6.1%}"
    worst = report.worst.ratio if report.worst else None
    mid = "–" if report.mid_word is None else str(len(report.mid_word))
    return (f"{name:<11} {report.pages:5d} {report.lines:6d} {num(report.ratio_median)} {num(report.ratio_p95)} "
            f"{num(report.ratio_max)} {share} {num(worst)} {len(report.early):5d} {len(report.runts):5d} {mid:>5}"
            f"  {extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("books", nargs="*", type=Path)
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--json", action="store_true", help="print every report as JSON")
    args = parser.parse_args(argv)
    chromium = None if args.no_chromium else shutil.which("chromium") or shutil.which("chromium-browser")
    everything: dict[str, Any] = {}
    for book in books(args.books):
        with tempfile.TemporaryDirectory(prefix="jebon-typo-") as temp:
            out = Path(temp)
            pdf, wall, cpu = jebon_pdf(book, out / "jebon")
            reports = {"jebon": measure(pdf, [book]),
                       "weasyprint": measure(plain_weasyprint(book, out), [book])}
            if chromium:
                reports["chromium"] = measure(chromium_pdf(book, out, chromium), [book])
        everything[str(book)] = {"build_wall_s": round(wall, 2), "build_cpu_s": round(cpu, 2),
                                 **{name: r.as_dict() for name, r in reports.items()}}
        if args.json:
            continue
        first = reports["jebon"]
        print(f"\n{book}  (body {first.body_font} {first.body_size:g}pt, measure {first.measure_pt:g}pt, "
              f"paragraphs from sources; word-gap ratio = mean gap / natural space)")
        print(f"{'PDF':<11} {'pages':>5} {'lines':>6} {'median':>6} {'p95':>6} {'max':>6} {'>1.5':>6} {'worst2':>6} "
              f"{'early':>5} {'runts':>5} {'mid':>5}")
        for name, report in reports.items():
            extra = f"build {wall:.2f} s wall, {cpu:.2f} s CPU" if name == "jebon" else ""
            if not report.lines:
                extra += "no body lines found (Chromium embeds the CFF faces as Type 3 fonts, one per glyph:"
                extra += " no font name to find the body face by)"
            if report.unmatched:
                extra += f" ({report.unmatched} lines unmatched)"
            print(row(name, report, extra))
    if args.json:
        print(json.dumps(everything, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
