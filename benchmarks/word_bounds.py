"""How good word and balanced mode can be at all, on the paragraphs jebon's total-fit planner sets.

For each paragraph, exactly (dynamic programming over its candidate breaks, with the planner's own
measure, fonts and adjustment limits):
- the least possible worst line: the loosest word gaps that any choice of word-boundary breaks
  must leave, next to what the planner chose. A paragraph whose bound is above a limit has a line
  above it in every word-mode setting;
- the fewest justified lines above the p95 target that any word-mode setting leaves: when they are
  more than 5 % of the lines, no word-mode setting has its p95 at the target;
- with `--frontier T`: the fewest lines above T for each number of words split (the lower convex
  hull, from minimising lines over T + λ · words split for a range of λ: no setting lies below it).
  This tells what balanced mode can reach: a book whose hull has more than 5 % of its lines above
  T where at most 3 % of the lines split a word cannot have both.

Usage: python benchmarks/word_bounds.py [BOOK...] [--limit 2.5] [--p95 1.6] [--frontier 1.35 [--max-split 3]]

BOOK defaults to books/golmok and every book folder in /work/realbooks; the frontier needs a book
set in balanced mode (`line_break = "balanced"`), where the planner has breaks inside words. Ratios
are word gaps ÷ the natural space, as `jebon.typography.justify.gap_ratio` computes them (what
scripts/check_spacing.py measures in the PDF); word mode allows breaks at spaces, brackets and
separators of Latin tokens only.
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
class Edge:
    """A line the paragraph can have: from candidate break `start` to candidate break `end`."""

    start: int
    end: int
    ratio: float
    splits_word: bool
    gapped: bool
    """Justified with a word gap (what the p95 counts)."""


@dataclass
class Bound:
    least: float
    """The least possible worst line of the paragraph (any line with a word gap)."""
    chosen: float
    """The worst line of the planner's choice, measured the same way."""
    lines: int
    gapped: int
    """Of the planner's lines, those the p95 counts (justified, with a word gap: not the last)."""
    nodes: int
    edges: list[Edge]
    chosen_split: int
    chosen_ratios: list[float]
    """The word-gap ratios of the planner's justified lines with a gap."""


def _line_ratio(paragraph: Paragraph, line: Line) -> float:
    """The line's word-gap ratio; a line without gaps cannot stretch its spaces: it counts as 0 when
    letter spacing within the limits fills it, else it would end early (infinite)."""
    value = gap_ratio(paragraph, line)
    if value is not None:
        return value
    return 0.0 if paragraph.ratio(line) <= 1 else math.inf


def least_worst(nodes: int, found: Sequence[Edge]) -> float:
    """Minimax over the word-mode settings (the edges that do not split a word): no choice of
    breaks at spaces, brackets and separators sets every line of the paragraph looser than this."""
    best = [math.inf] * nodes
    best[0] = 0.0
    for edge in sorted(found, key=lambda e: e.end):
        if not edge.splits_word and math.isfinite(best[edge.start]):
            best[edge.end] = min(best[edge.end], max(best[edge.start], edge.ratio))
    return best[nodes - 1]


def edges(paragraph: Paragraph, breaks: Sequence[Break], measure: float, first: float) -> tuple[int, list[Edge]]:
    """Every line the paragraph can be set with (candidate break to candidate break, not overfull,
    not ending early), as the planner would set it; node 0 is the paragraph's start, the last its end."""
    points = sorted((b for b in breaks if 0 < b.end < paragraph.length), key=lambda b: b.end)
    nodes: list[Break | None] = [None, *points, Break(paragraph.length, paragraph.length, forced=True)]
    found: list[Edge] = []
    active = [0]
    for j in range(1, len(nodes)):
        brk = nodes[j]
        assert brk is not None
        last = j == len(nodes) - 1
        keep: list[int] = []
        for i in active:
            node = nodes[i]
            start = node.start if node else 0
            keep.append(i)
            if start >= brk.end:
                continue
            line = paragraph.line(start, brk.end, first if node is None else measure, last=last)
            if last:
                if line.excess >= -0.01:
                    found.append(Edge(i, j, 0.0, False, False))
                continue
            if paragraph.ratio(line) < -1:
                keep.pop()  # overfull, and fuller for every later break
                continue
            ratio = _line_ratio(paragraph, line)
            if math.isfinite(ratio):
                found.append(Edge(i, j, ratio, brk.splits_word, line.gaps > 0))
        active = [j] if brk.forced and not last else [*keep, j]
    return len(nodes), found


def fewest_over(nodes: int, found: Sequence[Edge], limit: float, weight: float | None
                ) -> tuple[int, int, int] | None:
    """The setting of least (lines above `limit`) + `weight` × (words split); `weight` None allows
    no split at all. Returns its lines above the limit, words split and justified lines, or None."""
    best = [math.inf] * nodes
    back: list[Edge | None] = [None] * nodes
    best[0] = 0.0
    for edge in sorted(found, key=lambda e: e.end):  # every edge goes forward
        if edge.splits_word and weight is None:
            continue
        cost = best[edge.start] + (edge.ratio > limit) + (weight or 0.0) * edge.splits_word + 1e-6
        if cost < best[edge.end]:
            best[edge.end], back[edge.end] = cost, edge
    over = split = gapped = 0
    at = nodes - 1
    if back[at] is None:
        return None
    while at:
        step = back[at]
        assert step is not None
        over, split, gapped = over + (step.ratio > limit), split + step.splits_word, gapped + step.gapped
        at = step.start
    return over, split, gapped


