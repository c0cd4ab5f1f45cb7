"""Total-fit justified paragraphs in the PDF: measure each paragraph with WeasyPrint's own Pango
layout, choose its breaks for the whole paragraph (typography/justify.py), and make WeasyPrint break
exactly there.

How WeasyPrint is made to follow the plan: every space that is not a chosen break becomes U+00A0
(WeasyPrint stretches it like a space), every other place Pango could break gets U+2060 WORD JOINER,
a chosen break inside a word gets U+200B. A line that must shrink, or stretch past 1.3× its spaces,
is wrapped in spans with `word-spacing`/`letter-spacing`; WeasyPrint's justification fills the rest.
The measure, the text indent and the fonts of every kind of text come from a small probe document
laid out with the book's CSS (its paragraphs and inline elements in the same ancestors and siblings),
so lists, quotes and definition lists get their real measure."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from ..typography.breaks import NOTE_MARK, SYLLABLE, URL_BREAKS, WORD, allowed_breaks, forbidden_breaks, token_break
from ..typography.breaks import joins_previous as _joins_previous
from ..typography.justify import Break, Line, Paragraph, adjustment, total_fit
from ..typography.linebreak import BALANCED
from ..typography.rules import CLOSING, is_han, is_hangul

WJ, NBSP, ZWSP = "\u2060", "\u00a0", "\u200b"
_HEX = re.compile("[0-9A-Fa-f]{2}")
ATOM = "\ufffc"
BLOCKS = {"p", "li", "dd"}
"""Blocks planned as paragraphs (when their CSS justifies them and they hold only inline content)."""
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "i", "ins", "kbd", "mark", "q",
          "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"}
MID_WORD_PENALTY = {WORD: None, BALANCED: 600.0, SYLLABLE: 0.0}
"""The cost of a line ending between two syllables of a word (None: never)."""
OVERLONG_PENALTY = 400.0
"""A run wider than the line must break somewhere inside."""
TECHNICAL_PENALTY = 60.0
"""A long URL, path or identifier may break after / _ . ? & = #."""
TOKEN_PENALTY = 150.0
"""Before an opening bracket, or after a separator of a shorter Latin token: only to save a line
stretched past its limits (a penalty of 150 weighs as much as a line at about 1.1 of its room)."""
TECHNICAL_FRACTION = 0.3


def _signature(el: etree._Element) -> tuple[str, str]:
    return (str(el.tag), el.get("class") or "")


def _is_note(el: etree._Element) -> bool:
    return "footnote" in (el.get("class") or "").split()


def _glued(a: str, b: str) -> bool:
    """Pango never breaks here anyway (inside a Latin word or a number), or a joiner would split a cluster."""
    return (a.isascii() and b.isascii() and a.isalnum() and b.isalnum()) or _joins_previous(b) or b == WJ or a == WJ


@dataclass
class _Piece:
    node: etree._Element
    attr: str
    context: tuple[tuple[str, str], ...]
    text: str = ""  # normalised (white space collapsed)
    start: int = 0  # index of its first character in the flow


@dataclass
class _Flow:
    block: etree._Element
    mode: str
    fallback: Callable[[], None]
    pieces: list[_Piece] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    notes: dict[int, etree._Element] = field(default_factory=dict)
    atoms: dict[int, etree._Element] = field(default_factory=dict)
    """Flow index → a box set whole (jebon's ruby): its width comes from the probe."""
    forced: set[int] = field(default_factory=set)
    edges: dict[int, list[tuple[tuple[tuple[str, str], ...], str]]] = field(default_factory=dict)
    """Flow index → inline elements that open ("left") or close ("right") before that character."""
    contexts: set[tuple[tuple[str, str], ...]] = field(default_factory=set)

    def add(self, node: etree._Element, attr: str, value: str | None, context: tuple[tuple[str, str], ...]) -> None:
        if not value:
            return
        out: list[str] = []
        for char in value:
            if char in " \n\t\r\f":
                previous = out[-1] if out else (self.text[-1] if self.text else "")
                if previous in ("", " ", "\n"):
                    continue  # collapsed, or leading
                char = " "
            out.append(char)
        if out:
            self.pieces.append(_Piece(node, attr, context, "".join(out), len(self.text)))
            self.text.extend(out)
            self.contexts.add(context)


