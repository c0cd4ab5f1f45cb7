"""The PDF's Korean line breaking: WeasyPrint (Pango) breaks Korean between any two syllables and
ignores `word-break: keep-all`, so this pass glues the characters of each unbreakable run with
U+2060 WORD JOINER (invisible, dropped from extracted text). Runs longer than a line stay breakable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from .breaks import MODES, NOTE_MARK, SYLLABLE, URL_BREAKS, WORD, runs
from .breaks import joins_previous as _joins_previous
from .rules import width_em

BALANCED = "balanced"
"""Word mode that may split a word between syllables where that saves a bad line (total fit only)."""

WJ = "\u2060"
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "i", "ins", "kbd", "mark", "q",
          "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "br", "ruby", "rt",
          "rp", "img"}
VERBATIM = {"pre", "script", "style"}
NARROW = {"td", "th", "figcaption", "dt"}


@dataclass
class _Segment:
    node: etree._Element
    attr: str  # "text" or "tail"
    start: int
    end: int


def _mode_of(el: etree._Element, inherited: str) -> str:
    classes = (el.get("class") or "").split()
    if "break-syllable" in classes:
        return SYLLABLE
    if "break-word" in classes:
        return WORD
    if "break-balanced" in classes:
        return BALANCED
    return inherited


def _is_note(el: etree._Element) -> bool:
    classes = (el.get("class") or "").split()
    return "footnote" in classes or "footnote-ref" in classes


class Planner(Protocol):
    """Takes whole paragraphs to break itself (writers/justified.py: total fit)."""

    def claim(self, el: etree._Element, mode: str, fallback: Callable[[], None]) -> bool: ...


class Gluer:
    """Applies one line-breaking mode to a tree of print HTML."""

    def __init__(self, line_em: float) -> None:
        self.line_em = line_em

    def apply(self, root: etree._Element, mode: str, planner: Planner | None = None) -> None:
        """Glue `root`'s text for `mode`; blocks that `planner` claims are left to it (it calls back
        for those it cannot plan)."""
        if mode not in (*MODES, BALANCED):
            raise ValueError(f"line_break mode {mode!r}: choose word, balanced or syllable")
        self.planner = planner
        self._block(root, _mode_of(root, mode), self.line_em * LINE_FILL)

    def _block(self, el: etree._Element, mode: str, limit: float) -> None:
        """Glue the inline flow of one block; nested blocks and footnotes are flows of their own."""
        if el.tag in VERBATIM:
            return
        planner = getattr(self, "planner", None)
        if planner is not None and planner.claim(el, mode, lambda: self._flow(el, mode, limit, notes=False)):
            for note in el.iter():
                if note is not el and isinstance(note.tag, str) and _is_note(note):
                    self._block(note, _mode_of(note, mode), limit)
            return
        self._flow(el, mode, limit, notes=True)

    def _flow(self, el: etree._Element, mode: str, limit: float, *, notes: bool) -> None:
        flow = _Flow()
        flow.add(el, "text", el.text)
        self._inline(el, flow, mode, limit, notes)
        if flow.text().strip():
            self._glue(flow, WORD if mode == BALANCED else mode, limit)

    def _inline(self, node: etree._Element, flow: _Flow, mode: str, limit: float, notes: bool = True) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                pass
            elif _is_note(child):
                flow.placeholder()
                if notes:
                    self._block(child, _mode_of(child, mode), limit)
            elif child.tag == "br":
                flow.gap()
            elif child.tag == "img":
                flow.placeholder()
            elif child.tag in INLINE:
                flow.add(child, "text", child.text)
                self._inline(child, flow, mode, limit, notes)
            else:
                narrow = 6.0 if child.tag in NARROW else limit * (0.85 if child.tag in NESTED else 1.0)
                self._block(child, _mode_of(child, mode), narrow)
                flow.gap()
            flow.add(child, "tail", child.tail)

    def _glue(self, flow: _Flow, mode: str, limit: float) -> None:
        text = flow.text()
        cuts: list[int] = []
        for start, end in runs(text, mode):
            width = width_em(text[start:end])
            if end - start < 2 or width > limit:
                continue  # a run longer than the line may break anywhere rather than overflow
            # A long URL, path or file name may break after its separators (as Korean books do),
            # rather than leave a loosely spaced line behind it.
            separators = width > limit * TECHNICAL_FRACTION and any(c in URL_BREAKS for c in text[start:end])
            for i in range(start + 1, end):
                a, b = text[i - 1], text[i]
                if separators and a in URL_BREAKS:
                    continue
                if a.isascii() and b.isascii():
                    continue  # Pango does not break inside Latin words and numbers
                if _joins_previous(b):
                    continue
                cuts.append(i)
        positions: dict[tuple[int, str], list[int]] = {}
        for i in cuts:
            found = flow.locate(i)
            if found is not None:
                segment, local = found
                positions.setdefault((id(segment.node), segment.attr), []).append(local)
        for segment in flow.segments:
            local_cuts = positions.pop((id(segment.node), segment.attr), None)
            if local_cuts:
                insert_joiners(segment.node, segment.attr, local_cuts)


def insert_joiners(node: etree._Element, attr: str, cuts: list[int]) -> None:
    """Put U+2060 WORD JOINER before each of these indices of the text node `attr` of `node`."""
    value = getattr(node, attr) or ""
    pieces, last = [], 0
    for pos in sorted(set(cuts)):
        pieces += [value[last:pos], WJ]
        last = pos
    pieces.append(value[last:])
    setattr(node, attr, "".join(pieces))


NESTED = {"li", "dd", "blockquote"}
LINE_FILL = 0.92
"""A run wider than this share of the line counts as longer than the line (it may break inside)."""
TECHNICAL_FRACTION = 0.3
"""URLs and file names wider than this share of the line may break after a separator."""


class _Flow:
    """The text of one block as the line breaker sees it, mapped back to the tree's text nodes."""

    def __init__(self) -> None:
        self.segments: list[_Segment] = []
        self._parts: list[str] = []
        self._length = 0

    def add(self, node: etree._Element, attr: str, value: str | None) -> None:
        if value:
            self.segments.append(_Segment(node, attr, self._length, self._length + len(value)))
            self._parts.append(value)
            self._length += len(value)

    def placeholder(self) -> None:
        self._parts.append(NOTE_MARK)
        self._length += 1

    def gap(self) -> None:
        self._parts.append(" ")
        self._length += 1

    def text(self) -> str:
        return "".join(self._parts)

    def locate(self, i: int) -> tuple[_Segment, int] | None:
        """Where a joiner goes for a cut before flow index i: inside the segment that spans it,
        else at the end of the segment that ends there, else at the start of the one that begins there."""
        for segment in self.segments:
            if segment.start < i < segment.end:
                return segment, i - segment.start
        for segment in self.segments:
            if segment.end == i:
                return segment, i - segment.start
        for segment in self.segments:
            if segment.start == i:
                return segment, 0
        return None
