"""Korean justification measured three ways: jebon's PDF, plain WeasyPrint on jebon's print HTML
(jebon's Korean pass off) and Chromium's print, each read by `jebon.spacing` (scripts/check_spacing.py).

Usage: python benchmarks/typography.py [BOOK...] [--no-chromium] [--json] [--fit-time N] [--fit-instructions]

BOOK defaults to books/golmok, plus every book folder in /work/realbooks and ../shared/corpus when
they exist (text nobody on the project wrote). Chromium gets jebon's print HTML with the same fonts,
trim, margins and body size (as TrueType copies: `truetype_copy`), and `word-break: keep-all;
text-align: justify` (it has no chapter openers on rectos and no running heads; images are left
out). jebon's build time is one `jebon build --format pdf --no-cache` run: wall clock, and CPU of
the process and its workers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
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
from jebon.writers.pdf import BASE, PdfBuilder, release_layouts

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


def builder(book: Path, typography: bool, total_fit: bool = True) -> PdfBuilder:
    diag = Diagnostics()
    loaded = load_book(book, diag)
    rendered = render_volume(loaded, loaded.volumes[0], diag)
    options = resolve(loaded.config.pdf, loaded.config.epub.toc_depth)
    return PdfBuilder(loaded.config, rendered, options, typography=typography, total_fit=total_fit)


def fit_times(book: Path, repeat: int) -> tuple[float, float, float]:
    """What the total-fit planner costs: process time of `PdfBuilder.build` (one process, no
    workers) with the planner off (first fit, as before it) and on, one right after the other,
    `repeat` pairs. Returns the least time of each and the median of the pairs' ratios: the machine
    is shared and its speed drifts by ±15 % from one minute to the next, which a pair run
    back to back mostly shares."""
    best = {False: float("inf"), True: float("inf")}
    ratios: list[float] = []
    for _ in range(repeat):
        pair: dict[bool, float] = {}
        for total_fit in (False, True):
            made = builder(book, typography=True, total_fit=total_fit)
            start = time.process_time()
            made.build()
            pair[total_fit] = time.process_time() - start
            best[total_fit] = min(best[total_fit], pair[total_fit])
            del made
            release_layouts()  # each build starts as a command's would: no layouts or planners kept
        ratios.append(pair[True] / pair[False])
    return best[False], best[True], statistics.median(ratios)


_BUILD_ONLY = """
import os, sys
from pathlib import Path
from jebon.api import load_book
from jebon.errors import Diagnostics
from jebon.printing import resolve
from jebon.render import render_volume
from jebon.writers.pdf import PdfBuilder
book, mode = Path(sys.argv[1]), sys.argv[2]
loaded = load_book(book, Diagnostics())
rendered = render_volume(loaded, loaded.volumes[0], Diagnostics())
made = PdfBuilder(loaded.config, rendered, resolve(loaded.config.pdf, loaded.config.epub.toc_depth),
                  total_fit=mode == "total")
if mode != "none":
    made.build()