@dataclass
class Style:
    """What the probe found for one kind of text."""

    style: Any
    left: float = 0.0
    right: float = 0.0


@dataclass
class Measure:
    width: float
    indent: float
    justified: bool
    em: float
    texts: dict[tuple[tuple[str, str], ...], Style]
    call: Style | None
    atoms: dict[str, float] = field(default_factory=dict)


class Justifier:
    """Collects a chapter's paragraphs, then plans and rewrites them together (one probe layout)."""

    def __init__(self, probe: Callable[[str], Any], positions: Callable[[str, Any], list[float]]) -> None:
        self.probe = probe
        self.positions = positions
        self.flows: list[_Flow] = []
        self.known: dict[tuple[Any, ...], Measure | None] = {}
        self.blocks: dict[Any, Measure] = {}
        self.inlines: dict[tuple[Any, Any], Style | None] = {}
        self.atom_widths: dict[tuple[Any, str], float] = {}
        self.numbers: dict[int, int] = {}
        """Footnote element → its number (the call WeasyPrint sets is counter(footnote))."""
        self.split_words = 0
        self.lines = 0
        self.planned = 0

    def forget(self) -> None:
        """Drop what the probes found (WeasyPrint styles hold the layout's font configuration)."""
        self.known.clear()
        self.blocks.clear()
        self.inlines.clear()
        self.atom_widths.clear()
        self.flows = []
        self.positions = pango_positions()

    # -- collecting ---------------------------------------------------------------------------
    def claim(self, el: etree._Element, mode: str, fallback: Callable[[], None]) -> bool:
        """Take a block to plan (True), or leave it to the first-fit gluer (False)."""
        if el.tag not in BLOCKS:
            return False
        flow = _Flow(el, mode, fallback)
        if not self._collect(el, (), flow) or not "".join(flow.text).strip():
            return False
        while flow.text and flow.text[-1] == " ":  # trailing white space is not laid out
            flow.text.pop()
            last = flow.pieces[-1]
            last.text = last.text[:-1]
            if not last.text:
                flow.pieces.pop()
        self.flows.append(flow)
        return True

    def prescan(self, sections: list[etree._Element]) -> None:
        """Probe, in one layout, every kind of paragraph and inline text these chapters hold."""
        flows = []
        for section in sections:
            for el in section.iter(*BLOCKS):
                flow = _Flow(el, "", lambda: None)
                if self._collect(el, (), flow):
                    flows.append(flow)
        saved, self.flows = self.flows, flows
        try:
            self._measure_all()
        finally:
            self.flows = saved

    def _collect(self, node: etree._Element, context: tuple[tuple[str, str], ...], flow: _Flow) -> bool:
        flow.add(node, "text", node.text, context)
        for child in node:
            if not isinstance(child.tag, str):
                flow.add(child, "tail", child.tail, context)
                continue
            if _is_note(child):
                flow.notes[len(flow.text)] = child
                flow.text.append(NOTE_MARK)
            elif child.tag == "ruby" and child.get("class") == "ruby":
                flow.atoms[len(flow.text)] = child
                flow.text.append(ATOM)
            elif child.tag == "br":
                if flow.text and flow.text[-1] == " ":
                    return False  # a space before a line break: rare, left to the gluer
                flow.forced.add(len(flow.text))
                flow.text.append("\n")
            elif child.tag in INLINE:
                inner = (*context, _signature(child))
                flow.edges.setdefault(len(flow.text), []).append((inner, "left"))
                if not self._collect(child, inner, flow):
                    return False
                flow.edges.setdefault(len(flow.text), []).append((inner, "right"))
            else:
                return False  # images, ruby, nested blocks: the first-fit gluer handles the block
            flow.add(child, "tail", child.tail, context)
        return True

    # -- the probe ------------------------------------------------------------------------------
    @staticmethod
    def _chain(block: etree._Element) -> tuple[tuple[str, str, tuple[str, str] | None], ...]:
        chain = []
        el: etree._Element | None = block
        while el is not None and el.getparent() is not None:
            previous = el.getprevious()
            while previous is not None and not isinstance(previous.tag, str):
                previous = previous.getprevious()
            # Only the paragraph's own previous sibling (`h2 + p` sets no indent): an ancestor's
            # measure does not depend on its siblings in jebon's CSS, and fewer kinds mean fewer probes.
            sibling = _signature(previous) if previous is not None and el is block else None
            chain.append((str(el.tag), el.get("class") or "", sibling if el is block else None))
            el = el.getparent()
        return tuple(reversed(chain))

    def _key(self, flow: _Flow) -> tuple[Any, ...]:
        atoms = tuple(sorted({lxml.html.tostring(el, encoding="unicode", with_tail=False)
                              for el in flow.atoms.values()}))
        return (self._chain(flow.block), tuple(sorted(flow.contexts)), atoms)

    def _compose(self, key: tuple[Any, ...]) -> bool:
        """A measure put together from what earlier probes found, if they found all of it."""
        chain, contexts, atoms = key
        base = self.blocks.get(chain)
        if base is None or any((chain, c) not in self.inlines for c in contexts if c) \
                or any((chain, a) not in self.atom_widths for a in atoms):
            return False
        texts = dict(base.texts)
        for context in contexts:
            if context:
                style = self.inlines[(chain, context)]
                if style is None:
                    self.known[key] = None
                    return True
                texts[context] = style
        self.known[key] = Measure(base.width, base.indent, base.justified, base.em, texts, base.call,
                                  {a: self.atom_widths[(chain, a)] for a in atoms})
        return True

    def _measure_all(self) -> None:
        missing = {}
        for flow in self.flows:
            key = self._key(flow)
            if key not in self.known and not self._compose(key):
                missing[key] = flow
        if not missing:
            return
        # One probed paragraph per chain of ancestors, with every kind of inline text its paragraphs hold.
        parts, ids = [], {}
        wanted: dict[Any, tuple[set[Any], set[str]]] = {}
        for chain, contexts, atoms in missing:
            entry = wanted.setdefault(chain, (set(), set()))
            entry[0].update(contexts)
            entry[1].update(atoms)
        for n, (chain, (context_set, atom_set)) in enumerate(wanted.items()):
            contexts, atoms = tuple(sorted(context_set)), tuple(sorted(atom_set))
            ids[f"b{n}"] = (chain, contexts, atoms)
            html_open, html_close = "", ""
            for depth, (tag, cls, previous) in enumerate(chain):
                if previous is not None:
                    html_open += f'<{previous[0]} class="{_attr(previous[1])}"></{previous[0]}>'
                marker = f' data-jp="b{n}"' if depth == len(chain) - 1 else ""
                html_open += f'<{tag} class="{_attr(cls)}"{marker}>'
                html_close = f"</{tag}>" + html_close
            inner = "가"
            for m, context in enumerate(contexts):
                if not context:
                    continue
                opened = "".join(f'<{t} class="{_attr(c)}"' + (f' data-jp="b{n}-{m}"' if i == len(context) - 1 else "")
                                 + ">" for i, (t, c) in enumerate(context))
                closed = "".join(f"</{t}>" for t, _ in reversed(context))
                inner += f" {opened}가{closed}"
            for m, atom in enumerate(atoms):
                inner += atom.replace("<ruby ", f'<ruby data-jp="b{n}-r{m}" ', 1)
            if n == 0:
                inner += '<span class="footnote">가</span>'
            parts.append(html_open + inner + html_close)
        source = ('<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"></head><body>'
                  f'<section class="chapter body" id="jebon-probe">{"".join(parts)}</section></body></html>')
        document = self.probe(source)
        found: dict[str, Any] = {}
        texts: dict[str, Any] = {}
        call: list[Style] = []

        def walk(box: Any, owner: str | None, parent: Any) -> None:
            element = getattr(box, "element", None)
            mark = element.get("data-jp") if element is not None and hasattr(element, "get") else None
            kind = type(box).__name__
            if getattr(box, "pseudo_type", None) == "footnote-call" and not call:
                text = next((c for c in getattr(box, "children", []) if type(c).__name__ == "TextBox"), None)
                if text is not None:
                    call.append(Style(text.style, *_edges(box)))
            if mark and kind != "TextBox" and mark not in found:
                found[mark] = box
                owner = mark
            if kind == "TextBox" and owner is not None:
                key = owner if type(parent).__name__ == "LineBox" else None
                if key and key not in texts:
                    texts[key] = box.style
            for child in getattr(box, "children", []):
                walk(child, owner, box)

        for page in document.pages:
            walk(page._page_box, None, None)
        for mark, key in ids.items():
            block = found.get(mark)
            chain, contexts, atoms = key
            if block is None or mark not in texts:
                continue
            style = block.style
            self.blocks.setdefault(chain, Measure(
                width=float(block.width), indent=_length(style["text_indent"], float(block.width)),
                justified=style["text_align_all"] == "justify", em=float(style["font_size"]),
                texts={(): Style(texts[mark])}, call=call[0] if call else None))
            for m, atom in enumerate(atoms):
                box = found.get(f"{mark}-r{m}")
                if box is not None:
                    self.atom_widths[(chain, atom)] = float(box.margin_width())
            for m, context in enumerate(contexts):
                if not context:
                    continue
                box = found.get(f"{mark}-{m}")
                text = None
                if box is not None and type(box).__name__ == "InlineBox":  # not an inline-block
                    text = next((c for c in box.children if type(c).__name__ == "TextBox"), None)
                self.inlines[(chain, context)] = Style(text.style, *_edges(box)) if text is not None else None
        for key in missing:
            if not self._compose(key):
                self.known[key] = None  # the probe did not find it: left to first fit

    # -- planning -----------------------------------------------------------------------------
    def finish(self, section: etree._Element) -> None:
        """Plan every collected paragraph of `section` (a chapter); those that cannot be planned go
        to the first-fit gluer."""
        if not self.flows:
            return
        self.numbers = {id(el): n for n, el in enumerate((el for el in section.iter() if isinstance(el.tag, str)
                                                          and _is_note(el)), start=1)}
        self._measure_all()
        for flow in self.flows:
            measure = self.known.get(self._key(flow))
            if measure is None or not measure.justified or not self._plan(flow, measure):
                flow.fallback()
        self.flows = []

    def _plan(self, flow: _Flow, measure: Measure) -> bool:
        text = flow.text
        n = len(text)
        # The text as it will be laid out: every space a no-break space, a joiner wherever Pango
        # could break; positions measured by Pango, one text box per piece as WeasyPrint sets them.
        final: list[str] = []
        index = [0] * (n + 1)  # flow index → index in `final`
        owner: list[int] = []  # index in `final` → piece (-1: not in a piece)
        x = [0.0]
        space: list[bool] = []
        piece_of = [-1] * n
        for p, piece in enumerate(flow.pieces):
            for i in range(piece.start, piece.start + len(piece.text)):
                piece_of[i] = p
        offset = 0.0

        def push(char: str, width: float, p: int, is_space: bool = False) -> None:
            final.append(char)
            owner.append(p)
            space.append(is_space)
            x.append(x[-1] + width)

        t = 0
        while t < n:
            for context, side in flow.edges.get(t, []):
                style = measure.texts.get(context)
                if style is not None:
                    offset += style.left if side == "left" else style.right
            if t in flow.notes:
                index[t] = len(final)
                width = 0.0
                if measure.call is not None:
                    width = self._width(str(self.numbers.get(id(flow.notes[t]), 1)), measure.call)
                x[-1] += offset
                offset = 0.0
                push(NOTE_MARK, width, -1)
                t += 1
                continue
            if t in flow.atoms:
                index[t] = len(final)
                atom = lxml.html.tostring(flow.atoms[t], encoding="unicode", with_tail=False)
                if atom not in measure.atoms:
                    return False
                x[-1] += offset
                offset = 0.0
                push(ATOM, measure.atoms[atom], -1)
                t += 1
                continue
            if t in flow.forced:
                index[t] = len(final)
                x[-1] += offset
                offset = 0.0
                push("\n", 0.0, -1)
                t += 1
                continue
            p = piece_of[t]
            piece = flow.pieces[p]
            end = piece.start + len(piece.text)
            local: list[str] = []
            local_index: list[int] = []
            for i in range(t, end):
                char = text[i]
                before = text[i - 1] if i > 0 else ""
                if char != " " and before not in ("", " ", "\n") and not _glued(before, char):
                    local.append(WJ)
                local_index.append(len(local))
                local.append(NBSP if char == " " else char)
            if end < n and text[end] in (NOTE_MARK, ATOM) and local and local[-1] != NBSP:
                local.append(WJ)  # a footnote call or a ruby stays with the word before it
            positions = self.positions("".join(local), measure.texts[piece.context].style)
            x[-1] += offset
            offset = 0.0
            base = x[-1]
            start_final = len(final)
            for k, char in enumerate(local):
                final.append(char)
                owner.append(p)
                space.append(char == NBSP)
                x.append(base + positions[k + 1])
            for i, k in zip(range(t, end), local_index, strict=True):
                index[i] = start_final + k
            t = end
        index[n] = len(final)
        x[-1] += offset
        paragraph = Paragraph(x, space, measure.em, [c not in (WJ, ZWSP) for c in final])
        breaks = self._breaks(flow, paragraph, index, measure)

        def runt(start: int, end: int) -> bool:
            letters = [c for c in final[start:end] if c.isalnum()]
            return len(letters) == 1 and (is_hangul(letters[0]) or is_han(letters[0])) and start > 0

        lines = total_fit(paragraph, breaks, measure.width, measure.width - measure.indent, runt)
        if lines is None:
            return False
        self.planned += 1
        self.lines += len(lines)
        self.split_words += sum(1 for line in lines if line.splits_word and not line.last)
        self._apply(flow, final, owner, lines, paragraph)
        return True

    def _width(self, text: str, style: Style) -> float:
        return self.positions(text, style.style)[-1] + style.left + style.right

    def _breaks(self, flow: _Flow, paragraph: Paragraph, index: list[int], measure: Measure) -> list[Break]:
        text = "".join(flow.text)
        breaks: list[Break] = []
        forbidden = forbidden_breaks(text)
        for i in sorted(allowed_breaks(text, WORD, forbidden)):
            if text[i - 1] == " ":
                s = index[i - 1]
                breaks.append(Break(s, s + 1))
        for i in flow.forced:
            breaks.append(Break(index[i], index[i] + 1, forced=True))
        mid = MID_WORD_PENALTY.get(flow.mode)
        words = set()
        if mid is not None:
            for i in allowed_breaks(text, SYLLABLE, forbidden):
                if text[i - 1] != " " and text[i - 1] != "\n":
                    words.add(i)
                    breaks.append(Break(index[i], index[i], penalty=mid, inside_word=True, splits_word=True))
        # Runs wider than the line, long technical tokens, brackets and separators: places inside them.
        start = 0
        for i in range(len(text) + 1):
            if i < len(text) and text[i] not in " \n":
                continue
            if i > start:
                width = paragraph.x[index[i]] - paragraph.x[index[start]]
                technical = width > TECHNICAL_FRACTION * measure.width and any(c in URL_BREAKS for c in text[start:i])
                overlong = width > 0.92 * measure.width
                for j in range(start + 1, i):
                    if j in words:
                        continue
                    a, b = text[j - 1], text[j]
                    # "%" may not start a line after a number (50|%), but may in a URL (…%ED|%9B…)
                    encoded = b == "%" and _HEX.fullmatch(text[j + 1:j + 3]) is not None
                    if _joins_previous(b) or (b in CLOSING and not encoded):
                        continue
                    if technical and a in URL_BREAKS:
                        breaks.append(Break(index[j], index[j], penalty=TECHNICAL_PENALTY, inside_word=True))
                    elif token_break(a, b) and (j not in forbidden or encoded):
                        breaks.append(Break(index[j], index[j], penalty=TOKEN_PENALTY, inside_word=True))
                    elif overlong:
                        breaks.append(Break(index[j], index[j], penalty=OVERLONG_PENALTY, inside_word=True,
                                            splits_word=a.isalnum() and b.isalnum()))
            start = i + 1
        return breaks

    # -- rewriting -----------------------------------------------------------------------------
    def _apply(self, flow: _Flow, final: list[str], owner: list[int], lines: list[Line],
               paragraph: Paragraph) -> None:
        out = list(final)
        style_at: list[str | None] = [None] * len(out)
        break_space: set[int] = set()
        for line in lines:
            if not line.last:
                if line.inside_word:
                    if line.end > 0 and out[line.end - 1] == WJ:
                        out[line.end - 1] = ZWSP
                    elif line.end > 0:
                        out[line.end - 1] += ZWSP  # inside a Latin run, where no joiner was needed
                elif line.end < len(out) and out[line.end] == NBSP:
                    out[line.end] = " "
                    break_space.add(line.end)
            adjust = adjustment(paragraph, line)
            if adjust.needed:
                css = (f"word-spacing:{adjust.word_spacing:.3f}px;" if adjust.word_spacing else "") \
                    + f"letter-spacing:{adjust.letter_spacing:.3f}px"
                for k in range(line.start, line.end):
                    style_at[k] = css
        _style_whole_elements(flow, owner, style_at, break_space)
        by_piece: dict[int, list[int]] = {}
        for k, o in enumerate(owner):
            by_piece.setdefault(o, []).append(k)
        for p, piece in enumerate(flow.pieces):
            ks = by_piece.get(p, [])
            items: list[str | etree._Element] = []
            run: list[str] = []
            run_style: str | None = None

            for position, k in enumerate(ks):
                if k in break_space:
                    if run_style is not None:
                        # The line's own span takes its break space: a text that ends in a space
                        # before a tag keeps only what comes before its first break opportunity
                        # (shared/docs/weasyprint-short-lines.md), and that is this space.
                        run.append(" ")
                        _flush(items, run, run_style)
                        run_style = None
                        continue
                    _flush(items, run, run_style)
                    neighbours_plain = (position > 0 and style_at[ks[position - 1]] is None
                                        and position + 1 < len(ks) and style_at[ks[position + 1]] is None)
                    if neighbours_plain:
                        items.append(" ")
                    else:
                        span = lxml.html.Element("span")
                        span.text = " "
                        items.append(span)
                    run_style = None
                    continue
                if style_at[k] != run_style:
                    _flush(items, run, run_style)
                    run_style = style_at[k]
                run.append(out[k])
            _flush(items, run, run_style)
            _replace(piece.node, piece.attr, items)


