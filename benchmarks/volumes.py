"""Volumes in parallel: wall time of building every volume of a series with 1 and with 2 workers.

Usage: python benchmarks/volumes.py [BOOK_DIR] [--formats epub,pdf] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from jebon import build

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", nargs="?", type=Path, default=ROOT / "tests" / "books" / "series")
    parser.add_argument("--formats", default="epub,pdf")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    formats = args.formats.split(",")
    print(f"book: {args.book}  formats: {','.join(formats)}  cores: {os.cpu_count()}")
    best: dict[int, float] = {}
    for jobs in (1, 2):
        times = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                report = build(args.book, formats, out, jobs=jobs)
                times.append(time.perf_counter() - start)
        best[jobs] = min(times)
        volumes = len({o.volume for o in report.outputs})
        print(f"--jobs {jobs}: {best[jobs]:6.2f} s wall (best of {args.repeat}), {volumes} volumes, "
              f"{len(report.outputs)} files")
    print(f"speed-up with 2 workers: {best[1] / best[2]:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
