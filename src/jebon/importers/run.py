"""`jebon import`: saved pages → Markdown articles in a book folder, in date order or in the order of
a magazine, a brunchbook or a list of addresses. Everything is read and checked first; files are
written only when nothing has an error, each one atomically, book.toml last."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..api import write_atomic
from ..config import CONFIG_NAME, parse_date
from ..errors import ConfigError, Diagnostics, JebonError, Problem, UsageError
from ..sources import natural_key, split_front_matter
from . import brunch
from .page import H4_CHOICES, ArticleList, ListEntry, Page, ReadOptions
from .tomlorder import OrderEditError, set_order, toml_array

Reader = Callable[[Path, Diagnostics, ReadOptions], Page | ArticleList | None]
READERS: dict[str, Reader] = {"brunch": brunch.read}
"""The importers by the name the command line uses (`jebon import brunch`)."""
PAGE_SUFFIXES = (".html", ".htm", ".txt")
IMAGE_DIR = "images"
"""Imported images go to `<articles>/images/`, as in the sample books; Markdown links are relative
to the article."""


@dataclass(frozen=True)
class ImportedArticle:
    """What became of one saved page."""

    status: str
    """`imported` (a new article), `replaced` (with --force) or `skipped` (already in the book)."""
    source: Path
    title: str
    date: dt.date | None
    path: Path | None
    """The article file written, or for a skipped page the article that it already is."""
    url: str | None = None
    images: int = 0
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "source": str(self.source), "title": self.title,
                "date": self.date.isoformat() if self.date else None, "path": str(self.path) if self.path else None,
                "url": self.url, "images": self.images, "reason": self.reason}


@dataclass
class ImportReport:
    """Everything an import did, in date order, with every warning."""

    book_dir: Path
    articles: list[ImportedArticle] = field(default_factory=list)
    book_toml: Path | None = None
    """book.toml, when this import created it."""
    order: list[str] | None = None
    """`[articles] order` as this import wrote it (a list was given), else None."""
    order_written: str | None = None
    """What became of the order in book.toml: `created` (with a new book.toml), `updated`, `unchanged`."""
    lists: list[ArticleList] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def count(self, status: str) -> int:
        return sum(1 for a in self.articles if a.status == status)

    def as_dict(self) -> dict[str, object]:
        return {"book": str(self.book_dir), "book_toml": str(self.book_toml) if self.book_toml else None,
                "order": self.order, "order_written": self.order_written,
                "lists": [{"source": str(li.source), "kind": li.kind, "title": li.title, "url": li.url,
                           "articles": len(li.entries)} for li in self.lists],
                "articles": [a.as_dict() for a in self.articles],
                "imported": self.count("imported"), "replaced": self.count("replaced"),
                "skipped": self.count("skipped"), "warnings": [p.as_dict() for p in self.warnings]}


@dataclass(frozen=True)
class _Existing:
    """An article already in the book, as far as identity goes."""

    path: Path
    title: str | None
    date: dt.date | None
    url: str | None


@dataclass(frozen=True)
class _Book:
    root: Path
    has_config: bool
    articles: Path
    order: tuple[str, ...] | None
    existing: tuple[_Existing, ...]
    names: tuple[str, ...] = ()
    """The article files already there, in jebon's default order (file names sorted naturally)."""


@dataclass
class _Planned:
    page: Page
    path: Path
    status: str
    images: list[tuple[Path, bytes, bool]] = field(default_factory=list)
    """(image file, bytes, whether it must be written: False when the same bytes are there already)."""