def _style_whole_elements(flow: _Flow, owner: list[int], style_at: list[str | None], break_space: set[int]) -> None:
    """An inline element that lies whole on one line needing its own spacing takes that spacing in
    its own style attribute instead of a span around each of its texts: fewer boxes for WeasyPrint
    to lay out (what the spans cost is most of what total fit adds to a build)."""
    members: dict[etree._Element, list[int]] = {}
    for k, o in enumerate(owner):
        if o < 0:
            continue
        piece = flow.pieces[o]
        el: etree._Element | None = piece.node if piece.attr == "text" else piece.node.getparent()
        while el is not None and el is not flow.block:
            members.setdefault(el, []).append(k)
            el = el.getparent()
    chosen: set[etree._Element] = set()
    for el, ks in members.items():
        css = style_at[ks[0]]
        if css is None or any(style_at[k] != css or k in break_space for k in ks):
            continue
        if any(_is_note(d) or d.tag in ("ruby", "br") for d in el.iterdescendants()):
            continue  # a footnote call or a ruby inside keeps its own spacing
        chosen.add(el)
    for el in chosen:
        if any(a in chosen for a in el.iterancestors()):
            continue
        own = (el.get("style") or "").strip().rstrip(";")
        el.set("style", f"{own};{style_at[members[el][0]]}" if own else str(style_at[members[el][0]]))
        for k in members[el]:
            style_at[k] = None


