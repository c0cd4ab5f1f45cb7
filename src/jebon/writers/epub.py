"""EPUB 3 writer (ebooklib): spine = nav = NCX = article order; metadata; subset fonts; deterministic zip."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ebooklib import epub
from lxml import etree

from .. import __version__, fonts, images, resources
from ..cache import FORMAT, Cache, digest, package_version
from ..config import BookConfig, BookMeta
from ..errors import Diagnostics
from ..images import Asset, sniff
from ..model import Article, SeriesInfo
from ..render import Chapter, Heading, RenderedVolume
from ..typography.epubjoin import join_tree
from .xhtml import E, document, fragment, label_landmarks, mark_wide_tables

MIMETYPE = b"application/epub+zip"
DOC = "application/xhtml+xml"
FONT_TYPE = "application/vnd.ms-opentype"
"""The media type of every font file (OpenType with CFF or TrueType outlines): the one EPUB 3.0
named, still core in EPUB 3.3 (which added font/otf and font/ttf), the one every reading system
knows, and what calibre's checker asks for in a package of version 3.0."""
IBOOKS_PREFIX = "ibooks: http://vocabulary.itunes.apple.com/rdf/ibooks/vocabulary-extensions-1.0/"
APPLE_OPTIONS = "META-INF/com.apple.ibooks.display-options.xml"
APPLE_OPTIONS_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n<display_options>\n  <platform name="*">\n'
                     b'    <option name="specified-fonts">true</option>\n  </platform>\n</display_options>\n')
"""Apple Books shows the book's own fonts only when told so (`specified-fonts`), on every device."""
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
"""The claim `[epub] accessibility_claim = true` makes, when `accessibility_gaps` finds nothing."""
PAGE_FORMAT = "3"
"""Bumped when `chapter_page` makes other pages from the same chapter (a cache key part)."""
LICENCE_NAME = "fonts/OFL.txt"
"""The fonts' copyright notices and licence, next to the fonts (the OFL asks for both with every copy)."""


def identifier_for(meta: BookMeta, series: SeriesInfo | None = None) -> str:
    """`urn:isbn:…`, the configured identifier, or a UUID derived from title and authors — for a
    volume of a series, from the series title and the volume number (stable: the same on every
    rebuild and when later volumes are added, so stores see one book per volume)."""
    if meta.isbn:
        return "urn:isbn:" + re.sub(r"[\s-]", "", meta.isbn)
    if meta.identifier:
        return meta.identifier
    if series is not None:
        seed = "\x1f".join(("jebon-series", series.title, *meta.authors, str(series.current)))
    else:
        seed = "\x1f".join(("jebon", meta.title, *meta.authors))
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def modified_time(config: BookConfig, rendered: RenderedVolume, epoch: int | None) -> dt.datetime:
    """`SOURCE_DATE_EPOCH` when set; otherwise the newest date the sources name (book or article
    dates), so that two builds of the same sources are byte-identical."""
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).replace(tzinfo=None)
    dates = [c.article.date for c in rendered.chapters if c.article.date]
    if config.book.date:
        dates.append(config.book.date)
    newest = max(dates) if dates else dt.date(2000, 1, 1)
    return dt.datetime(newest.year, newest.month, newest.day)


def _korean_date(date: dt.date) -> str:
    return f"{date.year}년 {date.month}월 {date.day}일"


class _Writer(epub.EpubWriter):  # type: ignore[misc]
    """ebooklib's OPF and container writer, with jebon's own nav and NCX documents."""

    def __init__(self, name: Any, book: epub.EpubBook, nav: bytes, ncx: bytes, options: dict[str, Any]):
        super().__init__(name, book, options)
        self._nav, self._ncx = nav, ncx

    def _write_opf_file(self, root: etree._Element) -> None:
        # The package's own language (reading systems and Ace read it before any content document).
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_file(root)

    def _get_nav(self, item: Any) -> bytes:
        return self._nav

    def _get_ncx(self) -> bytes:
        return self._ncx

    def write(self) -> None:
        """Hand every entry to a collector instead of compressing it: `_zip` packs them once."""
        self.out = _Entries()
        self.out.writestr("mimetype", MIMETYPE)
        self._write_container()
        self.out.writestr(APPLE_OPTIONS, APPLE_OPTIONS_XML)
        self._write_opf()
        self._write_items()


