"""How evenly a PDF's justified body text is spaced, measured from the glyph positions.

`measure(pdf, sources)` reads every glyph with PyMuPDF (`page.get_text("rawdict")`: per character
its origin, its advance box, its font's name and size) and reports, for the body text only:

- **word-gap ratio** of every justified line (a line of a paragraph other than its last, and not
  an early line): the mean gap between words ÷ the natural gap. A gap is the distance from the
  right edge (origin + advance) of the last glyph before a space (U+0020 or U+00A0) to the origin of
  the first glyph after it; the natural gap is the advance of U+0020 in that space's font at its
  size, read from the bundled font files (`fonts/`) and shaped as Korean (`space_advance`).
  U+2060 word joiners are ignored. 1.0 is a
  line set with plain spaces; 2.0 a line whose spaces were stretched to twice their width.
- **early lines**: lines inside a paragraph (not its last) ending more than 0.5 em short of the
  text block's right edge.
- **runts**: paragraphs of two lines or more whose last line is one Hangul or Hanja syllable
  (trailing punctuation ignored).
- **mid-word breaks**: a line of a paragraph whose last character and the next line's first have
  no whitespace between them in the source (known only when sources are given). **Words split**
  are those of them between two letters or syllables; the rest end before an opening bracket or
  after a separator of a Latin token (`/ _ . - ?`…, as `jebon.typography.breaks.token_break` says).

Which lines are body text (heuristics, all from the PDF):

- The body face and size are the (family, size) most characters are set in. A line is a body line
  when at least 70 % of its characters have that size and at least half of those are in the body
  family (emphasis set in another face at the body size stays in). Running heads, folios,
  footnotes, captions, tables, block quotes and headings have other sizes or faces.
- Characters are grouped into lines by baseline; smaller characters raised or lowered near a
  body line (footnote calls, superscripts) join it, so a gap next to them is measured right, but
  they are left out of the line's text.
- The text block's left and right edges are, for odd and even pages apart (mirrored margins), the
  most common left and right ends of body lines. A body line must start at the left edge or up to
  1.2 em in (a paragraph indent) and end at most 0.5 em past the right edge: lists, definitions,
  centred or indented blocks are left out, and so is a list item's first line (a marker such as
  `1.` or `•`, then text at 1.3 em in or more).

Where paragraphs end:

- With sources (a book folder, which jebon renders, or Markdown files, read with Python-Markdown)
  every `<p>` outside block quotes, lists, tables, figures and footnotes is a paragraph. Lines are
  matched in order against the paragraphs' text, both reduced to letters and digits (so quotes,
  dashes, ellipses and spacing that jebon's typography changes do not matter). A line that ends a
  paragraph's text is its last line. A line that matches nothing is counted as unmatched and
  placed by geometry.
- Without sources (geometry): a line ends its paragraph when the next body line is indented, or
  lies more than 1.4 line pitches lower, or something else comes between them (an image, or text
  at 78 % of the body size or more that is not body text: a heading, quote, list, table, caption;
  footnotes, running heads and folios are smaller or at the page's edge), or the next line is on
  another page and starts below that page side's usual first baseline, or when it is the last body
  line. A short
  line followed by an unindented line at the normal pitch is an early line. Mid-word breaks are
  not known in this mode (None).
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import fonts
from .typography.breaks import URL_BREAKS, token_break

SPACES = {" ", "\u00a0"}
IGNORED = {"\u2060", "\u200b", "\ufeff", "\u00ad"}
EARLY_EM = 0.5
"""A line inside a paragraph ending more than this short of the right edge is early."""
LOOSE = 1.5
"""A justified line whose word-gap ratio is above this is loose (the share is reported)."""


@dataclass
class Char:
    c: str
    x0: float
    x1: float
    y: float
    size: float
    font: str


@dataclass
class Row:
    """One body line of the PDF."""

    page: int
    chars: list[Char]
    y: float
    x0: float = 0.0
    x1: float = 0.0
    text: str = ""
    key: str = ""
    last: bool = False
    """The last line of its paragraph."""
    matched: bool = False
    paragraph: int = -1
    end: int = 0
    """With sources: offset in the paragraph's key just after this line."""
    sure: bool = False
    """With sources: the line continues the line before it in the text, or starts a paragraph
    (lines matched further on, past text the PDF shows differently, are not counted early)."""
    hard: bool = False
    """With sources: the line ends at a hard line break (`<br>`, two spaces at a Markdown line's end)."""
    after_block: bool = False
    """Something other than body text (heading, quote, list, table, figure) lies just above."""
    before_block: bool = False
    """The page's last body line, with something other than body text below it (not a folio)."""