def import_pages(kind: str, inputs: Sequence[Path | str], book_dir: Path | str, *, force: bool = False,
                 title: str | None = None, date_from_mtime: bool = False, lines: bool = False,
                 h4: str = "auto") -> ImportReport:
    """Import saved pages (`kind` names the platform: "brunch") into the book at `book_dir`, which is
    created if needed. A page already in the book (same address, or same title and date) is skipped,
    or with `force` written over its article. When `inputs` hold a list (a saved magazine or
    brunchbook page, a text file of addresses), `[articles] order` is written in the list's order;
    otherwise the file names put the articles in date order. `lines` and `h4` choose how body lines
    are read (ReadOptions). Raises JebonError with every problem found; nothing is written then."""
    if kind not in READERS:
        raise UsageError(f"unknown source {kind!r}: choose from {', '.join(READERS)}")
    if h4 not in H4_CHOICES:
        raise UsageError(f"--h4 {h4!r}: choose from {', '.join(H4_CHOICES)}")
    options = ReadOptions(lines=lines, h4=h4)
    diag = Diagnostics()
    # 1. The book: its folder, its article folder and the identity of every article it holds.
    book = _open_book(Path(book_dir), diag)
    # 2. Every page and list, read and checked; pages without a date get one only on request.
    found = [READERS[kind](path, diag, options) for path in _inputs(inputs, diag)]
    pages = [_dated(page, diag, date_from_mtime) for page in found if isinstance(page, Page)]
    lists = [item for item in found if isinstance(item, ArticleList)]
    if diag.errors:
        raise JebonError(diag.problems)
    # 3. The plan, in date order: what is skipped or replaced, file names, image names.
    pages.sort(key=lambda p: (p.date or dt.date.max, _article_number(p.url), p.title))
    report = ImportReport(book.root, lists=lists)
    plans = _plan(pages, book, force, report)
    # 4. With a list: the order of the book, every listed article found (or one error naming the
    #    pages to save), and book.toml's text with it; nothing is written before all of it is known.
    config_text: str | None = None
    if lists:
        report.order = _list_order(lists, pages, book, report, diag)
    if diag.errors:
        raise JebonError(diag.problems)
    config = book.root / CONFIG_NAME
    if not book.has_config:
        config_text = _book_toml(book, _in_order(pages, report), title, report.order, lists)
        report.book_toml = config
        report.order_written = "created" if report.order is not None else None
    elif report.order is not None:
        if tuple(report.order) == book.order:
            report.order_written = "unchanged"
        else:
            config_text = _updated_toml(config, report.order)
            report.order_written = "updated"
    # 5. Write: images, articles, then book.toml (a run stopped halfway is finished by running it again).
    for plan in plans:
        for path, data, write in plan.images:
            if write:
                write_atomic(path, data)
        write_atomic(plan.path, _article_text(plan).encode("utf-8"))
    if config_text is not None:
        write_atomic(config, config_text.encode("utf-8"))
    if book.has_config and title:
        diag.warn(f"--title is not used: {CONFIG_NAME} already exists (an import changes at most its "
                  "[articles] order)", config, None, "edit its [book] title instead")
    new = [plan.path.name for plan in plans if plan.status == "imported"]
    if report.order is None and book.order is not None and new:
        diag.warn("[articles] order lists the articles by name: the new ones are left out of the book until "
                  "you add them: " + ", ".join(new),
                  config, None, "add them to `order`, or import with the magazine's page (or a list of "
                  "addresses) to write the order, or remove `order` to read articles by name")
    report.problems = list(diag.problems)
    return report


def _in_order(pages: list[Page], report: ImportReport) -> list[Page]:
    """The pages in the book's order: the list's when there is one, else date order."""
    if report.order is None:
        return pages
    by_path = {a.source: a.path.name for a in report.articles if a.path}
    place = {name: i for i, name in enumerate(report.order)}
    return sorted(pages, key=lambda p: place.get(by_path.get(p.source, ""), len(place)))


def _title_key(title: str) -> str:
    """A title as lists and pages are compared: `12화 ` (a brunchbook's chapter number) and spacing aside."""
    return re.sub(r"^\d+\s*화\s+", "", _norm(title)).casefold()


def _url_form(url: str) -> str:
    """Brunch gives an article two addresses, `/@author/12` and `/@@id/12`: which of them this is."""
    return "id" if "/@@" in url else "name"


