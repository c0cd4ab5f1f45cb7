"""What an importer reads from one saved file: a Page (one article: title, dates, body as Markdown,
images) or an ArticleList (a magazine, a brunchbook or a list of addresses: the articles in order)."""

from __future__ import annotations

import codecs
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import Diagnostics


@dataclass(frozen=True)
class PageImage:
    """An image saved beside the page, already read and checked. The page's Markdown links it as
    `target`, a placeholder that the importer replaces by the image's path in the book."""

    source: Path
    data: bytes
    extension: str
    """`png`, `jpg`, … (from the bytes, not from the file name)."""
    target: str


@dataclass(frozen=True)
class Page:
    """One article read from a saved page, ready to be written as Markdown."""

    source: Path
    title: str
    subtitle: str | None
    author: str | None
    date: dt.date | None
    tags: tuple[str, ...]
    url: str | None
    """The article's original address (canonical link, og:url, or a URL in the copied text)."""
    magazine: str | None
    body: str
    """Markdown; images are linked by their PageImage.target placeholders."""
    images: tuple[PageImage, ...] = ()
    date_line: int | None = None
    """Where the date is (or should be), for messages."""
    date_text: str | None = None
    """What the page shows as its date when it could not be read as one (`3시간전`)."""
    date_guessed: bool = False
    """The date is the saved file's modification date (--date-from-mtime), not the page's."""
    aliases: tuple[str, ...] = ()
    """Every address the page names for itself (`url` first): Brunch gives an article two, `/@author/12`
    and `/@@id/12`, and a list may use either."""


@dataclass(frozen=True)
class ReadOptions:
    """How a page's body lines are read (the command line's --lines and --h4)."""

    lines: bool = False
    """Keep every line, blank ones too (poems): blank lines stay empty lines instead of one paragraph break."""
    h4: str = "auto"
    """`h4`/`h5`/`h6` body lines: "auto" (text, unless they look like headings), "heading" or "text"."""


H4_CHOICES = ("auto", "heading", "text")


@dataclass(frozen=True)
class ListEntry:
    """One article named by a list: its address, its title when the list shows one, and where it is."""

    url: str
    title: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class ArticleList:
    """The articles of a magazine or brunchbook page, or of a text file of addresses, in the list's order."""

    source: Path
    kind: str
    """`magazine`, `brunchbook` or `addresses` (a text file)."""
    title: str | None
    url: str | None
    entries: tuple[ListEntry, ...]


def image_target(number: int) -> str:
    """A placeholder link target for the n-th image of a page. NUL cannot occur in page text (it is
    removed when the file is decoded), so the placeholder cannot be confused with the text."""
    return f"\x00image-{number}\x00"


# -- decoding --------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Invisible characters that copying and saving leave behind; XML 1.0 forbids the control characters.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff\ud800-\udfff\ufffe\uffff]")


def decode(path: Path, raw: bytes, diag: Diagnostics) -> str | None:
    """Text of a saved page: a BOM (UTF-8/UTF-16) decides, then an HTML `<meta charset>`, else UTF-8.
    Bytes that do not decode are an error naming the file and line; None is returned then."""
    if raw.startswith(codecs.BOM_UTF8):
        encoding, raw = "utf-8", raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        m = _META_CHARSET.search(raw[:4096])
        encoding = m.group(1).decode("ascii").lower() if m else "utf-8"
        try:
            codecs.lookup(encoding)
        except LookupError:
            encoding = "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = "save the page again as UTF-8"
        try:
            raw.decode("cp949")
            hint = f"it looks like CP949/EUC-KR: convert it with `iconv -f cp949 -t utf-8 {path.name}`"
        except UnicodeDecodeError:
            pass
        diag.error(f"the file is not valid {encoding} text (byte 0x{raw[exc.start]:02x})", path, line, hint)
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _INVISIBLE.sub("", text))


# -- dates --------------------------------------------------------------------------------------

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")), start=1) for name in names}
DATE_PATTERN = (
    # Brunch: `Mar 29. 2024` (also `Mar 29, 2024`, `March 29 2024`)
    r"(?P<mon>[A-Za-z]{3,9})\.?\s*(?P<day>\d{1,2})\s*[.,]?\s*(?P<year>\d{4})"
    # `2024-03-29`, `2024.03.29`, `2024. 3. 29.`, `2024/3/29`
    r"|(?P<y>\d{4})\s*[-./]\s*(?P<m>\d{1,2})\s*[-./]\s*(?P<d>\d{1,2})\.?"
    # `2024년 3월 29일`
    r"|(?P<ky>\d{4})년\s*(?P<km>\d{1,2})월\s*(?P<kd>\d{1,2})일"
)
_DATE = re.compile(DATE_PATTERN)


def parse_page_date(text: str) -> dt.date | None:
    """A date as Brunch and Korean pages write it (`Mar 29. 2024`, `2024. 3. 29.`, `2024년 3월 29일`,
    an ISO date or timestamp), searched in `text`; None when there is none or it is impossible."""
    m = _DATE.search(text)
    while m:
        try:
            if m.group("mon"):
                month = _MONTHS.get(m.group("mon").lower())
                if month:
                    return dt.date(int(m.group("year")), month, int(m.group("day")))
            elif m.group("y"):
                return dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            else:
                return dt.date(int(m.group("ky")), int(m.group("km")), int(m.group("kd")))
        except ValueError:
            pass
        m = _DATE.search(text, m.end())
    return None