@dataclass
class Line:
    """A line as the report names it."""

    page: int
    text: str
    ratio: float | None = None
    gaps: int = 0
    short_em: float = 0.0


@dataclass
class Report:
    pdf: str
    method: str
    """`sources` or `geometry`: how paragraph ends were found."""
    pages: int = 0
    body_font: str = ""
    body_size: float = 0.0
    measure_pt: float = 0.0
    lines: int = 0
    """Body lines counted."""
    paragraphs: int = 0
    justified: int = 0
    """Justified lines with at least one word gap (the ratio's population)."""
    ratio_median: float | None = None
    ratio_p95: float | None = None
    ratio_max: float | None = None
    over_1_5: float | None = None
    """Share of justified lines with a ratio above 1.5."""
    tracking_p95: float | None = None
    tracking_max: float | None = None
    """Letter spacing added between syllables on justified lines, in ems (p95 and most)."""
    worst: Line | None = None
    """The justified line with the highest ratio among those with at least two gaps."""
    worst_any: Line | None = None
    early: list[Line] = field(default_factory=list)
    hard_breaks: int = 0
    """With sources: lines that end at the author's own line break (`<br>`, a Markdown line ending
    in two spaces); they are neither early nor justified."""
    runts: list[Line] = field(default_factory=list)
    mid_word: list[Line] | None = None
    split_words: list[Line] | None = None
    """Of the mid-word breaks, those between two letters or syllables of a word (the rest are at a
    bracket or after a separator of a Latin token: `jebon.typography.breaks.token_break`)."""
    unmatched: int = 0
    ratios: list[float] = field(default_factory=list)
    loosest: list[Line] = field(default_factory=list)
    """Justified lines with at least two gaps, loosest first."""

    def as_dict(self, examples: int = 10) -> dict[str, Any]:
        data = asdict(self)
        data.pop("ratios")
        data["early_lines"] = len(self.early)
        data["runt_count"] = len(self.runts)
        data["mid_word_breaks"] = None if self.mid_word is None else len(self.mid_word)
        data["words_split"] = None if self.split_words is None else len(self.split_words)
        data["early"] = data["early"][:examples]
        data["loosest"] = data["loosest"][:examples]
        data["runts"] = data["runts"][:examples]
        if data["mid_word"] is not None:
            data["mid_word"] = data["mid_word"][:examples]
            data["split_words"] = data["split_words"][:examples]
        return data


# -- fonts -------------------------------------------------------------------------------------

def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@cache
def _ps_name(face: fonts.Face) -> str:
    from fontTools.ttLib import TTFont

    return str(TTFont(str(face.path), lazy=True)["name"].getDebugName(6) or "")


@cache
def face_for(pdf_font: str) -> fonts.Face | None:
    """The bundled face a PDF font name stands for: WeasyPrint's `ABCDEF+Jebon-Serif-KR-Bold`, or the
    font's own PostScript name (Chromium: `JebonSerifKR-Bold`)."""
    found = fonts.face_named(pdf_font)
    if found is not None:
        return found
    name = _norm(pdf_font.split("+", 1)[-1])
    for face in fonts.FACES:
        if name in (_norm(_ps_name(face)), _norm(face.ps_name)):
            return face
    for face in fonts.FACES:  # a style suffix the PDF added (…-Regular, …-Oblique)
        ps = _norm(_ps_name(face))
        if name.startswith(ps) or (face.weight == 400 and name.startswith(_norm(face.family))
                                   and "bold" not in name):
            return face
    return None


