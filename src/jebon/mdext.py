"""Python-Markdown extensions that make it read Markdown as CommonMark readers (Typora, Obsidian,
Notion, GitHub) do where the difference loses a writer's structure: lists nested by their content's
column (2 or 3 spaces), lists right after a paragraph line, fences inside list items or indented by
1–3 spaces, `1)` markers; and abbreviations followed by a Korean particle (`EMS는`)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from markdown import Markdown
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrTreeprocessor
from markdown.preprocessors import Preprocessor

_MARKER = re.compile(r"([-+*]|\d{1,9}[.)])( +|$)(.*)")
_HR = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE_RE = re.compile(r"(`{3,}|~{3,})(.*)$")
_MDX_ID = re.compile(r"[ \t]*\{/\*\s*([\w.:-]+)\s*\*/\}[ \t]*#*[ \t]*$")


def _fence(stripped: str) -> re.Match[str] | None:
    """The fence a line opens, if any (CommonMark: a backtick fence's info has no backtick, so
    ```` ```inline code``` ```` at the start of a line is not one)."""
    m = _FENCE_RE.match(stripped)
    if m is None or (m.group(1)[0] == "`" and "`" in m.group(2)):
        return None
    return m
_QUOTE = re.compile(r" {0,3}> ?")
_HTML_START = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)|<!--")
_RAW_BLOCKS = {
    "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset", "figcaption",
    "figure", "footer", "form", "header", "hgroup", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
    "script", "style", "textarea", "iframe", "noscript", "video", "audio", "canvas", "math", "svg", "center",
}
_MARKDOWN_INSIDE = {
    "address", "article", "aside", "blockquote", "details", "div", "figure", "footer", "header", "main", "nav",
    "section", "center",
}
_ATX = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")


@dataclass
class _Marker:
    text: str
    """The marker as Python-Markdown wants it (`-`, `*`, `+`, `3.`; `3)` becomes `3.`)."""
    width: int
    """Columns from the marker's start to its content (CommonMark: marker, then 1–4 spaces)."""
    content: str
    ordered_start: int | None


def _marker(text: str) -> _Marker | None:
    """The list marker `text` (without its indentation) starts with, if it is a list item."""
    m = _MARKER.match(text)
    if m is None or _HR.match(text):
        return None
    marker, spaces, content = m.groups()
    if not spaces and content:
        return None
    width = len(marker) + (len(spaces) if 1 <= len(spaces) <= 4 and content else 1)
    if len(spaces) > 4 and content:
        content = " " * (len(spaces) - 1) + content  # CommonMark: code in the item; we keep it as text
    ordered = int(marker[:-1]) if marker[-1] in ".)" else None
    return _Marker(f"{marker[:-1]}." if ordered is not None else marker, width, content, ordered)


_LANG = re.compile(r"\.?([\w#+.-]*)")
_TITLE = re.compile(r"""title=(?:"([^"]+)"|'([^']+)'|(\S+))|((?:[\w@+-]+/)*[\w@+-]*\.[\w+-]+)(?=\s|$)""")
_SAFE_TITLE = re.compile(r"[\w./@+ -]+")


def _fence_opening(fence: str, info: str) -> str:
    """The opening line of a fence as Python-Markdown reads it. CommonMark takes the info string's
    first word as the language and allows anything after it; Python-Markdown recognises no fence
    at all unless the info is one bare word or its own `{ .lang }` syntax, so `js src/App.js`,
    `rust,ignore` or `js{2}` (React, Rust and VitePress docs) left the code to be read as text.
    The language is kept, and a file name (`src/App.js`, `title="x.py"`) becomes the code's
    `data-title` (shown above it)."""
    info = info.strip()
    if not info or info.startswith("{"):
        return fence + info
    m = _LANG.match(info)
    assert m is not None
    lang, rest = m.group(1), info[m.end():]
    rest = re.sub(r"\{[^}]*\}", " ", rest)
    t = _TITLE.search(rest)
    title = next((g for g in t.groups() if g), "") if t else ""
    attrs = [f".{lang}"] if lang else []
    if title and _SAFE_TITLE.fullmatch(title):
        attrs.append(f'data-title="{title}"')
    return fence + (f"{{ {' '.join(attrs)} }}" if attrs else "")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _interrupts_paragraph(marker: _Marker) -> bool:
    """CommonMark: a list may start right after a paragraph line only with a bullet or `1.`, and
    not with an empty item."""
    return bool(marker.content.strip()) and marker.ordered_start in (None, 1)