def _list_order(lists: list[ArticleList], pages: list[Page], book: _Book, report: ImportReport,
                diag: Diagnostics) -> list[str]:
    """`[articles] order` from the lists (their entries one after another): each entry is found among
    the pages given (by address, else by title when the addresses cannot be compared) or the
    articles the book already has. Entries found nowhere are one error per list naming what to save;
    pages that no list names go after the listed ones, with a warning. The book's other articles
    keep their places: the listed ones are placed as one block where the first of them was."""
    path_of = {a.source: a.path for a in report.articles if a.path}
    entries: list[tuple[ArticleList, ListEntry]] = []
    seen: dict[str, ArticleList] = {}
    for article_list in lists:
        for entry in article_list.entries:
            if entry.url in seen:
                diag.warn(f"{entry.url} is in more than one list (first in {seen[entry.url].source.name}); "
                          "its first place counts", article_list.source, entry.line)
                continue
            seen[entry.url] = article_list
            entries.append((article_list, entry))

    def find(entry: ListEntry) -> Path | None:
        for page in pages:
            if entry.url in (page.aliases or ((page.url,) if page.url else ())):
                return path_of.get(page.source)
        for existing in book.existing:
            if existing.url == entry.url:
                return existing.path
        if not entry.title:
            return None
        key = _title_key(entry.title)
        form = _url_form(entry.url)
        candidates = {path_of.get(p.source) for p in pages if _title_key(p.title) == key and not any(
            _url_form(u) == form for u in p.aliases or ((p.url,) if p.url else ()))}
        candidates |= {e.path for e in book.existing if e.title is not None and _title_key(e.title) == key
                       and not (e.url and _url_form(e.url) == form)}
        candidates.discard(None)
        return candidates.pop() if len(candidates) == 1 else None

    listed: list[str] = []
    missing: dict[Path, list[ListEntry]] = {}
    for article_list, entry in entries:
        path = find(entry)
        if path is None:
            missing.setdefault(article_list.source, []).append(entry)
        elif path.name not in listed:
            listed.append(path.name)
    # The pages given that no list names: after the listed articles, in date order.
    extra = [path.name for page in pages if (path := path_of.get(page.source)) is not None
             and path.name not in listed]
    extra = list(dict.fromkeys(extra))
    unmatched = [page for page in pages if (path := path_of.get(page.source)) is not None and path.name in extra]
    for page in unmatched:
        diag.warn(f"{page.title!r} is not in the list ({', '.join(li.source.name for li in lists)}); it is "
                  "placed after the listed articles", page.source, None,
                  "move it in [articles] order, or leave it out of the import")
    for article_list in lists:
        if article_list.source not in missing:
            continue
        gone = missing[article_list.source]
        named = "; ".join(f"{(article_list.entries.index(e) + 1)}. {e.title + ' ' if e.title else ''}<{e.url}>"
                          for e in gone)
        what = {"magazine": "the magazine page", "brunchbook": "the brunchbook page"}.get(article_list.kind,
                                                                                       "the list")
        other = ("; pages given that are not in the list (their addresses differ?): "
                 + ", ".join(f"{p.source.name} <{p.url or 'no address'}>" for p in unmatched)) if unmatched else ""
        diag.error(f"{what} names {len(gone)} of its {len(article_list.entries)} articles that were not saved: "
                   f"{named}", article_list.source, gone[0].line,
                   "open each address in the browser, save it with File → Save Page As… (“Webpage, complete”) "
                   "next to the other pages, and import again; a copied text is found by its title, or by the "
                   f"address on its first line{other}")
    block = listed + extra
    members = set(block)
    base = list(book.order) if book.order is not None else list(book.names)
    order: list[str] = []
    for name in base:
        if name in members:
            if block:
                order.extend(block)
                block = []
        elif name not in order:
            order.append(name)
    order.extend(block)
    kept = [name for name in order if name not in members]
    if kept:
        diag.warn("articles of the book that no list names keep their places in [articles] order: "
                  + ", ".join(kept), book.root / CONFIG_NAME, None, "remove them from `order` to leave them out")
    return order


def _updated_toml(config: Path, order: list[str]) -> str:
    """book.toml with the new order and nothing else changed, or an error that says what to do."""
    text = config.read_bytes().decode("utf-8-sig")
    try:
        return set_order(text, order)
    except OrderEditError as exc:
        raise ConfigError(f"{config}: cannot set [articles] order: {exc}. Nothing was imported. Put this in "
                          f"its [articles] table and import again:\n{toml_array('order', order)}") from None


