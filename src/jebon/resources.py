"""Locate the bundled styles/ and fonts/: inside an installed wheel, or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """`styles` or `fonts`: `jebon/_data/<name>` in a wheel, `<checkout>/<name>` in development."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"jebon's bundled {name}/ folder is missing; reinstall jebon")


def style(name: str) -> str:
    return (data_dir("styles") / name).read_text("utf-8")


def font_path(file_name: str) -> Path:
    return data_dir("fonts") / file_name
