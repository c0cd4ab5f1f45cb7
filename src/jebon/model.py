"""The book as data: Article, Volume, Book (frozen, no I/O); `assemble` decides the order once."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .config import BookConfig, BookMeta
from .errors import ArticleError, Diagnostics
from .sources import SourceFile, date_of

_ATX_H1 = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$")
_HEADING_ID = re.compile(r"[ \t]*(?:\{:?[ \t]*#[^{}]*\}|\{/\*[^{}]*\*/\})[ \t]*$")


@dataclass(frozen=True)
class Article:
    """One article of the series, in reading order (`index` is 1-based)."""

    index: int
    source: SourceFile
    title: str
    subtitle: str | None
    date: dt.date | None
    author: str | None
    tags: tuple[str, ...]
    body: str
    body_line: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable document id: `ch01`, `ch02`, … (the EPUB file is `<id>.xhtml`)."""
        return f"ch{self.index:02d}"

    @property
    def path(self) -> Path:
        return self.source.path


@dataclass(frozen=True)
class Volume:
    """The articles that make one output book: the whole book, or one volume of a series."""

    number: int
    articles: tuple[Article, ...]
    title: str | None = None
    """The volume's own title (e.g. "2025년"), shown beside "제N권"."""
    subtitle: str | None = None
    cover: Path | None = None
    isbn: str | None = None

    @property
    def label(self) -> str:
        return f"제{self.number}권"

    @property
    def dates(self) -> tuple[dt.date, dt.date] | None:
        dates = [a.date for a in self.articles if a.date]
        return (min(dates), max(dates)) if dates else None


@dataclass(frozen=True)
class Book:
    config: BookConfig
    volumes: tuple[Volume, ...]


    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for v in self.volumes for a in v.articles)


@dataclass(frozen=True)
class SeriesInfo:
    """What one volume of a series knows about the whole series."""

    title: str
    volumes: tuple[tuple[int, str], ...]
    """(number, title shown in the series list) for every volume."""
    current: int


def volume_title(series_title: str, volume: Volume) -> str:
    """What a volume of a series is called everywhere (cover, dc:title, the PDF's title, `jebon list`):
    the series title and the volume's number, "하늘 우체국 연대기 제2권"."""
    return f"{series_title} {volume.label}"


def series_entry(volume: Volume) -> str:
    """How the series page lists a volume: its number and its own title ("제1권 첫 해"), or its number alone."""
    return " ".join(filter(None, (volume.label, volume.title)))


def edition(book: Book, volume: Volume) -> tuple[BookMeta, SeriesInfo | None]:
    """The metadata one output file carries: the book's own, or for a volume of a series the series
    title with "제N권", the volume's own title (`[[volumes]] title`, or the year or month it covers)
    and subtitle as its subtitle, its cover and ISBN, and the series it belongs to."""
    meta = book.config.book
    series = book.config.series
    if series is None:
        return meta, None
    subtitle = " — ".join(filter(None, (volume.title, volume.subtitle))) or meta.subtitle
    volume_meta = replace(
        meta, title=volume_title(series.title, volume), subtitle=subtitle, isbn=volume.isbn,
        identifier=f"{meta.identifier}-vol{volume.number:02d}" if meta.identifier else None, cover=volume.cover)
    listing = tuple((v.number, series_entry(v)) for v in book.volumes)
    return volume_meta, SeriesInfo(series.title, listing, volume.number)


