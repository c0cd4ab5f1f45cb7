"""Brunch (brunch.co.kr) articles an author saved from the browser: `Title.html` with its
`Title_files/` folder ("save page as", complete), or the page's text copied into a `.txt` file.

Both forms become a Page. Only the article is kept: the title, subtitle, author, date, keywords,
magazine and address are read into the front matter, the body into Markdown; the site around it
(header, buttons, author box, comments, other articles, notices) is dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from ..errors import Diagnostics
from ..images import EXTENSIONS, ImageError, make_asset
from .htmltomd import BR, Converter, escape, escape_attribute, escape_chars, paragraph
from .page import DATE_PATTERN, Page, PageImage, decode, image_target, parse_page_date

SITE = "https://brunch.co.kr/"
EXPECTED = ("expected a Brunch article saved from the browser (File → Save Page As…, “Webpage, complete”: "
            "Title.html with Title_files/ beside it) or its text copied into a .txt file "
            "(the site banner, `by 작가 Mar 29. 2024`, the title, the subtitle, the text)")


def read(path: Path, diag: Diagnostics) -> Page | None:
    """Read one saved page (either form); problems go to `diag`, None when it cannot be used."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        diag.error(f"cannot be read: {exc.strerror or exc}", path)
        return None
    if raw.startswith(b"bplist00"):
        diag.error("a Safari web archive (.webarchive) is not supported", path, 1,
                   "save the page as “Page Source” or “Webpage, complete” in another browser, or copy its text")
        return None
    text = decode(path, raw, diag)
    if text is None:
        return None
    if not text.strip():
        diag.error("the file is empty", path, 1, EXPECTED)
        return None
    head = text[:4096].lstrip()
    if re.match(r"(From:.*\n)?MIME-Version:", head, re.IGNORECASE) and "multipart/related" in head:
        diag.error("a single-file web archive (MHTML) is not supported", path, 1,
                   "save the page as “Webpage, complete” (Title.html + Title_files/) or copy its text")
        return None
    if re.match(r"(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta)\b", head,
                re.IGNORECASE | re.DOTALL):
        return parse_html(path, text, diag)
    return parse_text(path, text, diag)