def _open_book(root: Path, diag: Diagnostics) -> _Book:
    """The book folder (created later if missing) and, from its book.toml, where the articles are."""
    if root.exists() and not root.is_dir():
        raise UsageError(f"--into {root} is a file; give the book folder (it is created if missing)")
    config = root / CONFIG_NAME
    dir_name, order, encoding = "articles", None, "utf-8"
    if config.is_file():
        try:
            data = tomllib.loads(config.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise ConfigError(f"{config}: not UTF-8 (save book.toml as UTF-8)") from None
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise ConfigError(f"{config}{f':{m.group(1)}' if m else ''}: invalid TOML: {message} "
                              "(fix it, then import again)") from None
        articles = data.get("articles", {})
        if isinstance(articles, dict):
            dir_name = articles.get("dir", dir_name) if isinstance(articles.get("dir"), str) else dir_name
            order = tuple(articles["order"]) if isinstance(articles.get("order"), list) else None
            encoding = articles.get("encoding", encoding) if isinstance(articles.get("encoding"), str) else encoding
    folder = root / dir_name
    if not folder.resolve().is_relative_to(root.resolve()):
        raise ConfigError(f"{config}: [articles] dir {dir_name!r} is outside the book folder; "
                          "jebon imports only into the book")
    existing = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            text = path.read_bytes().decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
        except (OSError, UnicodeDecodeError, LookupError):
            diag.warn("cannot be read to check whether an imported page is already this article; "
                      "it is not touched", path)
            continue
        meta, body, _ = split_front_matter(path, text.replace("\r\n", "\n"), Diagnostics())
        title = meta.get("title")
        if not isinstance(title, str):
            heading = re.search(r"^#[ \t]+(.+?)[ \t#]*$", body, re.MULTILINE)
            title = heading.group(1) if heading else None
        url = meta.get("url")
        existing.append(_Existing(path, _norm(title) if title else None, parse_date(meta.get("date")),
                                  brunch.normalise_url(url) if isinstance(url, str) else None))
    names = tuple(sorted((p.name for p in folder.glob("*.md") if p.is_file()), key=natural_key)) \
        if folder.is_dir() else ()
    return _Book(root, config.is_file(), folder, order, tuple(existing), names)


def _inputs(inputs: Sequence[Path | str], diag: Diagnostics) -> list[Path]:
    """The saved pages: files as given; a folder stands for the *.html, *.htm and *.txt in it. The
    `Title_files/` folders a browser saves beside a page are not pages and are passed over."""
    found: list[Path] = []
    if not inputs:
        raise UsageError("no saved pages given")
    for item in map(Path, inputs):
        if item.is_dir():
            if item.name.endswith("_files"):
                continue
            pages = sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES)
            if not pages:
                diag.error("no saved pages (*.html, *.htm, *.txt) in this folder", item)
            found += pages
        elif item.is_file():
            found.append(item)
        else:
            diag.error("no such file", item, None, "give the saved Title.html or .txt files")
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _dated(page: Page, diag: Diagnostics, from_mtime: bool) -> Page:
    """A page without a readable date: an error, because the date decides the article's place in
    the book; with `from_mtime`, the file's modification date, with a warning naming the file."""
    if page.date is not None:
        return page
    shown = f" (it shows {page.date_text!r})" if page.date_text else ""
    if not from_mtime:
        diag.error(f"the page has no publication date{shown}", page.source, page.date_line,
                   "the date places the article in the book: add it to the saved page (`by 작가 Mar 29. 2024`), "
                   "or import with --date-from-mtime to use the file's modification date")
        return page
    date = dt.date.fromtimestamp(page.source.stat().st_mtime)
    diag.warn(f"the page has no publication date{shown}; the file's modification date {date} is used",
              page.source, page.date_line, "check it, and correct `date:` in the article if it is wrong")
    return replace(page, date=date, date_guessed=True)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _article_number(url: str | None) -> int:
    """Brunch numbers an author's articles in order (`/@author/12`): the order within one day."""
    m = re.search(r"/(\d+)$", url or "")
    return int(m.group(1)) if m else 0


def _same(page: Page, other: _Existing | Page) -> bool:
    """Identity: the original address when both have one, else the title and the date."""
    if page.url and other.url:
        return page.url == other.url
    title = other.title if isinstance(other, _Existing) else _norm(other.title)
    return _norm(page.title) == title and page.date == other.date


def slugify(title: str) -> str:
    """A file-name part from a title: letters (Hangul too) and digits, words joined by `-`."""
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFC", title).lower()).strip("-")
    return slug[:40].rstrip("-") or "article"


