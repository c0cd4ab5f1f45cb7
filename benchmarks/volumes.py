"""Volumes in parallel: wall and CPU time of `jebon build` on a series with --jobs 1 and --jobs 2.

Each build is its own process, as a user runs it (`python -m jebon build BOOK --no-cache`), into a
fresh folder; the two settings alternate (1, 2, 1, 2, …) so that whatever else the machine is doing
falls on both alike, and the best of N is kept. The machine's load average is printed before and after:
on a machine whose cores are busy with other work, a second worker has no core to run on.

Usage: python benchmarks/volumes.py [BOOK_DIR] [--formats epub,pdf] [--repeat N] [--jobs 1,2]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(book: Path, fmt: str, jobs: int) -> tuple[float, float]:
    """One build in its own process: (wall seconds, CPU seconds of it and its workers)."""
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jebon", "build", str(book), "--format", fmt, "--out", out,
                        "--jobs", str(jobs), "--no-cache"], check=True, capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("book", nargs="?", type=Path, default=ROOT / "tests" / "books" / "series")
    parser.add_argument("--formats", default="epub,pdf", help="epub, pdf or epub,pdf")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", default="1,2")
    args = parser.parse_args(argv)
    fmt = "all" if set(args.formats.split(",")) == {"epub", "pdf"} else args.formats
    settings = [int(j) for j in args.jobs.split(",")]
    print(f"book: {args.book}  format: {fmt}  cores: {os.cpu_count()}  load: {os.getloadavg()[0]:.2f}")
    times: dict[int, list[tuple[float, float]]] = {jobs: [] for jobs in settings}
    run(args.book, fmt, settings[0])  # warm the disk cache and the compiled modules
    for _ in range(args.repeat):
        for jobs in settings:
            times[jobs].append(run(args.book, fmt, jobs))
    for jobs in settings:
        walls = sorted(wall for wall, _ in times[jobs])
        cpu = min(times[jobs])[1]
        print(f"--jobs {jobs}: best {walls[0]:6.2f} s wall, median {walls[len(walls) // 2]:6.2f} s, "
              f"CPU {cpu:6.2f} s (best run; {args.repeat} runs)")
    if len(settings) == 2:
        first, second = (min(w for w, _ in times[j]) for j in settings)
        print(f"--jobs {settings[1]} ÷ --jobs {settings[0]}: {second / first:.2f}× the wall time")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
