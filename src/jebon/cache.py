"""Content-keyed build cache under the output folder (`<out>/.jebon-cache/`).

Every entry is named by a SHA-256 of everything that went into it (the source text, the styles, the
bundled fonts, the options, jebon's and WeasyPrint's versions), so an entry is never stale: an edit
makes a new key, and a missing or unreadable entry is simply rebuilt. Entries a build uses are
touched; `prune()` drops the ones the last full build did not use."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import os
import re
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeVar

from . import __version__

T = TypeVar("T")
CACHE_DIR = ".jebon-cache"
FORMAT = "jebon-cache 4"
"""Part of every key: bumped when what jebon makes from the same inputs changes."""
SETTLED = 2
"""Seconds a file must be unchanged before `Cache.file_digest` remembers its digest."""


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


@cache
def _file_digest(path: str, identity: tuple[int, ...]) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (remembered for the life of the process by the file's identity,
    size and times: the change time moves on every write and cannot be set back)."""
    st = path.stat()
    return _file_digest(str(path), (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))


@cache
def package_version(package: str, module: str = "__init__") -> str:
    """An installed package's version, read from the source of `package.module` (a
    `__version__ = "…"` or `version = "…"` line) without importing the package: for cache keys
    of steps that may not need the package at all. Falls back to importing it."""
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        with contextlib.suppress(OSError):
            text = (Path(folder) / f"{module}.py").read_text("utf-8")
            found = re.search(r"""^(?:__version__|version)\b[^=\n]*=(?:\s*\w+\s*=)?\s*['"]([^'"]+)['"]""", text,
                              re.MULTILINE)
            if found:
                return found.group(1)
    return str(importlib.import_module(package).__version__)


@cache
def engine_version() -> str:
    import pikepdf
    import pydyf
    import uharfbuzz
    import weasyprint

    return (f"{FORMAT}; jebon {__version__}; weasyprint {weasyprint.__version__}; pydyf {pydyf.__version__}; "
            f"pikepdf {pikepdf.__version__}; harfbuzz {uharfbuzz.version_string()}")


@dataclass
class Cache:
    """A folder of entries by kind and key; `root=None` is the disabled cache (`--no-cache`)."""

    root: Path | None
    hits: Counter[str] = field(default_factory=Counter)
    misses: Counter[str] = field(default_factory=Counter)
    held: list[tuple[str, str, bytes]] | None = None
    """When a list, `put` keeps entries here until `release()` (nothing is written before the output
    folder is known to be a good one)."""

    def _path(self, kind: str, key: str) -> Path:
        assert self.root is not None
        return self.root / kind / key[:2] / key

    def get(self, kind: str, key: str) -> bytes | None:
        """The entry, or None; counted in `stats()` as reused or rebuilt."""
        data = self._read(kind, key)
        if data is None:
            self.misses[kind] += 1
        else:
            self.hits[kind] += 1
        return data

    def read(self, kind: str, key: str, decode: Callable[[bytes], T]) -> T | None:
        """The entry decoded, or None when there is none or `decode` cannot read it (a foreign or
        outdated format): then it counts as rebuilt and is made anew."""
        entry = self.get(kind, key)
        if entry is None:
            return None
        try:
            return decode(entry)
        except Exception:
            self.reject(kind)
            return None

    def reject(self, kind: str) -> None:
        """The entry `get` just gave cannot be used after all (what it was made from changed on disk):
        count it as rebuilt."""
        self.hits[kind] -= 1
        self.misses[kind] += 1

    def _read(self, kind: str, key: str) -> bytes | None:
        if self.root is None:
            return None
        # Plain strings and file descriptors: this runs a thousand times and more in a rebuild, where
        # pathlib and buffered file objects cost more than the reading.
        path = f"{self.root}/{kind}/{key[:2]}/{key}"
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            size = os.fstat(fd).st_size
            data = os.read(fd, size)
            while len(data) < size and (more := os.read(fd, size - len(data))):
                data += more
        except OSError:
            return None
        finally:
            os.close(fd)
        # Every entry ends with the CRC-32 of what precedes it: a damaged entry (a bad disk, a hand
        # that edited it) is rebuilt, whatever its kind and format.
        if len(data) < 4 or zlib.crc32(memoryview(data)[:-4]).to_bytes(4, "big") != data[-4:]:
            return None
        with contextlib.suppress(OSError):  # a read-only cache still gives its entries
            os.utime(path)  # in use: prune() keeps it
        return data[:-4]

    def release(self) -> None:
        """Write the entries `put` held back, and stop holding."""
        held, self.held = self.held or [], None
        for kind, key, data in held:
            self.put(kind, key, data)

    def put(self, kind: str, key: str, data: bytes) -> None:
        if self.root is None:
            return
        if self.held is not None:
            self.held.append((kind, key, data))
            return
        path = self._path(kind, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError:
            return  # a cache that cannot be written only costs time
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.write(zlib.crc32(data).to_bytes(4, "big"))
            Path(tmp).replace(path)
        except BaseException as exc:  # interrupted or failed: no half-written entry is left behind
            Path(tmp).unlink(missing_ok=True)
            if not isinstance(exc, OSError):
                raise

    def file_digest(self, path: Path) -> str:
        """`file_digest(path)`, remembered across builds by the file's identity, size and times
        (the change time moves on every write and cannot be set back). Only a file left alone for
        SETTLED seconds is remembered, so two writes within one tick of the file clock cannot
        share an entry."""
        now = time.time_ns()  # before the stat: a write after it must not count as settled
        st = path.stat()
        key = digest("file", os.path.realpath(path), *(str(n) for n in (st.st_dev, st.st_ino, st.st_size,
                                                                         st.st_mtime_ns, st.st_ctime_ns)))
        entry = self._read("file-digest", key)  # bookkeeping, not a piece of the book: not counted
        if entry is not None and len(entry) == 64:
            return entry.decode("ascii")
        value = file_digest(path)
        if now - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLED * 1_000_000_000:
            self.put("file-digest", key, value.encode("ascii"))
        return value

    def stats(self) -> dict[str, tuple[int, int]]:
        """kind → (reused, rebuilt)."""
        return {kind: (self.hits[kind], self.misses[kind]) for kind in sorted(set(self.hits) | set(self.misses))}

    def merge(self, stats: dict[str, tuple[int, int]]) -> None:
        for kind, (hits, misses) in stats.items():
            self.hits[kind] += hits
            self.misses[kind] += misses

    def prune(self, before: float) -> int:
        """Remove entries not used since `before` (a time.time()); returns how many went."""
        if self.root is None or not self.root.is_dir():
            return 0
        removed = 0
        for path in self.root.glob("*/*/*"):
            try:
                # A second of slack: file times come from a coarser clock than time.time().
                if path.stat().st_mtime < before - 1:
                    path.unlink()
                    removed += 1
            except OSError:
                pass
        return removed

