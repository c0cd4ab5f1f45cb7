"""Korean typesetting in the PDF: build time with and without the line-breaking pass, and how even
the justified spacing is (extra space WeasyPrint adds per word gap, in ems).

Usage: python benchmarks/typography.py [BOOK_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from jebon.api import load_book
from jebon.errors import Diagnostics
from jebon.printing import resolve
from jebon.render import render_volume
from jebon.writers.pdf import PdfBuilder

ROOT = Path(__file__).resolve().parents[1]


def spacing(document: Any) -> list[float]:
    """Extra justification space per gap (em) on every justified, non-final body line."""
    from weasyprint.formatting_structure.boxes import LineBox, TextBox

    found: list[float] = []
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, LineBox):
                texts = [b for b in box.descendants() if isinstance(b, TextBox)]
                extra = max((t.justification_spacing for t in texts), default=0)
                if texts and box.style["text_align_all"] == "justify":
                    found.append(extra / texts[0].style["font_size"])
                continue
            stack.extend(getattr(box, "children", []))
    return [value for value in found if value > 0]


def short_lines(document: Any) -> int:
    """Lines of a paragraph, other than its last, that fill less than 70 % of the measure."""
    from weasyprint.formatting_structure.boxes import BlockBox, LineBox

    count = 0
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, BlockBox) and box.element_tag == "p" and box.children \
                    and all(isinstance(c, LineBox) for c in box.children):
                count += sum(sum(c.margin_width() for c in line.children) < 0.7 * box.width
                             for line in box.children[:-1])
                continue
            stack.extend(getattr(box, "children", []))
    return count


def run(book_dir: Path, mode: str | None, repeat: int) -> tuple[float, list[float], int, int]:
    """(best build seconds, spacing per line, pages) for one line-breaking mode (None: passes off)."""
    diag = Diagnostics()
    book = load_book(book_dir, diag)
    rendered = render_volume(book, book.volumes[0], diag)
    options = resolve(book.config.pdf, book.config.epub.toc_depth)
    times = []
    document = None
    for _ in range(repeat):
        builder = PdfBuilder(book.config, rendered, options, typography=mode is not None)
        if mode is not None:
            builder.line_break = mode
        start = time.perf_counter()
        document, _, _ = builder.layout()
        document.write_pdf()
        times.append(time.perf_counter() - start)
    assert document is not None
    return min(times), spacing(document), len(document.pages), short_lines(document)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", nargs="?", type=Path, default=ROOT / "books" / "golmok")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    results = {name: run(args.book, mode, args.repeat)
               for name, mode in (("passes off (Pango)", None), ("word", "word"), ("syllable", "syllable"))}
    base = results["passes off (Pango)"][0]
    print(f"{'mode':<20} {'seconds':>8} {'vs off':>7} {'pages':>5} {'lines':>6} {'mean em':>8} {'p95 em':>7} "
          f"{'max em':>7} {'>0.5 em':>8} {'short':>6}")
    for name, (seconds, gaps, pages, short) in results.items():
        p95 = statistics.quantiles(gaps, n=20)[-1] if len(gaps) > 1 else 0.0
        print(f"{name:<20} {seconds:8.2f} {seconds / base - 1:+7.1%} {pages:5d} {len(gaps):6d} "
              f"{statistics.mean(gaps):8.3f} {p95:7.3f} {max(gaps):7.3f} {sum(g > 0.5 for g in gaps):8d} {short:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
