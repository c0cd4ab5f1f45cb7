"""Watch a book's inputs by polling (path → mtime and size), debounced; rebuild on change. No dependency."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import resources
from .errors import JebonError, Problem, log

if TYPE_CHECKING:
    from .api import BuildReport

INTERVAL = 0.4
"""Seconds between two looks at the files. A change is acted on once the files have stayed the same
for one more interval (editors often save in several steps: write a temporary file, rename, touch)."""

Stamp = tuple[int, int]
Snapshot = dict[Path, Stamp]

_SKIPPED_DIRS = {"__pycache__", "node_modules"}
_NOISE_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload")


def is_noise(name: str) -> bool:
    """Files and folders no book is made of: hidden ones (.git, .DS_Store, Emacs' .#locks), editor
    swap and backup files, and the `4913` file Vim creates to test that a folder is writable."""
    return name.startswith((".", "#")) or name.endswith(_NOISE_SUFFIXES) or name == "4913"


@dataclass(frozen=True)
class WatchSet:
    """What to watch: every file under `roots` (recursively), except noise and the `exclude` folders."""

    roots: tuple[Path, ...]
    exclude: tuple[Path, ...] = ()

    def snapshot(self) -> Snapshot:
        """Every watched file and its (mtime in ns, size) now."""
        stamps: Snapshot = {}
        excluded = {p.resolve() for p in self.exclude}
        for root in self.roots:
            if root.is_file():
                _stat_into(stamps, root)
                continue
            for folder, dirs, files in os.walk(root):
                here = Path(folder)
                dirs[:] = sorted(d for d in dirs if not is_noise(d) and d not in _SKIPPED_DIRS
                                 and (here / d).resolve() not in excluded)
                for name in files:
                    if not is_noise(name):
                        _stat_into(stamps, here / name)
        return stamps


def _stat_into(stamps: Snapshot, path: Path) -> None:
    try:
        info = path.stat()
    except OSError:  # deleted between listing and looking: the next snapshot settles it
        return
    stamps[path] = (info.st_mtime_ns, info.st_size)


def book_inputs(book_dir: Path | str, out_dir: Path | str | None = None) -> WatchSet:
    """A book's inputs: its folder (book.toml, articles, images, cover) and jebon's bundled styles and
    fonts, but not the output folder (`<book>/build` or `--out`), so a build never triggers itself."""
    root = Path(book_dir).resolve()
    exclude = [root / "build"] + ([Path(out_dir).resolve()] if out_dir is not None else [])
    return WatchSet((root, resources.data_dir("styles"), resources.data_dir("fonts")), tuple(exclude))


def changed_paths(before: Snapshot, after: Snapshot) -> set[Path]:
    """Files added, removed or modified between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


@dataclass
class Watcher:
    """Polls a WatchSet. `wait()` blocks until files changed and then stayed unchanged for one interval."""

    watch: WatchSet
    interval: float = INTERVAL
    _last: Snapshot = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Taken now, so that a change made while the first build runs is not missed.
        self._last = self.watch.snapshot()

    def changes(self) -> set[Path]:
        """What changed since the last look."""
        now = self.watch.snapshot()
        changed = changed_paths(self._last, now)
        self._last = now
        return changed

    def wait(self, stop: threading.Event) -> set[Path]:
        """The files that changed, once they are quiet again; an empty set when `stop` is set."""
        changed: set[Path] = set()
        while not stop.wait(self.interval):
            new = self.changes()
            if new:
                changed |= new
            elif changed:
                return changed
        return set()


@dataclass(frozen=True)
class Rebuild:
    """One rebuild after a change: the report, or the problems that stopped it."""

    changed: tuple[Path, ...]
    seconds: float
    report: BuildReport | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.report is not None


def attempt(changed: Iterable[Path], build: Callable[[], BuildReport]) -> Rebuild:
    """Run `build` once; a failure is returned, never raised (the watch goes on)."""
    start = time.perf_counter()
    try:
        report = build()
    except JebonError as exc:
        return Rebuild(tuple(sorted(changed)), time.perf_counter() - start, problems=tuple(exc.problems))
    except Exception as exc:  # a file vanished mid-read, a bug: report it and keep watching
        log.debug("rebuild failed", exc_info=True)
        return Rebuild(tuple(sorted(changed)), time.perf_counter() - start,
                       problems=(Problem(f"jebon failed: {type(exc).__name__}: {exc}",
                                         hint="save the file again; if it persists, please report it"),))
    return Rebuild(tuple(sorted(changed)), time.perf_counter() - start, report=report)


def watch_build(watcher: Watcher, build: Callable[[], BuildReport], on_rebuild: Callable[[Rebuild], None],
                stop: threading.Event) -> None:
    """Call `build` once per (debounced) change and hand each outcome to `on_rebuild`, until `stop`."""
    while True:
        changed = watcher.wait(stop)
        if not changed:
            return
        on_rebuild(attempt(changed, build))