def measure_book(book: Path) -> list[Bound]:
    found: list[Bound] = []
    original = justified.total_fit

    def watched(paragraph: Paragraph, breaks: Sequence[Break], measure: float, first: float,
                is_runt: Callable[[int, int], bool]) -> list[Line] | None:
        lines = original(paragraph, breaks, measure, first, is_runt)
        if lines is not None:
            chosen = max((_line_ratio(paragraph, line) for line in lines[:-1]), default=0.0)
            nodes, found_edges = edges(paragraph, breaks, measure, first)
            found.append(Bound(least_worst(nodes, found_edges), chosen, len(lines),
                               sum(1 for line in lines[:-1] if line.gaps), nodes, found_edges,
                               sum(line.splits_word for line in lines),
                               [_line_ratio(paragraph, line) for line in lines[:-1] if line.gaps]))
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
    parser.add_argument("--frontier", type=float, metavar="T",
                        help="also print the fewest lines above T for each share of words split")
    parser.add_argument("--max-split", type=float, default=3.0, metavar="PERCENT",
                        help="the share of lines that may split a word, for the frontier's conclusion")
    args = parser.parse_args(argv)
    books = args.books or [ROOT / "books" / "golmok",
                           *sorted(p for p in Path("/work/realbooks").glob("*") if (p / "book.toml").exists())]
    print(f"{'book':<12} {'paragraphs':>10} {'lines':>6} {'bound > limit':>13} {'least worst':>11} "
          f"{'chosen worst':>12} {'justified lines > p95 target, at least':>38}")
    frontiers: list[str] = []
    for book in books:
        bounds = [b for b in measure_book(book) if math.isfinite(b.least)]
        lines = sum(b.lines for b in bounds)
        gapped = sum(b.gapped for b in bounds)
        over = sum(1 for b in bounds if b.least > args.limit)
        fewest = [fewest_over(b.nodes, b.edges, args.p95, None) for b in bounds]
        must = sum(f[0] for f in fewest if f is not None)
        print(f"{book.name:<12} {len(bounds):>10} {lines:>6} {over:>13} "
              f"{max((b.least for b in bounds), default=0):>11.2f} {max((b.chosen for b in bounds), default=0):>12.2f} "
              f"{must:>20} of {gapped:>5} ({must / max(gapped, 1):.1%})")
        if args.frontier is not None:
            frontiers.append(_frontier(book.name, bounds, lines, args.frontier, args.max_split / 100))
    print(f"(limits: worst {args.limit}, p95 {args.p95}; STRETCH {justify.STRETCH}, letter spacing "
          f"{justify.LETTER_STRETCH_EM} em + {justify.LETTER_STRETCH_MORE_EM} em)")
    for text in frontiers:
        print(text)
    return 0


def _frontier(name: str, bounds: Sequence[Bound], lines: int, limit: float, max_split: float) -> str:
    """The lower convex hull of (lines above `limit`, words split) over the book's paragraphs, and
    what it proves for a book that may split at most `max_split` of its lines: for every weight w,
    any setting has lines above ≥ min(lines above + w · words split) − w · words split."""
    out = [f"\n{name}: fewest justified lines above {limit} for the words split (the planner's lines: {lines})",
           f"{'weight of a split':>18} {'lines above':>18} {'words split':>18}"]
    seen: set[tuple[int, int]] = set()
    allowed = int(max_split * lines)
    least_over = 0.0
    most_gapped = 1
    for weight in (None, 5.0, 1.5, 1.01, 0.99, 0.8, 0.5, 0.2, 0.05):
        over = split = gapped = 0
        for bound in bounds:
            found = fewest_over(bound.nodes, bound.edges, limit, weight)
            if found is None:
                found = fewest_over(bound.nodes, bound.edges, limit, 1e6) or (0, 0, 0)
            over, split, gapped = over + found[0], split + found[1], gapped + found[2]
        if weight is not None:
            least_over = max(least_over, over + weight * split - weight * allowed)
        most_gapped = max(most_gapped, gapped)  # the share is of the most justified lines seen
        if (over, split) in seen:
            continue
        seen.add((over, split))
        out.append(f"{'none allowed' if weight is None else weight:>18} {over:>8} of {gapped:>4} "
                   f"({over / max(gapped, 1):5.1%}) {split:>8} ({split / max(lines, 1):5.1%})")
    split = sum(b.chosen_split for b in bounds)
    over = sum(1 for b in bounds for ratio in b.chosen_ratios if ratio > limit)
    gapped = sum(len(b.chosen_ratios) for b in bounds)
    out.append(f"{'the planner chose':>18} {over:>8} of {gapped:>4} ({over / max(gapped, 1):5.1%})"
               f" {split:>8} ({split / max(lines, 1):5.1%})")
    least = math.ceil(least_over - 1e-9)
    out.append(f"splitting at most {max_split:.0%} of the lines ({allowed} words), a setting has at least {least} "
               f"lines above {limit} ({least / most_gapped:.1%}): its p95 is "
               + (f"above {limit}" if least > 0.05 * most_gapped else f"not bounded above {limit} by this"))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
