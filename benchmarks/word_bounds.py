"""How good word mode can be at all: for every paragraph jebon's total-fit planner sets, the least
possible worst line (the loosest word gaps any choice of word-boundary breaks must leave), next to
what the planner chose. A paragraph whose bound is above a limit has a line above it in every
word-mode setting, so such bounds prove where a target cannot be met without splitting words.

Usage: python benchmarks/word_bounds.py [BOOK...] [--limit 2.5] [--p95 1.6]

BOOK defaults to books/golmok and every book folder in /work/realbooks. Ratios are word gaps ÷ the
natural space, as `jebon.typography.justify.gap_ratio` computes them (what scripts/check_spacing.py
measures in the PDF); only breaks at spaces, brackets and separators of Latin tokens are allowed
(word mode), the planner's measure, fonts and adjustment limits are its own.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jebon.api import load_book
from jebon.errors import Diagnostics
from jebon.printing import resolve
from jebon.render import render_volume
from jebon.typography import justify
from jebon.typography.justify import Break, Line, Paragraph, gap_ratio
from jebon.writers import justified
from jebon.writers.pdf import PdfBuilder

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Bound:
    least: float
    """The least possible worst line of the paragraph (any line with a word gap)."""
    chosen: float
    """The worst line of the planner's choice, measured the same way."""
    lines: int
    gapped: int
    """Of the planner's lines, those the p95 counts (justified, with a word gap: not the last)."""


def _line_ratio(paragraph: Paragraph, line: Line) -> float:
    """The line's word-gap ratio; a line without gaps cannot stretch its spaces: it counts as 0 when
    letter spacing within the limits fills it, else it would end early (infinite)."""
    value = gap_ratio(paragraph, line)
    if value is not None:
        return value
    return 0.0 if paragraph.ratio(line) <= 1 else math.inf


def least_worst(paragraph: Paragraph, breaks: Sequence[Break], measure: float, first: float) -> float:
    """Minimax over word-mode break sequences (dynamic programming over the candidate breaks): no
    choice of breaks at spaces, brackets and separators sets every line of the paragraph looser
    than this."""
    points = sorted((b for b in breaks if 0 < b.end < paragraph.length and not b.splits_word),
                    key=lambda b: b.end)
    nodes: list[tuple[Break | None, float]] = [(None, 0.0)]
    for brk in [*points, Break(paragraph.length, paragraph.length, forced=True)]:
        last = brk.end == paragraph.length
        best = math.inf
        for node, value in nodes:
            start = node.start if node else 0
            if start >= brk.end or not math.isfinite(value):
                continue
            line = paragraph.line(start, brk.end, first if node is None else measure, last=last)
            if last:
                if line.excess >= -0.01:
                    best = min(best, value)
                continue
            if paragraph.ratio(line) < -1:
                continue  # overfull
            best = min(best, max(value, _line_ratio(paragraph, line)))
        if brk.forced and not last:
            nodes = [(brk, best)]
        else:
            nodes.append((brk, best))
        if last:
            return best
    return math.inf


def measure_book(book: Path) -> list[Bound]:
    found: list[Bound] = []
    original = justified.total_fit

    def watched(paragraph: Paragraph, breaks: Sequence[Break], measure: float, first: float,
                is_runt: Callable[[int, int], bool]) -> list[Line] | None:
        lines = original(paragraph, breaks, measure, first, is_runt)
        if lines is not None:
            chosen = max((_line_ratio(paragraph, line) for line in lines[:-1]), default=0.0)
            found.append(Bound(least_worst(paragraph, breaks, measure, first), chosen, len(lines),
                               sum(1 for line in lines[:-1] if line.gaps)))
        return lines

    justified.total_fit = watched
    try:
        diag = Diagnostics()
        loaded = load_book(book, diag)
        for volume in loaded.volumes:
            rendered = render_volume(loaded, volume, diag)
            builder = PdfBuilder(loaded.config, rendered, resolve(loaded.config.pdf, loaded.config.epub.toc_depth))
            for chapter in rendered.chapters:
                builder.chapter(chapter)
    finally:
        justified.total_fit = original
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("books", type=Path, nargs="*")
    parser.add_argument("--limit", type=float, default=2.5, help="worst-line target")
    parser.add_argument("--p95", type=float, default=1.6, help="p95 target")
    args = parser.parse_args(argv)
    books = args.books or [ROOT / "books" / "golmok",
                           *sorted(p for p in Path("/work/realbooks").glob("*") if (p / "book.toml").exists())]
    print(f"{'book':<12} {'paragraphs':>10} {'lines':>6} {'bound > limit':>13} {'least worst':>11} "
          f"{'chosen worst':>12} {'justified lines > p95 target, at least':>38}")
    for book in books:
        bounds = [b for b in measure_book(book) if math.isfinite(b.least)]
        lines = sum(b.lines for b in bounds)
        gapped = sum(b.gapped for b in bounds)
        over = sum(1 for b in bounds if b.least > args.limit)
        must = sum(1 for b in bounds if b.least > args.p95)  # each has at least one such line
        print(f"{book.name:<12} {len(bounds):>10} {lines:>6} {over:>13} "
              f"{max((b.least for b in bounds), default=0):>11.2f} {max((b.chosen for b in bounds), default=0):>12.2f} "
              f"{must:>20} of {gapped:>5} ({must / max(gapped, 1):.1%})")
    print(f"(limits: worst {args.limit}, p95 {args.p95}; STRETCH {justify.STRETCH}, letter spacing "
          f"{justify.LETTER_STRETCH_EM} em + {justify.LETTER_STRETCH_MORE_EM} em)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