class _Entries:
    """Stands in for the zipfile ebooklib writes to: keeps (name, bytes) in order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def writestr(self, name: Any, data: str | bytes, *args: Any, **kwargs: Any) -> None:
        name = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        self.items.append((name, data.encode("utf-8") if isinstance(data, str) else bytes(data)))

    def close(self) -> None:
        pass


class EpubBuilder:
    """Builds one volume's EPUB. Reading order: cover, title page, contents, articles, colophon."""

    css_name = "styles/epub.css"
    cover_name = "images/cover"

    def __init__(self, config: BookConfig, rendered: RenderedVolume, *, epoch: int | None = None,
                 meta: BookMeta | None = None, series: SeriesInfo | None = None, cache: Cache | None = None):
        self.cache = cache or Cache(None)
        self.packed: dict[bytes, tuple[int, bytes]] = {}
        """Entries already deflated (content → CRC-32 and deflated bytes), for `_zip`."""
        self.config = config
        self.meta = meta or config.book
        self.series = series
        self.lang = config.book.language
        self.rendered = rendered
        self.identifier = identifier_for(self.meta, series)
        self.modified = modified_time(config, rendered, epoch)

    # -- front and back matter -------------------------------------------------------------
    def cover_asset(self) -> Asset:
        if self.meta.cover is not None and (self.series is None or self.rendered.volume.cover is not None):
            data = self.meta.cover.read_bytes()
            media_type = sniff(data)
            if media_type in ("image/png", "image/jpeg"):
                ext = "png" if media_type == "image/png" else "jpg"
                return Asset(f"{self.cover_name}.{ext}", media_type, data, self.meta.cover)
        title, label = ((self.series.title, f"제{self.series.current}권") if self.series is not None
                        else (self.meta.title, None))
        # Drawing it takes a quarter of a second: it is remembered by what is drawn and with what.
        key: str | None = None
        drawn: bytes | None = None
        if self.cache.root is not None:
            key = digest(FORMAT, __version__, "cover", repr((title, self.meta.subtitle, self.meta.authors,
                                                             self.meta.publisher, label)),
                         package_version("PIL", "_version"),
                         *(self.cache.file_digest(face.path) for face in fonts.FACES))
            drawn = self.cache.get("epub-cover", key)
        if drawn is None:
            from .. import covers  # Pillow is imported only when a cover is drawn

            drawn = covers.generate(title, self.meta.subtitle, self.meta.authors, self.meta.publisher, label=label)
            if key is not None:
                self.cache.put("epub-cover", key, drawn)
        return Asset(f"{self.cover_name}.png", "image/png", drawn)

    def chapter_page(self, chapter: Chapter) -> bytes:
        """One article's XHTML content document (also served as is by `jebon preview`)."""
        page = join_tree(mark_wide_tables(label_landmarks(fragment(chapter.html))))
        return document(chapter.article.title, self.lang, [page], css=self.css_name, body_type="bodymatter")

    def stylesheet(self, served: Mapping[fonts.Face, Iterable[int]] | None = None) -> bytes:
        """`stylesheet` with the book's [typography] choices."""
        return stylesheet(served, justify=self.config.typography.justify)

    def cover_page(self, cover: Asset) -> bytes:
        img = E("img", {"src": cover.name, "alt": f"표지: {self.meta.title}", "class": "cover-image"})
        section = E("section", {"epub:type": "cover", "class": "cover"}, None, img)
        return document(self.meta.title, self.lang, [section], css=self.css_name, body_class="cover-page")

    def title_page(self) -> bytes:
        parts = [E("h1", {"class": "book-title"}, self.meta.title)]
        if self.meta.subtitle:
            parts.append(E("p", {"class": "book-subtitle"}, self.meta.subtitle))
        if self.meta.authors:
            parts.append(E("p", {"class": "book-author"}, " · ".join(self.meta.authors)))
        if self.meta.publisher:
            parts.append(E("p", {"class": "book-publisher"}, self.meta.publisher))
        section = E("section", {"epub:type": "titlepage", "class": "titlepage"}, None, *parts)
        return document(self.meta.title, self.lang, [section], css=self.css_name)

    def series_page(self) -> bytes:
        """Every volume of the series, the current one marked."""
        assert self.series is not None
        ol = E("ol", {"class": "series-list"})
        for number, title in self.series.volumes:
            if number == self.series.current:
                ol.append(E("li", {"class": "current"}, None, E("strong", None, title), E("span", None, " (이 책)")))
            else:
                ol.append(E("li", None, title))
        section = E("section", {"class": "series-page", "aria-label": "시리즈"}, None,
                    E("h1", None, self.series.title), E("p", {"class": "series-note"},
                                                         f"전 {len(self.series.volumes)}권"), ol)
        return document(f"{self.series.title} 시리즈", self.lang, [section], css=self.css_name)

    def colophon(self) -> bytes:
        rows: list[tuple[str, str]] = []
        if self.meta.authors:
            rows.append(("지은이", " · ".join(self.meta.authors)))
        if self.meta.publisher:
            rows.append(("펴낸곳", self.meta.publisher))
        if self.meta.date:
            rows.append(("펴낸날", _korean_date(self.meta.date)))
        rows.append(("ISBN" if self.meta.isbn else "식별자", self.meta.isbn or self.identifier))
        rows.append(("글꼴", fonts.FONT_CREDIT))
        rows.append(("만든 도구", f"jebon {__version__}"))
        dl = E("dl", {"class": "colophon-list"})
        for term, value in rows:
            dl.append(E("dt", None, term))
            dl.append(E("dd", None, value))
        title = self.meta.title + (f" — {self.meta.subtitle}" if self.meta.subtitle else "")
        note = E("p", {"class": "licence"},
                 "이 책에 담긴 글꼴은 SIL Open Font License 1.1에 따라 포함되었습니다. 글꼴의 저작권 고지와 "
                 f"사용 허가서 전문은 이 책의 {LICENCE_NAME} 파일에 들어 있고, 저작권 고지와 사용 허가 안내는 "
                 "글꼴 파일마다 함께 들어 있습니다.")
        section = E("section", {"epub:type": "colophon", "role": "doc-colophon", "class": "colophon",
                                "aria-label": "판권"}, None,
                    E("h1", {"class": "colophon-title"}, title), dl, note)
        return document(f"{self.meta.title} 판권", self.lang, [section], css=self.css_name)

    def nav(self) -> bytes:
        depth = self.config.epub.toc_depth
        toc = E("ol", {"class": "toc"})
        for chapter in self.rendered.chapters:
            li = E("li", None, None, E("a", {"href": chapter.file_name}, chapter.article.title))
            sub = self._sub_entries(chapter, depth)
            if sub is not None:
                li.append(sub)
            toc.append(li)
        nav_toc = E("nav", {"epub:type": "toc", "id": "toc", "role": "doc-toc"}, None,
                    E("h1", None, "차례"), toc)
        first = self.rendered.chapters[0].file_name
        landmarks = E("ol")
        for kind, href, label in (("cover", "cover.xhtml", "표지"), ("titlepage", "title.xhtml", "속표지"),
                                  ("toc", "nav.xhtml#toc", "차례"), ("bodymatter", first, "본문"),
                                  ("colophon", "colophon.xhtml", "판권")):
            landmarks.append(E("li", None, None, E("a", {"epub:type": kind, "href": href}, label)))
        nav_marks = E("nav", {"epub:type": "landmarks", "id": "landmarks", "hidden": "hidden"}, None,
                      E("h2", None, "길잡이"), landmarks)
        return document("차례", self.lang, [nav_toc, nav_marks], css=self.css_name)

    def _sub_entries(self, chapter: Chapter, depth: int) -> etree._Element | None:
        if depth < 2:
            return None
        root = E("ol")
        current: etree._Element | None = None
        for heading in _named(chapter.headings):
            link = E("a", {"href": f"{chapter.file_name}#{heading.id}"}, heading.text)
            if heading.level == 2:
                current = E("li", None, None, link)
                root.append(current)
            elif heading.level == 3 and depth >= 3 and current is not None:
                inner = current[-1] if len(current) > 1 else None
                if inner is None:
                    inner = E("ol")
                    current.append(inner)
                inner.append(E("li", None, None, link))
        return root if len(root) else None

    def ncx(self) -> bytes:
        ns = "http://www.daisy.org/z3986/2005/ncx/"
        root = etree.Element(f"{{{ns}}}ncx", nsmap={None: ns}, version="2005-1")  # type: ignore[dict-item]
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.lang)
        head = etree.SubElement(root, f"{{{ns}}}head")
        order = 0
        max_depth = 1

        def point(parent: etree._Element, label: str, src: str, level: int) -> etree._Element:
            nonlocal order, max_depth
            order += 1
            max_depth = max(max_depth, level)
            nav_point = etree.SubElement(parent, f"{{{ns}}}navPoint", id=f"np{order}", playOrder=str(order))
            text = etree.SubElement(etree.SubElement(nav_point, f"{{{ns}}}navLabel"), f"{{{ns}}}text")
            text.text = label
            etree.SubElement(nav_point, f"{{{ns}}}content", src=src)
            return nav_point

        doc_title = etree.SubElement(root, f"{{{ns}}}docTitle")
        etree.SubElement(doc_title, f"{{{ns}}}text").text = self.meta.title
        nav_map = etree.SubElement(root, f"{{{ns}}}navMap")
        depth = self.config.epub.toc_depth
        for chapter in self.rendered.chapters:
            parent = point(nav_map, chapter.article.title, chapter.file_name, 1)
            h2: etree._Element | None = None
            for heading in _named(chapter.headings):
                src = f"{chapter.file_name}#{heading.id}"
                if heading.level == 2 and depth >= 2:
                    h2 = point(parent, heading.text, src, 2)
                elif heading.level == 3 and depth >= 3 and h2 is not None:
                    point(h2, heading.text, src, 3)
        for name, content in (("dtb:uid", self.identifier), ("dtb:depth", str(max_depth)),
                              ("dtb:totalPageCount", "0"), ("dtb:maxPageNumber", "0")):
            etree.SubElement(head, f"{{{ns}}}meta", name=name, content=content)
        return etree.tostring(root, encoding="utf-8", xml_declaration=True)

    # -- package --------------------------------------------------------------------------
    def build(self) -> bytes:
        """The EPUB file's bytes."""
        book = epub.EpubBook()
        self._metadata(book)
        cover = self.cover_asset()
        known: dict[str, Shown] = {}
        chapters = [(c.article.id, c.file_name, self._cached_page(c, known)) for c in self.rendered.chapters]
        docs = [("cover", "cover.xhtml", self.cover_page(cover)),
                ("titlepage", "title.xhtml", self.title_page())]
        if self.series is not None:
            docs.append(("series", "series.xhtml", self.series_page()))
        nav_bytes, ncx_bytes = self._contents()
        docs += chapters
        docs.append(("colophon", "colophon.xhtml", self.colophon()))

        spine: list[Any] = []
        for uid, name, content in docs:
            item = epub.EpubItem(uid=uid, file_name=name, media_type=DOC, content=content)
            book.add_item(item)
            spine.append(item)
        nav_item = epub.EpubNav(uid="nav", file_name="nav.xhtml")
        book.add_item(nav_item)
        spine.insert(len(docs) - len(chapters) - 1, nav_item)  # contents right before the articles
        book.spine = spine
        book.add_item(epub.EpubNcx())

        embedded = self._fonts([*docs, ("nav", "nav.xhtml", nav_bytes)], known)
        book.add_item(epub.EpubItem(uid="css", file_name=self.css_name, media_type="text/css",
                                    content=self.stylesheet({face: served for face, _, served in embedded})))
        cover_item = epub.EpubItem(uid="cover-image", file_name=cover.name, media_type=cover.media_type,
                                   content=self._screen_image(cover))
        cover_item.properties = ["cover-image"]
        book.add_item(cover_item)
        book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
        for index, asset in enumerate(self.rendered.assets, 1):
            book.add_item(epub.EpubItem(uid=f"img{index:03d}", file_name=asset.name,
                                        media_type=asset.media_type, content=self._screen_image(asset)))
        for face, data, _ in embedded:
            book.add_item(epub.EpubItem(uid=f"font-{face.key}", file_name=f"fonts/{face.key}.{face.extension}",
                                        media_type=FONT_TYPE, content=data))
        book.add_item(epub.EpubItem(uid="font-licence", file_name=LICENCE_NAME, media_type="text/plain",
                                    content=resources.font_path("OFL.txt").read_bytes()))

        writer = _Writer(None, book, nav_bytes, ncx_bytes,
                         {"mtime": self.modified, "epub3_landmark": False, "epub2_guide": False,
                          "compresslevel": 9, "spine_direction": False, "package_direction": False,
                          "epub3_pages": False, "play_order": {"enabled": False, "start_from": 1},
                          "raise_exceptions": True, "ignore_ncx": False})
        writer.process()
        writer.write()
        return _zip(writer.out.items, self.modified, self.cache, self.packed)

    def _metadata(self, book: epub.EpubBook) -> None:
        meta = self.meta
        book.metadata = {}
        book.set_identifier(self.identifier)
        book.title = meta.title
        book.language = self.lang
        book.add_metadata("DC", "title", meta.title, {"id": "title"})
        book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
        if meta.subtitle:
            book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
            book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
        book.add_metadata("DC", "language", self.lang)
        for index, author in enumerate(meta.authors, 1):
            book.add_metadata("DC", "creator", author, {"id": f"creator{index}"})
            book.add_metadata(None, "meta", "aut",
                              {"refines": f"#creator{index}", "property": "role", "scheme": "marc:relators"})
        if meta.publisher:
            book.add_metadata("DC", "publisher", meta.publisher)
        if meta.date:
            book.add_metadata("DC", "date", meta.date.isoformat())
        if meta.description:
            book.add_metadata("DC", "description", meta.description)
        for tag in meta.tags:
            book.add_metadata("DC", "subject", tag)
        if self.series is not None:
            book.add_metadata(None, "meta", self.series.title,
                              {"property": "belongs-to-collection", "id": "collection"})
            book.add_metadata(None, "meta", "series", {"refines": "#collection", "property": "collection-type"})
            book.add_metadata(None, "meta", str(self.series.current),
                              {"refines": "#collection", "property": "group-position"})
        # Accessibility (schema.org), true of every jebon book: text content, real structure.
        has_images = bool(self.rendered.assets)
        all_alt = not any(c.missing_alt for c in self.rendered.chapters)
        modes = ["textual"] + (["visual"] if has_images else [])
        for mode in modes:
            book.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
        if not has_images or all_alt:
            book.add_metadata(None, "meta", "textual", {"property": "schema:accessModeSufficient"})
        features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
        if has_images and all_alt:
            features.append("alternativeText")
        for feature in features:
            book.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
        book.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
        summary = ("이 책은 제목 구조와 차례, 논리적인 읽기 순서를 갖춘 텍스트 중심의 전자책입니다. "
                   "글자 크기와 글꼴은 독자가 바꿀 수 있습니다.")
        if has_images:
            summary += " 그림에는 대체 텍스트가 있습니다." if all_alt else " 일부 그림에는 대체 텍스트가 없습니다."
        claimed = self.config.epub.accessibility_claim and not accessibility_gaps(self.rendered)
        if claimed:
            summary += " 이 책은 EPUB 접근성 1.1과 WCAG 2.1 AA 수준을 따릅니다."
        book.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
        if claimed:
            # EPUB Accessibility 1.1: the claim, and who stands behind it (`a11y:` is a reserved prefix).
            book.add_metadata(None, "meta", CONFORMANCE, {"property": "dcterms:conformsTo"})
            book.add_metadata(None, "meta", meta.publisher or " · ".join(meta.authors) or meta.title,
                              {"property": "a11y:certifiedBy"})
        # Apple Books: use the book's fonts (with META-INF/com.apple.ibooks.display-options.xml).
        book.add_prefix("ibooks", IBOOKS_PREFIX.split(": ", 1)[1])
        book.add_metadata(None, "meta", "true", {"property": "ibooks:specified-fonts"})

    def _screen_image(self, asset: Asset) -> bytes:
        """`images.fit_for_screen(asset)`, remembered by content when it had to be scaled."""
        if images.fits_screen(asset):
            return asset.data
        key = digest(FORMAT, "screen-image", package_version("PIL", "_version"), str(images.SCREEN_MAX_PIXELS),
                     str(images.SCREEN_MAX_BYTES), asset.data)
        found = self.cache.get("epub-image", key)
        if found is None:
            found = images.fit_for_screen(asset)
            self.cache.put("epub-image", key, found)
        return found

    def _cached_page(self, chapter: Chapter, known: dict[str, Shown]) -> bytes:
        """`chapter_page`, with the characters it shows (into `known`) and its deflated form (into
        `self.packed`), from the cache when the chapter's XHTML and the page settings are unchanged."""
        key = digest(FORMAT, __version__, PAGE_FORMAT, zlib.ZLIB_RUNTIME_VERSION, "epub-page 2",
                     chapter.key or chapter.html, chapter.article.title, self.lang, self.css_name)
        fields = self.cache.read("epub-page", key, lambda entry: _unfields(entry, 4))
        if fields is not None:
            chars, crc, packed, page = fields
            known[chapter.file_name] = tuple(json.loads(chars))
            self.packed[page] = int.from_bytes(crc, "big"), packed
            return page
        page = self.chapter_page(chapter)
        known[chapter.file_name] = shown = _characters(page)
        self.packed[page] = crc32, deflated = _deflate(page)
        self.cache.put("epub-page", key, _fields(json.dumps(shown).encode(), crc32.to_bytes(4, "big"),
                                                 deflated, page))
        return page

    def _contents(self) -> tuple[bytes, bytes]:
        """The nav and NCX documents, from the cache when the titles and headings are unchanged."""
        key = digest(FORMAT, __version__, "epub-contents", self.lang, self.css_name, self.meta.title,
                     self.identifier, str(self.config.epub.toc_depth),
                     repr([(c.file_name, c.article.title, c.headings) for c in self.rendered.chapters]))
        fields = self.cache.read("epub-contents", key, lambda entry: _unfields(entry, 2))
        if fields is not None:
            return fields[0], fields[1]
        nav, ncx = self.nav(), self.ncx()
        self.cache.put("epub-contents", key, _fields(nav, ncx))
        return nav, ncx

    def _fonts(self, docs: list[tuple[str, str, bytes]],
               known: dict[str, Shown]) -> list[tuple[fonts.Face, bytes, frozenset[int]]]:
        """(face, subset, the characters it serves) for every face the documents use (`known` gives
        their characters for some documents by file name): the body faces always, the monospaced
        face for code, a fallback face for the characters only it has."""
        shown: list[set[str]] = [set(), set(), set(), set()]
        for _, name, content in docs:
            if name in known:
                parts = known[name]
            else:
                key = digest(FORMAT, __version__, "chars", content)
                found = self.cache.read("epub-chars", key, json.loads)
                if found is None:
                    parts = _characters(content)
                    self.cache.put("epub-chars", key, json.dumps(parts).encode())
                else:
                    parts = tuple(found)
            for into, each in zip(shown, parts, strict=True):
                into.update(each)
        text, heavy, code, heavy_code = shown
        ranges = fonts.fallback_ranges(self.cache)
        result = []
        for face in fonts.FACES:
            chars: set[str]
            if face.role == fonts.BODY:
                chars = text if face.weight == 400 else heavy | set("0123456789")
            elif face.role == fonts.MONO:
                chars = code if face.weight == 400 else heavy_code
            else:  # what only this fallback has: in bold text for its bold face, in any text for the other
                regular = next(f for f in fonts.FALLBACK_FACES if f.family == face.family and f.weight == 400)
                chars = {c for c in (heavy if face.weight == 700 else text) if ord(c) in ranges[regular]}
            if face.role != fonts.BODY and not chars:
                continue
            ordered = "".join(sorted(chars))
            key = digest(FORMAT, __version__, hb_version(), self.cache.file_digest(face.path), ordered)
            data = self.cache.get("epub-font", key)
            if data is None:
                data = fonts.subset(face, ordered)
                self.cache.put("epub-font", key, data)
            result.append((face, data, frozenset(ord(c) for c in chars if face.role == fonts.FALLBACK)))
        return result