def normalise_url(url: str | None) -> str | None:
    """An article address as an identity: https, no query, fragment or trailing slash; None if the
    value is not an http(s) address."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    return urlunsplit(("https", host, parts.path.rstrip("/"), "", ""))


def _is_brunch(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").netloc.endswith("brunch.co.kr")


# ---------------------------------------------------------------------------------------------
# The saved page (HTML)

def _with_class(root: etree._Element, *classes: str) -> list[etree._Element]:
    """Elements that have any of `classes` among their class names, in document order."""
    test = " or ".join(f'contains(concat(" ", normalize-space(@class), " "), " {c} ")' for c in classes)
    found: list[etree._Element] = root.xpath(f".//*[{test}]")  # type: ignore[assignment]
    return found


def _line(el: etree._Element) -> int | None:
    line = el.sourceline
    return line if isinstance(line, int) else None


def _text_of(el: etree._Element | None) -> str:
    return " ".join("".join(str(t) for t in el.itertext()).split()) if el is not None else ""


def _first_text(root: etree._Element, *classes: str) -> str | None:
    for el in _with_class(root, *classes):
        text = _text_of(el)
        if text:
            return text
    return None


def _meta(root: etree._Element, *names: str) -> str | None:
    for name in names:
        for el in root.xpath(f'//meta[@property="{name}" or @name="{name}"]'):  # type: ignore[union-attr]
            assert isinstance(el, etree._Element)
            value = " ".join((el.get("content") or "").split())
            if value:
                return value
    return None


def _page_url(root: etree._Element, text: str) -> str | None:
    """The article's address: canonical link, og:url, Brunch's permalink meta, or the comment the
    browser writes when it saves a page (`<!-- saved from url=(0035)https://… -->`)."""
    found: list[str] = [str(h) for h in root.xpath('//link[@rel="canonical"]/@href')]  # type: ignore[union-attr]
    found += filter(None, (_meta(root, "og:url"), _meta(root, "dg:plink")))
    m = re.search(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", text[:4096])
    if m:
        found.append(m.group(1))
    urls = [u for u in (normalise_url(f) for f in found) if u]
    return next((u for u in urls if _is_brunch(u)), urls[0] if urls else None)


# Alt texts that say nothing about the image: the caption is used instead.
_USELESS_ALT = re.compile(r"^(|image|img|photo|picture|이미지|사진|그림|첨부\s*이미지|brunch"
                          r"|.+\.(jpe?g|png|gif|webp|svg))$", re.IGNORECASE)


def parse_html(path: Path, text: str, diag: Diagnostics) -> Page | None:
    """A Brunch article page saved from the browser. Only `.wrap_body` (the article's items) becomes
    the body; the title, subtitle, byline, keywords and addresses come from the cover and meta tags."""
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        diag.error(f"cannot be read as HTML: {exc}", path, 1, EXPECTED)
        return None
    url = _page_url(doc, text)
    bodies = _with_class(doc, "wrap_body")
    cover_title = next(iter(_with_class(doc, "cover_title")), None)
    site = (_meta(doc, "og:site_name") or "").lower()
    if not bodies or (cover_title is None and not _is_brunch(url) and "brunch" not in site and "브런치" not in site):
        missing = "no article body (an element with class `wrap_body`)" if not bodies else \
            "no Brunch cover title (`h1.cover_title`) and no brunch.co.kr address"
        diag.error(f"an HTML page, but not a Brunch article: {missing}", path, 1, EXPECTED)
        return None
    body = bodies[0]
    title = _text_of(cover_title) or _meta(doc, "og:title")
    if not title:
        diag.error("the page has no title (`h1.cover_title` or og:title)", path, 1,
                   "save the article page itself, not a list of articles")
        return None
    # The date shown under the title (`Mar 29. 2024`), else the publication time in the meta tags.
    covers = _with_class(doc, "wrap_cover", "cover_cell", "cover_byline")
    shown = [d for cover in covers[:1] for d in _with_class(cover, "date", "publish_time")]
    date, date_line, date_text = None, None, None
    for el in [*shown, *_with_class(doc, "cover_byline")]:
        date = parse_page_date(_text_of(el))
        if date:
            date_line = _line(el)
            break
    if date is None:
        date = parse_page_date(_meta(doc, "article:published_time", "og:published_time", "og:regDate",
                                     "datePublished") or "")
    if date is None:  # what the cover shows instead (a recent article says `3시간전`), for the message
        date_line = _line(shown[0]) if shown else _line(covers[0]) if covers else None
        date_text = _text_of(shown[0]) if shown else None
    author = _first_text(doc, "author_name", "link_by") or _meta(doc, "article:author", "author")
    if author and author.startswith(("http://", "https://")):
        author = None

    images: list[PageImage] = []

    def image(img: etree._Element, caption: str | None) -> str:
        return _image(path, img, caption, images, diag)

    _normalise_items(body)
    levels = sorted({int(h.tag[1]) for h in body.iter("h1", "h2", "h3", "h4", "h5", "h6")})
    converter = Converter(image, base=url or SITE, levels={level: min(i + 2, 6) for i, level in enumerate(levels)})
    markdown = converter.markdown(body)
    for el in converter.dropped:
        src = el.get("src") or el.get("data-src") or next((str(s) for s in el.xpath(".//@src")), "")  # type: ignore[union-attr]
        diag.warn(f"embedded <{el.tag}> {src} is left out".replace("  ", " "), path, _line(el),
                  "a book cannot play it: add a link or a still image by hand if it matters")
    if not markdown.strip():
        diag.error("the article body (`.wrap_body`) has no text", path, _line(body), EXPECTED)
        return None
    return Page(
        source=path, title=title, subtitle=_first_text(doc, "cover_sub_title") or None,
        author=author, date=date, tags=_html_tags(doc), url=url,
        magazine=_first_text(doc, "magazine_title", "tit_magazine", "link_magazine", "txt_magazine"),
        body=markdown, images=tuple(images), date_line=date_line or 1, date_text=date_text or None,
    )


def _normalise_items(body: etree._Element) -> None:
    """Brunch's body items (`.wrap_item.item_type_*`) into plain HTML the converter knows: image
    items become <figure> with a <figcaption>, quotation items <blockquote>, rule items <hr>."""
    for item in _with_class(body, "item_type_img", "item_type_gridGallery", "item_type_image"):
        item.tag = "figure"
        for caption in _with_class(item, "text_caption", "txt_caption", "caption"):
            caption.tag = "figcaption"
    for item in _with_class(body, "item_type_quotation"):
        item.tag = "blockquote"
    for item in _with_class(body, "item_type_hr"):
        for child in list(item):
            item.remove(child)
        item.text = None
        item.tag = "hr"


def _html_tags(doc: etree._Element) -> tuple[str, ...]:
    """Keywords: the links (or items) of the keyword list, without a leading `#`, each once."""
    tags: list[str] = []
    for box in _with_class(doc, "list_keyword", "keyword", "wrap_keyword", "link_keyword"):
        links = [box] if box.tag == "a" else list(box.iter("a")) or list(box.iter("li"))
        for link in links:
            tag = _text_of(link).lstrip("#").strip()
            if tag and tag not in tags and len(tag) <= 40:
                tags.append(tag)
    return tuple(tags)


def _image(path: Path, img: etree._Element, caption: str | None, images: list[PageImage],
           diag: Diagnostics) -> str:
    """Markdown for one image of a saved page: a local copy (in the `_files` folder) is read,
    checked and linked; a remote-only image is left out with a warning (no download here)."""
    line = _line(img)
    candidates = [v.strip() for v in (img.get(a) for a in ("src", "data-src", "data-original", "data-lazy-src"))
                  if v and v.strip()]
    local: Path | None = None
    remote = missing = None
    for value in candidates:
        parts = urlsplit(value)
        if parts.scheme.lower() in ("http", "https") or value.startswith("//"):
            remote = remote or value
        elif not parts.scheme and parts.path:
            file = path.parent / unquote(parts.path)
            if not file.resolve().is_relative_to(path.parent.resolve()):
                # A browser saves images below the page (`Title_files/`); a page that points elsewhere
                # on this computer must not bring that file into a book.
                diag.warn(f"image {value!r} is outside the saved page's folder; it is left out", path, line,
                          "copy the image next to the page if it belongs to the article")
                return ""
            if file.is_file():
                local = file
                break
            missing = missing or value
    if local is None:
        if missing:
            diag.warn(f"image {missing!r} is not beside the page (no file {path.parent / unquote(missing)}); "
                      "it is left out", path, line, "copy the page's _files folder along with it")
        elif remote:
            diag.warn(f"image {remote} was not saved with the page; it is left out (import never downloads)",
                      path, line, "save the page as “Webpage, complete”, or add the image to the article by hand")
        return ""
    try:
        asset, _ = make_asset(local)
    except (ImageError, OSError) as exc:
        diag.warn(f"image {local.name!r}: {exc}; it is left out", path, line)
        return ""
    alt = " ".join((img.get("alt") or "").split())
    if _USELESS_ALT.match(alt):
        alt = caption or ""
    if not alt:
        diag.warn(f"image {local.name!r} has no alt text or caption", path, line,
                  "describe the image in the article: ![what it shows](…)")
    target = image_target(len(images) + 1)
    images.append(PageImage(local, asset.data, EXTENSIONS[asset.media_type], target))
    title = f' "{escape_attribute(caption)}"' if caption else ""
    return f"![{escape(alt)}]({target}{title})"


# ---------------------------------------------------------------------------------------------
# The copied text
#
# Select all, copy, paste into a text editor: what a browser gives is, line by line,
#
#     brunch                        the site banner: the site's name, a tagline, a quote line
#     …
#     by 서하림 Mar 29. 2024         the byline (variants: `by서하림`, `by 서하림 · Mar 29. 2024`,
#                                   the date on the next line, a relative date `3시간전`)
#     책방 고양이의 하루              the title
#     문지기인지 손님인지             the subtitle (optional, see _is_subtitle)
#     …                             the text: paragraphs between blank lines, a single newline
#                                   inside a paragraph is a line break (<br>)
#     라이킷 32 / 댓글 4 / 공유       and from the first of these "chrome" lines on, the site again:
#     매거진의 이전글 …               counts, links to other articles, keywords, the magazine, the
#     keyword / magazine …          author box, comments, the browser notice.
#
# The parser finds the byline near the top, takes the title and subtitle after it and cuts the body
# at the first chrome line. What comes after the cut is read only for keywords, the magazine and the
# article's address.

_BYLINE = re.compile(r"^by(?:\s+|$|(?=[^\sA-Za-z0-9]))(?P<rest>.*)$", re.IGNORECASE)
_BYLINE_WINDOW = 20
"""The byline must be among the first 20 non-blank lines (a line starting with "by" further down is text)."""
_DATE_AT_END = re.compile(r"(?P<before>.*?)[\s·•|,]*(?:" + DATE_PATTERN + r")\s*$")
_DATE_LINE = re.compile(r"\s*(?:" + DATE_PATTERN + r")\s*$")
_RELATIVE_DATE = re.compile(r"(?P<before>.*?)[\s·•|,]*(?P<rel>\d+\s*(?:초|분|시간|일|주)\s*전)\s*$")
_RELATIVE_ONLY = re.compile(r"\d+\s*(?:초|분|시간|일|주)\s*전")
_BANNER_LINES = 3
"""The banner is the site's name, a tagline and a quote line: more lines before the byline are reported."""
_URL_LINE = re.compile(r"^<?(https?://(?:www\.|m\.)?brunch\.co\.kr/@[^\s>]+)>?$")

# Lines where the article ends and the site begins. Each must match the whole (stripped) line, so
# that a sentence of the text that merely starts with one of these words is not taken for chrome.
CHROME = tuple(re.compile(p) for p in (
    r"^(매거진|작가|브런치북)의\s*(이전|다음)\s*글(\s.*)?$",  # 매거진의 이전글 <title>
    r"^(이전|다음)글$",
    r"^브런치는 최신 브라우저에.*$",  # 브런치는 최신 브라우저에 최적화 되어있습니다. …
    r"^(keywords?|magazine)$",
    r"^magazine\s+\S.*$",  # magazine <name>
    r"^(키워드|매거진|브런치북)$",
    r"^(라이킷|좋아요|댓글|공유|공유하기|구독|구독하기|구독자|신고|관심작가|응원하기|작가에게\s*응원하기)\s*[\d,]*$",
    r"^[\d,]+\s*(라이킷|명?\s*구독자|댓글)$",
    r"^(이 작가의|이 매거진의|작가의)\s*다른\s*글(\s*더\s*보기)?$",
))


def is_chrome(line: str) -> bool:
    """True for a line of the site around the article (see CHROME)."""
    line = line.strip()
    return any(p.match(line) for p in CHROME)


def parse_text(path: Path, text: str, diag: Diagnostics) -> Page | None:
    """The copied text of a Brunch article page (see the layout above)."""
    lines = [line.strip() for line in text.split("\n")]
    filled = [i for i, line in enumerate(lines) if line]
    by_index = next((i for i in filled[:_BYLINE_WINDOW] if _BYLINE.match(lines[i])), None)
    if by_index is None:
        diag.error(f"not a Brunch page: no `by <author> <date>` line in the first {_BYLINE_WINDOW} lines",
                   path, 1, EXPECTED)
        return None
    byline = _byline(lines, by_index)

    # Before the byline: the banner (dropped, but reported when it is longer than a banner).
    prelude = [lines[i] for i in filled if i < by_index]
    url = next((m.group(1) for m in map(_URL_LINE.match, prelude) if m), None)
    dropped = [line for line in prelude if not _URL_LINE.match(line)]
    if len(dropped) > _BANNER_LINES:
        diag.warn(f"{len(dropped)} lines before the byline were dropped as the site banner: "
                  + " / ".join(dropped[:6]) + (" …" if len(dropped) > 6 else ""), path, 1,
                  "the title must come after the `by` line; move it there if this is the article")

    # The title, then the subtitle if the next line looks like one.
    rest = [i for i in filled if i >= byline.after]
    if not rest or is_chrome(lines[rest[0]]):
        diag.error("no title after the byline", path, by_index + 1, EXPECTED)
        return None
    title = lines[rest[0]]
    body_start = rest[0] + 1
    subtitle = None
    if len(rest) > 1 and _is_subtitle(lines[rest[1]]):
        subtitle = lines[rest[1]]
        body_start = rest[1] + 1

    # The body runs to the first chrome line.
    cut = next((i for i in range(body_start, len(lines)) if is_chrome(lines[i])), len(lines))
    body = _text_body(lines[body_start:cut])
    if not body:
        diag.error("no article text between the title and the site's closing lines", path, body_start + 1, EXPECTED)
        return None

    # After the cut: keywords, the magazine and the address.
    tail = [line for line in lines[cut:] if line]
    url = url or next((m.group(1) for m in map(_URL_LINE.match, tail) if m), None)
    return Page(
        source=path, title=title, subtitle=subtitle, author=byline.author, date=byline.date,
        tags=_text_tags(tail), url=normalise_url(url), magazine=_text_magazine(tail), body=body,
        date_line=byline.date_line or by_index + 1, date_text=byline.date_text,
    )


@dataclass(frozen=True)
class _Byline:
    author: str | None
    date: dt.date | None
    date_text: str | None
    """What stood where the date belongs (a relative `3시간전` cannot be dated)."""
    date_line: int | None
    after: int
    """Index of the first line after the byline."""


def _byline(lines: list[str], index: int) -> _Byline:
    """The author and the date: on the `by` line, or continued on the next one or two lines."""
    m = _BYLINE.match(lines[index])
    assert m is not None
    words = m.group("rest").strip(" ·•|:-")
    following = [i for i in range(index + 1, min(index + 4, len(lines))) if lines[i]]
    author: str | None = None
    date: dt.date | None = None
    date_text: str | None = None
    date_line: int | None = None
    after = index + 1

    def take_date(text: str) -> tuple[str, bool]:
        """(the text before a date at the end of `text`, whether a date was there); sets `date`."""
        nonlocal date, date_text
        for pattern in (_DATE_AT_END, _RELATIVE_DATE):
            found = pattern.match(text)
            if found:
                date_text = text[len(found.group("before")):].strip(" ·•|,")
                date = parse_page_date(date_text)
                return found.group("before").strip(" ·•|,"), True
        return text, False

    if words:
        author, found = take_date(words)
        if found:
            date_line = index + 1
    elif following:  # `by` alone: the author is on the next line
        author, found = take_date(lines[following[0]])
        after = following[0] + 1
        if found:
            date_line = following[0] + 1
        following = following[1:]
    else:
        found = False
    if not found and following and (_DATE_LINE.match(lines[following[0]])
                                     or _RELATIVE_ONLY.fullmatch(lines[following[0]])):
        date_text = lines[following[0]]
        date = parse_page_date(date_text)
        date_line = following[0] + 1
        after = following[0] + 1
    return _Byline(author or None, date, date_text, date_line, after)


def _is_subtitle(line: str) -> bool:
    """Brunch's subtitle is optional, and copied text does not mark it. The line after the title is
    taken for the subtitle when it is short (at most 60 characters) and does not end a sentence with
    a period or an ellipsis (`.`, `。`, `…`), as the first paragraph of a text nearly always does."""
    return len(line) <= 60 and not re.search(r"[.。…]\s*[\"'”’)]*$", line) and not is_chrome(line)


def _text_body(lines: list[str]) -> str:
    """Paragraphs are separated by blank lines and a single newline inside one is a line break;
    text with no blank line at all has one paragraph per line. Every line is escaped."""
    while lines and not lines[-1]:
        lines = lines[:-1]
    while lines and not lines[0]:
        lines = lines[1:]
    groups: list[list[str]] = [[]]
    spaced = "" in lines
    for line in lines:
        if not line or not spaced:
            if groups[-1]:
                groups.append([])
            if not line:
                continue
        groups[-1].append(escape_chars(re.sub(r"[ \t\xa0]+", " ", line)))
    blocks = [paragraph(BR.join(group)) for group in groups if group]
    return "\n\n".join(b for b in blocks if b) + "\n" if any(blocks) else ""


def _text_tags(tail: list[str]) -> tuple[str, ...]:
    """The keywords: the short lines after a `keyword` line, up to the next chrome line."""
    tags: list[str] = []
    for i, line in enumerate(tail):
        if re.fullmatch(r"keywords?|키워드", line):
            for word in tail[i + 1:]:
                if is_chrome(word) or _URL_LINE.match(word) or len(word) > 30:
                    break
                word = word.lstrip("#").strip()
                if word and word not in tags:
                    tags.append(word)
            break
    return tuple(tags)


def _text_magazine(tail: list[str]) -> str | None:
    """The magazine's name: on the `magazine` line itself or on the line after it."""
    for i, line in enumerate(tail):
        m = re.fullmatch(r"(?:magazine|매거진)(?:\s+(.+))?", line)
        if m:
            if m.group(1):
                return m.group(1).strip()
            if i + 1 < len(tail) and not is_chrome(tail[i + 1]):
                return tail[i + 1]
            return None
    return None
