"""Bundled fonts: which face serves which text, subsetting with HarfBuzz, and glyph coverage checks."""

from __future__ import annotations

import array
import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import FORMAT, Cache, digest
from .resources import font_path

if TYPE_CHECKING:
    import uharfbuzz as hb


BODY = "body"
MONO = "mono"
FALLBACK = "fallback"


@dataclass(frozen=True)
class Face:
    """One bundled font file and how CSS refers to it."""

    key: str
    file: str
    family: str
    weight: int
    role: str = BODY
    """`body` (serif text, sans headings), `mono` (code) or `fallback` (symbols and emoji the others lack)."""

    @property
    def path(self) -> Path:
        return font_path(self.file)

    @property
    def extension(self) -> str:
        return self.file.rsplit(".", 1)[1]

    @property
    def media_type(self) -> str:
        return f"font/{self.extension}"

    @property
    def ps_name(self) -> str:
        """The name a PDF gives the face (after the subset tag): `Jebon-Serif-KR-Bold`, `Noto-Emoji`."""
        return self.family.replace(" ", "-") + ("-Bold" if self.weight == 700 else "")


SERIF = "Jebon Serif KR"
SANS = "Jebon Sans KR"
MONO_FAMILY = "Jebon Mono KR"
FACES: tuple[Face, ...] = (
    Face("serif-regular", "JebonSerifKR-Regular.otf", SERIF, 400),
    Face("serif-bold", "JebonSerifKR-Bold.otf", SERIF, 700),
    Face("sans-regular", "JebonSansKR-Regular.otf", SANS, 400),
    Face("sans-bold", "JebonSansKR-Bold.otf", SANS, 700),
    Face("mono-regular", "JebonMonoKR-Regular.ttf", MONO_FAMILY, 400, MONO),
    Face("mono-bold", "JebonMonoKR-Bold.ttf", MONO_FAMILY, 700, MONO),
    # Fallbacks, in the order they are tried (PDF: fonts/fonts.conf; EPUB: unicode-range).
    Face("math", "NotoSansMath-Regular.ttf", "Noto Sans Math", 400, FALLBACK),
    Face("symbols", "NotoSansSymbols2-Regular.ttf", "Noto Sans Symbols2", 400, FALLBACK),
    Face("emoji-regular", "NotoEmoji-Regular.ttf", "Noto Emoji", 400, FALLBACK),
    Face("emoji-bold", "NotoEmoji-Bold.ttf", "Noto Emoji", 700, FALLBACK),
)
BODY_FACES = tuple(face for face in FACES if face.role == BODY)
FALLBACK_FACES = tuple(face for face in FACES if face.role == FALLBACK)
FONT_CREDIT = ("Jebon Serif KR, Jebon Sans KR: Noto Serif CJK KR, Noto Sans CJK KR의 부분 집합 "
               "(© 2014–2022 Adobe); Jebon Mono KR: 나눔고딕코딩(© 2009 NHN); Noto Sans Math, "
               "Noto Sans Symbols2, Noto Emoji(© Google); SIL Open Font License 1.1")
FONTCONFIG_FILE = "fonts.conf"
"""jebon's fontconfig configuration (in the fonts folder): no font folder of the machine, the generic
families mapped to the bundled ones, the fallback faces after every family."""


def face_named(ps_name: str) -> Face | None:
    """The bundled face a PDF font name stands for: `ABCDEF+Jebon-Serif-KR-Bold`, also with a style
    WeasyPrint synthesised on the same file (`…-Oblique`)."""
    name = ps_name.lstrip("/").split("+", 1)[-1]
    for face in sorted(FACES, key=lambda f: -len(f.family)):
        stem = face.family.replace(" ", "-")
        if name == stem or name.startswith(stem + "-"):
            bold = "Bold" in name[len(stem):].split("-")
            if bold == (face.weight == 700):
                return face
    return None

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
    """Characters that no bundled face covers (checked against the body and fallback faces;
    `covered` is `covered_by(cache)` when the caller has a cache)."""
    covered = _covered() if covered is None else covered
    return sorted(c for c in set(chars) if ord(c) not in covered and needs_glyph(c))


_COVERING = (FACES[0], FACES[2], *(face for face in FALLBACK_FACES if face.weight == 400))
"""The faces whose characters text can be set in: the regular body faces and the fallbacks."""


@cache
def _covered() -> frozenset[int]:
    return frozenset().union(*(coverage(face.path) for face in _COVERING))