@dataclass(frozen=True)
class Gap:
    """Something that keeps a book from EPUB Accessibility 1.1 / WCAG 2.1 AA, where it is."""

    message: str
    path: Path
    line: int | None


def accessibility_gaps(rendered: RenderedVolume) -> list[Gap]:
    """What jebon can check of WCAG 2.1 AA in the articles, as failures: images without alt text
    (1.1.1), heading levels that skip (1.3.1), headings and links without text (2.4.6, 2.4.4),
    tables without header cells (1.3.1). What a machine cannot judge (whether alt texts and link
    texts say enough, passages in another language) is the publisher's to review."""
    gaps: list[Gap] = []

    def at(article: Article, text: str) -> int | None:
        found = article.source.text.find(text) if text else -1
        return article.source.text.count("\n", 0, found) + 1 if found >= 0 else None

    for chapter in rendered.chapters:
        article = chapter.article
        found: dict[str, list[Gap]] = {}  # by kind: each article says each kind once, with a count
        if chapter.missing_alt:
            found["alt"] = [Gap(f"{chapter.missing_alt} image(s) without alt text", article.path, None)]
        level = 0
        for el in etree.fromstring(chapter.html).iter():
            if not isinstance(el.tag, str):
                continue
            name = etree.QName(el).localname
            text = "".join(str(t) for t in el.itertext()).strip()
            if re.fullmatch(r"h[1-6]", name):
                if not text:
                    found.setdefault("empty", []).append(Gap(f"an empty <{name}> heading", article.path, None))
                elif int(name[1]) > level + 1:
                    found.setdefault("skip", []).append(Gap(
                        f"heading {text!r} is h{name[1]} after h{level} (a level is skipped)",
                        article.path, at(article, text)))
                level = int(name[1])
            elif name == "a" and not text and not el.get("aria-label") and not el.get("title") \
                    and not any((img.get("alt") or "").strip() for img in el.iter("{*}img")):
                found.setdefault("link", []).append(
                    Gap(f"a link to {el.get('href', '')!r} has no text", article.path, None))
            elif name == "table" and el.find(".//{*}th") is None:
                found.setdefault("table", []).append(
                    Gap("a table without header cells (<th>)", article.path, at(article, text[:20])))
        for same in found.values():
            first = same[0]
            more = f" ({len(same)} such places in this article)" if len(same) > 1 else ""
            gaps.append(Gap(first.message + more, first.path, first.line))
    return gaps