def _title_from_body(body: str) -> tuple[str | None, str, int]:
    """If the body starts with a `# Heading`, return (heading, body without it, lines removed)."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        m = _ATX_H1.match(line)
        if m:
            # a heading id (`{#id}`, attr_list; `{/*id*/}`, MDX) is not part of the title
            title = _HEADING_ID.sub("", m.group(1)).strip() or m.group(1).strip()
            return title, "\n".join(lines[index + 1:]), index + 1
        if index + 1 < len(lines) and re.fullmatch(r"=+\s*", lines[index + 1]) and not line.startswith(" "):
            return line.strip(), "\n".join(lines[index + 2:]), index + 2
        break
    return None, body, 0


_KNOWN = {"title", "subtitle", "date", "author", "tags"}


def make_article(index: int, source: SourceFile, diag: Diagnostics) -> Article | None:
    if source.broken:
        return None
    meta = source.meta
    body, body_line = source.body, source.body_line
    title = meta.get("title")
    if not title:
        heading, body, skipped = _title_from_body(body)
        body_line += skipped
        title = heading
    if not title:
        diag.error("the article has no title", source.path, 1,
                   "add `title: …` to the front matter or start the text with `# Title`")
        return None
    if not body.strip():
        diag.error("the article has no text", source.path, source.body_line,
                   "write the article or remove the file")
        return None
    return Article(
        index=index, source=source, title=title, subtitle=meta.get("subtitle"), date=date_of(meta),
        author=meta.get("author"), tags=tuple(meta.get("tags") or ()), body=body, body_line=body_line,
        extra={k: v for k, v in meta.items() if k not in _KNOWN},
    )


def assemble(config: BookConfig, sources: list[SourceFile], diag: Diagnostics) -> Book:
    """Turn ordered sources into a Book. The reading order decided here is the order of the EPUB
    spine, nav, NCX, the PDF and its outline: nobody re-sorts after this."""
    articles = [a for a in (make_article(i, s, diag) for i, s in enumerate(sources, 1)) if a]
    diag.raise_if_errors(ArticleError)  # every problem of every article (reading, front matter, text)
    volumes = cut(config, articles, diag)
    diag.raise_if_errors(ArticleError)
    return Book(config=config, volumes=tuple(volumes))


def cut(config: BookConfig, articles: list[Article], diag: Diagnostics) -> list[Volume]:
    """Cut the ordered articles into volumes by the series' one rule (or none: one volume)."""
    series = config.series
    if series is None:
        return [Volume(1, tuple(articles))]
    if series.per_volume:
        n = series.per_volume
        return [Volume(i + 1, tuple(articles[start:start + n])) for i, start in enumerate(range(0, len(articles), n))]
    if series.by:
        undated = [a for a in articles if a.date is None]
        for article in undated:
            diag.error(f"the series is cut by {series.by}, but this article has no date", article.path, 1,
                       "add `date: YYYY-MM-DD` to its front matter")
        if undated:
            return []
        groups: list[tuple[str, list[Article]]] = []
        for article in articles:
            assert article.date is not None
            key = (f"{article.date.year}년" if series.by == "year"
                   else f"{article.date.year}년 {article.date.month}월")
            if groups and groups[-1][0] == key:
                groups[-1][1].append(article)
            else:
                if any(existing == key for existing, _ in groups):
                    diag.warn(f"{key} comes back after other dates: it starts another volume", article.path, 1,
                              "order the articles by date, or list [[volumes]] yourself")
                groups.append((key, [article]))
        return [Volume(i + 1, tuple(group), title=key) for i, (key, group) in enumerate(groups)]
    return _explicit(config, articles, diag)


def _explicit(config: BookConfig, articles: list[Article], diag: Diagnostics) -> list[Volume]:
    assert config.series is not None
    by_name = {a.path.name: i for i, a in enumerate(articles)}
    used: dict[str, int] = {}
    volumes = []
    for number, spec in enumerate(config.series.volumes, 1):
        where = f"[[volumes]] #{number}"
        if spec.files is not None:
            names = list(spec.files)
        else:
            assert spec.first is not None and spec.last is not None
            bounds = [by_name.get(spec.first), by_name.get(spec.last)]
            for name, index in ((spec.first, bounds[0]), (spec.last, bounds[1])):
                if index is None:
                    diag.error(f"{where} names {name!r}, which is not an article of the book", config.path, spec.line)
            if None in bounds:
                continue
            start, end = bounds[0], bounds[1]
            assert start is not None and end is not None
            if start > end:
                diag.error(f"{where}: {spec.first!r} comes after {spec.last!r} in the reading order", config.path,
                           spec.line)
                continue
            names = [a.path.name for a in articles[start:end + 1]]
        chosen = []
        for name in names:
            if name not in by_name:
                diag.error(f"{where} names {name!r}, which is not an article of the book", config.path, spec.line)
            elif name in used:
                diag.error(f"{name!r} is in volume {used[name]} and {number}", config.path, spec.line,
                           "an article belongs to one volume")
            else:
                used[name] = number
                chosen.append(articles[by_name[name]])
        if not chosen:
            diag.error(f"{where} has no articles", config.path, spec.line)
        volumes.append(Volume(number, tuple(chosen), title=spec.title, subtitle=spec.subtitle, cover=spec.cover,
                              isbn=spec.isbn))
    left_out = [a.path.name for a in articles if a.path.name not in used]
    if left_out:
        shown = ", ".join(left_out[:8]) + (f" and {len(left_out) - 8} more" if len(left_out) > 8 else "")
        diag.warn(f"{len(left_out)} articles are in no [[volumes]] entry and are left out: {shown}", config.path,
                  None, "add them to a volume, or remove them from the article folder")
    return volumes