@cache
def space_advance(face: fonts.Face, language: str = "ko") -> float:
    """The advance of U+0020 in `face`, in ems, as HarfBuzz shapes it in text of `language`: the
    bundled CJK faces' `locl` feature gives Korean a wider space (Jebon Serif KR: 0.256 em bare,
    0.310 em in Korean), and that is the space WeasyPrint and Chromium set in a `lang="ko"` book."""
    import uharfbuzz as hb

    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(face.path))))
    buffer = hb.Buffer()
    buffer.add_str("a a")
    buffer.guess_segment_properties()
    if language:
        buffer.language = language
    hb.shape(font, buffer, {})
    return float(buffer.glyph_positions[1].x_advance) / float(font.face.upem)


def family_of(pdf_font: str) -> str:
    face = face_for(pdf_font)
    if face is not None:
        return face.family
    name = pdf_font.split("+", 1)[-1]
    return re.sub(r"[-,]?(Bold|Regular|Italic|Oblique|Medium)$", "", name)


# -- reading the PDF ---------------------------------------------------------------------------

def _page_chars(page: Any) -> tuple[list[Char], list[float]]:
    """The page's characters, and the vertical centres of its images."""
    found: list[Char] = []
    images: list[float] = []
    for block in page.get_text("rawdict")["blocks"]:
        if block.get("type") == 1:
            images.append((float(block["bbox"][1]) + float(block["bbox"][3])) / 2)
        if block.get("type") != 0:
            continue
        for line in block["lines"]:
            if abs(line["dir"][1]) > 0.01 or line["dir"][0] <= 0:
                continue  # rotated text is not body text
            for span in line["spans"]:
                for ch in span["chars"]:
                    if ch["c"] in IGNORED:
                        continue
                    found.append(Char(ch["c"], float(ch["origin"][0]), float(ch["bbox"][2]),
                                      float(ch["origin"][1]), float(span["size"]), str(span["font"])))
    return found, images