def _plan(pages: list[Page], book: _Book, force: bool, report: ImportReport) -> list[_Planned]:
    """Decide, page by page in date order, what is written where. Names are `YYYY-MM-DD-<title>.md`,
    so that jebon's order (file names, sorted naturally) is the date order."""
    taken = {p.name for p in book.articles.glob("*")} if book.articles.is_dir() else set()
    planned_images: set[Path] = set()
    plans: list[_Planned] = []
    for page in pages:
        earlier = next((p for p in plans if _same(page, p.page)), None)
        if earlier is not None:
            report.articles.append(ImportedArticle(
                "skipped", page.source, page.title, page.date, earlier.path, page.url,
                reason=f"same article as {earlier.page.source.name}"))
            continue
        existing = next((e for e in book.existing if _same(page, e)), None)
        if existing is not None and not force:
            report.articles.append(ImportedArticle(
                "skipped", page.source, page.title, page.date, existing.path, page.url,
                reason="already in the book"))
            continue
        if existing is not None:
            path, status = existing.path, "replaced"
        else:
            assert page.date is not None
            stem = f"{page.date.isoformat()}-{slugify(page.title)}"
            name, number = f"{stem}.md", 1
            while name in taken:
                number += 1
                name = f"{stem}-{number}.md"
            path, status = book.articles / name, "imported"
        taken.add(path.name)
        plan = _Planned(page, path, status)
        for number, image in enumerate(page.images, 1):
            # `<article>-01.png`, … A name already taken keeps its file: the same bytes are not
            # written again, other bytes get the next free name, unless this article is being
            # replaced (its own images are then written over).
            stem, suffix = f"{path.stem}-{number:02d}", 1
            while True:
                target = book.articles / IMAGE_DIR / (f"{stem}.{image.extension}" if suffix == 1
                                                      else f"{stem}-{suffix}.{image.extension}")
                if target not in planned_images and (
                        not target.exists() or status == "replaced" or _same_bytes(target, image.data)):
                    break
                suffix += 1
            planned_images.add(target)
            plan.images.append((target, image.data, not _same_bytes(target, image.data)))
        plans.append(plan)
        report.articles.append(ImportedArticle(status, page.source, page.title, page.date, path, page.url,
                                               images=len(plan.images)))
    return plans


def _same_bytes(path: Path, data: bytes) -> bool:
    return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data


def _quote(text: str) -> str:
    """A YAML (and TOML) double-quoted string: JSON's escapes are valid in both."""
    return json.dumps(text, ensure_ascii=False)


def _article_text(plan: _Planned) -> str:
    page = plan.page
    assert page.date is not None
    lines = ["---", f"title: {_quote(page.title)}"]
    if page.subtitle:
        lines.append(f"subtitle: {_quote(page.subtitle)}")
    if page.author:
        lines.append(f"author: {_quote(page.author)}")
    note = "  # the saved file's modification date: check it" if page.date_guessed else ""
    lines.append(f"date: {page.date.isoformat()}{note}")
    if page.tags:
        lines.append("tags: [" + ", ".join(map(_quote, page.tags)) + "]")
    if page.url:
        lines.append(f"url: {_quote(page.url)}")
    lines.append("---")
    body = page.body
    for image, (path, _, _) in zip(page.images, plan.images, strict=True):
        body = body.replace(image.target, f"{IMAGE_DIR}/{path.name}")
    return "\n".join(lines) + "\n\n" + body


def _book_toml(book: _Book, pages: list[Page], title: str | None, order: list[str] | None = None,
               lists: Sequence[ArticleList] = ()) -> str:
    """A new book.toml: the title given, else the list's (a magazine's or brunchbook's name), else the
    magazine the pages name most often (the first in the book's order on a tie), else the author;
    the author the pages name most often; the order of the list when one was given."""
    authors = Counter(p.author for p in pages if p.author)
    author = authors.most_common(1)[0][0] if authors else None
    magazines = Counter(p.magazine for p in pages if p.magazine)
    magazine = max(magazines, key=lambda m: (magazines[m], -next(i for i, p in enumerate(pages) if p.magazine == m)),
                   default=None)
    listed = next((li.title for li in lists if li.title), None)
    title = title or listed or magazine or (pages[0].author if pages else None) or book.root.name
    lines = ["# Written by `jebon import`; edit it freely (an import changes at most its [articles] order).",
             "[book]", f"title = {_quote(title)}"]
    if author:
        lines.append(f"author = {_quote(author)}")
    lines += ['language = "ko"', "", "[articles]", f"dir = {_quote(book.articles.name)}"]
    if order is not None:
        sources = ", ".join(f"{li.title or li.source.name}" + (f" <{li.url}>" if li.url else "") for li in lists)
        lines += [f"# In the order of {sources}.", toml_array("order", order)]
    return "\n".join(lines) + "\n"