os._exit(0)
"""


def fit_instructions(book: Path) -> tuple[int, int]:
    """The same comparison as `fit_times`, in CPU instructions, which do not drift with the
    machine: valgrind (callgrind) counts a process that loads and renders the book and builds the
    PDF with the planner off, one with it on, and one that does not build, which is subtracted.
    Slow (valgrind runs Python about 30 times slower): minutes per book."""
    from concurrent.futures import ThreadPoolExecutor

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}

    def count(mode: str) -> int:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                               "-c", _BUILD_ONLY, str(book), mode], capture_output=True, text=True, env=env,
                              check=True)
        found = re.search(r"refs:\s+([\d,]+)", done.stderr)
        if found is None:
            raise RuntimeError(f"valgrind printed no count: {done.stderr[-500:]}")
        return int(found.group(1).replace(",", ""))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        none, first, total = pool.map(count, ("none", "first", "total"))
    return first - none, total - none


def plain_weasyprint(book: Path, out: Path) -> Path:
    """jebon's print HTML and CSS laid out by WeasyPrint with jebon's Korean pass off."""
    result = builder(book, typography=False).build()
    path = out / "weasyprint.pdf"
    path.write_bytes(result.data)
    return path


def truetype_copy(source: Path, text: str, target: Path) -> Path:
    """`source` cut to the characters of `text` (its layout features kept: the Korean space) and,
    when its outlines are CFF, converted to TrueType outlines (fontTools' cu2qu), with the same
    names and advances. Chromium's PDF writer (Skia) embeds CFF fonts as nameless Type 3 fonts,
    in which no checker can tell the body face; TrueType it embeds as itself."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(source)
    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline = ["*"], ["*"], True
    cutter = subset.Subsetter(options)
    cutter.populate(text=text)
    cutter.subset(font)
    if "CFF " in font:
        order = font.getGlyphOrder()
        outlines = font.getGlyphSet()
        glyphs = {}
        for name in order:
            pen = TTGlyphPen(outlines)
            outlines[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyphs[name] = pen.glyph()
        font["loca"] = newTable("loca")
        font["glyf"] = glyf = newTable("glyf")
        glyf.glyphOrder, glyf.glyphs = order, glyphs
        del font["CFF "]
        if "VORG" in font:
            del font["VORG"]
        glyf.compile(font)
        metrics = font["hmtx"].metrics
        for name, glyph in glyphs.items():
            metrics[name] = (metrics[name][0], getattr(glyph, "xMin", 0))
        font["maxp"] = maxp = newTable("maxp")
        maxp.tableVersion, maxp.maxZones = 0x00010000, 1
        for key in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                    "maxSizeOfInstructions", "maxComponentElements"):
            setattr(maxp, key, 0)
        font["post"].formatType = 3.0
        font.sfntVersion = "\0\1\0\0"
    font.save(target)
    return target


def chromium_pdf(book: Path, out: Path, chromium: str) -> Path:
    made = builder(book, typography=False)
    html = made.html()
    faces = out / "chromium-fonts"
    faces.mkdir(exist_ok=True)

    def copy(match: re.Match[str]) -> str:
        name = match.group(1)
        target = faces / (Path(name).stem + ".ttf")
        if not target.exists():
            truetype_copy(ROOT / "fonts" / name, html, target)
        return f'url("{target.as_uri()}")'

    css = re.sub(r'url\("fonts/([^"]+)"\)', copy, made.css_text())
    css += ("\nhtml, body, p { word-break: keep-all; line-break: strict; text-align: justify; }"
            "\nh1, h2, h3, h4, h5, h6, blockquote, figcaption, td, th, li, pre { text-align: left; }"
            "\nhtml, body { overflow: hidden; }\n")
    html = html.replace(f'src="{BASE}', 'data-src="')  # no images: Chromium cannot reach jebon's fetcher
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
    parser.add_argument("--fit-time", type=int, default=0, metavar="N",
                        help="also time the PDF build with the planner off and on, N pairs")
    parser.add_argument("--fit-instructions", action="store_true",
                        help="also count the CPU instructions of the build with the planner off and on (valgrind)")
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
                extra += "no body lines found"
            if report.unmatched:
                extra += f" ({report.unmatched} lines unmatched)"
            print(row(name, report, extra))
        if args.fit_time:
            first, total, ratio = fit_times(book, args.fit_time)
            everything[str(book)] |= {"first_fit_s": round(first, 2), "total_fit_s": round(total, 2),
                                      "total_fit_ratio": round(ratio, 3)}
            print(f"PdfBuilder.build, process time, {args.fit_time} pairs: first fit {first:.2f} s, total fit "
                  f"{total:.2f} s (least of each); total ÷ first fit, median of the pairs: {ratio - 1:+.0%}")
        if args.fit_instructions:
            first_i, total_i = fit_instructions(book)
            everything[str(book)] |= {"first_fit_instructions": first_i, "total_fit_instructions": total_i}
            print(f"PdfBuilder.build, CPU instructions (valgrind): first fit {first_i / 1e9:.2f} G, total fit "
                  f"{total_i / 1e9:.2f} G ({total_i / first_i - 1:+.1%})")
    if args.json:
        print(json.dumps(everything, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