def _rows(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped by baseline, top to bottom."""
    rows: list[list[Char]] = []
    for ch in sorted(chars, key=lambda c: (round(c.y, 1), c.x0)):
        if rows and abs(ch.y - rows[-1][0].y) <= 0.25 * max(ch.size, rows[-1][0].size):
            rows[-1].append(ch)
        else:
            rows.append([ch])
    return rows


def _at_size(ch: Char, size: float) -> bool:
    return abs(ch.size - size) <= 0.03 * size


def _is_body(row: list[Char], family: str, size: float) -> bool:
    """Mostly the body face at the body size, not counting inline code (smaller, in the mono face):
    a line of prose that names `getBoundingClientRect` and `position` is still body text."""
    visible = [c for c in row if c.c not in SPACES]
    prose = [c for c in visible if family_of(c.font) != fonts.MONO_FAMILY]
    if not prose or len(prose) < 0.1 * len(visible):
        return False
    sized = [c for c in prose if _at_size(c, size)]
    if len(sized) < 0.7 * len(prose):
        return False
    return sum(family_of(c.font) == family for c in sized) >= 0.5 * len(sized)


def _mode(values: Iterable[float], step: float = 0.5) -> float | None:
    counted = Counter(round(v / step) * step for v in values)
    return counted.most_common(1)[0][0] if counted else None


def _key(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


# -- sources -----------------------------------------------------------------------------------

_SKIP_ANCESTORS = {"blockquote", "li", "dd", "dt", "td", "th", "figure", "figcaption", "aside", "pre", "table",
                   "nav", "header"}
_DROP = {"sup", "rt", "rp", "script", "style"}


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def paragraphs_of_html(markup: str) -> list[str]:
    """The text of every body paragraph (`<p>` outside quotes, lists, tables, figures, footnotes)."""
    import lxml.html

    root = lxml.html.fromstring(f"<div>{markup}</div>") if not markup.lstrip().startswith("<?xml") \
        else lxml.html.fromstring(markup.split("?>", 1)[1])
    found: list[str] = []
    for p in root.iter():
        if _local(p.tag) != "p":
            continue
        skip = False
        for up in p.iterancestors():
            classes = (up.get("class") or "").split()
            if _local(up.tag) in _SKIP_ANCESTORS or "footnotes" in classes or "footnote" in classes:
                skip = True
                break
        if skip:
            continue
        found.append(_text(p))
    return [text for text in found if _key(text)]


HARD_BREAK = "\u2028"
"""What a `<br>` is in a paragraph's text (a source line's own end is a space)."""


def _text(el: Any) -> str:
    parts: list[str] = [el.text or ""] if _local(el.tag) not in _DROP else []
    for child in el:
        name = _local(child.tag)
        classes = (child.get("class") or "").split() if name else []
        if name == "br":
            parts.append(HARD_BREAK)
        elif name and name not in _DROP and "footnote" not in classes:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _book_paragraphs(book_dir: Path) -> list[str]:
    import contextlib
    import io

    from lxml import etree

    from .api import load_book
    from .errors import Diagnostics
    from .render import render_volume

    diag = Diagnostics()
    found: list[str] = []
    with contextlib.redirect_stderr(io.StringIO()):  # the book's warnings belong to its build, not here
        book = load_book(book_dir, diag)
        chapters = [chapter for volume in book.volumes for chapter in render_volume(book, volume, diag).chapters]
    for chapter in chapters:
        for body in etree.fromstring(chapter.html).iter():
            if "chapter-body" in (body.get("class") or "").split():
                found.extend(paragraphs_of_html(etree.tostring(body, encoding="unicode")))
    return found


_FRONT = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_RUBY = re.compile(r"\{([^{}|\n]+)\|[^{}\n]+\}")


def markdown_paragraphs(text: str) -> list[str]:
    """Body paragraphs of one Markdown article (front matter dropped, `{漢字|한자}` read as its base)."""
    import markdown

    text = _FRONT.sub("", text.replace("\r\n", "\n"), count=1)
    text = _RUBY.sub(r"\1", text)
    html = markdown.markdown(text, extensions=["footnotes", "tables", "fenced_code", "attr_list", "def_list"])
    return paragraphs_of_html(html)


def source_paragraphs(sources: Sequence[Path]) -> list[str]:
    """Paragraphs, in order, of a book folder (rendered by jebon) or of Markdown files or folders."""
    found: list[str] = []
    for source in sources:
        if source.is_dir() and (source / "book.toml").exists():
            found.extend(_book_paragraphs(source))
        elif source.is_dir():
            files = sorted(source.glob("*.md")) or sorted(source.glob("articles/*.md"))
            for file in files:
                found.extend(markdown_paragraphs(file.read_text(encoding="utf-8")))
        else:
            found.extend(markdown_paragraphs(source.read_text(encoding="utf-8")))
    return found


# -- measuring ---------------------------------------------------------------------------------

def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def gaps(row: Row) -> tuple[list[float], list[float]]:
    """(measured gaps, natural gaps) between the words of a line, in points."""
    measured: list[float] = []
    natural: list[float] = []
    chars = row.chars
    index = 0
    while index < len(chars):
        if chars[index].c not in SPACES:
            index += 1
            continue
        start = index
        while index < len(chars) and chars[index].c in SPACES:
            index += 1
        if start == 0 or index >= len(chars):
            continue  # leading or trailing space: not between words
        before, after, space = chars[start - 1], chars[index], chars[start]
        face = face_for(space.font) or face_for(before.font) or fonts.FACES[0]
        measured.append(after.x0 - before.x1)
        natural.append(space_advance(face) * space.size)
    return measured, natural


def tracking(row: Row) -> float | None:
    """The letter spacing added between the Hangul syllables of a line (mean, in ems), or None when
    no two syllables stand side by side (Korean faces have no kerning between syllables). A gap
    wider than 0.2 em is a space the extraction left out (PyMuPDF drops some no-break spaces
    between inline elements), not letter spacing."""
    added = [(b.x0 - a.x1) / a.size for a, b in itertools.pairwise(row.chars)
             if 0xAC00 <= ord(a.c) <= 0xD7A3 and 0xAC00 <= ord(b.c) <= 0xD7A3 and a.size == b.size]
    added = [gap for gap in added if gap <= 0.2]
    return statistics.fmean(added) if added else None


def _single_syllable(text: str) -> bool:
    core = text.strip()
    while core and unicodedata.category(core[-1]).startswith("P"):
        core = core[:-1].rstrip()
    if len(core) != 1:
        return False
    point = ord(core)
    return 0xAC00 <= point <= 0xD7A3 or 0x4E00 <= point <= 0x9FFF or 0x3400 <= point <= 0x4DBF \
        or 0xF900 <= point <= 0xFAFF


def _body_rows(doc: Any) -> tuple[list[Row], str, float, dict[int, tuple[float, float]]]:
    read = [_page_chars(page) for page in doc]
    pages = [chars for chars, _ in read]
    counted: Counter[tuple[str, float]] = Counter()
    for chars in pages:
        for ch in chars:
            if ch.c not in SPACES and not ch.c.isspace():
                counted[family_of(ch.font), round(ch.size, 1)] += 1
    if not counted:
        return [], "", 0.0, {}
    (family, size), _ = counted.most_common(1)[0]
    candidates: list[Row] = []
    obstacles: dict[int, list[float]] = {}
    for number, chars in enumerate(pages):
        rows = _rows(chars)
        body = [row for row in rows if _is_body(row, family, size)]
        others = [row for row in rows if not _is_body(row, family, size)]
        blocking = list(read[number][1])
        for small in others:  # raised or lowered small characters (footnote calls) join their line
            merged = False
            if max(c.size for c in small) < 0.9 * size:
                for line in body:
                    base = line[0].y
                    if base - 0.6 * size <= small[0].y <= base + 0.3 * size \
                            and min(c.x0 for c in line) - 1 <= small[0].x0 <= max(c.x1 for c in line) + size:
                        line.extend(small)
                        merged = True
                        break
            furniture = small in (rows[0], rows[-1]) and max(c.size for c in small) < 0.9 * size
            if not merged and not furniture and max(c.size for c in small) >= 0.78 * size:
                blocking.append(small[0].y)  # a heading, quote, table or caption between body lines
        obstacles[number] = blocking
        for line in body:
            line.sort(key=lambda c: c.x0)
            candidates.append(Row(number, line, _mode([c.y for c in line if _at_size(c, size)], 0.1) or line[0].y))
    for row in candidates:
        visible = [c for c in row.chars if c.c not in SPACES]
        row.x0 = min(c.x0 for c in visible)
        row.x1 = max(c.x1 for c in visible)
        row.text = "".join(c.c if c.c not in SPACES else " " for c in row.chars).strip()
        row.key = _key("".join(c.c for c in row.chars if c.size >= 0.8 * size))
    edges: dict[int, tuple[float, float]] = {}
    for parity in (0, 1):
        side = [row for row in candidates if row.page % 2 == parity]
        left, right = _mode(row.x0 for row in side), _mode(row.x1 for row in side)
        if left is not None and right is not None:
            edges[parity] = (left, right)
    kept = []
    for row in candidates:
        left, right = edges[row.page % 2]
        if left - 0.5 <= row.x0 <= left + 1.2 * size + 0.5 and row.x1 <= right + EARLY_EM * size \
                and not _list_item(row, left + 1.3 * size):
            kept.append(row)
        else:
            obstacles[row.page].append(row.y)
    for index, row in enumerate(kept):
        above = kept[index - 1].y if index and kept[index - 1].page == row.page else -1.0
        row.after_block = any(above < y < row.y for y in obstacles[row.page])
        if index + 1 == len(kept) or kept[index + 1].page != row.page:
            row.before_block = any(y > row.y for y in obstacles[row.page])
    return kept, family, size, edges


_MARKER = re.compile(r"(\d+|[A-Za-z]|[ivxlc]+)[.)]|[•◦▪‣–·*-]")


def _list_item(row: Row, content_left: float) -> bool:
    """A list item's first line: a marker, then text that starts at the list's indent."""
    words = row.text.split(" ", 1)
    if len(words) < 2 or not _MARKER.fullmatch(words[0]):
        return False
    visible = [c for c in row.chars if c.c not in SPACES]
    return len(visible) > len(words[0]) and visible[len(words[0])].x0 >= content_left


def _by_geometry(rows: list[Row], size: float, edges: dict[int, tuple[float, float]]) -> None:
    steps = [b.y - a.y for a, b in itertools.pairwise(rows) if a.page == b.page and b.y > a.y]
    pitch = _mode(steps, 0.1) or 1.7 * size
    first: dict[int, float] = {}
    for parity in (0, 1):
        tops = [row.y for index, row in enumerate(rows)
                if row.page % 2 == parity and (index == 0 or rows[index - 1].page != row.page)]
        if tops:
            first[parity] = min(tops, key=lambda y: (-sum(abs(t - y) < 1 for t in tops), y))
    for index, row in enumerate(rows):
        if row.matched:
            continue
        if index + 1 == len(rows):
            row.last = True
            continue
        after = rows[index + 1]
        indented = after.x0 - edges[after.page % 2][0] >= 0.5 * size
        row.last = indented or after.after_block
        if after.page == row.page:
            row.last = row.last or after.y - row.y > 1.4 * pitch
        else:
            row.last = row.last or row.before_block or after.y > first.get(after.page % 2, after.y) + 0.5 * pitch


def _by_sources(rows: list[Row], paragraphs: list[str]) -> tuple[list[str], list[list[int]]]:
    """Match rows to paragraphs in order; returns the paragraphs' keys and, per key position, its
    index in the paragraph's text."""
    keys: list[str] = []
    where: list[list[int]] = []
    for text in paragraphs:
        positions = [i for i, c in enumerate(text) if c.isalnum()]
        keys.append("".join(text[i] for i in positions))
        where.append(positions)
    current, offset = 0, 0
    for row in rows:
        key = row.key
        if not key:
            continue
        found: tuple[int, int] | None = None
        sure = True
        if current < len(keys) and keys[current].startswith(key, offset):
            found = current, offset
        else:
            for j in range(current + (offset > 0), min(len(keys), current + 60)):
                if keys[j].startswith(key):
                    found = j, 0
                    break
            if found is None and current < len(keys):
                at = keys[current].find(key, offset)
                if at >= 0:
                    found, sure = (current, at), False
        if found is None:
            continue
        current, start = found
        row.matched, row.sure, row.paragraph, row.end = True, sure, current, start + len(key)
        row.last = row.end >= len(keys[current])
        if not row.last:
            text, positions = paragraphs[current], where[current]
            row.hard = HARD_BREAK in text[positions[row.end - 1] + 1:positions[row.end]]
        offset = row.end
        if row.last:
            current, offset = current + 1, 0
    return keys, where