def fallback_ranges(cache: Cache | None = None) -> dict[Face, frozenset[int]]:
    """The code points each regular fallback face serves: those no body face and no earlier fallback
    has (remembered in `cache` by the font files' digests, like `covered_by`)."""
    if cache is not None and cache.root is not None:
        key = digest(FORMAT, "fallback-ranges", *(cache.file_digest(face.path) for face in _COVERING))
        found = cache.read("font-coverage", key, json.loads)
        if found is not None:
            by_key = {face.key: face for face in FALLBACK_FACES}
            return {by_key[name]: frozenset(points) for name, points in found.items()}
        ranges = _fallback_ranges()
        listed = {face.key: sorted(points) for face, points in ranges.items()}
        cache.put("font-coverage", key, json.dumps(listed).encode())
        return ranges
    return _fallback_ranges()


@cache
def _fallback_ranges() -> dict[Face, frozenset[int]]:
    taken = coverage(FACES[0].path) | coverage(FACES[2].path)
    ranges: dict[Face, frozenset[int]] = {}
    for face in FALLBACK_FACES:
        if face.weight != 400:
            continue
        own = {point for point in coverage(face.path) - taken if needs_glyph(chr(point))}
        ranges[face] = frozenset(own)
        taken |= own
    return ranges


def covered_by(cache: Cache) -> frozenset[int]:
    """The code points the body and fallback faces cover, remembered in `cache` by the font files'
    digests (reading the fonts' character maps means loading HarfBuzz and the faces)."""
    if cache.root is None:
        return _covered()
    faces = _COVERING
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
    """The face cut down to `chars` (and ASCII, for a body or monospaced face), keeping every OpenType
    layout feature (old Hangul needs ljmo/vjmo/tjmo, and GSUB closure brings in the composed jamo
    glyphs) and every name record (the OFL asks for the copyright and licence with every copy)."""
    import uharfbuzz as hb

    source = _face(face.path)
    wanted = {ord(c) for c in chars} | (set(range(0x20, 0x7F)) if face.role != FALLBACK else set())
    inp = hb.SubsetInput()
    inp.unicode_set.update(wanted & coverage(face.path))
    for which in (hb.SubsetInputSets.LAYOUT_FEATURE_TAG, hb.SubsetInputSets.LAYOUT_SCRIPT_TAG,
                  hb.SubsetInputSets.NAME_ID):
        tags = inp.sets(which)
        tags.clear()
        tags.invert()  # an inverted empty set: keep every feature, script and name record
    inp.flags = hb.SubsetFlags.NO_HINTING
    result = hb.subset(source, inp)
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset {face.file}")
    return bytes(result.blob.data)


def unicode_range(code_points: Iterable[int]) -> str:
    """A CSS unicode-range value: `U+2713, U+1F600-1F64F`."""
    parts: list[str] = []
    points = sorted(set(code_points))
    start = previous = -2
    for point in [*points, -10]:
        if point == previous + 1:
            previous = point
            continue
        if start >= 0:
            parts.append(f"U+{start:X}" if start == previous else f"U+{start:X}-{previous:X}")
        start = previous = point
    return ", ".join(parts)


def font_face_rules(url: Callable[[Face], str], faces: Iterable[Face],
                    served: Mapping[Face, Iterable[int]] | None = None) -> str:
    """@font-face rules for `faces`. Body and monospaced faces stand under their own families.

    Without `served` (the PDF, where fonts/fonts.conf appends the fallback families to every family)
    a fallback face stands under its own family too. With `served` (the EPUB: a reading system has
    only the CSS), a fallback face joins every body and monospaced family, in both weights, limited by
    unicode-range to the characters it serves there — one composite family, so no font-family list
    has to name the fallbacks."""
    rules: list[str] = []
    chosen = list(faces)

    def rule(family: str, weight: int, face: Face, points: Iterable[int] | None = None) -> None:
        limit = f" unicode-range: {unicode_range(points)};" if points is not None else ""
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: normal;'
                     f' src: url("{url(face)}") format("{"opentype" if face.extension == "otf" else "truetype"}");'
                     f"{limit} }}")

    for face in chosen:
        if face.role != FALLBACK or served is None:
            rule(face.family, face.weight, face)
    if served is not None:
        families = list(dict.fromkeys(face.family for face in FACES if face.role != FALLBACK))
        for family in families:
            for weight in (400, 700):
                for face in chosen:
                    points = set(served.get(face, ()))
                    if face.role != FALLBACK or not points:
                        continue
                    heavier = [f for f in chosen if f.family == face.family and f.weight == 700]
                    if (weight == 700 and heavier and face.weight == 400) or (weight == 400 and face.weight == 700):
                        continue  # a bold fallback face serves bold text, its regular face the rest
                    rule(family, weight, face, points)
    return "\n".join(rules) + "\n"
