"""The one Markdown setup: Article → safe XHTML chapter + headings + assets (format-blind)."""

from __future__ import annotations

import functools
import os
import pickle
import re
import unicodedata
from dataclasses import dataclass, fields, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import markdown
from lxml import etree
from markdown.extensions.toc import slugify, slugify_unicode, unique

from . import __version__
from .cache import Cache, digest
from .config import TypographyConfig
from .errors import Diagnostics, Problem, RenderError
from .images import Asset, ImageError, fetch_remote, make_asset
from .mdext import JebonMarkdownExtension
from .model import Article, Book, Volume
from .typography.punctuation import Rules, normalise_tree
from .typography.ruby import RubyExtension

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{OPS_NS}}}type"
NSMAP = {None: XHTML_NS, "epub": OPS_NS}

# Elements kept as they are.
_ALLOWED = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s",
    "samp", "section", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "tr", "u", "ul", "var", "wbr", "aside", "header", "footer", "details", "summary",
}
# Elements removed with everything inside them.
_DANGEROUS = {
    "script", "style", "iframe", "object", "embed", "form", "input", "button", "select", "textarea",
    "option", "frame", "frameset", "applet", "base", "link", "meta", "noscript", "template", "canvas",
    "audio", "video", "source", "track", "svg", "math", "title", "head", "param", "dialog", "portal",
}
_VOID = ("wbr", "br", "hr", "img", "col")
_TABLE_PARENTS = {
    "caption": ("table",), "colgroup": ("table",), "thead": ("table",), "tbody": ("table",),
    "tfoot": ("table",), "tr": ("table", "thead", "tbody", "tfoot"), "td": ("tr",), "th": ("tr",),
    "col": ("colgroup", "table"),
}
"""Where each part of a table may stand (XHTML's content model)."""
_ATTR_NAME = re.compile(r"[A-Za-z_][\w.-]*")
_TASK = re.compile(r"\s*\[([ xX])\](?:\s+|$)")
_QUIET_UNWRAP = {"label"}
"""Elements replaced by their contents without a word: nothing of them but their text has a place
in a book (`<label>` around a checklist's text)."""
_GLOBAL_ATTRS = {"id", "class", "title", "lang", "dir"}
_ATTRS = {
    "a": {"href"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"}, "ol": {"start", "reversed", "type"}, "li": {"value"},
    "time": {"datetime"}, "col": {"span"}, "colgroup": {"span"}, "q": {"cite"}, "blockquote": {"cite"},
    "del": {"datetime"}, "ins": {"datetime"}, "details": {"open"},
}
_ALIGN = re.compile(r"^\s*text-align:\s*(left|right|center);?\s*$")
_SAFE_SCHEMES = {"http", "https", "mailto", "tel"}
NESTING = ("blockquote", "ul", "ol", "dl", "div", "section", "aside", "details")
MAX_NESTING = 12


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class ChapterParts:
    """What rendering an article makes: `html` is a serialized XHTML <section> (namespaces declared
    on it), with what the contents, the statistics and the glyph check need."""

    html: str
    headings: tuple[Heading, ...]
    missing_alt: int
    """Images without alt text (the EPUB's accessibility metadata must not claim it then)."""
    chars: str
    """Every character of the article's text once, sorted (what the glyph check looks at)."""
    words: int
    characters: int
    """Characters of the article's text, spaces not counted."""


@dataclass(frozen=True)
class Chapter(ChapterParts):
    """One rendered article."""

    article: Article
    key: str = ""
    """What `html` was made from, as a digest (the render cache's key and the images' signatures),
    for caches of what is made from the chapter; empty when it is not known (remote images)."""

    @property
    def file_name(self) -> str:
        return f"{self.article.id}.xhtml"


@dataclass(frozen=True)
class RenderedVolume:
    volume: Volume
    chapters: tuple[Chapter, ...]
    assets: tuple[Asset, ...]
    """Every image of the volume, once each (deduplicated by content)."""

    @property
    def characters(self) -> int:
        """Characters of text, spaces not counted (the measure Korean publishing uses)."""
        return sum(c.characters for c in self.chapters)

    @property
    def words(self) -> int:
        return sum(c.words for c in self.chapters)


class HeadingIds:
    """Heading ids in ASCII (`sec-2`, or the heading's own Latin words: `dtp-and-after`), as Kindle,
    Adobe's and Korean stores' viewers need (calibre flags others); the text keeps its Hangul.
    `aliases` maps the Unicode id Python-Markdown (and GitHub) would have given each heading
    (`둘째-절`) to its id, so that links written that way still find it."""

    def __init__(self) -> None:
        self.count = 0
        self.aliases: dict[str, str] = {}
        self._unicode: set[str] = set()
        self._ascii: set[str] = set()

    def __call__(self, value: str, separator: str) -> str:
        self.count += 1
        ascii_id = str(slugify(value, separator))
        if not ascii_id[:1].isalpha():
            ascii_id = f"sec-{ascii_id}" if ascii_id else f"sec-{self.count}"
        ascii_id = str(unique(ascii_id, self._ascii))
        self.aliases.setdefault(str(unique(slugify_unicode(value, separator), self._unicode)), ascii_id)
        return ascii_id


def _markdown(ruby: bool, ids: HeadingIds | None = None) -> markdown.Markdown:
    """A fresh Markdown instance: each article is parsed on its own (labels and footnotes never collide)."""
    return markdown.Markdown(
        extensions=["footnotes", "tables", "fenced_code", "attr_list", "def_list", "abbr", "toc",
                    "sane_lists", "md_in_html", RubyExtension(as_ruby=ruby),
                    JebonMarkdownExtension()],
        extension_configs={
            "footnotes": {"SEPARATOR": "-", "BACKLINK_TEXT": "↑", "BACKLINK_TITLE": "본문으로 돌아가기"},
            "toc": {"slugify": ids or HeadingIds(), "permalink": False},
        },
        output_format="xhtml",
    )


class _ArticleRenderer:
    """Parses one article and makes its tree safe; links are resolved in a second pass."""

    def __init__(self, article: Article, diag: Diagnostics, typography: TypographyConfig) -> None:
        self.article = article
        self.diag = diag
        self.typography = typography
        self.missing_alt = 0
        self._searched: dict[str, int] = {}
        self.heading_ids = HeadingIds()

    # -- locating source lines for messages --------------------------------------------------
    @functools.cached_property
    def _haystack(self) -> tuple[str, str]:
        """The body in lower case, as it is and with its code blanked out."""
        body = self.article.body.lower()
        return _mask_code(body), body

    def line(self, needle: str) -> int:
        """File line of the next not-yet-reported occurrence of `needle` in the body, outside code
        first (a `<button>` in an example is not the one removed)."""
        needle = needle.lower()
        start = self._searched.get(needle, 0)
        pos = -1
        for text in self._haystack:
            pos = text.find(needle, start)
            if pos < 0:
                pos = text.find(needle)
            if pos >= 0:
                break
        if pos < 0:
            return self.article.body_line
        self._searched[needle] = pos + 1
        return self.article.body_line + self._haystack[1].count("\n", 0, pos)

    def warn(self, message: str, needle: str, hint: str | None = None) -> None:
        self.diag.warn(message, self.article.path, self.line(needle), hint)

    def link_needle(self, href: str) -> str:
        """What to look for to find the line of a link to `href`: the link's own markup where the
        text has it (`](/learn)`, not the first `/learn` of `/learn/props`), else `href`."""
        masked = self._haystack[0]
        low = href.lower()
        for needle in (f"]({low})", f"]({low} ", f"](<{low}>)", f'href="{low}"', f"href='{low}'", f"]: {low}",
                       f"<{low}>"):
            if needle in masked:
                return needle
        return href

    # -- stages ------------------------------------------------------------------------------
    def parse(self) -> etree._Element:
        html = _markdown(self.typography.ruby, self.heading_ids).convert(self.article.body)
        root: etree._Element = lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div")
        self.sanitize(root)
        self.flatten(root)
        self.restructure(root)
        self.typeset(root)
        return root

    def typeset(self, root: etree._Element) -> None:
        """Korean text rules that hold in every format: punctuation, emphasis marks, line-break mode."""
        t = self.typography
        normalise_tree(root, Rules(t.ellipsis, t.quotes, t.dashes, t.middle_dot))
        if t.emphasis_marks != "none":
            for el in root.iter(t.emphasis_marks):
                el.set("class", " ".join(filter(None, (el.get("class"), "emphasis-marks"))))
        mode = self.article.extra.get("line_break")  # checked with the front matter
        if mode in ("word", "balanced", "syllable"):
            root.set("class", f"break-{mode}")

    def sanitize(self, root: etree._Element) -> None:
        removed: set[etree._Element] = set()
        for el in list(root.iter()):
            if el is root or any(a in removed for a in el.iterancestors()):
                continue  # gone with what held it
            if not isinstance(el.tag, str):  # comments, processing instructions
                remove_keep_tail(el)
                continue
            tag = el.tag.lower()
            if tag == "strike":  # HTML's old name for <s>, which XHTML (and so EPUB) no longer has
                el.tag = tag = "s"
            if tag == "input" and (el.get("type") or "").lower() in ("checkbox", "radio"):
                self.line("<input")  # this one needs no message
                _replace_by_box(el, (el.get("type") or "").lower(), el.get("checked") is not None)
                continue
            if tag in _QUIET_UNWRAP:
                _unwrap(el)
                continue
            if tag == "details":
                el.set("open", "open")  # a book shows what a web page folds away
            if tag in _DANGEROUS:
                self.warn(f"<{tag}> removed: it is not allowed in a book", f"<{tag}",
                          "remove the raw HTML from the article")
                for inner in el.iterdescendants():
                    if isinstance(inner.tag, str):
                        self.line(f"<{inner.tag}")  # gone with it, unreported: later ones are found at their lines
                remove_keep_tail(el)
                removed.add(el)
                continue
            if tag not in _ALLOWED:
                self.warn(f"<{tag}> is not supported; its text is kept", f"<{tag}")
                _unwrap(el)
                continue
            allowed = _GLOBAL_ATTRS | _ATTRS.get(tag, set())
            text_only = False
            if any(not _ATTR_NAME.fullmatch(str(k)) for k in el.attrib):
                # JSX written as HTML (`<ul style={ {color: 'pink'} }>`) gives names like `{` that
                # lxml cannot even delete one by one: keep only real attribute names.
                kept = [(str(k), str(v)) for k, v in el.attrib.items() if _ATTR_NAME.fullmatch(str(k))]
                el.attrib.clear()
                for name, value in kept:
                    el.set(name, value)
            for name, value in [(str(k), str(v)) for k, v in el.attrib.items()]:
                low = name.lower()
                if low.startswith("on"):
                    self.warn(f"event handler `{name}` removed from <{tag}>", name)
                    del el.attrib[name]
                elif low == "style":
                    m = _ALIGN.match(value)
                    del el.attrib[name]
                    if m and tag in ("td", "th"):
                        el.set("class", f"align-{m.group(1)}")
                    else:
                        self.warn(f"style attribute removed from <{tag}>", "style=",
                                  "use a class and the book's CSS instead")
                elif low == "src" and urlsplit(value.strip()).scheme.lower() == "file":
                    self.diag.error(f"`{name}` {value[:60]!r} points at a file on this computer", self.article.path,
                                    self.line(value[:20]), "use a path inside the book folder or an https:// URL")
                    del el.attrib[name]
                    if tag == "img":
                        el.set("src", "#refused")
                elif low == "href" and urlsplit(value.strip()).scheme.lower() == "file":
                    self.warn(f"link {value[:60]!r} points at a file on this computer; it becomes text",
                              value[:20], "link to an article of the book or to an https:// URL")
                    del el.attrib[name]
                    text_only = True
                elif low in ("href", "src", "cite") and urlsplit(value.strip()).scheme.lower() in (
                        "javascript", "vbscript", "data", "file") and not (low == "src" and
                                                                            value.startswith("data:image/")):
                    self.warn(f"unsafe `{name}` ({value[:30]}…) removed from <{tag}>", value[:20])
                    del el.attrib[name]
                elif low not in allowed and not low.startswith(("data-", "aria-")):
                    del el.attrib[name]
                elif low in ("width", "height", "colspan", "rowspan", "span", "start", "value"):
                    number = re.fullmatch(r"\s*(-?\d+)(?:\.\d*)?\s*(?:px)?\s*", value)
                    if number and (low in ("start", "value") or int(number.group(1)) > 0):
                        el.set(name, number.group(1))  # `width="252px"` is not valid XHTML
                    else:
                        del el.attrib[name]
            if text_only:
                _unwrap(el)

    def flatten(self, root: etree._Element) -> None:
        """Quotes and lists nested deeper than MAX_NESTING levels become flat paragraphs (no book needs
        more, and the PDF layout engine recurses once per level). Their text is kept."""
        flattened = 0
        while True:
            deep = next((el for el in root.iter(*NESTING) if el.get("class") != "flattened"
                         and sum(1 for _ in el.iterancestors(*NESTING)) >= MAX_NESTING), None)
            if deep is None:
                break
            flat = etree.Element("div", {"class": "flattened"})
            for item in deep.iter("li", "p", "dd", "dt"):
                text = " ".join(_own_text(item).split())
                if text:
                    paragraph = etree.SubElement(flat, "p")
                    paragraph.text = text
                    paragraph.tail = "\n"
            flat.tail = deep.tail
            parent = deep.getparent()
            assert parent is not None
            parent.replace(deep, flat)
            flattened += 1
        if flattened:
            self.warn(f"quotes or lists nested deeper than {MAX_NESTING} levels were flattened", ">" * MAX_NESTING,
                      "nest less deeply")

    def restructure(self, root: etree._Element) -> None:
        # HTML's parser does not know <wbr> is empty (`process.env<wbr>.NODE_ENV`): what it put
        # inside a void element follows it instead.
        for el in list(root.iter(*_VOID)):
            if el.text or len(el):
                empty = etree.Element(el.tag, {str(k): str(v) for k, v in el.attrib.items()})
                el.addprevious(empty)
                _unwrap(el)
        # A list item outside a list (a web page's `<div class="demo"><li>…`) gets a list around it.
        for li in list(root.iter("li")):
            parent = li.getparent()
            if parent is None or parent.tag in ("ul", "ol", "menu"):
                continue
            previous = li.getprevious()
            if previous is not None and previous.tag == "ul" and previous.get("class") == "stray" \
                    and not (previous.tail or "").strip():
                previous.tail, li.tail = li.tail, None
                previous.append(li)  # the one before was stray too: same list
                continue
            wrap = etree.Element("ul", {"class": "stray"})
            li.addprevious(wrap)
            wrap.tail, li.tail = li.tail, None
            wrap.append(li)
        # A table's part outside its table (`<tbody>` that a broken code span let through as HTML:
        # "언제나 `<tbody>`가 있습니다") is no table: its content stays where it is.
        for el in list(root.iter(*_TABLE_PARENTS)):
            parent = el.getparent()
            if parent is not None and parent.tag not in _TABLE_PARENTS[el.tag]:
                self.warn(f"<{el.tag}> outside a table is not a table; its text is kept", f"<{el.tag}",
                          "write the tag in a code span (`<tbody>`) or the whole table in HTML")
                _unwrap(el)
        # A heading with no text (mdBook's hidden `#` lines, a bare `#`) is no heading.
        for h in list(root.iter("h1", "h2", "h3", "h4", "h5", "h6")):
            if not _text(h) and h.find(".//img") is None:
                remove_keep_tail(h)
        # Ids are unique (raw HTML repeats them: an example's `<div id="app">` three times).
        seen: set[str] = set()
        for el in root.iter():
            ident = el.get("id") if isinstance(el.tag, str) else None
            if ident is None:
                continue
            new, n = ident, 1
            while new in seen:
                n += 1
                new = f"{ident}-{n}"
            seen.add(new)
            if new != ident:
                el.set("id", new)
        # Headings: the article title is the chapter's h1, so a `#` in the body moves down a level.
        demoted = root.find(".//h1") is not None
        if demoted:
            for el in root.iter("h1", "h2", "h3", "h4", "h5"):
                el.tag = f"h{int(el.tag[1]) + 1}"
        self.relevel(root, demoted)
        # An image alone in its paragraph becomes a figure, its Markdown title the caption (in a
        # figure already, as `<figure>`, a blank line, `![…](…)` write it, the paragraph goes).
        for p in list(root.iter("p")):
            kids = list(p)
            if len(kids) == 1 and kids[0].tag == "img" and not (p.text or "").strip() \
                    and not (kids[0].tail or "").strip():
                img = kids[0]
                holder = p.getparent()
                if holder is not None and holder.tag == "figure":
                    _unwrap(p)
                    continue
                p.tag = "figure"
                p.attrib.clear()
                img.tail = None
                caption = img.get("title")
                if caption:
                    del img.attrib["title"]
                    etree.SubElement(p, "figcaption").text = caption
        # A code block's file name (```js src/App.js) is shown above it.
        for code in list(root.iter("code")):
            title = code.get("data-title")
            if title is None:
                continue
            del code.attrib["data-title"]
            pre = code.getparent()
            if title and pre is not None and pre.tag == "pre" and pre.getparent() is not None:
                name = etree.Element("p", {"class": "code-title"})
                name.text = title
                pre.addprevious(name)
        # GitHub's task lists (`- [ ] 할 일`, `- [x] 한 일`) get the boxes a checklist of a web page gets.
        for li in root.iter("li"):
            holder = li[0] if not (li.text or "").strip() and len(li) and li[0].tag == "p" else li
            m = _TASK.match(holder.text or "")
            if m:
                box = _box("checkbox", m.group(1) != " ")
                box.tail = " " + (holder.text or "")[m.end():]
                holder.text = None
                holder.insert(0, box)
                li.set("class", " ".join(filter(None, (li.get("class"), "task"))))
        # Footnotes: semantic markup readers understand (pop-up notes). Gathered at the article's end
        # they are endnotes to DPUB-ARIA (`doc-endnotes`; a list item keeps its role, as ARIA asks).
        for sup in root.iter("sup"):
            a = sup.find("a")
            if a is not None and "footnote-ref" in (a.get("class") or ""):
                a.set(EPUB_TYPE, "noteref")
                a.set("role", "doc-noteref")
        for div in root.iter("div"):
            if "footnote" in (div.get("class") or "").split():
                div.tag = "section"
                div.set("class", "footnotes")
                div.set(EPUB_TYPE, "endnotes")
                div.set("role", "doc-endnotes")
                hr = div.find("hr")
                if hr is not None:
                    remove_keep_tail(hr)
                ids = {el.get("id") for el in root.iter() if el.get("id")}
                for li in list(div.iter("li")):
                    backs = [a for a in li.iter("a") if "footnote-backref" in (a.get("class") or "")]
                    if backs and (backs[0].get("href") or "#")[1:] not in ids:
                        label = (li.get("id") or "").removeprefix("fn-")
                        self.warn(f"footnote [^{label}] is defined but never referenced; it is left out",
                                  f"[^{label}]:", "refer to it in the text or delete the definition")
                        remove_keep_tail(li)
                        continue
                    li.set(EPUB_TYPE, "endnote")
                if div.find(".//li") is None:
                    remove_keep_tail(div)
                    break
                for back in div.iter("a"):
                    if "footnote-backref" in (back.get("class") or ""):
                        back.set("role", "doc-backlink")
        # Tables scroll rather than overflow the page on narrow readers; one too wide for a page
        # (by the words it cannot break) is marked so that the print sets it smaller.
        for table in list(root.iter("table")):
            parent = table.getparent()
            if parent is not None and not (parent.tag == "div" and parent.get("class") == "table-wrap"):
                width = table_width_em(table)
                size = "very-wide" if width > TABLE_WIDE_EM else "wide" if width > TABLE_FITS_EM else ""
                wrap = etree.Element("div", {"class": " ".join(filter(None, ("table-wrap", size)))})
                parent.replace(table, wrap)
                wrap.append(table)
                wrap.tail, table.tail = table.tail, None
        # A code block longer than a page may break across pages (a short one is kept whole).
        for pre in root.iter("pre"):
            if "".join(str(t) for t in pre.itertext()).count("\n") > LONG_CODE_LINES:
                pre.set("class", " ".join(filter(None, (pre.get("class"), "long"))))


    def relevel(self, root: etree._Element, demoted: bool) -> None:
        """Headings never skip a level: each is set one level below the nearest heading before it
        that it belongs under (a `##` then a `####` is h2 then h3; the first heading of the body is
        h2, under the chapter's title). Screen readers, the EPUB contents and the PDF outline all
        read the one structure. Headings that skip nothing keep their levels; an article whose
        headings are changed gets one warning, at the first."""
        stack: list[tuple[int, int]] = []  # (level written, level given) of the headings above
        first: tuple[etree._Element, int, int] | None = None
        for h in root.iter("h2", "h3", "h4", "h5", "h6"):
            written = int(h.tag[1])
            while stack and stack[-1][0] >= written:
                stack.pop()
            given = min(stack[-1][1] + 1 if stack else 2, 6)
            if given != written:
                first = first or (h, written, stack[-1][0] if stack else 0)
                h.tag = f"h{given}"
            stack.append((written, given))
        if first is not None:
            h, written, above = first
            marks = "#" * (written - demoted)
            parent = f"a `{'#' * (above - demoted)}` heading" if above else "the article's title"
            self.warn(f"heading “{_text(h)[:40]}” (`{marks}`) skips a level below {parent}; the article's "
                      "headings are re-levelled so that none does", _text(h)[:30] or marks,
                      "give each heading one # more than the heading it belongs under")


TABLE_FITS_EM = 33.0
"""A table whose unbreakable words, side by side with the cells' padding, take more than this many
ems at its own size does not fit across the default 46판 page (95 mm of text at 8 pt): it is
`wide` (set at 0.67 of the size, so about 39 em fit) or, beyond TABLE_WIDE_EM, `very-wide` (set
smaller still with columns of equal width, words breaking where they must)."""
TABLE_WIDE_EM = 39.0
LONG_CODE_LINES = 15
"""A code block of more lines than this may break across pages (`pre.long`)."""


def _char_em(char: str) -> float:
    """A character's advance in ems in the bundled sans face, near enough for deciding a size."""
    if unicodedata.east_asian_width(char) in "WF":
        return 1.0
    if char in "il.,:;'|!()[]{}`":
        return 0.3
    return 0.62 if char.isupper() or char.isdigit() else 0.55


_BREAKS = re.compile(r"\s+|(?<=[/\-_?&=])")


def table_width_em(table: etree._Element) -> float:
    """The least width a table can have without breaking a word, in ems of its text: per column the
    widest word (a word breaks after `/`, `-`, `_`, `?`, `&`, `=`, as in a URL), plus each cell's
    padding (0.6 em a side). Cells spanning columns are left out of the columns' measure."""
    widest: dict[int, float] = {}
    for row in table.iter("tr"):
        column = 0
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            span = int(cell.get("colspan") or "1") if (cell.get("colspan") or "1").isdigit() else 1
            if span == 1:
                words = _BREAKS.split("".join(str(t) for t in cell.itertext()))
                factor = 1.05 if cell.tag == "th" else 1.0
                width = max((sum(_char_em(c) for c in w) * factor for w in words), default=0.0)
                widest[column] = max(widest.get(column, 0.0), width)
            column += max(span, 1)
    return sum(widest.values()) + 1.2 * len(widest)


_FENCE_LINE = re.compile(r"\s*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _mask_code(text: str) -> str:
    """`text` with its fenced code and code spans blanked out (same length, same lines)."""
    out = []
    fence = ""
    for line in text.split("\n"):
        m = _FENCE_LINE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = ""
            out.append(" " * len(line))
        elif m:
            fence = m.group(1)
            out.append(" " * len(line))
        else:
            out.append(_CODE_SPAN.sub(lambda span: " " * len(span.group(0)), line) if "`" in line else line)
    return "\n".join(out)


def remove_keep_tail(el: etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    previous = el.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _unwrap(el: etree._Element) -> None:
    """Replace an element by its contents (text and children stay where they were)."""
    el.drop_tag()  # type: ignore[attr-defined]  # lxml.html elements have drop_tag


def _own_text(el: etree._Element) -> str:
    """The text of an element without that of the quotes and lists nested in it."""
    parts = [el.text or ""]
    for child in el:
        if child.tag not in NESTING and isinstance(child.tag, str):
            parts.append("".join(str(t) for t in child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


def _text(el: etree._Element) -> str:
    return re.sub(r"\s+", " ", "".join(str(t) for t in el.itertext())).strip()


def _is_remote(value: str) -> bool:
    return bool(urlsplit(value).scheme) or value.startswith("//")


def _to_xhtml(el: etree._Element) -> etree._Element:
    """Copy an lxml.html tree into the XHTML namespace."""
    attrs = {k: v for k, v in el.attrib.items()}
    new = etree.Element(f"{{{XHTML_NS}}}{el.tag}", attrs, nsmap=NSMAP)  # type: ignore[arg-type]
    new.text = el.text
    for child in el:
        sub = _to_xhtml(child)
        sub.tail = child.tail
        new.append(sub)
    return new


def render_volume(book: Book, volume: Volume, diag: Diagnostics, *, allow_remote: bool = False,
                  cache: Cache | None = None, jobs: int = 1) -> RenderedVolume:
    """Render every article of a volume; raise RenderError with every problem found. Remote images
    are fetched only with `allow_remote` (size- and time-limited); otherwise no request is made.
    Each article's Markdown is parsed once per content (`cache`), in `jobs` worker processes."""
    book_root = book.config.root.resolve()
    real = dict(zip(_real_paths([a.path for a in book.articles]), book.articles, strict=True))
    by_path: dict[Path, Article] = {}
    volume_ids = {a.id for a in volume.articles}
    renderers = [_ArticleRenderer(a, diag, book.config.typography) for a in volume.articles]
    cache = cache or Cache(None)
    parsed = _parse_all(renderers, cache, jobs)
    # What a link's fragment may name in each article (its ids and their Unicode aliases) → the id.
    ids = {r.article.id: {**dict(p.aliases), **{i: i for i in p.ids}} for r, p in zip(renderers, parsed, strict=True)}
    # What every article's links and images are resolved against: the book's articles and anchors.
    context = digest(str(book_root), repr(sorted((path, a.id) for path, a in real.items())),
                     repr(sorted(volume_ids)), repr(sorted((k, sorted(v.items())) for k, v in ids.items())))
    assets: dict[str, Asset] = {}
    chapters: list[Chapter] = []
    for renderer, found in zip(renderers, parsed, strict=True):
        article = renderer.article
        # Remote images are never cached: what a server sends may change.
        key = "" if allow_remote else digest(found.key, context, repr((article.id, article.index, article.title,
                                                                      article.subtitle, article.date)))
        done: _Rendered | None = cache.read("render", key, pickle.loads) if key else None
        if done is not None and not done.fresh():
            cache.reject("render")  # an image it shows changed on disk
            done = None
        if done is None:
            if not by_path:
                by_path.update((Path(path), a) for path, a in real.items())
            own, renderer.diag = renderer.diag, Diagnostics()
            try:
                done = _render_one(renderer, etree.fromstring(found.xml, _XML_AS_HTML), by_path, volume_ids,
                                   ids, book_root, allow_remote)
            finally:
                renderer.diag = own
            if key and not any(p.severity == "error" for p in done.problems):
                cache.put("render", key, pickle.dumps(done, protocol=5))
        _replay(renderer.diag, done.problems)
        for asset in done.assets:
            assets.setdefault(asset.name, asset)
        chapters.append(done.chapter(article, key))
    diag.raise_if_errors(RenderError)
    return RenderedVolume(volume=volume, chapters=tuple(chapters), assets=tuple(assets.values()))


def _real_paths(paths: list[Path]) -> list[str]:
    """os.path.realpath of each path, resolving each folder once (a file that is itself a link is
    resolved on its own)."""
    folders: dict[str, str] = {}
    real = []
    for path in paths:
        head, name = os.path.split(str(path))
        if path.is_symlink() or name in ("", ".", ".."):
            real.append(os.path.realpath(path))
            continue
        if head not in folders:
            folders[head] = os.path.realpath(head or ".")
        real.append(os.path.join(folders[head], name))  # noqa: PTH118 (strings: a Path per article costs more)
    return real


@dataclass(frozen=True)
class _Parsed:
    """An article's parsed, sanitised tree (as XML) and what parsing it reported."""

    xml: str
    problems: tuple[Problem, ...]
    searched: tuple[tuple[str, int], ...]
    ids: tuple[str, ...]
    key: str = ""
    aliases: tuple[tuple[str, str], ...] = ()
    """Unicode heading ids (what links may name) → the ASCII ids given instead (`HeadingIds`)."""

    def dump(self) -> bytes:
        return pickle.dumps(self, protocol=5)


def _parse_one(renderer: _ArticleRenderer) -> _Parsed:
    own = Diagnostics()
    renderer.diag = own
    root = renderer.parse()
    ids = {str(e.get("id")) for e in root.iter() if e.get("id")}
    aliases = tuple(sorted((old, new) for old, new in renderer.heading_ids.aliases.items()
                           if new in ids and old not in ids))
    return _Parsed(etree.tostring(root, encoding="unicode"), tuple(own.problems), tuple(renderer._searched.items()),
                   tuple(sorted(ids)), aliases=aliases)


_PARSING: list[_ArticleRenderer] = []
"""The renderers, set before the parse workers fork (so a task is an index)."""


def _parse_task(index: int) -> _Parsed:
    return _parse_one(_PARSING[index])


def _parse_all(renderers: list[_ArticleRenderer], cache: Cache, jobs: int) -> list[_Parsed]:
    """Parse every article: from the cache when its text and the settings are unchanged, otherwise
    in worker processes. Either way the tree goes through the same XML, so results are identical.
    The parse problems are reported here, in article order."""
    if not renderers:
        return []
    settings = digest(CACHE_FORMAT, __version__, markdown.__version__, etree.__version__,
                      repr(renderers[0].typography))
    keys = [digest(settings, str(r.article.path), str(r.article.body_line), r.article.body,
                   repr(r.article.extra.get("line_break"))) for r in renderers]
    parsed: list[_Parsed | None] = [cache.read("parse", key, pickle.loads) for key in keys]
    todo = [i for i, found in enumerate(parsed) if found is None]
    if jobs > 1 and len(todo) > 8:
        diags = [r.diag for r in renderers]
        _PARSING[:] = renderers
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                for i, done in zip(todo, pool.map(_parse_task, todo, chunksize=8), strict=True):
                    parsed[i] = done
        finally:
            _PARSING.clear()
            for renderer, diag in zip(renderers, diags, strict=True):
                renderer.diag = diag
    else:
        for i in todo:
            diag = renderers[i].diag
            parsed[i] = _parse_one(renderers[i])
            renderers[i].diag = diag
    results = []
    for i, (renderer, result) in enumerate(zip(renderers, parsed, strict=True)):
        assert result is not None
        if i in todo:
            cache.put("parse", keys[i], result.dump())
        _replay(renderer.diag, result.problems)  # in order, as if parsed just now
        renderer._searched = dict(result.searched)
        results.append(replace(result, key=keys[i]))
    return results


def _replay(diag: Diagnostics, problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        if problem.severity == "error":
            diag.error(problem.message, problem.path, problem.line, problem.hint)
        else:
            diag.warn(problem.message, problem.path, problem.line, problem.hint)


CACHE_FORMAT = "5"
"""Bumped when what the parse and render cache entries hold changes shape."""


def _signature(path: str) -> tuple[str, int, int, int, int, int]:
    """What a local image's use depends on: the file it resolves to (device and inode, so a link
    pointed elsewhere counts) and its size and times (the change time moves on every write)."""
    try:
        st = os.stat(path)  # noqa: PTH116 (a string: checked for every image of every cached article)
    except OSError:
        return path, -1, -1, -1, -1, -1
    return path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


@dataclass(frozen=True)
class _Rendered(ChapterParts):
    """An article with its links and images resolved: the chapter's parts, what it reported, the
    images it uses and the files it read (checked again before the entry is reused)."""

    problems: tuple[Problem, ...]
    assets: tuple[Asset, ...]
    files: tuple[tuple[str, int, int, int, int, int], ...]

    def fresh(self) -> bool:
        return all(_signature(f[0]) == f for f in self.files)

    def chapter(self, article: Article, key: str) -> Chapter:
        """The chapter of `article`; `key` is what the render was keyed by ("" when not cached)."""
        parts = {f.name: getattr(self, f.name) for f in fields(ChapterParts)}
        return Chapter(**parts, article=article, key=digest(key, repr(self.files)) if key else "")


def _render_one(renderer: _ArticleRenderer, tree: etree._Element, by_path: dict[Path, Article],
                volume_ids: set[str], ids: dict[str, dict[str, str]], book_root: Path, allow_remote: bool) -> _Rendered:
    article = renderer.article
    sources = [(img.get("src") or "").strip() for img in tree.iter("img")]
    files = tuple(_signature(str(_local_path(article, unquote(urlsplit(src).path), book_root)))
                  for src in sources if src and not _is_remote(src))
    _resolve_links(renderer, tree, by_path, volume_ids, ids, book_root)
    used: dict[str, Asset] = {}
    _resolve_images(renderer, tree, book_root, used, allow_remote)
    headings = tuple(
        Heading(int(h.tag[1]), str(h.get("id") or ""), _text(h))
        for h in tree.iter("h2", "h3") if h.get("id")
    )
    section = _chapter_section(article, tree)
    text = _text(tree)
    return _Rendered(etree.tostring(section, encoding="unicode"), headings, renderer.missing_alt,
                     "".join(sorted(set(text))), len(text.split()), len(text.replace(" ", "")),
                     tuple(renderer.diag.problems), tuple(used.values()), files)


_XML_AS_HTML = etree.XMLParser(remove_blank_text=False, resolve_entities=False, huge_tree=True)
_XML_AS_HTML.set_element_class_lookup(lxml.html.HtmlElementClassLookup())


def _local_path(article: Article, path: str, book_root: Path) -> Path:
    """The file a local link or image names, resolved: relative to the article, or for a path that
    starts with `/` the book folder's own (the book folder stands for the site a web page's
    site-root path `/assets/x.png` means), unless it is an existing absolute path inside the book.
    Callers check that the result lies inside the book folder."""
    if path.startswith("/"):
        real = Path(path).resolve()
        if real.is_relative_to(book_root) and real.exists():
            return real
        return (book_root / path.lstrip("/")).resolve()
    return (article.path.parent / path).resolve()


def _resolve_links(renderer: _ArticleRenderer, tree: etree._Element, by_path: dict[Path, Article],
                   volume_ids: set[str], ids: dict[str, dict[str, str]], book_root: Path) -> None:
    article = renderer.article
    for a in list(tree.iter("a")):
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            if href[1:] and unquote(href[1:]) not in ids[article.id]:
                renderer.warn(f"link to #{href[1:]}, which is not an id in this article; it becomes text",
                              renderer.link_needle(href))
                _unwrap(a)
            elif href[1:]:
                a.set("href", "#" + ids[article.id][unquote(href[1:])])
            continue
        parts = urlsplit(href)
        if parts.scheme.lower() in _SAFE_SCHEMES:
            if re.search(r"\s", href):  # `[x](<https://a.example/b c>)` is CommonMark; a URL has no spaces
                a.set("href", re.sub(r"\s", lambda m: f"%{ord(m.group()):02X}", href))
            continue
        # A link never stops a build (it reads nothing): what cannot be a link in the book becomes
        # its text, with a warning. Only images, which are read, are refused outside the book.
        if _is_remote(href):
            renderer.warn(f"link {href!r} has an unsupported scheme; it becomes text", renderer.link_needle(href),
                          "link to an article of the book or to a full https:// URL")
            _unwrap(a)
            continue
        target = _local_path(article, unquote(parts.path), book_root)
        if parts.path.startswith("/") and by_path.get(target) is None:
            renderer.warn(f"link {href!r} is a path on a website, not a file of the book; it becomes text",
                          renderer.link_needle(href), f"write the site's full address: https://<site>{parts.path}")
            _unwrap(a)
            continue
        if not target.is_relative_to(book_root):
            renderer.warn(f"link {parts.path!r} points outside the book folder; it becomes text",
                          renderer.link_needle(href),
                          "link only to articles of the book, or to a full https:// URL")
            _unwrap(a)
            continue
        other = by_path.get(target)
        if other is not None and other.id not in volume_ids:
            renderer.warn(f"link to {parts.path!r}, an article of another volume of the series; it becomes text",
                          renderer.link_needle(href), "name the volume in the text, e.g. “제1권의 …”")
            _unwrap(a)
            continue
        if other is None:
            renderer.warn(f"link to {parts.path!r}, which is not an article of this book; it becomes text",
                          renderer.link_needle(href), "link to an article file of the book, or to a full https:// URL")
            _unwrap(a)
            continue
        fragment = unquote(parts.fragment)
        if fragment and fragment not in ids[other.id]:
            renderer.warn(f"link to {parts.path}#{fragment}: no heading or anchor with that id there",
                          renderer.link_needle(href), "links to the article's start instead")
            fragment = ""
        a.set("href", f"{other.id}.xhtml" + (f"#{ids[other.id][fragment]}" if fragment else ""))


def _resolve_images(renderer: _ArticleRenderer, tree: etree._Element, book_root: Path,
                    assets: dict[str, Asset], allow_remote: bool) -> None:
    article = renderer.article
    for img in list(tree.iter("img")):
        src = (img.get("src") or "").strip()
        if src == "#refused":  # a file:// image, already reported as an error
            _replace_by_text(img, img.get("alt") or "")
            continue
        if not src:
            renderer.warn("an image with no source (`<img>` without src) is left out", f'id="{img.get("id")}"'
                          if img.get("id") else "<img", "give it src=\"images/…\" or delete it")
            holder = img.getparent()
            if img.get("alt"):
                _replace_by_text(img, img.get("alt") or "")
            else:
                remove_keep_tail(img)
                if holder is not None and holder.tag == "figure" and not len(holder) and not _text(holder):
                    remove_keep_tail(holder)
            continue
        alt = img.get("alt")
        if alt is None or not alt.strip():
            renderer.warn(f"image {src!r} has no alt text", src or "![", "write ![what the image shows](…)")
            img.set("alt", "")
            renderer.missing_alt += 1
        if urlsplit(src).scheme.lower() == "file":
            renderer.diag.error(f"image {src!r} points at a file on this computer", article.path,
                                renderer.line(src), "copy the image into the book folder and use a relative path")
            continue
        if src and allow_remote and urlsplit(src).scheme.lower() in ("http", "https"):
            try:
                asset, removed = make_asset(Path(urlsplit(src).path).with_suffix("") or Path("remote"),
                                            fetch_remote(src))
            except ImageError as exc:
                renderer.warn(f"remote image {src!r}: {exc}; its alt text is used", src)
                _replace_by_text(img, img.get("alt") or "")
                continue
            _add_asset(renderer, img, asset, removed, src, assets)
            continue
        if _is_remote(src):
            renderer.warn(f"remote image {src!r} is not fetched; its alt text is used", src,
                          "download the image into the book folder, or build with --allow-remote")
            _replace_by_text(img, img.get("alt") or "")
            continue
        local = unquote(urlsplit(src).path)
        path = _local_path(article, local, book_root)
        if not path.is_relative_to(book_root):
            renderer.diag.error(f"image {src!r} is outside the book folder", article.path,
                                renderer.line(src), "copy the image into the book folder")
            continue
        if not path.is_file():
            if local.startswith("/"):
                renderer.diag.error(f"image {src!r} not found in the book folder", article.path, renderer.line(src),
                                    "a path that starts with / is looked up in the book folder, as a web page's "
                                    "in its site: copy the image there, or write a path relative to the article")
            else:
                renderer.diag.error(f"image {src!r} not found", article.path, renderer.line(src),
                                    "image paths are relative to the article file")
            continue
        try:
            asset, removed = make_asset(path)
        except ImageError as exc:
            renderer.diag.error(f"image {src!r}: {exc}", article.path, renderer.line(src))
            continue
        _add_asset(renderer, img, asset, removed, src, assets)


def _add_asset(renderer: _ArticleRenderer, img: etree._Element, asset: Asset, removed: list[str], src: str,
               assets: dict[str, Asset]) -> None:
    for what in removed:
        renderer.warn(f"{what} removed from SVG {src!r}", src)
    assets.setdefault(asset.name, asset)
    img.set("src", asset.name)


_BOXES = {("checkbox", False): ("□", "선택 안 됨"), ("checkbox", True): ("▣", "선택됨"),
          ("radio", False): ("○", "선택 안 됨"), ("radio", True): ("◉", "선택됨")}
"""What a checklist's box prints as: glyphs the bundled fonts have, and what a screen reader says."""


def _box(kind: str, checked: bool) -> etree._Element:
    glyph, label = _BOXES[kind, checked]
    box = etree.Element("span", {"class": f"checkbox{' checked' if checked else ''}", "role": "img",
                                 "aria-label": label})
    box.text = glyph
    return box


def _replace_by_box(el: etree._Element, kind: str, checked: bool) -> None:
    """A form's checkbox or radio button (a web page's checklist) becomes the glyph of its state."""
    box = _box(kind, checked)
    box.tail = " " + (el.tail or "").lstrip()
    parent = el.getparent()
    if parent is not None:
        parent.replace(el, box)


def _replace_by_text(el: etree._Element, text: str) -> None:
    span = etree.Element("span", {"class": "missing-image"})
    span.text = text
    span.tail = el.tail
    parent = el.getparent()
    if parent is not None:
        parent.replace(el, span)


def _chapter_section(article: Article, body: etree._Element) -> etree._Element:
    """<section epub:type="chapter"> with the article's header and body, in the XHTML namespace."""
    section = etree.Element(f"{{{XHTML_NS}}}section", nsmap=NSMAP)  # type: ignore[arg-type]
    section.set(EPUB_TYPE, "chapter")
    section.set("role", "doc-chapter")
    section.set("class", "chapter")
    section.set("aria-labelledby", f"{article.id}-title")
    header = etree.SubElement(section, f"{{{XHTML_NS}}}header", {"class": "chapter-head"})
    kicker = [f"{article.index}"]
    if article.date:
        kicker.append(f"{article.date.year}년 {article.date.month}월")
    etree.SubElement(header, f"{{{XHTML_NS}}}p", {"class": "kicker"}).text = " · ".join(kicker)
    h1 = etree.SubElement(header, f"{{{XHTML_NS}}}h1", {"id": f"{article.id}-title"})
    h1.text = article.title
    if article.subtitle:
        sub = etree.SubElement(header, f"{{{XHTML_NS}}}p", {"class": "subtitle"})
        sub.text = article.subtitle
    div = _to_xhtml(body)
    div.set("class", " ".join(filter(None, ("chapter-body", body.get("class")))))
    section.append(div)
    return section