def review(config: BookConfig, meta: BookMeta, rendered: RenderedVolume, diag: Diagnostics,
           series: SeriesInfo | None = None) -> None:
    """What `jebon check` and `build` say about the EPUB beyond errors: a store-bound book without
    an ISBN, and why an accessibility claim asked for is left out."""
    which = f"volume {series.current}" if series is not None else "the book"
    if config.epub.stores and not meta.isbn:
        hint = ("add isbn = \"…\" to its [[volumes]] entry" if series is not None else "add isbn = \"…\" to [book]")
        diag.warn(f"{which} is meant for e-book stores ([epub] stores = true) but has no ISBN: Korean stores "
                  "and most distributors ask for one (KDP and Google Play give their own ids)",
                  config.path, config.epub.line, hint + ", or remove `stores = true`")
    if config.epub.accessibility_claim:
        for gap in accessibility_gaps(rendered):
            diag.warn(f"no EPUB Accessibility claim for {which}: {gap.message}", gap.path, gap.line,
                      "fix it in the article, or set accessibility_claim = false")


def _named(headings: tuple[Heading, ...]) -> list[Heading]:
    """The headings that have text: an empty one would be a contents entry with no name (the
    entries under it then belong to the one before)."""
    return [h for h in headings if h.text.strip()]