def _flush(items: list[str | etree._Element], run: list[str], style: str | None) -> None:
    """The characters gathered so far as text, or as a span of a line that needs its own spacing."""
    if not run:
        return
    value = "".join(run)
    if style:
        span = lxml.html.Element("span", {"class": "jl", "style": style})
        span.text = value
        items.append(span)
    else:
        items.append(value)
    run.clear()


def _replace(node: etree._Element, attr: str, items: list[str | etree._Element]) -> None:
    """Put `items` (text and elements) where the text node `attr` of `node` was."""
    merged: list[str | etree._Element] = []
    for item in items:
        if isinstance(item, str) and merged and isinstance(merged[-1], str):
            merged[-1] += item
        else:
            merged.append(item)
    head = merged[0] if merged and isinstance(merged[0], str) else ""
    rest = merged[1:] if merged and isinstance(merged[0], str) else merged
    if attr == "text":
        parent, at = node, 0
        node.text = head or None
    else:
        parent_or_none = node.getparent()
        assert parent_or_none is not None
        parent, at = parent_or_none, parent_or_none.index(node) + 1
        node.tail = head or None
    last: etree._Element | None = None
    for item in rest:
        if isinstance(item, str):
            assert last is not None
            last.tail = (last.tail or "") + item
        else:
            parent.insert(at, item)
            at += 1
            last = item


