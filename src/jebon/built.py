"""What settings a built PDF was laid out with, recorded beside the build cache.

`jebon build` writes `<out>/.jebon-cache/built/<file>.pdf.json` with every PDF: the print flags it
was given and the resolved settings, with the file's size and SHA-256 so that a record never speaks
for a file it was not written with. `proof`, `cover` and `check --pdf` read it: they use a PDF as it
was built, or write their own file beside it, and never lay out the user's file again with other
settings."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .cache import CACHE_DIR
from .printing import PrintOptions

FOLDER = "built"
FORMAT = 1

_SWITCHES = {"marks": ("--marks", "--no-marks"), "bookmarks": ("--bookmarks", "--no-bookmarks")}


def given(flags: Mapping[str, object] | None) -> dict[str, object]:
    """The print flags that were really given (None means "not on the command line")."""
    return {key: value for key, value in (flags or {}).items() if value is not None}


def describe(flags: Mapping[str, object] | None) -> str:
    """`--profile kdp --marks`, or "book.toml's settings" when no print flag was given."""
    words = []
    for key, value in given(flags).items():
        if key in _SWITCHES:
            words.append(_SWITCHES[key][0 if value else 1])
        else:
            words.append(f"--{key} {value}")
    return " ".join(words) if words else "book.toml's settings"


def _plain(options: PrintOptions) -> dict[str, object]:
    normal: dict[str, object] = json.loads(json.dumps(dataclasses.asdict(options)))
    return normal


@dataclass(frozen=True)
class BuiltWith:
    """The record of one PDF."""

    flags: dict[str, object]
    options: dict[str, object]

    def describe(self) -> str:
        return describe(self.flags)

    def matches(self, options: PrintOptions) -> bool:
        """The file was laid out with exactly these settings."""
        return self.options == _plain(options)

def record_path(pdf: Path) -> Path:
    return pdf.parent / CACHE_DIR / FOLDER / f"{pdf.name}.json"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(pdf: Path, data: bytes, options: PrintOptions, flags: Mapping[str, object] | None) -> None:
    """Record what `pdf` (whose bytes are `data`) was built with. Best effort: a record that cannot be
    written only means later commands treat the file as one of unknown settings."""
    from .api import write_atomic

    record = {"format": FORMAT, "file": pdf.name, "size": len(data), "sha256": _digest(data),
              "flags": given(flags), "options": _plain(options)}
    with contextlib.suppress(OSError):
        write_atomic(record_path(pdf), json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))


def read(pdf: Path) -> BuiltWith | None:
    """The record of `pdf` as it is now on disk, or None (no record, or the file changed since)."""
    try:
        record = json.loads(record_path(pdf).read_text("utf-8"))
        if record.get("format") != FORMAT or record.get("size") != pdf.stat().st_size:
            return None
        if record.get("sha256") != _digest(pdf.read_bytes()):
            return None
        return BuiltWith(dict(record["flags"]), dict(record["options"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
