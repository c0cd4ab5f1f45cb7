"""Measure the word spacing of a PDF's justified body text: word-gap ratios, early lines, runts,
mid-word breaks (see `jebon.spacing` for every definition and heuristic).

Usage: python scripts/check_spacing.py PDF [SOURCES...] [--json] [--loosest N]
       [--max-p95 X] [--max-worst Y] [--max-early N] [--max-runts N]

SOURCES is the book folder the PDF was built from, or its Markdown files: with them, paragraph ends
and mid-word breaks come from the text; without them, from the page geometry. Exit status 0, or 1
when a --max-* limit is exceeded (the worst line is the one with at least two gaps).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jebon.spacing import measure, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("sources", type=Path, nargs="*", help="book folder or Markdown files")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--loosest", type=int, default=0, metavar="N",
                        help="list the N loosest lines (with at least two gaps)")
    parser.add_argument("--max-p95", type=float, help="fail when the p95 word-gap ratio is above this")
    parser.add_argument("--max-worst", type=float, help="fail when the worst line (≥2 gaps) is above this")
    parser.add_argument("--max-early", type=int, help="fail when there are more early lines")
    parser.add_argument("--max-runts", type=int, help="fail when there are more runts")
    args = parser.parse_args(argv)
    report = measure(args.pdf, args.sources or None)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(table(report, args.loosest))
    failed = []
    worst = report.worst.ratio if report.worst else None
    if args.max_p95 is not None and report.ratio_p95 is not None and report.ratio_p95 > args.max_p95:
        failed.append(f"p95 {report.ratio_p95:.2f} > {args.max_p95:g}")
    if args.max_worst is not None and worst is not None and worst > args.max_worst:
        failed.append(f"worst {worst:.2f} > {args.max_worst:g}")
    if args.max_early is not None and len(report.early) > args.max_early:
        failed.append(f"early lines {len(report.early)} > {args.max_early}")
    if args.max_runts is not None and len(report.runts) > args.max_runts:
        failed.append(f"runts {len(report.runts)} > {args.max_runts}")
    for message in failed:
        print(f"limit exceeded: {message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