Shown = tuple[str, str, str, str]
"""The characters a document shows: all of them, in bold, in code, in bold code."""
_BOLD = ("h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "th", "dt", "title")
_CODE = ("code", "kbd", "samp", "pre")


def stylesheet(served: Mapping[fonts.Face, Iterable[int]] | None = None, *, justify: bool = True) -> bytes:
    """The @font-face rules of the faces a book carries (`served`: the faces, with the characters
    each fallback face serves; None: every face whole, as the preview serves them), then epub.css."""
    if served is None:
        ranges = fonts.fallback_ranges()
        served = {face: ranges.get(face) or next(points for regular, points in ranges.items()
                                                 if regular.family == face.family)
                  if face.role == fonts.FALLBACK else () for face in fonts.FACES}
    css = fonts.font_face_rules(lambda face: f"../fonts/{face.key}.{face.extension}", served.keys(), served)
    css += resources.style("epub.css")
    if not justify:
        css += "\nbody { text-align: left; }\n"
    return css.encode("utf-8")


def _characters(content: bytes) -> Shown:
    """The characters a document shows, those it shows in bold (headings, strong, table heads), in
    code (the monospaced face) and in bold code."""
    root = etree.fromstring(content)
    text = set("".join(str(t) for t in root.itertext()))
    heavy: set[str] = set()
    code: set[str] = set()
    heavy_code: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in _BOLD or (local == "p" and (el.get("class") or "").startswith("book-")):
            heavy.update("".join(str(t) for t in el.itertext()))
        if local in _CODE:
            chars = "".join(str(t) for t in el.itertext())
            code.update(chars)
            if any(etree.QName(a).localname in _BOLD for a in el.iterancestors()):
                heavy_code.update(chars)
    return tuple("".join(sorted(chars)) for chars in (text, heavy, code, heavy_code))  # type: ignore[return-value]


STORED_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
"""Already compressed: stored as they are."""


def _fields(*parts: bytes) -> bytes:
    """Byte strings packed into one cache entry (each after its length)."""
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def _unfields(entry: bytes, count: int) -> list[bytes]:
    """The `count` parts `_fields` packed; ValueError when the entry is not that."""
    parts, at = [], 0
    for _ in range(count):
        size = int.from_bytes(entry[at:at + 4], "big")
        if at + 4 + size > len(entry):
            raise ValueError("a cache entry shorter than its parts")
        parts.append(entry[at + 4:at + 4 + size])
        at += 4 + size
    if at != len(entry):
        raise ValueError("a cache entry longer than its parts")
    return parts


def _deflate(data: bytes) -> tuple[int, bytes]:
    """CRC-32 and raw deflate (level 9) of a zip member."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    return zlib.crc32(data), squeeze.compress(data) + squeeze.flush()


def _zip(entries: list[tuple[str, bytes]], when: dt.datetime, cache: Cache,
         packed_already: dict[bytes, tuple[int, bytes]] | None = None) -> bytes:
    """The EPUB container: `mimetype` first and stored, then every entry in ebooklib's order, with
    fixed timestamps and permissions (the same bytes for the same book). Deflated entries are
    remembered by content, so a rebuild compresses only what changed; `packed_already` gives
    some by content."""
    packed_already = packed_already or {}
    stamp = max(when.year, 1980), when.month, when.day
    dos_date = ((stamp[0] - 1980) << 9) | (stamp[1] << 5) | stamp[2]
    local = io.BytesIO()
    central = io.BytesIO()
    ordered = [e for e in entries if e[0] == "mimetype"] + [e for e in entries if e[0] != "mimetype"]
    for name, data in ordered:
        stored = name == "mimetype" or name.lower().endswith(STORED_TYPES)
        if stored:
            method, packed, crc = 0, data, zlib.crc32(data)
        elif data in packed_already:
            method, (crc, packed) = 8, packed_already[data]
        else:
            method = 8
            key = digest(FORMAT, zlib.ZLIB_RUNTIME_VERSION, data) if len(data) >= 4096 else ""
            cached = cache.get("zip-entry", key) if key else None
            if cached is not None:
                crc, packed = int.from_bytes(cached[:4], "big"), cached[4:]
            else:
                crc, packed = _deflate(data)
                if key:
                    cache.put("zip-entry", key, crc.to_bytes(4, "big") + packed)
        raw_name = name.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0
        offset = local.tell()
        local.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, dos_date, crc, len(packed),
                                len(data), len(raw_name), 0))
        local.write(raw_name)
        local.write(packed)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, flags, method, 0, dos_date,
                                  crc, len(packed), len(data), len(raw_name), 0, 0, 0, 0, 0o644 << 16, offset))
        central.write(raw_name)
    directory = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(ordered), len(ordered), len(directory), local.tell(), 0)
    return local.getvalue() + directory + end


def hb_version() -> str:
    """uharfbuzz's version (it bundles HarfBuzz), read without loading the library: a rebuild whose
    font subsets are all cached never loads it."""
    return package_version("uharfbuzz", "_version")
