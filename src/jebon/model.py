"""The book as data: Article, Volume, Book (frozen, no I/O); `assemble` decides the order once."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import BookConfig
from .errors import ArticleError, Diagnostics
from .sources import SourceFile, date_of

_ATX_H1 = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$")


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
    """The articles that make one output book (a whole book is one volume until series land)."""

    number: int
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Book:
    config: BookConfig
    volumes: tuple[Volume, ...]

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for v in self.volumes for a in v.articles)


def _title_from_body(body: str) -> tuple[str | None, str, int]:
    """If the body starts with a `# Heading`, return (heading, body without it, lines removed)."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        m = _ATX_H1.match(line)
        if m:
            return m.group(1).strip(), "\n".join(lines[index + 1:]), index + 1
        if index + 1 < len(lines) and re.fullmatch(r"=+\s*", lines[index + 1]) and not line.startswith(" "):
            return line.strip(), "\n".join(lines[index + 2:]), index + 2
        break
    return None, body, 0


_KNOWN = {"title", "subtitle", "date", "author", "tags"}


def make_article(index: int, source: SourceFile, diag: Diagnostics) -> Article | None:
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
    diag.raise_if_errors(ArticleError)
    return Book(config=config, volumes=(Volume(1, tuple(articles)),))
