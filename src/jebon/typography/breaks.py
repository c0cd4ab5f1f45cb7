"""Where a line may break in Korean text, in word (어절) or syllable (글자) mode, with KLREQ's
never-break rules applied in both modes."""

from __future__ import annotations

import itertools
import re
import unicodedata

from .rules import CLOSING, INSEPARABLE, OPENING, PREFIX, SUFFIX_SYMBOLS, is_conjoining_jamo, is_han, is_hangul

WORD = "word"
SYLLABLE = "syllable"
MODES = (WORD, SYLLABLE)

NOTE_MARK = "\ufff9"
"""Stands for a footnote reference when a text is checked on its own (it glues to the word before)."""

# Number followed by a unit or counter written in letters (30kg, 3mm, 5,000원, 1,200부, 12시).
_NUMBER_UNIT = re.compile(r"\d[\d,.]*(?=[A-Za-zµΩ㎏-㏎%‰℃℉°′″ℓ원부쪽장권명개년월일시분초호판쇄칸층번배퍼])")


def joins_previous(char: str) -> bool:
    """Characters that belong to the one before them, so that no joiner or break may come between:
    old-Hangul vowel and final jamo, combining marks (the 방점 tone marks), variation selectors, the
    zero-width joiner and emoji skin-tone modifiers."""
    code = ord(char)
    if 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF or code == 0x200D:
        return True
    return unicodedata.category(char) in ("Mn", "Mc", "Me") or 0xFE00 <= code <= 0xFE0F \
        or 0xE0100 <= code <= 0xE01EF or 0x1F3FB <= code <= 0x1F3FF


URL_BREAKS = set("/_.?&=#")
"""A long URL, path or file name may break after these."""
SEPARATORS = URL_BREAKS | {"-"}
"""Inside a Latin or code token a line may end after these (before a letter, not between digits)."""
OPENING_BRACKETS = set("([{（［｛")


def token_break(before: str, after: str) -> bool:
    """A place inside a run without spaces where a line may end without splitting a word: before an
    opening bracket ("표기법|(camelCase)이", "(2^53-1)|(9007…)"), before a URL's "%XX", or after a
    separator of a Latin or code token ("Node.|js", "https://|example.com"), never between digits
    ("3.14", "2026-12-03").
    KLREQ's never-break rules still apply on top (an opening bracket never ends a line)."""
    if after in OPENING_BRACKETS:
        return not _space(before) and before not in OPENING and before not in PREFIX
    if after == "%" and before.isascii() and before.isalnum():
        return True  # before a percent-encoded byte of a URL ("…%ED%9B|%88…"), as CMOS breaks URLs
    if before in SEPARATORS and after.isascii() and (after.isalnum() or after in OPENING_BRACKETS):
        return not after.isdigit() or before not in ".,-"
    return False


SPACES = frozenset(c for c in map(chr, range(0x3001)) if c.isspace() or unicodedata.category(c) == "Zs")
"""Every white-space character and space separator (all of them lie below U+3001)."""


def _space(char: str) -> bool:
    return char in SPACES


def _syllable_boundary(before: str, after: str) -> bool:
    """Syllable mode may break between these two characters (both Hangul/Hanja, or CJK symbols)."""
    if is_conjoining_jamo(after) and 0x1160 <= ord(after) <= 0x11FF:
        return False  # inside an old-Hangul syllable built from jamo
    if 0xD7B0 <= ord(after) <= 0xD7FF:
        return False
    cjk = (is_hangul(before) or is_han(before)) and (is_hangul(after) or is_han(after))
    return cjk


def allowed_breaks(text: str, mode: str = WORD, forbidden: set[int] | None = None) -> set[int]:
    """Indices i (0 < i < len(text)) where a line may end between text[i-1] and text[i].

    A break "at" a space is the index just after the space run (the space hangs at the line end).
    `forbidden` is forbidden_breaks(text), when the caller has it already."""
    if mode not in MODES:
        raise ValueError(f"line_break mode {mode!r}: choose word or syllable")
    allowed: set[int] = set()
    n = len(text)
    syllable = mode == SYLLABLE
    for i in range(1, n):
        before, after = text[i - 1], text[i]
        if after in SPACES:
            continue  # break after the spaces, not before them
        if before in SPACES or (syllable and _syllable_boundary(before, after)):
            allowed.add(i)
    if forbidden is None:
        forbidden = _never(text)
    # A break after spaces is forbidden when the rule holds across the spaces too (an opening
    # bracket must not end a line even if a space follows it).
    return {i for i in allowed if i not in forbidden}


def forbidden_breaks(text: str) -> set[int]:
    """Indices i where KLREQ forbids a line break between text[i-1] and text[i], in any mode
    (whether or not a break would otherwise be possible there)."""
    return _never(text)


def _never(text: str) -> set[int]:
    """Break positions that KLREQ forbids in any mode."""
    never: set[int] = set()
    n = len(text)
    for i in range(1, n):
        before, after = text[i - 1], text[i]
        if after in CLOSING or after == NOTE_MARK:
            never.add(i)
        if before in OPENING:
            never.add(i)
        if before in INSEPARABLE and after in INSEPARABLE:
            never.add(i)
        if before in PREFIX and after.isdigit():
            never.add(i)
        if before.isdigit() and (after in SUFFIX_SYMBOLS or after.isdigit()):
            never.add(i)
    for m in _NUMBER_UNIT.finditer(text):
        never.add(m.end())
    # Opening brackets: no break between an opening bracket and what follows, even across spaces.
    for i in range(1, n):
        if text[i - 1] in SPACES:
            j = i - 1
            while j > 0 and text[j - 1] in SPACES:
                j -= 1
            if j > 0 and text[j - 1] in OPENING:
                never.add(i)
    return never


def runs(text: str, mode: str = WORD) -> list[tuple[int, int]]:
    """The unbreakable runs of `text` (start, end) between allowed breaks, spaces excluded."""
    cuts = [0, *sorted(allowed_breaks(text, mode)), len(text)]
    result = []
    for start, end in itertools.pairwise(cuts):
        stripped_end = end
        while stripped_end > start and _space(text[stripped_end - 1]):
            stripped_end -= 1
        if stripped_end > start:
            result.append((start, stripped_end))
    return result
