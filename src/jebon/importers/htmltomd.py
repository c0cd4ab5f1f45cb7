"""HTML → clean Markdown for imported pages; text is escaped so that it renders word for word.

Only what a book needs is kept: paragraphs, headings, bold/italic, underline and strike-through,
links, code, quotes, lists, rules, line breaks and images. Everything else keeps its text and loses
its markup; scripts, forms, embedded players and the like are dropped (the caller is told, so that
it can warn).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

from lxml import etree

# -- escaping ---------------------------------------------------------------------------------
# Python-Markdown (with jebon's extensions) reads these characters anywhere in a line: the
# backslash escape works for all of them (its ESCAPED_CHARS; `{` `}` also stop Hanja ruby
# `{漢字|한자}` and attribute lists `{: .x}`).
_ANYWHERE = re.compile(r"([\\`*_\[\]{}|])")
# `&#…` and `&name;` would be read as character references, `<x` as a tag and `<a@b>` as an
# e-mail link: their `&` and `<` are escaped. Any other `&` or `<` (`<3`, `<고양이와 책>`) is
# printed as it is, so the Markdown stays readable.
_ENTITY = re.compile(r"&(?=#|[A-Za-z0-9]+;)")
_TAG = re.compile(r"<(?=[A-Za-z/!?]|[^>]*@[^>]*>)")
# `!` + a link would be an image.
_BANG = re.compile(r"!(?=\[)")
# At the start of a line: headings, quotes, list items, setext underlines, definition lists and
# `~~~` fences. The backslash escape does not work for `=`, `:` and `~`: they become character
# references instead.
_LIST_NUMBER = re.compile(r"^(\d+)([.)])(?=\s|$)")
_LINE_START_REFS = {"=": "&#61;", ":": "&#58;", "~": "&#126;"}

# Inline text is built with these marks (control characters, which no text contains: the
# converter removes them from the page) and finished by `paragraph`, which sees the whole
# paragraph: a `<` in one text node and `@x>` in the next, or `<i>a</i><i>b</i>` (`*a**b*` would
# not be two emphases), are only visible there.
BR = "\x01"
"""A line break."""
EM, EM_END, STRONG, STRONG_END = "\x02", "\x03", "\x04", "\x05"
CODE, CODE_END = "\x06", "\x07"
"""Around the raw text of inline code (`a``b` would not be two code spans)."""
RAW, RAW_END = "\x0e", "\x0f"
"""Around Markdown or HTML the converter wrote itself (an image, a link's address, a tag), which
the escaping passes leave alone."""
_MARKS = str.maketrans({EM: "*", EM_END: "*", STRONG: "**", STRONG_END: "**"})
_SEGMENTS = re.compile(f"{CODE}([^{CODE_END}]*){CODE_END}|{RAW}([^{RAW_END}]*){RAW_END}")


def escape_chars(text: str) -> str:
    """Backslash-escape the characters Markdown reads anywhere (for text that `paragraph` finishes)."""
    return _ANYWHERE.sub(r"\\\1", text)


def escape(text: str) -> str:
    """Escape a piece of text that is not finished by `paragraph` (alt text) so that Markdown prints
    exactly it."""
    return _BANG.sub(r"\\!", _TAG.sub("&lt;", _ENTITY.sub("&amp;", escape_chars(text))))


def raw(markdown: str) -> str:
    """Markdown that `paragraph` must keep as it is."""
    return f"{RAW}{markdown}{RAW_END}"


def escape_line_start(line: str) -> str:
    """Escape what means something only at the start of a line (on text already escaped)."""
    m = _LIST_NUMBER.match(line)
    if m:
        return f"{m.group(1)}\\{m.group(2)}{line[m.end():]}" if m.group(2) == "." else line
    if line[:1] in "#>+-":
        return "\\" + line
    if line[:1] in _LINE_START_REFS:
        return _LINE_START_REFS[line[0]] + line[1:]
    return line


def escape_attribute(text: str) -> str:
    """Text for a Markdown link or image title (`"…"`): backslashes, quotes and entities."""
    return _ENTITY.sub("&amp;", text.replace("\\", "\\\\")).replace('"', "&quot;")


def paragraph(text: str) -> str:
    """Finish an inline run (text passed through escape_chars, with the marks above): join adjacent
    emphases and code spans, escape `&`, `<` and `!` where Markdown would read them, trim, turn
    line breaks into `<br>` + newline and escape the start of every line. Empty when nothing but
    spaces and breaks is left."""
    text = text.replace(EM_END + EM, "").replace(STRONG_END + STRONG, "").replace(CODE_END + CODE, "")
    parts, last = [], 0
    for m in _SEGMENTS.finditer(text):
        parts.append(_escape_refs(text[last:m.start()]))
        parts.append(_code_span(m.group(1)) if m.group(1) is not None else m.group(2))
        last = m.end()
    parts.append(_escape_refs(text[last:]))
    text = re.sub(r" {2,}", " ", "".join(parts))  # spaces of neighbouring text nodes, collapsed like a browser does
    text = re.sub(rf" *{BR}[ {BR}]*", lambda m: BR * m.group().count(BR), text)
    text = text.strip(f" {BR}")
    if not text.strip(EM + EM_END + STRONG + STRONG_END):
        return ""
    text = re.sub(f"{BR}+", lambda m: "<br>" * len(m.group()) + "\n", text).translate(_MARKS)
    return "\n".join(escape_line_start(line) for line in text.split("\n"))


def _escape_refs(text: str) -> str:
    return _BANG.sub(r"\\!", _TAG.sub("&lt;", _ENTITY.sub("&amp;", text)))


# -- conversion ---------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r\f\v\xa0]+")
# Removed with everything inside: never text of the article.
_DROP = {"script", "style", "noscript", "template", "button", "input", "select", "textarea", "option",
         "form", "svg", "canvas", "head", "title", "meta", "link", "base", "map", "area"}
# Embedded content: removed, and reported (a player or a map in a printed book is left out).
_EMBEDS = {"iframe", "video", "audio", "object", "embed", "source", "track", "picture"}
_BLOCKS = {"p", "div", "section", "article", "aside", "header", "footer", "main", "nav", "figure",
           "figcaption", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "pre", "hr", "table", "thead",
           "tbody", "tfoot", "tr", "td", "th", "caption", "center", "address", "details", "summary",
           "h1", "h2", "h3", "h4", "h5", "h6"}


ImageHandler = Callable[[etree._Element, str | None], str]
"""image(img, caption) → Markdown for the image (`![alt](src "caption")`), or "" to leave it out."""


@dataclass
class Converter:
    """Turns an HTML subtree into Markdown blocks. `image` decides what becomes of each <img>;
    `base` makes relative links absolute; `levels` maps HTML heading levels to Markdown ones."""

    image: ImageHandler
    base: str = ""
    levels: dict[int, int] = field(default_factory=dict)
    dropped: list[etree._Element] = field(default_factory=list)
    """Embedded players and frames that were left out (for the caller's warnings)."""

    def markdown(self, root: etree._Element) -> str:
        """The whole subtree as Markdown (blocks separated by blank lines, ending with a newline)."""
        return join_blocks(self.blocks(root))

    # -- blocks -----------------------------------------------------------------------------------
    def blocks(self, el: etree._Element) -> list[str]:
        """The Markdown blocks of an element's content: runs of inline content become paragraphs,
        block children add their own blocks."""
        out: list[str] = []
        run: list[str] = [_text(el.text)]

        def flush() -> None:
            text = paragraph("".join(run))
            if text:
                out.append(text)
            run.clear()

        for child in el:
            tag = _tag(child)
            if tag in _BLOCKS:
                flush()
                out.extend(self.block(child))
            elif tag == "img":  # an image between blocks (or alone in its paragraph) is a paragraph of its own
                flush()
                md = self.image(child, None)
                if md:
                    out.append(md)
            else:
                run.append(self.inline(child))
            run.append(_text(child.tail))
        flush()
        return out

    def block(self, el: etree._Element) -> list[str]:
        tag = _tag(el)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.inline(el).replace(BR, " ")
            text = paragraph(" ".join(text.split()))
            if not text:
                return []
            text = re.sub(r"#+$", lambda m: "\\#" * len(m.group()), text.replace("\n", " "))
            return ["#" * self.levels.get(int(tag[1]), min(int(tag[1]) + 1, 6)) + " " + text]
        if tag == "hr":
            return ["* * *"]
        if tag == "pre":
            return [_fence("".join(str(t) for t in el.itertext()))]
        if tag == "blockquote":
            inner = "\n\n".join(self.blocks(el))
            return ["\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))] if inner else []
        if tag in ("ul", "ol"):
            return self.list(el)
        if tag == "figure":
            return self.figure(el)
        return self.blocks(el)

    def figure(self, el: etree._Element) -> list[str]:
        """A figure: each image its own paragraph; the caption goes with a single image (its title,
        shown under it in the book) or follows a group as a paragraph."""
        captions = [c for c in el.iter() if _tag(c) == "figcaption"]
        caption = " ".join(" ".join("".join(str(t) for t in c.itertext()).split()) for c in captions) or None
        images = [img for img in el.iter() if _tag(img) == "img"]
        for c in captions:
            c.drop_tree()  # type: ignore[attr-defined]  # lxml.html elements
        if len(images) == 1:
            for img in images:
                md = self.image(img, caption)
                img.drop_tree()  # type: ignore[attr-defined]
                rest = self.blocks(el)
                return ([md] if md else ([paragraph(escape_chars(caption))] if caption else [])) + rest
        out = self.blocks(el)
        if caption:
            out.append(paragraph(escape_chars(caption)))
        return out

    def list(self, el: etree._Element) -> list[str]:
        ordered = _tag(el) == "ol"
        start = el.get("start", "1")
        number = int(start) if ordered and start.isdigit() else 1
        items = []
        for li in el:
            if _tag(li) != "li":
                continue
            blocks = self.blocks(li)
            marker = f"{number}." if ordered else "-"
            number += 1
            text = marker + " " + "\n".join(blocks[:1]).replace("\n", "\n    ")
            for block in blocks[1:]:
                sep = "\n" if re.match(r"(-|\d+\.) ", block) else "\n\n"  # a nested list follows tightly
                text += sep + "    " + block.replace("\n", "\n    ")
            items.append(text.rstrip() if blocks else marker)
        loose = any("\n\n" in item for item in items)
        return [("\n\n" if loose else "\n").join(items)] if items else []

    # -- inline -----------------------------------------------------------------------------------
    def inline(self, el: etree._Element, strong: bool = False, em: bool = False) -> str:
        tag = _tag(el)
        if tag in _DROP or not isinstance(el.tag, str):
            return ""
        if tag in _EMBEDS:
            self.dropped.append(el)
            return ""
        if tag == "br":
            return BR
        if tag == "img":
            md = self.image(el, None)
            return raw(md) if md else ""
        if tag == "code" and el.find(".//img") is None and el.find(".//br") is None:
            lead, code, trail = _split_space(_WHITESPACE.sub(" ", _CONTROL.sub("", "".join(map(str, el.itertext())))))
            return f"{lead}{CODE}{code}{CODE_END}{trail}" if code else lead + trail
        if tag == "ruby":
            return self.ruby(el)
        if tag in ("rp", "rt"):
            return ""
        inner_strong = strong or tag in ("b", "strong")
        inner_em = em or tag in ("i", "em", "cite", "dfn", "var")
        content = _text(el.text) + "".join(
            self.inline(child, inner_strong, inner_em) + _text(child.tail) for child in el)
        # Emphasis inside emphasis is written as HTML: `***a**b*`-like runs of marks are read
        # differently by different Markdown parsers, `*<strong>a</strong>b*` is not.
        if tag in ("b", "strong") and not strong:
            return _wrap(content, raw("<strong>"), raw("</strong>")) if em else _wrap(content, STRONG, STRONG_END)
        if tag in ("i", "em", "cite", "dfn", "var") and not em:
            return _wrap(content, raw("<em>"), raw("</em>")) if strong else _wrap(content, EM, EM_END)
        if tag == "a":
            return self.link(el, content)
        # Underline and strike-through are the author's marks: kept as the HTML that jebon's books allow.
        if tag in ("u", "ins"):
            return _wrap(content, raw("<u>"), raw("</u>"))
        if tag in ("s", "strike", "del"):
            return _wrap(content, raw("<s>"), raw("</s>"))
        return content

    def ruby(self, el: etree._Element) -> str:
        """`<ruby>漢字<rt>한자</rt></ruby>` → jebon's `{漢字|한자}`; the base and its reading as text
        (`漢字(한자)`) when either holds a character that the ruby syntax or Markdown would read."""
        readings = [" ".join("".join(map(str, rt.itertext())).split()) for rt in el.iter("rt")]
        for rt in list(el.iter("rt", "rp")):
            rt.drop_tree()  # type: ignore[attr-defined]
        base = " ".join("".join(map(str, el.itertext())).split())
        reading = " ".join(filter(None, readings))
        if not base or not reading:
            return escape_chars(base or reading)
        if re.search(r"[\\`*_\[\]{}|<>&!#\x00-\x1f]", base + reading):
            return escape_chars(f"{base}({reading})")
        return raw(f"{{{base}|{reading}}}")

    def link(self, el: etree._Element, content: str) -> str:
        href = (el.get("href") or "").strip()
        # An empty link, or one around an image or a line break: keep what is inside.
        if not content.strip(f" {BR}") or BR in content or RAW in content:
            return content
        return markdown_link(content, urljoin(self.base, href) if self.base else href)


_LIST_ITEM = re.compile(r"(-|\d+\.) ")
SEPARATOR = "<!-- -->"
"""Between two quotes (or two lists of one kind), which Markdown would otherwise run into one."""


def join_blocks(blocks: list[str]) -> str:
    """Markdown blocks as a text: a blank line between them (and an empty comment between two quotes
    or two lists of the same kind, which a blank line alone would join), ending with a newline."""
    out: list[str] = []
    for block in (b for b in blocks if b):
        if out:
            last = out[-1]
            same_list = (m := _LIST_ITEM.match(last)) and (n := _LIST_ITEM.match(block)) \
                and (m.group(1) == "-") == (n.group(1) == "-")
            if (last.startswith(">") and block.startswith(">")) or same_list:
                out.append(SEPARATOR)
        out.append(block)
    return "\n\n".join(out) + "\n"


def markdown_link(content: str, url: str) -> str:
    """A link around inline `content` (escaped text with the marks above); just the content when the
    address is not http(s) or mailto (`#top`, `javascript:`, a relative link with no base)."""
    if urlsplit(url).scheme.lower() not in ("http", "https", "mailto"):
        return content
    url = quote(url, safe="/:?#[]@!$&'*+,;=%~-._")
    lead, core, trail = _split_space(content)
    return f"{lead}[{core}]({raw(url)}){trail}" if core else content


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(text: str | None) -> str:
    """A text node as Markdown: control characters removed (they are not text, and the marks above
    use some), whitespace collapsed like a browser does, then escaped."""
    return escape_chars(_WHITESPACE.sub(" ", _CONTROL.sub("", text))) if text else ""


def _split_space(text: str) -> tuple[str, str, str]:
    """(leading spaces and breaks, the rest, trailing spaces and breaks)."""
    core = text.strip(f" {BR}")
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core):]


def _wrap(content: str, start: str, end: str) -> str:
    """Emphasis marks around the content, spaces and breaks kept outside (`** x**` is not bold)."""
    lead, core, trail = _split_space(content)
    if not core.strip(EM + EM_END + STRONG + STRONG_END + RAW + RAW_END):
        return content
    return f"{lead}{start}{core}{end}{trail}"


def _code_span(code: str) -> str:
    if not code:
        return ""
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{ticks}{pad}{code}{pad}{ticks}"


def _fence(code: str) -> str:
    fence = "`" * max(3, max((len(run) + 1 for run in re.findall(r"`{3,}", code)), default=3))
    return f"{fence}\n{code.strip(chr(10))}\n{fence}"