def _plain_text(stripped: str) -> bool:
    """Whether a line can be a lazy continuation of a paragraph (it starts no other block)."""
    return not (_ATX.match(stripped) or _fence(stripped) or _QUOTE.match(stripped) or _HR.match(stripped)
                or _raw_html_tag(stripped))


def _raw_html_tag(stripped: str) -> str | None:
    """The tag of a raw HTML block that starts on this line (Python-Markdown keeps its lines as they
    are), '!--' for a comment."""
    m = _HTML_START.match(stripped)
    if m is None:
        return None
    if m.group(0) == "<!--":
        return "!--"
    tag = m.group(2).lower()
    return tag if tag in _RAW_BLOCKS and not m.group(1) else None


class ListNormaliser(Preprocessor):  # type: ignore[misc]
    """Rewrites list indentation the way Python-Markdown needs it (4 spaces a level) from what
    CommonMark reads (an item's content starts at the column after its marker): `- a` / `  - b`
    nests b in a. Inserts the blank line Python-Markdown needs before a list that follows a
    paragraph line, turns `1)` into `1.`, dedents fences indented by 1–3 spaces and hands fences
    inside list items to the fenced-code extension. Code (fenced or indented), raw HTML blocks and
    comments are copied as they are."""

    def run(self, lines: list[str]) -> list[str]:
        return self.normalise(lines)

    def normalise(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        stack: list[int] = []
        """Content columns (in the source) of the open list items, outermost first."""
        blank = True
        """The previous line was blank (or there was none)."""
        block_level: int | None = None
        """The level of the list item that began the lines since the last blank (None: they began
        otherwise). Python-Markdown reads each run of lines between blank lines as one block: the
        items of a block that begins with an item, at its level or deeper, need no blank line
        between them; any other item does."""
        prev_text = False
        """The previous line was paragraph text (a list starting there interrupts a paragraph)."""
        item_code = False
        """The previous non-blank line was indented code inside a list item."""
        i = 0
        n = len(lines)
        while i < n:
            line = lines[i]
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            if not stripped:
                out.append("")
                blank, block_level, prev_text = True, None, False
                i += 1
                continue
            if not stack:
                # -- outside any list --------------------------------------------------------
                fence = _fence(stripped) if indent <= 3 else None
                if fence:
                    i = self._top_fence(lines, i, indent, fence.group(1), out)
                    blank, block_level, prev_text = False, None, False
                    continue
                if indent >= 4 and not prev_text:  # indented code
                    while i < n and (not lines[i].strip() or _indent(lines[i]) >= 4):
                        out.append(lines[i])
                        i += 1
                    blank, block_level, prev_text = out[-1] == "", None, False
                    continue
                tag = _raw_html_tag(stripped) if indent <= 3 else None
                if tag:
                    i = self._raw_html(lines, i, tag, out)
                    blank, block_level, prev_text = False, None, False
                    continue
                if _QUOTE.match(line):
                    i = self._quote(lines, i, out)
                    blank, block_level, prev_text = False, None, False
                    continue
                marker = _marker(stripped) if indent <= 3 else None
                if marker and (not prev_text or _interrupts_paragraph(marker)):
                    if not blank:
                        out.append("")  # Python-Markdown needs a blank line before a list
                    stack = [indent + marker.width]
                    out.append(self._item(0, marker))
                    blank, block_level, prev_text, item_code = False, 0, True, False
                    i += 1
                    continue
                if _ATX.match(stripped) and (mdx := _MDX_ID.search(line)):
                    line = f"{line[:mdx.start()]} {{#{mdx.group(1)}}}"  # MDX's `{/*id*/}` is attr_list's `{#id}`
                out.append(line)
                blank, prev_text = False, not _ATX.match(stripped) and not _HR.match(stripped)
                i += 1
                continue
            # -- inside a list ------------------------------------------------------------------
            depth = max((k for k, col in enumerate(stack) if col <= indent), default=-1)
            base = stack[depth] if depth >= 0 else 0
            rel = indent - base
            marker = _marker(stripped) if rel <= 3 and not (item_code and rel >= 4) else None
            if marker and depth + 1 >= len(stack) and prev_text and not _interrupts_paragraph(marker):
                marker = None  # e.g. "2. …" right after a line of text continues that text
            if marker:
                level = depth + 1
                del stack[level:]
                if not blank and (block_level is None or level < block_level):
                    out.append("")
                    blank = True
                if blank:
                    block_level = level
                stack.append(indent + marker.width)
                out.append(self._item(level, marker))
                blank, prev_text, item_code = False, True, False
                i += 1
                continue
            if depth < 0 or (depth < len(stack) - 1 and not blank):
                if not blank and prev_text and _plain_text(stripped):
                    out.append(" " * (4 * len(stack)) + stripped)  # lazy continuation of the paragraph
                    blank = False
                    i += 1
                    continue
                if depth < 0:
                    stack = []  # the list ends; the line is read again outside it
                    if not blank:
                        out.append("")
                        blank = True
                    prev_text = item_code = False
                    continue
            del stack[depth + 1:]
            pad = 4 * (depth + 1)
            if rel >= 4 and (blank or item_code):
                out.append(" " * (pad + rel) + stripped)  # indented code inside the item
                blank, prev_text, item_code = False, False, True
                i += 1
                continue
            fence = _fence(stripped) if rel <= 3 else None
            if fence:
                i = self._item_fence(lines, i, base, indent, fence.group(1), pad, out)
                blank, block_level, prev_text, item_code = True, None, False, False
                continue
            plain = _plain_text(stripped)
            if not blank and not plain:
                out.append("")  # a quote, heading or HTML in an item begins a block of its own
                blank, block_level = True, None
            out.append(" " * (pad + rel) + stripped)
            blank, item_code, prev_text = False, False, plain
            i += 1
        return out

    @staticmethod
    def _item(level: int, marker: _Marker) -> str:
        return " " * (4 * level) + marker.text + " " + marker.content

    @staticmethod
    def _closes(line: str, fence: str, max_indent: int) -> bool:
        stripped = line.lstrip(" ")
        return (_indent(line) <= max_indent and stripped.startswith(fence[0] * len(fence))
                and not stripped.rstrip().strip(fence[0]))

    def _top_fence(self, lines: list[str], i: int, indent: int, fence: str, out: list[str]) -> int:
        """A fence outside lists, copied with its indentation (up to 3 spaces, as CommonMark strips
        from each line) removed, so that the fenced-code extension sees it. Unclosed, it is left
        as text (as Python-Markdown does)."""
        end = next((j for j in range(i + 1, len(lines)) if self._closes(lines[j], fence, 3)), None)
        if end is None:
            out.append(lines[i])
            return i + 1
        out.append(_fence_opening(fence, lines[i].lstrip(" ")[len(fence):]))
        for j in range(i + 1, end + 1):
            line = lines[j]
            cut = min(indent, _indent(line))
            out.append(fence if j == end else line[cut:])
        return end + 1

    def _item_fence(self, lines: list[str], i: int, base: int, indent: int, fence: str, pad: int,
                    out: list[str]) -> int:
        """A fence inside a list item: its lines, with the item's indentation removed, go through
        the fenced-code extension now (which only sees fences at the left margin), and the
        placeholder it leaves is put in the item as a block of its own."""
        body = [_fence_opening(fence, lines[i][indent + len(fence):])]
        j = i + 1
        closed = False
        while j < len(lines):
            line = lines[j]
            if line.strip() and _indent(line) < base:
                break  # the item ends, and the fence with it
            if self._closes(line, fence, base + 3):
                closed = True
                j += 1
                break
            cut = min(indent, _indent(line)) if line.strip() else len(line)
            body.append(line[cut:])
            j += 1
        while not closed and body and not body[-1].strip():
            body.pop()
            j -= 1
        body.append(fence)
        fenced = self.md.preprocessors["fenced_code_block"]
        if out and out[-1]:
            out.append("")
        out.extend((" " * pad + line) if line.strip() else "" for line in fenced.run(body))
        out.append("")
        return j

    def _raw_html(self, lines: list[str], i: int, tag: str, out: list[str]) -> int:
        """A raw HTML block, up to the line that closes its first tag. Python-Markdown keeps all of
        it as it is; CommonMark ends it at the first blank line and reads what follows as Markdown
        (`<div class="note">`, a blank line, then Markdown: what web pages and GitHub READMEs
        write, `<details>` among them). So a block whose tags stand on lines of their own around a
        blank line is marked `markdown="1"` for the md_in_html extension and its inside read the
        same way as the rest; any other block is copied as it is."""
        if tag == "!--":
            closes = re.compile(r"-->")
            opens = None
        else:
            closes = re.compile(rf"</{tag}\s*>", re.IGNORECASE)
            opens = re.compile(rf"<{tag}(?=[\s/>])", re.IGNORECASE)
        depth = 0
        end = len(lines) - 1
        for j in range(i, len(lines)):
            depth += len(opens.findall(lines[j])) if opens else (1 if j == i else 0)
            depth -= len(closes.findall(lines[j]))
            if depth <= 0 or (opens and lines[j].rstrip().endswith("/>") and j == i):
                end = j
                break
        block = lines[i:end + 1]
        if (tag in _MARKDOWN_INSIDE and len(block) > 2 and any(not line.strip() for line in block)
                and re.fullmatch(rf" {{0,3}}<{tag}(?:\s[^<>]*)?>\s*", block[0], re.IGNORECASE)
                and "markdown=" not in block[0].lower()
                and re.fullmatch(rf"\s*</{tag}\s*>\s*", block[-1], re.IGNORECASE)):
            opening = block[0].rstrip()
            out.append(opening[:-1] + ' markdown="1">')
            out.extend(self.normalise(block[1:-1]))
            out.append(block[-1].strip())
        else:
            out.extend(block)
        return end + 1

    def _quote(self, lines: list[str], i: int, out: list[str]) -> int:
        """A block quote: its lines without the `>` are read the same way, then quoted again."""
        inner = []
        j = i
        while j < len(lines) and (m := _QUOTE.match(lines[j])):
            inner.append(lines[j][m.end():])
            j += 1
        fenced = any(_fence(line.lstrip(" ")) for line in inner)
        if not fenced and not any(_marker(line.lstrip(" ")) or _ATX.match(line) for line in inner):
            out.extend(lines[i:j])
            return j
        inner = self.normalise(inner)
        if fenced:  # the fenced-code extension sees only fences at the left margin: hand it these now
            inner = self.md.preprocessors["fenced_code_block"].run(inner)
        out.extend(f"> {line}".rstrip() if line else ">" for line in inner)
        return j


class _AbbrProcessor(AbbrTreeprocessor):  # type: ignore[misc]
    """Python-Markdown's abbreviations, matched where a Korean particle follows (`EMS는`, `EMS로`):
    an abbreviation must not touch a letter or digit of its own script on either side, but Hangul
    and Han may follow or precede a Latin one."""

    def run(self, root: ET.Element) -> ET.Element | None:
        if not self.abbrs:
            return None
        keys = sorted(self.abbrs, key=len, reverse=True)
        self.RE = re.compile("|".join(_bounded(key) for key in keys))
        self.iter_element(root)
        return None


_HANGUL_HAN = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def _side(char: str) -> str | None:
    """What must not touch an abbreviation on the side where it ends with `char` (None: nothing,
    as for punctuation)."""
    if re.match(f"[{_HANGUL_HAN}]", char):
        return f"[{_HANGUL_HAN}]"
    if re.match(r"\w", char):
        return rf"[^\W{_HANGUL_HAN}]"  # a letter, digit or _ of a script other than Hangul and Han
    return None


def _bounded(key: str) -> str:
    before, after = _side(key[0]), _side(key[-1])
    return "".join((f"(?<!{before})" if before else "", re.escape(key), f"(?!{after})" if after else ""))


class JebonMarkdownExtension(Extension):  # type: ignore[misc]
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(ListNormaliser(md), "jebon-lists", 27)
        if "abbr" in md.treeprocessors:
            old = md.treeprocessors["abbr"]
            md.treeprocessors.register(_AbbrProcessor(md, old.abbrs), "abbr", 7)