def measure(pdf_path: Path | str, sources: Sequence[Path] | None = None) -> Report:
    """Measure the spacing of `pdf_path`'s justified body text (see the module's docstring)."""
    import pymupdf

    with pymupdf.open(str(pdf_path)) as doc:  # type: ignore[no-untyped-call]
        pages = len(doc)
        rows, family, size, edges = _body_rows(doc)
    report = Report(pdf=str(pdf_path), method="sources" if sources else "geometry", pages=pages,
                    body_font=family, body_size=size, lines=len(rows))
    if not rows:
        return report
    report.measure_pt = round(statistics.median(right - left for left, right in edges.values()), 2)
    paragraphs = source_paragraphs(sources) if sources else []
    keys: list[str] = []
    where: list[list[int]] = []
    if sources:
        keys, where = _by_sources(rows, paragraphs)
        report.unmatched = sum(not row.matched for row in rows if row.key)
    _by_geometry(rows, size, edges)
    report.paragraphs = sum(row.last for row in rows)
    if sources:
        report.mid_word, report.split_words = [], []
    worst: tuple[float, Line] | None = None
    worst_any: tuple[float, Line] | None = None
    tracked: list[float] = []
    run = 0
    for index, row in enumerate(rows):
        run += 1
        right = edges[row.page % 2][1]
        short = (right - row.x1) / size
        line = Line(page=row.page + 1, text=row.text, short_em=round(short, 2))
        if row.last:
            if run >= 2 and _single_syllable(row.text):
                report.runts.append(line)
            run = 0
            continue
        if report.mid_word is not None and report.split_words is not None and row.matched \
                and index + 1 < len(rows):
            after = rows[index + 1]
            if after.matched and after.paragraph == row.paragraph and row.end < len(keys[row.paragraph]):
                text, positions = paragraphs[row.paragraph], where[row.paragraph]
                between = text[positions[row.end - 1] + 1:positions[row.end]]
                if not any(c.isspace() for c in between):
                    broken = Line(page=row.page + 1, text=f"{row.text} | {after.text}")
                    report.mid_word.append(broken)
                    # the key holds letters and digits only: the break lies somewhere in this stretch
                    stretch = text[positions[row.end - 1]:positions[row.end] + 1]
                    if not any(token_break(a, b) or a in URL_BREAKS for a, b in itertools.pairwise(stretch)):
                        report.split_words.append(broken)
        if row.hard:
            report.hard_breaks += 1
            continue
        if short > EARLY_EM:
            if row.sure or not row.matched:
                report.early.append(line)
            continue
        measured, natural = gaps(row)
        spread = tracking(row)
        if spread is not None:
            tracked.append(spread)
        if measured:
            ratio = statistics.fmean(measured) / statistics.fmean(natural)
            line.ratio, line.gaps = round(ratio, 3), len(measured)
            report.ratios.append(ratio)
            if worst_any is None or ratio > worst_any[0]:
                worst_any = ratio, line
            if len(measured) >= 2:
                report.loosest.append(line)
                if worst is None or ratio > worst[0]:
                    worst = ratio, line
    if report.ratios:
        report.justified = len(report.ratios)
        report.ratio_median = round(statistics.median(report.ratios), 3)
        report.ratio_p95 = round(_quantile(report.ratios, 0.95), 3)
        report.ratio_max = round(max(report.ratios), 3)
        report.over_1_5 = round(sum(r > LOOSE for r in report.ratios) / len(report.ratios), 4)
    if tracked:
        report.tracking_p95 = round(_quantile(tracked, 0.95), 3)
        report.tracking_max = round(max(tracked), 3)
    report.loosest.sort(key=lambda line: -(line.ratio or 0.0))
    report.worst = worst[1] if worst else None
    report.worst_any = worst_any[1] if worst_any else None
    return report


