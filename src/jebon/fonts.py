"""Bundled fonts: which face serves which text, subsetting with HarfBuzz, and glyph coverage checks."""

from __future__ import annotations

import array
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import FORMAT, Cache, digest
from .resources import font_path

if TYPE_CHECKING:
    import uharfbuzz as hb


@dataclass(frozen=True)
class Face:
    """One bundled font file and how CSS refers to it."""

    key: str
    file: str
    family: str
    weight: int

    @property
    def path(self) -> Path:
        return font_path(self.file)


SERIF = "Jebon Serif KR"
SANS = "Jebon Sans KR"
FACES: tuple[Face, ...] = (
    Face("serif-regular", "JebonSerifKR-Regular.otf", SERIF, 400),
    Face("serif-bold", "JebonSerifKR-Bold.otf", SERIF, 700),
    Face("sans-regular", "JebonSansKR-Regular.otf", SANS, 400),
    Face("sans-bold", "JebonSansKR-Bold.otf", SANS, 700),
)
FONT_CREDIT = ("Jebon Serif KR, Jebon Sans KR: Noto Serif CJK KR, Noto Sans CJK KR의 부분 집합 "
               "(© 2014–2022 Adobe), SIL Open Font License 1.1")

# Characters that never need a glyph (spaces are handled by the reader; controls are invisible).
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}


@cache
def _face(path: Path) -> hb.Face:
    import uharfbuzz as hb  # loaded only when a font is read: a cached rebuild does not need it

    return hb.Face(hb.Blob.from_file_path(str(path)))


@cache
def coverage(path: Path) -> frozenset[int]:
    """Code points the font maps."""
    return frozenset(_face(path).unicodes)


def needs_glyph(char: str) -> bool:
    return unicodedata.category(char) not in _INVISIBLE and char not in "\n\t "


def missing(chars: Iterable[str], covered: frozenset[int] | None = None) -> list[str]:
    """Characters that no bundled face covers (checked against the body faces; `covered` is
    `covered_by(cache)` when the caller has a cache)."""
    covered = _covered() if covered is None else covered
    return sorted(c for c in set(chars) if ord(c) not in covered and needs_glyph(c))


@cache
def _covered() -> frozenset[int]:
    return coverage(FACES[0].path) | coverage(FACES[2].path)


def covered_by(cache: Cache) -> frozenset[int]:
    """The code points the body faces cover, remembered in `cache` by the font files' digests
    (reading the fonts' character maps means loading HarfBuzz and the faces)."""
    if cache.root is None:
        return _covered()
    faces = (FACES[0], FACES[2])
    key = digest(FORMAT, "coverage", *(cache.file_digest(face.path) for face in faces))
    found = cache.read("font-coverage", key, lambda entry: frozenset(array.array("I", entry)))
    if found is not None:
        return found
    import uharfbuzz as hb

    # Read now, not from the per-path memos: the files are what the key was made from.
    covered = frozenset().union(*(hb.Face(hb.Blob.from_file_path(str(face.path))).unicodes for face in faces))
    cache.put("font-coverage", key, array.array("I", sorted(covered)).tobytes())
    return covered


def subset(face: Face, chars: Iterable[str]) -> bytes:
    """The face cut down to `chars`, keeping every OpenType layout feature (old Hangul needs
    ljmo/vjmo/tjmo, and GSUB closure brings in the composed jamo glyphs)."""
    import uharfbuzz as hb

    source = _face(face.path)
    wanted = {ord(c) for c in chars} | set(range(0x20, 0x7F))
    inp = hb.SubsetInput()
    inp.unicode_set.update(wanted & coverage(face.path))
    for which in (hb.SubsetInputSets.LAYOUT_FEATURE_TAG, hb.SubsetInputSets.LAYOUT_SCRIPT_TAG):
        tags = inp.sets(which)
        tags.clear()
        tags.invert()  # an inverted empty set: keep every feature and script
    inp.flags = hb.SubsetFlags.NO_HINTING
    result = hb.subset(source, inp)
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset {face.file}")
    return bytes(result.blob.data)
