"""Total-fit line breaking (Knuth–Plass) for justified Korean paragraphs, with KLREQ's adjustment
rules: spaces shrink to ⅔ and stretch; past 1.3× a little letter spacing takes the rest.

This module is the pure algorithm: positions come in as an array of x coordinates (the width of the
text up to each index, as the layout engine shapes it), the chosen breaks go out. The PDF writer
(writers/justified.py) measures with WeasyPrint's own Pango layout and makes WeasyPrint break there."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SHRINK = 1 / 3
"""A word space may shrink by a third of its width (to ⅔)."""
STRETCH = 0.3
"""A word space stretches to 1.3× before letter spacing helps."""
LETTER_STRETCH_EM = 0.03
LETTER_SHRINK_EM = 0.02
"""Letter spacing a reader sees between two syllables of a line, at most, in ems of the body size."""
LETTER_STRETCH_MORE_EM = 0.02
"""A line that cannot be set within those limits (a long word after it) takes up to this much more
letter spacing before its spaces stretch further."""
LINE_PENALTY = 10.0
RUNT_DEMERITS = 4e6
"""A paragraph whose last line is one syllable costs as much as a line stretched to about 2.6×."""
SAFETY_PX = 0.35
"""A shrunk line is planned this much narrower than its measure, so rounding never overflows it."""


@dataclass(frozen=True)
class Break:
    """A place a line may end: the line stops before `end`, the next starts at `start` (after the
    space for a break at a space; the same index inside a word)."""

    end: int
    start: int
    penalty: float = 0.0
    forced: bool = False
    inside_word: bool = False
    """No space here: the line ends inside a run of text (a syllable break, a bracket, a separator)."""
    splits_word: bool = False
    """Of those, a break between two syllables or letters of a word."""


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    measure: float
    natural: float
    spaces: float
    """The natural width of the line's word spaces together."""
    gaps: int
    chars: int
    """Characters the letter spacing falls on (WeasyPrint adds it after each, word joiners too)."""
    visible: int
    """Of those, the ones that are seen (not word joiners)."""
    last: bool
    inside_word: bool
    """The line ends inside a run of text, with no space (see Break.inside_word)."""
    splits_word: bool = False

    @property
    def excess(self) -> float:
        return self.measure - self.natural


@dataclass
class _Node:
    brk: Break | None  # None: the paragraph's start
    demerits: float
    previous: _Node | None
    line: int


class Paragraph:
    """One paragraph's measured text.

    `x[k]` is the width of the paragraph's text before index k (len(x) == length + 1), `space[k]`
    is True where index k holds a stretchable word space; `em` is the body size in the same unit."""

    def __init__(self, x: Sequence[float], space: Sequence[bool], em: float,
                 visible: Sequence[bool] | None = None) -> None:
        self.x = list(x)
        self.em = em
        self.length = len(x) - 1
        gaps = [0] * (self.length + 1)
        seen = [0] * (self.length + 1)
        widths = [0.0] * (self.length + 1)
        for k in range(self.length):
            gaps[k + 1] = gaps[k] + (1 if space[k] else 0)
            seen[k + 1] = seen[k] + (1 if visible is None or visible[k] else 0)
            widths[k + 1] = widths[k] + ((self.x[k + 1] - self.x[k]) if space[k] else 0.0)
        self._gaps, self._widths, self._seen = gaps, widths, seen

    def line(self, start: int, end: int, measure: float, *, last: bool, inside_word: bool = False,
             splits_word: bool = False) -> Line:
        return Line(start, end, measure, self.x[end] - self.x[start], self._widths[end] - self._widths[start],
                    self._gaps[end] - self._gaps[start], end - start, self._seen[end] - self._seen[start],
                    last, inside_word, splits_word)

    def ratio(self, line: Line) -> float:
        """The adjustment ratio: 0 natural, 1 at the limit of comfortable stretch, -1 fully shrunk."""
        return _ratio(line.excess, line.spaces, _carriers(line), line.visible < line.chars, self.em)


def _ratio(excess: float, spaces: float, carriers: int, joined: bool, em: float) -> float:
    """Paragraph.ratio of a line from its sums (the planner's inner loop calls this)."""
    share = 0.5 if joined else 1.0  # see letter_room
    if excess >= 0:
        room = STRETCH * spaces + LETTER_STRETCH_EM * em * share * carriers
        return excess / room if room > 0 else (0.0 if excess < 0.5 else math.inf)
    room = SHRINK * spaces + LETTER_SHRINK_EM * em * share * carriers
    return (excess - SAFETY_PX) / room if room > 0 else -math.inf


def total_fit(paragraph: Paragraph, breaks: Sequence[Break], measure: float, first_measure: float,
              is_runt: Callable[[int, int], bool]) -> list[Line] | None:
    """The lines of least total demerits (Knuth–Plass without fitness classes), or None when no
    sequence of breaks sets every line within its measure."""
    end = Break(paragraph.length, paragraph.length, forced=True)
    candidates = sorted((b for b in breaks if 0 < b.end < paragraph.length), key=lambda b: b.end)
    x, widths, gaps, seen = paragraph.x, paragraph._widths, paragraph._gaps, paragraph._seen
    active: list[_Node] = [_Node(None, 0.0, None, 0)]
    for brk in [*candidates, end]:
        last = brk is end
        stop = brk.end
        best: _Node | None = None
        keep: list[_Node] = []
        for node in active:
            start = node.brk.start if node.brk else 0
            if start >= stop:
                keep.append(node)
                continue
            width = first_measure if node.brk is None else measure
            excess = width - (x[stop] - x[start])
            if last:
                if excess < -0.01:
                    continue  # the last line is set at its natural width
                demerits = LINE_PENALTY ** 2 + (RUNT_DEMERITS if is_runt(start, stop) else 0.0)
            else:
                count = gaps[stop] - gaps[start]
                r = _ratio(excess, widths[stop] - widths[start], max(0, stop - start - 2 * count),
                           seen[stop] - seen[start] < stop - start, paragraph.em)
                if r < -1:
                    continue  # too full: and fuller still for every later break from this node
                badness = 100.0 * abs(r) ** 3
                demerits = (LINE_PENALTY + badness) ** 2 + (brk.penalty ** 2 if brk.penalty > 0 else 0.0)
            keep.append(node)
            total = node.demerits + demerits
            if best is None or total < best.demerits:
                best = _Node(brk, total, node, node.line + 1)
        active = keep
        if brk.forced:
            active = []
        if best is not None:
            active.append(best)
        if last:
            if best is None:
                return None
            return _lines(paragraph, best, measure, first_measure)
    return None


