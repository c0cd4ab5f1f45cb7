"""Brunch (brunch.co.kr) articles an author saved from the browser: `Title.html` with its
`Title_files/` folder ("save page as", complete), or the page's text copied into a `.txt` file; and
the lists that give a magazine its order: a saved magazine or brunchbook page, or a text file of
article addresses.

Pages become a Page. Only the article is kept: the title, subtitle, author, date, keywords,
magazine and address are read into the front matter, the body into Markdown; the site around it
(header, slogan, buttons, author box, comments, other articles, notices) is dropped. Lists become an
ArticleList: the addresses (and titles) of the articles in the list's order.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from ..errors import Diagnostics
from ..images import EXTENSIONS, ImageError, make_asset
from .htmltomd import (
    BR,
    Converter,
    ImageHandler,
    escape,
    escape_attribute,
    escape_chars,
    join_blocks,
    markdown_link,
    paragraph,
)
from .page import (
    DATE_PATTERN,
    ArticleList,
    ListEntry,
    Page,
    PageImage,
    ReadOptions,
    decode,
    image_target,
    parse_page_date,
)

SITE = "https://brunch.co.kr/"
EXPECTED = ("expected a Brunch article saved from the browser (File → Save Page As…, “Webpage, complete”: "
            "Title.html with Title_files/ beside it), its text copied into a .txt file "
            "(the site banner, `by 작가 Mar 29. 2024`, the title, the subtitle, the text), "
            "a saved magazine or brunchbook page, or a .txt file of article addresses, one a line")


def read(path: Path, diag: Diagnostics, options: ReadOptions | None = None) -> Page | ArticleList | None:
    """Read one saved file (any of the forms above); problems go to `diag`, None when it cannot be used."""
    options = options or ReadOptions()
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
    if re.match(r"(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", head, re.IGNORECASE | re.DOTALL):
        diag.error("an RSS feed cannot give the book's articles or their order: it holds only the author's "
                   "20 newest articles, with summaries", path, 1,
                   "save the magazine or brunchbook page (or list the articles' addresses in a .txt, one a "
                   "line), and save each article's page")
        return None
    if re.match(r"(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta)\b", head,
                re.IGNORECASE | re.DOTALL):
        return parse_html(path, text, diag, options)
    if is_address_list(text):
        return parse_address_list(path, text, diag)
    return parse_text(path, text, diag, options)


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


_ARTICLE_PATH = re.compile(r"^/@@?[^/\s]+/\d+$")


def is_article_url(url: str | None) -> bool:
    """An article's own address: `https://brunch.co.kr/@author/12` (or `/@@id/12`, Brunch's other form)."""
    return _is_brunch(url) and bool(_ARTICLE_PATH.match(urlsplit(url or "").path.rstrip("/")))


def list_kind(url: str | None) -> str | None:
    """`magazine` or `brunchbook` for the address of a magazine or brunchbook page."""
    if not _is_brunch(url):
        return None
    m = re.match(r"^/(magazine|brunchbook)/[^/]+$", urlsplit(url or "").path.rstrip("/"))
    return m.group(1) if m else None


def _data_app(el: etree._Element) -> dict[str, Any]:
    """Brunch's description of an item (`data-app` JSON), {} when there is none or it is broken."""
    try:
        data = json.loads(el.get("data-app") or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _string(data: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


# ---------------------------------------------------------------------------------------------
# The saved page (HTML)
#
# What an article page holds (facts from public copies of brunch.co.kr pages and of scrapers):
#   <meta name="byl">, `#wrapArticleInfo span.text_author a`     the author's name (`article:author`
#                                                                is a profile address, not a name)
#   <meta property="ks:richscrap"> JSON                          header.title/subtitle/category_title
#                                                                (the magazine)/date, author.name
#   <meta name="article:media_name">                             the magazine (or the author's name)
#   `#wrapArticleInfo span.date`, article:published_time        `Jul 08. 2019`, `2019-07-08T22:22+0900`
#   .wrap_cover .cover_image (style background-image)           the cover photo
#   h1.cover_title, .cover_sub_title                            title, subtitle
#   div.wrap_body > .wrap_item                                  one item per line: p/h2/h3/h4
#                                                                .item_type_text (an empty `<p><br></p>`
#                                                                is a blank line), blockquote.blockquote_
#                                                                type1|2|3, .item_type_img (span.text_
#                                                                caption, alt "브런치 글 이미지 N"),
#                                                                .item_type_hr, .item_type_opengraph,
#                                                                .item_type_video (data-app JSON)

def _with_class(root: etree._Element, *classes: str) -> list[etree._Element]:
    """Elements that have any of `classes` among their class names, in document order."""
    test = " or ".join(f'contains(concat(" ", normalize-space(@class), " "), " {c} ")' for c in classes)
    found: list[etree._Element] = root.xpath(f".//*[{test}]")  # type: ignore[assignment]
    return found


def _classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").split())


def _line(el: etree._Element | None) -> int | None:
    line = el.sourceline if el is not None else None
    return line if isinstance(line, int) else None


def _text_of(el: etree._Element | None) -> str:
    """The text of an element as one line (a line break counts as a space)."""
    if el is None:
        return ""
    words: list[str] = []

    def walk(node: etree._Element) -> None:
        if _tag(node) in ("script", "style"):
            return
        words.append(" " if _tag(node) == "br" else node.text or "")
        for child in node:
            walk(child)
            words.append(child.tail or "")

    walk(el)
    return " ".join("".join(words).split())


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


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


def _richscrap(doc: etree._Element) -> dict[str, Any]:
    """Brunch's summary of the article for Kakao's link previews (`ks:richscrap`), {} if absent."""
    for el in doc.xpath('//meta[@property="ks:richscrap" or @name="ks:richscrap"]'):  # type: ignore[union-attr]
        assert isinstance(el, etree._Element)
        try:
            data = json.loads(el.get("content") or "")
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {}


def _page_urls(root: etree._Element, text: str) -> tuple[str | None, tuple[str, ...]]:
    """The article's address (canonical link, og:url, Brunch's permalink metas, or the comment the
    browser writes when it saves a page: `<!-- saved from url=(0035)https://… -->`), and every
    brunch.co.kr address the page gives for itself."""
    found: list[str] = [str(h) for h in root.xpath('//link[@rel="canonical"]/@href')]  # type: ignore[union-attr]
    found += filter(None, (_meta(root, name) for name in ("og:url", "dg:plink", "plink", "article:pc_url",
                                                          "article:mobile_url", "article:pc_view_url")))
    m = re.search(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", text[:4096])
    if m:
        found.append(m.group(1))
    urls = list(dict.fromkeys(u for u in (normalise_url(f) for f in found) if u))
    url = next((u for u in urls if _is_brunch(u)), urls[0] if urls else None)
    return url, tuple(u for u in urls if _is_brunch(u))


# Alt texts that say nothing about the image, Brunch's own ("브런치 글 이미지 3") among them: dropped.
_USELESS_ALT = re.compile(r"^(|image|img|photo|picture|brunch(\s*image)?(\s*\d+)?|(브런치\s*)?(글\s*)?(첨부\s*)?"
                          r"(이미지|사진|그림)(\s*\d+)?|.+\.(jpe?g|png|gif|webp|svg))$", re.IGNORECASE)


def parse_html(path: Path, text: str, diag: Diagnostics, options: ReadOptions | None = None
               ) -> Page | ArticleList | None:
    """A Brunch article page saved from the browser (or a magazine or brunchbook page: a list). Only
    `.wrap_body` (the article's items) becomes the body; the title, subtitle, author, date, magazine,
    keywords and addresses come from the cover, the byline and the meta tags."""
    options = options or ReadOptions()
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        diag.error(f"cannot be read as HTML: {exc}", path, 1, EXPECTED)
        return None
    url, aliases = _page_urls(doc, text)
    bodies = _with_class(doc, "wrap_body")
    if not bodies:
        found = parse_list_page(path, doc, text, diag)
        if found is not None:
            return found
    scrap = _richscrap(doc)
    found_header = scrap.get("header")
    header: dict[str, Any] = found_header if isinstance(found_header, dict) else {}
    cover_title = next(iter(_with_class(doc, "cover_title")), None)
    site = (_meta(doc, "og:site_name") or "").lower()
    if not bodies or (cover_title is None and not scrap and not _is_brunch(url) and "brunch" not in site
                      and "브런치" not in site):
        missing = "no article body (an element with class `wrap_body`) and no list of articles" if not bodies \
            else "no Brunch cover title (`h1.cover_title`) and no brunch.co.kr address"
        diag.error(f"an HTML page, but not a Brunch article: {missing}", path, 1, EXPECTED)
        return None
    body = bodies[0]
    title = _text_of(cover_title) or _string(header, "title") or \
        re.sub(r"^\d+화\s+", "", _meta(doc, "og:title") or "")  # a brunchbook's og:title numbers its chapters
    if not title:
        diag.error("the page has no title (`h1.cover_title`, ks:richscrap or og:title)", path, 1,
                   "save the article page itself, not a list of articles")
        return None
    subtitle = _first_text(doc, "cover_sub_title") or _string(header, "subtitle")
    info = next((el for el in doc.iter() if el.get("id") == "wrapArticleInfo"), None)
    author = _author(doc, info, scrap)
    date, date_line, date_text = _date(doc, info, header)
    magazine = _string(header, "category_title") or \
        _first_text(doc, "magazine_title", "tit_magazine", "link_magazine", "txt_magazine")
    media = _meta(doc, "article:media_name")
    if not magazine and media and media != author:  # without a magazine Brunch puts the author's name there
        magazine = media

    images: list[PageImage] = []

    def image(img: etree._Element, caption: str | None) -> str:
        return _image(path, img, caption, images, diag)

    cover = _cover(path, doc, images, diag)  # the article's opening image, so the first of its images
    _normalise_items(body)
    walker = _Body(path, diag, options, image, url or SITE)
    markdown = walker.markdown(body)
    if cover and markdown.strip():
        markdown = cover + "\n\n" + markdown
    for el in walker.converter.dropped:
        src = el.get("src") or el.get("data-src") or next((str(s) for s in el.xpath(".//@src")), "")  # type: ignore[union-attr]
        diag.warn(f"embedded <{el.tag}> {src} is left out".replace("  ", " "), path, _line(el),
                  "a book cannot play it: add a link or a still image by hand if it matters")
    if not markdown.strip():
        diag.error("the article body (`.wrap_body`) has no text", path, _line(body), EXPECTED)
        return None
    return Page(
        source=path, title=title, subtitle=subtitle or None, author=author, date=date, tags=_html_tags(doc),
        url=url, magazine=magazine, body=markdown, images=tuple(images), date_line=date_line or 1,
        date_text=date_text or None, aliases=aliases,
    )


def _author(doc: etree._Element, info: etree._Element | None, scrap: dict[str, Any]) -> str | None:
    """The byline's author link, else `<meta name="byl">`, the rich-scrap summary, the author box."""
    if info is not None:
        for el in _with_class(info, "text_author"):
            link = el.find(".//a")
            name = re.sub(r"^by(\s+|$)", "", _text_of(link if link is not None else el), flags=re.IGNORECASE)
            if name:
                return name
    person = scrap.get("author")
    author = _meta(doc, "byl") or (_string(person, "name") if isinstance(person, dict) else None) or \
        _first_text(doc, "author_name", "link_by") or _meta(doc, "og:article:author", "article:author", "author")
    if author and author.startswith(("http://", "https://", "//")):
        return None
    return author


def _date(doc: etree._Element, info: etree._Element | None, header: dict[str, Any]
          ) -> tuple[dt.date | None, int | None, str | None]:
    """The date shown under the title (`Jul 08. 2019`), else the publication time in the meta tags
    (`2019-07-08T22:22+0900`: the date as Brunch wrote it, in Korean time), else the summary's date.
    Returns (date, its line, what the page shows instead of a date)."""
    covers = _with_class(doc, "wrap_cover", "cover_cell", "cover_byline")
    shown = [*(_with_class(info, "date", "publish_time") if info is not None else []),
             *(d for cover in covers[:1] for d in _with_class(cover, "date", "publish_time"))]
    for el in [*shown, *_with_class(doc, "cover_byline")]:
        date = parse_page_date(_text_of(el))
        if date:
            return date, _line(el), None
    date = parse_page_date(_meta(doc, "article:published_time", "og:regDate", "og:published_time",
                                 "datePublished") or "") or parse_page_date(_string(header, "date") or "")
    if date:
        return date, None, None
    # What the page shows instead (a recent article says `3시간전`), for the message.
    return None, _line(shown[0]) if shown else _line(covers[0]) if covers else None, \
        _text_of(shown[0]) if shown else None


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


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_SMALL = ("h4", "h5", "h6")
_CONTAINERS = {"p", "div", "ul", "ol", "dl", "blockquote", "pre", "table", "figure", "hr", *_HEADINGS}
_DROP = {"script", "style", "noscript", "template", "button", "input", "form", "svg"}
_BLANK = re.compile(r"[\s\xa0\u3000]+")


@dataclass
class _Body:
    """Turns `.wrap_body` into Markdown, item by item. Brunch writes one item per line and marks the
    author's paragraph (and stanza) breaks only with blank items (`<p><br></p>`): consecutive lines
    become the lines of one paragraph, a run of blank items one paragraph break, or with --lines
    that many empty lines."""

    path: Path
    diag: Diagnostics
    options: ReadOptions
    image: ImageHandler
    base: str
    converter: Converter = field(init=False)

    def __post_init__(self) -> None:
        self.converter = Converter(self.image, base=self.base)

    def markdown(self, body: etree._Element) -> str:
        items = _items(body)
        if items is None:  # an older page without `.wrap_item`s, or text between them: HTML as it is
            levels = sorted({int(h.tag[1]) for h in body.iter(*_HEADINGS)})
            self.converter.levels = {level: min(i + 2, 6) for i, level in enumerate(levels)}
            return self.converter.markdown(body)
        kinds = [_kind(el) for el in items]
        small = self._small_as(kinds)
        kinds = [small(el) if kind == "small" else kind for el, kind in zip(items, kinds, strict=True)]
        levels = sorted({int(el.tag[1]) for el, kind in zip(items, kinds, strict=True) if kind == "heading"})
        self.converter.levels = {level: min(i + 2, 6) for i, level in enumerate(levels)}

        out: list[str] = []
        lines: list[str] = []
        blanks = 0

        def flush() -> None:
            text = paragraph(BR.join(lines))
            if text:
                out.append(text)
            lines.clear()

        for el, kind in zip(items, kinds, strict=True):
            if kind == "blank":
                blanks += 1 if lines else 0
                continue
            if kind == "line":
                if lines and blanks:
                    if self.options.lines:
                        lines.extend([""] * blanks)
                    else:
                        flush()
                blanks = 0
                lines.append(self.converter.inline(el))
                continue
            flush()
            blanks = 0
            if kind == "card":
                out.extend(self.card(el))
            elif kind == "video":
                out.extend(self.video(el))
            else:  # headings, quotes, figures, rules, lists, other items (a place, a file: their text)
                out.extend(self.converter.block(el))
        flush()
        return join_blocks(out) if any(out) else ""

    def _small_as(self, kinds: list[str]) -> Callable[[etree._Element], str]:
        """How `h4`–`h6` items are read. Older articles wrote every body line as `h4`: when they are at
        least as many as the `p` lines, they are lines. Otherwise each is a heading if it looks like
        one: short, a single line, not ending a sentence. --h4 heading|text decides for all of them."""
        if self.options.h4 in ("heading", "text"):
            choice = "heading" if self.options.h4 == "heading" else "line"
            return lambda el: choice
        small = sum(1 for kind in kinds if kind == "small")
        text = sum(1 for kind in kinds if kind == "line")
        if small >= max(text, 1):
            return lambda el: "line"
        return lambda el: "heading" if _looks_like_heading(el) else "line"

    def card(self, item: etree._Element) -> list[str]:
        """A link card (`item_type_opengraph`): the title as a link to the page, its site's name in
        parentheses, and the page's description as a second line."""
        data = _data_app(item).get("openGraphData")
        data = data if isinstance(data, dict) else {}
        anchor = next((a for a in item.iter("a") if a.get("href")), None)
        url = _string(data, "canonicalUrl", "url") or (anchor.get("href") if anchor is not None else None)
        url = urljoin(self.base, url.strip()) if url else None
        title = _string(data, "title") or _first_text(item, "title", "tit_og", "tit_opengraph") or \
            _text_of(next(iter(item.iter("strong")), None)) or (url or "")
        desc = _string(data, "description") or _first_text(item, "desc", "txt_desc", "desc_og")
        domain = _first_text(item, "url", "txt_url", "url_og") or \
            (urlsplit(url).netloc.removeprefix("www.") if url else "")
        if not title:
            return []
        text = markdown_link(escape_chars(title), url) if url else escape_chars(title)
        if domain and domain not in title:
            text += f" ({escape_chars(domain)})"
        if desc:
            text += BR + escape_chars(desc)
        return [paragraph(text)]

    def video(self, item: etree._Element) -> list[str]:
        """A video (`item_type_video`): its still image as a figure captioned `동영상: caption` when
        the page was saved with it, then the video's address on a line of its own; otherwise a line
        `동영상: caption` and the address on the next. (The address is the video's page, not its
        player's: a reader of the printed book types it.)"""
        data = _data_app(item)
        frame = next(iter(item.iter("iframe", "video")), None)
        source = _string(data, "url", "src", "videoUrl", "embedUrl", "link") or \
            (frame.get("src") if frame is not None else None) or \
            next((a.get("href") for a in item.iter("a") if a.get("href")), None)
        url = _watch_url(urljoin(self.base, source)) if source else None
        caption = _string(data, "caption", "title", "description") or \
            _first_text(item, "text_caption", "txt_caption", "caption") or None
        thumb = next((img for img in item.iter("img") if _local_src(self.path, img)), None)
        remote = _string(data, "thumbnail", "thumbnailUrl", "thumbUrl", "thumb", "image", "poster", "cover") or \
            next((img.get("src") for img in item.iter("img") if img.get("src")), None)
        blocks: list[str] = []
        if thumb is not None:
            thumb.set("alt", f"동영상: {caption}" if caption else "동영상의 한 장면")
            picture = self.image(thumb, f"동영상: {caption}" if caption else "동영상")
            if picture:
                blocks.append(picture)
        elif remote:
            self.diag.warn("the video's still image was not saved with the page; the video becomes a link",
                           self.path, _line(item), "save the page as “Webpage, complete” to keep the picture")
        if not url:
            self.diag.warn("a video without an address is left out", self.path, _line(item),
                           "add a link to it by hand if it matters")
            return blocks or ([paragraph(escape_chars(caption))] if caption else [])
        link = markdown_link(escape_chars(url), url)
        if blocks:
            return [*blocks, paragraph(link)]
        return [paragraph((f"동영상: {escape_chars(caption)}" if caption else "동영상") + BR + link)]


def _items(body: etree._Element) -> list[etree._Element] | None:
    """The body's items in order (wrappers around them are looked into); None when the body is not
    made of items (an older page), or has text of its own between them."""
    if not _with_class(body, "wrap_item"):
        return None
    items: list[etree._Element] = []

    def collect(parent: etree._Element) -> bool:
        if _BLANK.sub("", parent.text or ""):
            return False
        for child in parent:
            tag = _tag(child)
            if tag and tag not in _DROP:
                if "wrap_item" in _classes(child) or not _with_class(child, "wrap_item"):
                    items.append(child)
                elif not collect(child):
                    return False
            if _BLANK.sub("", child.tail or ""):
                return False
        return True

    return items if collect(body) else None


def _kind(el: etree._Element) -> str:
    """What an item is: blank, line, heading, small (an h4–h6 line, decided later), card, video, or
    block (quotes, figures, rules, lists and anything else, converted as HTML)."""
    classes, tag = _classes(el), _tag(el)
    if "item_type_opengraph" in classes:
        return "card"
    if "item_type_video" in classes:
        return "video"
    if tag in ("blockquote", "figure", "hr", "ul", "ol", "dl", "pre", "table"):
        return "block"
    if "item_type_text" not in classes and tag not in ("p", "div", "span", *_HEADINGS):
        return "block"
    if any(_tag(d) in _CONTAINERS for d in el.iterdescendants()):
        return "block"
    if el.find(".//img") is None and not _BLANK.sub("", "".join(str(t) for t in el.itertext())):
        return "blank"
    if tag in _SMALL:
        return "small"
    return "heading" if tag in _HEADINGS else "line"


def _looks_like_heading(el: etree._Element) -> bool:
    text = _text_of(el)
    inner_break = any(_tag(br) == "br" and (br.tail or "").strip() for br in el.iter("br"))
    return 0 < len(text) <= 50 and not inner_break and not re.search(r"[.,。、…:;]$", text)


def _watch_url(url: str) -> str:
    """A video's page instead of its player: YouTube's and Kakao TV's embedded players have one."""
    url = "https:" + url if url.startswith("//") else url
    parts = urlsplit(url)
    m = re.match(r"^/embed/([\w-]+)", parts.path)
    if m and parts.netloc.endswith(("youtube.com", "youtube-nocookie.com")):
        return f"https://www.youtube.com/watch?v={m.group(1)}"
    m = re.search(r"/cliplink/(\d+)", parts.path)
    if m and parts.netloc.endswith("kakao.com"):
        return f"https://tv.kakao.com/v/{m.group(1)}"
    return url


def _local_src(path: Path, img: etree._Element) -> Path | None:
    """The file beside the saved page that an <img> shows, if it is there."""
    for value in (img.get(a) for a in ("src", "data-src", "data-original", "data-lazy-src")):
        if value and value.strip() and not urlsplit(value.strip()).scheme and not value.strip().startswith("//"):
            file = path.parent / unquote(urlsplit(value.strip()).path)
            if file.is_file() and file.resolve().is_relative_to(path.parent.resolve()):
                return file
    return None


def _cover(path: Path, doc: etree._Element, images: list[PageImage], diag: Diagnostics) -> str:
    """The cover photo (`.cover_image`, a CSS background) as the article's opening image."""
    for el in _with_class(doc, "cover_image"):
        m = re.search(r"""background(?:-image)?\s*:[^;]*?url\(\s*(["']?)(.*?)\1\s*\)""", el.get("style") or "")
        if m and m.group(2).strip():
            img = etree.Element("img", {"src": m.group(2).strip()})
            return _image(path, img, None, images, diag, line=_line(el), what="cover photo")
    return ""


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
           diag: Diagnostics, *, line: int | None = None, what: str = "image") -> str:
    """Markdown for one image of a saved page: a local copy (in the `_files` folder) is read,
    checked and linked; a remote-only image is left out with a warning (no download here). An alt
    text that says nothing (Brunch writes "브런치 글 이미지 1" on every image) is dropped, so that the
    image is reported as having none; the caption stays the caption."""
    line = line or _line(img)
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
                diag.warn(f"{what} {value!r} is outside the saved page's folder; it is left out", path, line,
                          "copy the image next to the page if it belongs to the article")
                return ""
            if file.is_file():
                local = file
                break
            missing = missing or value
    if local is None:
        if missing:
            diag.warn(f"{what} {missing!r} is not beside the page (no file {path.parent / unquote(missing)}); "
                      "it is left out", path, line, "copy the page's _files folder along with it")
        elif remote:
            hint = ("browsers do not always save a page's background pictures: save the image itself (right-click "
                    "→ Save Image As…) and put it at the top of the article: ![what it shows](images/…)"
                    if what == "cover photo" else
                    "save the page as “Webpage, complete”, or add the image to the article by hand")
            diag.warn(f"{what} {remote} was not saved with the page; it is left out (import never downloads)",
                      path, line, hint)
        return ""
    try:
        asset, _ = make_asset(local)
    except (ImageError, OSError) as exc:
        diag.warn(f"{what} {local.name!r}: {exc}; it is left out", path, line)
        return ""
    given = " ".join((img.get("alt") or "").split())
    alt = "" if _USELESS_ALT.match(given) else given
    if not alt:
        dropped = f" (the page's {given!r} says nothing and is dropped)" if given else ""
        diag.warn(f"{what} {local.name!r} has no alt text{dropped}", path, line,
                  "describe what it shows in the article: ![what it shows](…)"
                  + ("; the caption stays under it" if caption else ""))
    target = image_target(len(images) + 1)
    images.append(PageImage(local, asset.data, EXTENSIONS[asset.media_type], target))
    title = f' "{escape_attribute(caption)}"' if caption else ""
    return f"![{escape(alt)}]({target}{title})"


# ---------------------------------------------------------------------------------------------
# Lists: a saved magazine or brunchbook page, a text file of addresses

_LIST_CONTAINERS = ("article_list", "list_article", "book_list", "list_book", "list_toc", "wrap_toc",
                    "list_chapter", "list_episode")
_NOT_THE_LIST = ("recommend", "popular", "related", "other", "banner", "writer", "keyword", "comment")


def parse_list_page(path: Path, doc: etree._Element, text: str, diag: Diagnostics) -> ArticleList | None:
    """A magazine (`/magazine/NAME`) or brunchbook (`/brunchbook/NAME`) page saved from the browser:
    the articles it lists, in its order. Every link to an article address counts, except those in
    the site's header, footer and side boxes (recommended articles, other authors); links inside the
    list itself (`.wrap_article_list` and the like) when the page marks it. None when the page is not
    a list."""
    url, _ = _page_urls(doc, text)
    kind = list_kind(url)
    if kind is None and url and _is_brunch(url):
        if re.fullmatch(r"/@@?[^/]+", urlsplit(url).path.rstrip("/")):
            diag.error("an author's page lists the articles newest first: it gives no book order", path, 1,
                       "save the magazine's or brunchbook's page instead, or list the articles' addresses in a "
                       ".txt, one a line; without a list the articles are put in date order")
            return ArticleList(path, "magazine", None, url, ())
        return None  # a keyword, search or other page of the site: no list of a magazine's articles
    links: list[tuple[etree._Element, str]] = []
    for a in doc.iter("a"):
        href = normalise_url(urljoin(SITE, (a.get("href") or "").strip()))
        if not is_article_url(href) or _outside_list(a):
            continue
        assert href is not None
        links.append((a, href))
    marked = [(a, href) for a, href in links if any(
        any(name in c for c in _classes(p) for name in _LIST_CONTAINERS) for p in a.iterancestors())]
    if marked:
        links = marked
    elif kind is None:
        return None
    if not links:
        diag.error(f"a {kind} page, but it lists no articles", path, 1,
                   "scroll to the end of the list before saving, so that every article is on the page")
        return ArticleList(path, kind or "magazine", _list_title(doc), url, ())
    seen: set[str] = set()
    entries: list[ListEntry] = []
    for a, href in links:
        if href in seen:
            continue
        seen.add(href)
        title = _first_text(a, "tit_subject", "tit_article", "post_title", "tit_post", "title", "tit") or \
            _text_of(next(iter(a.iter("strong", "h3", "h4")), None)) or _text_of(a) or None
        entries.append(ListEntry(href, title, _line(a)))
    return ArticleList(path, kind or ("brunchbook" if "book" in " ".join(
        c for a, _ in links for p in a.iterancestors() for c in _classes(p)) else "magazine"),
        _list_title(doc), url, tuple(entries))


def _outside_list(a: etree._Element) -> bool:
    for parent in a.iterancestors():
        if _tag(parent) in ("header", "footer", "nav", "aside"):
            return True
        names = " ".join([*_classes(parent), parent.get("id") or ""]).lower()
        if any(word in names for word in _NOT_THE_LIST) or "header" in names or "footer" in names:
            return True
    return False


def _list_title(doc: etree._Element) -> str | None:
    title = _first_text(doc, "tit_magazine", "magazine_title", "title_magazine", "tit_book", "book_title",
                        "tit_brunchbook", "title_book") or _meta(doc, "og:title") or _text_of(doc.find(".//title"))
    title = re.sub(r"\s*[|·–—-]\s*(브런치스토리|브런치|brunch(\s*story)?)\s*$", "", title or "", flags=re.IGNORECASE)
    title = re.sub(r"^(매거진|브런치북|\[\s*(매거진|브런치북)\s*\])\s*", "", title).strip()
    return title or None


_LIST_LINE = re.compile(r"^(?:[-*•]|\d+[.)])?\s*<?(?P<url>https?://[^\s>]+)>?(?:\s+(?P<title>.*?))?\s*$")


def is_address_list(text: str) -> bool:
    """A text file whose every line (blank lines and `#` comments aside) starts with an http(s) address."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line and not line.startswith("#")]
    return bool(lines) and all(_LIST_LINE.match(line) for line in lines)


def parse_address_list(path: Path, text: str, diag: Diagnostics) -> ArticleList | None:
    """Article addresses, one a line, in the book's order (a title may follow the address; blank
    lines and `#` comments are passed over). Every line that is not an article's address is an error."""
    entries: list[ListEntry] = []
    seen: dict[str, int] = {}
    errors = len(diag.errors)
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _LIST_LINE.match(line)
        assert m is not None
        url = normalise_url(m.group("url"))
        if not is_article_url(url):
            kind = list_kind(url)
            what = f"a {kind} page, not an article" if kind else "not a Brunch article's address"
            diag.error(f"{m.group('url')} is {what}", path, number,
                       "list the articles' own addresses (https://brunch.co.kr/@author/12), one a line"
                       + (f", or save the {kind} page and give it instead" if kind else ""))
            continue
        assert url is not None
        if url in seen:
            diag.warn(f"{url} is listed twice (first on line {seen[url]}); the first place counts", path, number)
            continue
        seen[url] = number
        entries.append(ListEntry(url, m.group("title") or None, number))
    if len(diag.errors) > errors:
        return None
    return ArticleList(path, "addresses", None, None, tuple(entries))


# ---------------------------------------------------------------------------------------------
# The copied text
#
# Select all, copy, paste into a text editor: what a browser gives of a real page is, line by line,
#
#     brunch                        the site banner (also `brunch story`, `브런치스토리`)
#     매거진 일상담화                  the magazine, when the article is in one
#     You can make anything         the site's slogan, on three lines: never the byline
#     by writing
#     C.S.Lewis
#     by 교실밖 Oct 31. 2023          the byline (variants: `by교실밖`, `by 교실밖 · Oct 31. 2023`,
#                                   the date on the next line, a relative date `3시간전`)
#     차 한 잔과 시민의 집             the title
#     (subtitle)                    optional, see _is_subtitle
#     …                             the text (see _text_body for its blank lines)
#     매거진의 이전글 회화나무          and from the first of these "chrome" lines on, the site again:
#     작품 선택 / 키워드 선택 0 / 3 0   counts, links to other articles, keywords, the magazine, the
#     댓글여부 / 브런치는 최신 …        author box, comments, the editor's leftovers, the browser notice.
#
# The parser finds the byline with a date anywhere in the head, takes the title and subtitle after
# it and cuts the body at the first chrome line. What comes before the byline is read for the
# magazine and the address; what comes after the cut for keywords, the magazine and the address.

_BYLINE = re.compile(r"^by(?:\s+|$|(?=[^\sA-Za-z0-9]))(?P<rest>.*)$", re.IGNORECASE)
_BYLINE_WINDOW = 30
"""The byline must be among the first 30 non-blank lines (a line starting with "by" further down is text)."""
_DATE_AT_END = re.compile(r"(?P<before>.*?)[\s·•|,]*(?:" + DATE_PATTERN + r")\s*$")
_DATE_LINE = re.compile(r"\s*(?:" + DATE_PATTERN + r")\s*$")
_RELATIVE_DATE = re.compile(r"(?P<before>.*?)[\s·•|,]*(?P<rel>\d+\s*(?:초|분|시간|일|주)\s*전)\s*$")
_RELATIVE_ONLY = re.compile(r"\d+\s*(?:초|분|시간|일|주)\s*전")
_BANNER_LINES = 3
"""Unknown lines before the byline (a tagline, a quote) dropped silently; more are reported."""
_URL_LINE = re.compile(r"^<?(https?://(?:www\.|m\.)?brunch\.co\.kr/@[^\s>]+)>?$")
_SITE_NAMES = {"brunch", "brunchstory", "브런치", "브런치스토리"}
_SLOGAN = {"youcanmakeanything", "bywriting", "cslewis", "youcanmakeanythingbywriting",
           "youcanmakeanythingbywritingcslewis", "bywritingcslewis"}
_HEAD_MAGAZINE = re.compile(r"^(?:매거진|magazine|브런치북|brunchbook)\s+(?P<name>\S.*)$", re.IGNORECASE)

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
    # What the page's hidden editor leaves in a copy: its work, keyword and comment settings.
    r"^작품\s*선택$",
    r"^키워드\s*선택(\s+[\d\s/]*)?$",
    r"^댓글\s*여부$",
))


