"""The EPUB's Korean line breaking: reading systems are browsers, and with epub.css's
`word-break: keep-all; line-break: strict` they already keep 어절 whole and keep most closing
punctuation off a line's start. Where they still may break and KLREQ forbids it (before a middle
dot `·`, before a closing quote after a syllable, between a number and a unit such as ㎏, after an
opening quote followed by a space …), this pass puts U+2060 WORD JOINER, and nowhere else: the
text stays otherwise as it was. Never inside `pre`, `code`, `kbd`, `samp`, ruby readings, math or
SVG, never before a combining character, never in attribute values.

`browser_may_break` is the model of the browser: Unicode line breaking (UAX #14) for the classes
that matter here, with Chromium's `keep-all` (no break between two letters or digits). Where the
Unicode versions differ it takes the newer, looser rule (since Unicode 15.1 a quote between two
East Asian characters, as in 이력서’라고, may start a line)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from lxml import etree

from .breaks import forbidden_breaks
from .breaks import joins_previous as _joins_previous
from .linebreak import insert_joiners
from .rules import is_han, is_hangul

WJ = "\u2060"

# UAX #14 classes, for the characters KLREQ's rules name.
_NO_BREAK_BEFORE_EVEN_AFTER_SPACES = set(")]}〕〉》」』】〙〗〟｠、。，．）］｝｣?!？！")
"""CL, CP and EX: no break before them (UAX #14 LB13 says: even after spaces; Chromium breaks there)."""
_NO_BREAK_BEFORE = set(",.:;" "・‼⁇⁈⁉ー：；" "-‐‑–" "…‥" "\u2060\u00a0\u202f")
"""IS, NS (CJ under line-break: strict), HY, BA, IN, GL, WJ: no break directly before them."""
_NO_BREAK_AFTER_EVEN_BEFORE_SPACES = set("([{〔〈《「『【〘〖〝｟（［｛｢")
"""OP: no break after them (LB14 says: even before spaces; Chromium breaks after the spaces)."""
_NO_BREAK_AFTER = set("\u2060\u00a0\u202f\u2011")
"""WJ and GL: no break directly after them."""
_QUOTES = set("‘’“”«»‹›\"'")
"""QU: no break next to them, except between two East Asian characters (LB19, LB19a)."""
_PREFIX = set("$₩￦€£¥￥#+±−")
"""PR (and # which is AL): no break before the digit after them (LB25, LB23)."""
_POSTFIX = set("%‰℃℉°′″")
"""PO: no break between a digit and them (LB25)."""

INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "data", "del", "dfn", "em", "i", "ins", "mark", "q", "s",
          "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "br", "ruby", "img",
          "code", "kbd", "samp", "rt", "rp", "math", "svg"}
OPAQUE = {"code", "kbd", "samp"}
"""Inline elements whose text is the browser's to break and never changed here."""
OUTSIDE = {"rt", "rp", "math", "svg"}
"""Inline content that is not on the line's baseline text: left out of the flow, left unchanged."""
VERBATIM = {"pre", "script", "style", "math", "svg"}
KEEP_ALL = "word"
NORMAL = "syllable"


def _space(char: str) -> bool:
    return char.isspace() and char not in "\u00a0\u202f"


