"""Where a jebon build spends its time: one in-process build of a generated magazine under pyinstrument.

Usage: python benchmarks/profile.py [--size N] [--format epub|pdf] [--keep DIR] [--out FILE] [--seed S]

Needs pyinstrument (`pip install pyinstrument`; not a jebon dependency). The build runs in this
process with jobs=1 (and the cache off where the API has such a switch), so work that jebon hands to
worker processes would not be seen. The report file holds: time per package/module (self time),
the jebon functions by inclusive time, the top functions by self time, and the full call tree; the
raw session is saved beside it (FILE.pyisession, for `pyinstrument --load`).

pyinstrument's hook runs on every Python call, so call-heavy pure-Python code (WeasyPrint's layout,
pypdf) looks more expensive under it than it is: read shares, not seconds (the build takes about
twice as long under the profiler).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from run import book_for

ROOT = Path(__file__).resolve().parents[1]


def package_of(path: str | None) -> str:
    """A readable bucket for a source file: jebon and WeasyPrint by module, others by package."""
    if not path:
        return "<unknown>"
    norm = path.replace("\\", "/")
    for marker in ("/site-packages/", "/src/"):
        if marker in norm:
            parts = norm.split(marker, 1)[1].removesuffix(".py").split("/")
            if parts[0] == "jebon":
                return ".".join(parts[:3] if parts[1:2] in (["typography"], ["writers"]) else parts[:2])
            if parts[0] == "weasyprint":
                return ".".join(parts[:2])
            return parts[0]
    if "/lib/python3" in norm:
        return "stdlib"
    return norm if norm.startswith("<") else "<other>"


def walk(frame: Any) -> Iterator[Any]:
    stack = [frame]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def self_times(root: Any) -> dict[str, float]:
    """Self time per package (synthetic `[self]` leaves count for their parent's file)."""
    found: dict[str, float] = defaultdict(float)
    for frame in walk(root):
        if frame.is_synthetic:
            owner = frame.parent
            found[package_of(owner.file_path if owner is not None else None)] += frame.time
            continue
        own = frame.time - sum(child.time for child in frame.children)
        if own > 0:
            found[package_of(frame.file_path)] += own
    return found


def inclusive_times(root: Any, prefix: str) -> dict[str, float]:
    """Inclusive time of every function whose package starts with `prefix`, counting only its
    outermost calls (recursion is not counted twice)."""
    found: dict[str, float] = defaultdict(float)
    names: dict[int, str | None] = {}
    open_count: dict[str, int] = defaultdict(int)
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        frame, leaving = stack.pop()
        if leaving:
            name = names.pop(id(frame))
            if name is not None:
                open_count[name] -= 1
            continue
        name = None
        if not frame.is_synthetic:
            package = package_of(frame.file_path)
            if package.startswith(prefix):
                name = f"{package}:{frame.class_name + '.' if frame.class_name else ''}{frame.function}"
                if not open_count[name]:
                    found[name] += frame.time
                open_count[name] += 1
        names[id(frame)] = name
        stack.append((frame, True))
        stack.extend((child, False) for child in frame.children)
    return found


def _rows(values: dict[str, float], total: float, limit: int) -> list[str]:
    ranked = sorted(values.items(), key=lambda item: -item[1])[:limit]
    return [f"  {seconds:8.2f} s {seconds / total:6.1%}  {name}" for name, seconds in ranked]


def build_kwargs() -> dict[str, object]:
    """jobs=1, and the cache off when jebon.build has a switch for it."""
    from jebon import build

    params = inspect.signature(build).parameters
    kwargs: dict[str, object] = {"jobs": 1} if "jobs" in params else {}
    for name, value in (("cache", False), ("use_cache", False), ("no_cache", True)):
        if name in params:
            kwargs[name] = value
    return kwargs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=100, help="articles in the generated magazine")
    parser.add_argument("--format", choices=("epub", "pdf"), default="epub")
    parser.add_argument("--keep", type=Path, help="generate (or reuse) the book in this folder")
    parser.add_argument("--out", type=Path, help="report file [default: profile-FORMAT-SIZE.txt]")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        parser.error("needs pyinstrument: pip install pyinstrument")

    from jebon import build

    report_path = args.out or Path(f"profile-{args.format}-{args.size}.txt")
    with tempfile.TemporaryDirectory(prefix="jebon-profile-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        book = book_for(args.size, args.seed, where)
        kwargs = build_kwargs()
        profiler = Profiler(interval=0.001)
        start, cpu = time.perf_counter(), time.process_time()
        profiler.start()
        report = build(book, [args.format], Path(tmp) / "out", **kwargs)
        profiler.stop()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu

    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    assert root is not None
    total = root.time
    pages = sum(o.pages or 0 for o in report.outputs)
    summary = [
        f"jebon build --format {args.format}: {args.size} articles, {report.characters:,} characters"
        + (f", {pages} pages" if pages else "") + f"; build({', '.join(f'{k}={v}' for k, v in kwargs.items())})",
        f"wall {wall:.2f} s, CPU of this process {cpu:.2f} s, sampled {total:.2f} s; {len(report.warnings)} warnings",
        "",
        "Self time by package / module:",
        *_rows(self_times(root), total, 25),
        "",
        "jebon functions by inclusive time (outermost calls):",
        *_rows(inclusive_times(root, "jebon"), total, 30),
        "",
        "WeasyPrint functions by inclusive time (outermost calls):",
        *_rows(inclusive_times(root, "weasyprint"), total, 20),
    ]
    flat = profiler.output_text(unicode=True, color=False, flat=True).splitlines()[:60]
    tree = profiler.output_text(unicode=True, color=False)
    report_path.write_text("\n".join([*summary, "", "Top functions by self time (pyinstrument, flat):", *flat, "",
                                      "Call tree (pyinstrument):", tree]), encoding="utf-8")
    session.save(report_path.with_suffix(".pyisession"))  # pyinstrument --load FILE re-renders it
    print("\n".join(summary))
    print(f"\nfull report (with the flat profile and the call tree): {report_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