def _edges(box: Any) -> tuple[float, float]:
    left = float(box.margin_left or 0) + float(box.border_left_width or 0) + float(box.padding_left or 0)
    right = float(box.margin_right or 0) + float(box.border_right_width or 0) + float(box.padding_right or 0)
    return left, right


def _length(value: Any, reference: float) -> float:
    unit = getattr(value, "unit", None)
    if unit == "%":
        return float(value.value) * reference / 100
    return float(getattr(value, "value", 0) or 0)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def pango_positions() -> Callable[[str, Any], list[float]]:
    """x before each character of `text` set in one WeasyPrint style on one line (px), from Pango's
    glyph runs, as WeasyPrint lays out and draws a text box; cached per (text, font)."""
    from weasyprint.text.ffi import ffi
    from weasyprint.text.line_break import create_layout

    units = 1 / 1024
    cache: dict[tuple[str, int], list[float]] = {}

    def positions(text: str, style: Any) -> list[float]:
        key = (text, id(style))
        found = cache.get(key)
        if found is not None:
            return found
        layout = create_layout(text, style, None, None, 0)
        line, _ = layout.get_first_line()
        starts: dict[int, float] = {}
        run = line.runs
        while run != ffi.NULL:
            item = run.data
            run = run.next
            glyphs = item.glyphs
            offset = item.item.offset
            for i in range(glyphs.num_glyphs):
                cluster = offset + glyphs.log_clusters[i]
                starts[cluster] = starts.get(cluster, 0.0) + glyphs.glyphs[i].geometry.width * units
        out = [0.0]
        byte = 0
        total = 0.0
        for char in text:
            total += starts.get(byte, 0.0)
            byte += len(char.encode())
            out.append(total)
        if len(cache) > 200_000:
            cache.clear()
        cache[key] = out
        return out

    return positions