def _letter_or_digit(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def _east_asian(char: str) -> bool:
    return is_hangul(char) or is_han(char) or unicodedata.east_asian_width(char) in "WF"


def browser_may_break(text: str, i: int, mode: str = KEEP_ALL) -> bool:
    """Whether a browser may end a line between text[i-1] and text[i] (0 < i < len(text)), with
    `word-break: keep-all` (mode "word") or `normal` (mode "syllable") and `line-break: strict`.
    Errs towards "may": a joiner where no break was possible anyway changes nothing."""
    before, after = text[i - 1], text[i]
    if _space(after) or _joins_previous(after):
        return False
    if _space(before):
        # Chromium breaks after any space, even in 『 … 』 (UAX #14's LB13 and LB14 say no) and even
        # before a joiner; ICU (WebKit, so Apple Books and Kobo) honours a joiner there (LB11).
        return True
    if after in _NO_BREAK_BEFORE_EVEN_AFTER_SPACES or before in _NO_BREAK_AFTER_EVEN_BEFORE_SPACES:
        return False
    if after in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER:
        return False
    if after in _QUOTES and (not _east_asian(before) or i + 1 == len(text) or not _east_asian(text[i + 1])):
        return False
    if before in _QUOTES and (not _east_asian(after) or i < 2 or not _east_asian(text[i - 2])):
        return False
    if before == after == "—":
        return False  # B2 × B2 (LB17)
    if before in _PREFIX and after.isdigit():
        return False
    if before.isdigit() and after in _POSTFIX:
        return False
    if _letter_or_digit(before) and _letter_or_digit(after):
        # keep-all: no break between letters and digits (Chromium: categories L and N); normal:
        # only between Latin letters and digits (AL, NU), not next to a Hangul or Hanja syllable.
        return mode != KEEP_ALL and (_east_asian(before) or _east_asian(after))
    return True


def joins(text: str, mode: str = KEEP_ALL) -> list[int]:
    """Where a joiner goes: the positions KLREQ forbids and the browser would break at."""
    return sorted(i for i in forbidden_breaks(text) if 0 < i < len(text) and browser_may_break(text, i, mode))


def join_text(text: str, mode: str = KEEP_ALL) -> str:
    """`text` with a WORD JOINER at each of `joins(text, mode)`."""
    pieces, last = [], 0
    for i in joins(text, mode):
        pieces += [text[last:i], WJ]
        last = i
    pieces.append(text[last:])
    return "".join(pieces)


@dataclass
class _Segment:
    node: etree._Element
    attr: str  # "text" or "tail"
    start: int
    end: int
    editable: bool


class _Flow:
    """The text of one block as the browser lines it up, mapped back to the tree's text nodes."""

    def __init__(self) -> None:
        self.segments: list[_Segment] = []
        self.parts: list[str] = []
        self.length = 0

    def add(self, node: etree._Element, attr: str, value: str | None, editable: bool = True) -> None:
        if value:
            self.segments.append(_Segment(node, attr, self.length, self.length + len(value), editable))
            self.parts.append(value)
            self.length += len(value)

    def mark(self, char: str) -> None:
        self.parts.append(char)
        self.length += 1

    def locate(self, i: int) -> tuple[_Segment, int] | None:
        """Where a joiner before flow index i goes: inside the editable segment that spans i, else
        at the start of the one that begins at i, else at the end of the one that ends there."""
        for segment in self.segments:
            if segment.start < i < segment.end:
                return (segment, i - segment.start) if segment.editable else None
        for wanted in ("start", "end"):
            for segment in self.segments:
                if segment.editable and getattr(segment, wanted) == i:
                    return segment, i - segment.start
        return None


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _mode_of(el: etree._Element, inherited: str) -> str:
    classes = (el.get("class") or "").split()
    if "break-syllable" in classes:
        return NORMAL
    if "break-word" in classes:
        return KEEP_ALL
    return inherited


def join_tree(root: etree._Element, mode: str = KEEP_ALL) -> etree._Element:
    """Put the joiners into the text of an XHTML tree (a chapter's body), block by block.
    Returns `root`, changed in place."""
    _block(root, _mode_of(root, mode))
    return root


def _block(el: etree._Element, mode: str) -> None:
    if _local(el) in VERBATIM:
        return
    flow = _Flow()
    flow.add(el, "text", el.text)
    _inline(el, flow, mode)
    text = "".join(flow.parts)
    if not text.strip():
        return
    positions: dict[tuple[int, str], list[int]] = {}
    segments: dict[tuple[int, str], _Segment] = {}
    for i in joins(text, mode):
        found = flow.locate(i)
        if found is not None:
            segment, local = found
            positions.setdefault((id(segment.node), segment.attr), []).append(local)
            segments[(id(segment.node), segment.attr)] = segment
    for key, cuts in positions.items():
        insert_joiners(segments[key].node, segments[key].attr, cuts)


def _inline(node: etree._Element, flow: _Flow, mode: str) -> None:
    for child in node:
        tag = _local(child)
        if not tag:
            pass  # a comment or processing instruction: its tail is text all the same
        elif tag in OUTSIDE:
            pass
        elif tag == "br":
            flow.mark(" ")
        elif tag == "img":
            flow.mark("\ufffc")
        elif tag in OPAQUE:
            flow.add(child, "text", "".join(str(t) for t in child.itertext()), editable=False)
        elif tag in INLINE:
            flow.add(child, "text", child.text)
            _inline(child, flow, mode)
        else:
            _block(child, _mode_of(child, mode))
            flow.mark(" ")
        flow.add(child, "tail", child.tail)