def table(report: Report, loosest: int = 0) -> str:
    """The report as a short human table."""
    def num(value: float | None, digits: int = 2) -> str:
        return "–" if value is None else f"{value:.{digits}f}"

    out = [f"{report.pdf}: {report.pages} pages; body {report.body_font} {report.body_size:g}pt, "
           f"measure {report.measure_pt:g}pt; paragraphs from {report.method}"
           + (f" ({report.unmatched} lines unmatched)" if report.method == "sources" else ""),
           f"body lines {report.lines}  paragraphs {report.paragraphs}  justified lines with gaps {report.justified}",
           f"word-gap ratio  median {num(report.ratio_median)}  p95 {num(report.ratio_p95)}  "
           f"max {num(report.ratio_max)}  lines > {LOOSE}: "
           + ("–" if report.over_1_5 is None else f"{report.over_1_5:.1%}"),
           f"letter spacing between syllables (em)  p95 {num(report.tracking_p95, 3)}  "
           f"max {num(report.tracking_max, 3)}",
           f"early lines {len(report.early)}"
           + (f" (and {report.hard_breaks} at the author's line breaks)" if report.hard_breaks else "")
           + f"  runts {len(report.runts)}  mid-word breaks "
           + ("n/a (no sources)" if report.mid_word is None or report.split_words is None else
              f"{len(report.mid_word)} (words split {len(report.split_words)}, "
              f"at brackets and separators {len(report.mid_word) - len(report.split_words)})")]
    for label, line in (("worst line (≥2 gaps)", report.worst), ("worst line (any)", report.worst_any)):
        if line is not None:
            out.append(f"{label}: {num(line.ratio)} ({line.gaps} gaps) p.{line.page} {line.text}")
    for label, lines in (("early", report.early), ("runt", report.runts), ("mid-word", report.mid_word or [])):
        for line in lines[:5]:
            extra = f" ({line.short_em:.1f} em short)" if label == "early" else ""
            out.append(f"  {label}: p.{line.page} {line.text}{extra}")
    for line in report.loosest[:loosest]:
        out.append(f"  loose {num(line.ratio)} ({line.gaps} gaps): p.{line.page} {line.text}")
    return "\n".join(out)