def is_chrome(line: str) -> bool:
    """True for a line of the site around the article (see CHROME)."""
    line = line.strip()
    return any(p.match(line) for p in CHROME)


def _squeezed(line: str) -> str:
    return re.sub(r"[\W_]+", "", line.lower())


def _is_site_line(line: str) -> bool:
    """The site's name or its slogan ("You can make anything / by writing / C.S.Lewis")."""
    squeezed = _squeezed(line)
    return squeezed in _SITE_NAMES or squeezed in _SLOGAN


def parse_text(path: Path, text: str, diag: Diagnostics, options: ReadOptions | None = None) -> Page | None:
    """The copied text of a Brunch article page (see the layout above)."""
    options = options or ReadOptions()
    lines = [line.strip() for line in text.split("\n")]
    filled = [i for i, line in enumerate(lines) if line]
    head: list[int] = []
    for i in filled[:_BYLINE_WINDOW]:
        if is_chrome(lines[i]):
            break
        head.append(i)
    candidates = [(i, _byline(lines, i)) for i in head if _BYLINE.match(lines[i]) and not _is_site_line(lines[i])]
    if not candidates:
        diag.error(f"not a Brunch page: no `by <author> <date>` line in the first {_BYLINE_WINDOW} lines",
                   path, 1, EXPECTED)
        return None
    # The byline is the first `by` line with a date; the first `by` line at all when none has one.
    by_index, byline = next(((i, b) for i, b in candidates if b.date_text), candidates[0])

    # Before the byline: the banner, the slogan and the magazine (dropped; other lines reported when
    # there are more of them than a tagline and a quote).
    url = magazine = None
    dropped: list[str] = []
    for line in (lines[i] for i in filled if i < by_index):
        found = _URL_LINE.match(line)
        named = _HEAD_MAGAZINE.match(line)
        if found:
            url = url or found.group(1)
        elif named:
            magazine = magazine or named.group("name").strip()
        elif not _is_site_line(line):
            dropped.append(line)
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
    body = _text_body(lines[body_start:cut], options)
    if not body:
        diag.error("no article text between the title and the site's closing lines", path, body_start + 1, EXPECTED)
        return None

    # After the cut: keywords, the magazine and the address.
    tail = [line for line in lines[cut:] if line]
    url = url or next((m.group(1) for m in map(_URL_LINE.match, tail) if m), None)
    url = normalise_url(url)
    return Page(
        source=path, title=title, subtitle=subtitle, author=byline.author, date=byline.date,
        tags=_text_tags(tail), url=url, magazine=magazine or _text_magazine(tail), body=body,
        date_line=byline.date_line or by_index + 1, date_text=byline.date_text, aliases=(url,) if url else (),
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


def _text_body(lines: list[str], options: ReadOptions | None = None) -> str:
    """The copied body as Markdown. A copy writes each of the page's lines on a line of its own and
    its blank lines as blank lines; a single newline inside a paragraph is a line break, and a text
    with no blank line at all has one paragraph per line (one paragraph of lines with --lines).
    Browsers also copy a page with a blank line after every line: when every line of the text is
    followed by a blank line and some by more, one blank line is the copy's and only the others are
    the author's. The author's blank lines then work as in a saved page: a run of them is one
    paragraph break, or with --lines that many empty lines. Every line is escaped."""
    options = options or ReadOptions()
    while lines and not lines[-1]:
        lines = lines[:-1]
    while lines and not lines[0]:
        lines = lines[1:]
    if not lines:
        return ""
    entries: list[tuple[str, int]] = []  # (a line, the blank lines before it)
    blanks = 0
    for line in lines:
        if not line:
            blanks += 1
            continue
        entries.append((escape_chars(re.sub(r"[ \t\xa0]+", " ", line)), blanks))
        blanks = 0
    gaps = [before for _, before in entries[1:]]
    if gaps and min(gaps) >= 1 and max(gaps) >= 2:  # a blank line after every line: the copy's own
        entries = [(line, max(before - 1, 0)) for line, before in entries]
    elif gaps and max(gaps) == 0 and not options.lines:  # no blank line at all: a paragraph per line
        entries = [(line, 1) for line, _ in entries]
    blocks: list[str] = []
    group: list[str] = []
    for line, before in entries:
        if group and before:
            if options.lines:
                group.extend([""] * before)
            else:
                blocks.append(paragraph(BR.join(group)))
                group = []
        group.append(line)
    blocks.append(paragraph(BR.join(group)))
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