def _lines(paragraph: Paragraph, node: _Node, measure: float, first_measure: float) -> list[Line]:
    chosen: list[_Node] = []
    current: _Node | None = node
    while current is not None and current.brk is not None:
        chosen.append(current)
        current = current.previous
    chosen.reverse()
    lines: list[Line] = []
    start = 0
    for i, item in enumerate(chosen):
        assert item.brk is not None
        width = first_measure if i == 0 else measure
        last = i == len(chosen) - 1
        lines.append(paragraph.line(start, item.brk.end, width, last=last, inside_word=item.brk.inside_word,
                                    splits_word=item.brk.splits_word))
        start = item.brk.start
    return lines


@dataclass(frozen=True)
class Adjustment:
    """What one line needs beyond what WeasyPrint's justification does (it only adds to spaces):
    word spacing (negative: shrink) and letter spacing, both in the unit of the positions."""

    word_spacing: float = 0.0
    letter_spacing: float = 0.0

    @property
    def needed(self) -> bool:
        return bool(self.word_spacing or self.letter_spacing)


def adjustment(paragraph: Paragraph, line: Line) -> Adjustment:
    """Spaces first (to ⅔ or 1.3×), then letter spacing; WeasyPrint's justification adds what is
    left to the spaces. WeasyPrint adds letter spacing after every character, the space and the
    character before it too: on a line that shrinks the word spacing takes that back, on one that
    stretches the justification adds that much less, so the letter spacing that shows falls between
    the syllables of words only and a word gap is as planned."""
    if line.last:
        return Adjustment()
    excess = line.excess
    if excess >= 0:
        room = STRETCH * line.spaces
        if excess <= room or line.chars == 0:
            return Adjustment()
        most = letter_room(line, LETTER_STRETCH_EM * paragraph.em)
        letters = min(excess - room, most)
        rest = excess - room - letters
        if rest > 0:  # past both limits: a little more letter spacing, then the spaces again
            letters += min(rest, letter_room(line, LETTER_STRETCH_MORE_EM * paragraph.em))
        carriers = _carriers(line)
        letter = letters / carriers if carriers > 0 else 0.0
        # No word spacing to take back what the letter spacing adds to each space and the character
        # before it: the gaps widen by that, and WeasyPrint's justification adds as much less to
        # them, so every gap is the same. What it saves: WeasyPrint sets word spacing as letter
        # spacing on every space of a text, one Pango attribute each (which splits the text into as
        # many shaping runs), where letter spacing alone is one attribute.
        short = excess - letter * line.chars
        return Adjustment(short / line.gaps if short < 0 and line.gaps else 0.0, letter)
    excess -= SAFETY_PX
    word = max(excess / line.gaps, -SHRINK * line.spaces / line.gaps) if line.gaps else 0.0
    rest = excess - word * line.gaps
    least = -letter_room(line, LETTER_SHRINK_EM * paragraph.em)
    return _spread(line, word, max(rest, least) if rest < 0 else 0.0)


def gap_ratio(paragraph: Paragraph, line: Line) -> float | None:
    """The mean word gap a reader sees on this line, set as jebon sets it (its adjustment, then
    WeasyPrint's justification for the rest), ÷ the natural space: what `jebon.spacing` measures
    in the PDF. None for a line without word spaces."""
    if line.gaps == 0 or line.spaces <= 0:
        return None
    adjust = adjustment(paragraph, line)
    natural = line.spaces / line.gaps
    if line.last:
        return 1.0
    rest = line.excess - adjust.word_spacing * line.gaps - adjust.letter_spacing * line.chars
    gap = natural + adjust.word_spacing + 2 * adjust.letter_spacing + rest / line.gaps
    return gap / natural


def _carriers(line: Line) -> int:
    """The characters whose letter spacing stays in the line: not a space, nor the one before it
    (the word spacing takes theirs back)."""
    return max(0, line.chars - 2 * line.gaps)


def letter_room(line: Line, most: float) -> float:
    """The letter spacing a line can take in all when no two syllables may be further apart (or
    closer) than `most`. WeasyPrint adds CSS letter spacing after every character, word joiners
    too: two syllables with a joiner between them get it twice."""
    per_carrier = most / 2 if line.visible < line.chars else most
    return per_carrier * _carriers(line)


def _spread(line: Line, word: float, letters: float) -> Adjustment:
    """CSS word and letter spacing that add `word` to each gap and `letters` in all to the line."""
    carriers = _carriers(line)
    if carriers <= 0 or not letters:
        return Adjustment(word, 0.0)
    letter = letters / carriers
    return Adjustment(word - 2 * letter, letter)
