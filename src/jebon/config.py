"""book.toml: a typed, fully checked schema; every bad key is reported with its file and line."""

from __future__ import annotations

import codecs
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, Diagnostics

CONFIG_NAME = "book.toml"


@dataclass(frozen=True)
class BookMeta:
    """The `[book]` table."""

    title: str
    """The book's title (required)."""
    authors: tuple[str, ...] = ()
    """`author = "…"` or `authors = ["…", "…"]`."""
    language: str = "ko"
    """BCP 47 language tag of the text."""
    subtitle: str | None = None
    publisher: str | None = None
    date: dt.date | None = None
    """Publication date, `YYYY-MM-DD` (TOML date or string)."""
    description: str | None = None
    identifier: str | None = None
    """Any unique identifier (URN, URL, UUID); derived from title and authors when absent."""
    isbn: str | None = None
    """ISBN-10 or ISBN-13 with a valid check digit; becomes the identifier `urn:isbn:…`."""
    cover: Path | None = None
    """Cover image, relative to the book folder; a typographic cover is generated when absent."""
    tags: tuple[str, ...] = ()
    """Subjects (dc:subject)."""


@dataclass(frozen=True)
class ArticlesConfig:
    """The `[articles]` table."""

    dir: Path
    """Folder of the `*.md` articles, relative to the book folder (default `articles`)."""
    order: tuple[str, ...] | None = None
    """Explicit reading order as file names; default: file names sorted naturally."""
    encoding: str = "utf-8"
    """Text encoding of the articles (e.g. `cp949` for files saved by older Korean editors)."""


@dataclass(frozen=True)
class EpubConfig:
    """The `[epub]` table."""

    toc_depth: int = 2
    """1 = articles only; 2 = articles and their `##` headings; 3 = also `###`."""
    stores: bool = False
    """The EPUB goes to e-book stores: `jebon check` and `build` note a book (or volume) without an
    ISBN (Korean stores and most distributors ask for one; KDP and Google Play give their own ids)."""
    accessibility_claim: bool = False
    """Claim EPUB Accessibility 1.1 (WCAG 2.1 AA) in the metadata, for the publisher who stands
    behind it; jebon claims it only when its own checks pass, and names what fails otherwise."""
    line: int | None = None
    """book.toml's line of the `[epub]` table (for notes about it)."""


@dataclass(frozen=True)
class PdfConfig:
    """The `[pdf]` table; None means "not set here" (the profile or the default decides)."""

    trim: str | None = None
    """Named trim (`46`, `sinkukpan`, `a5`, `b5`, `6x9in`) or `WIDTHxHEIGHT` with mm/in/cm."""
    bleed: str | None = None
    """Bleed on each outer edge, e.g. `3mm`, `0.125in`, `0`."""
    marks: bool | None = None
    """Crop marks."""
    variant: str | None = None
    """`pdf/x-4`, `pdf/x-1a`, `pdf/a-2b`, `pdf/ua-1` or `none`."""
    bookmarks: bool | None = None
    """PDF outline (bookmarks) mirroring the table of contents."""
    color: str | None = None
    """`rgb` or `cmyk` output intent."""
    profile: str | None = None
    """`kdp`, `lulu`, `ingramspark`, `bookk`: one word sets what that service wants."""
    toc_depth: int | None = None
    """Depth of the printed table of contents (1–3; default: the [epub] toc_depth)."""
    font_size: float | None = None
    """Body text size in points (default 10)."""


@dataclass(frozen=True)
class TypographyConfig:
    """The `[typography]` table: Korean text rules for both formats (line breaking applies to the PDF;
    the EPUB's readers break by word with CSS `word-break: keep-all`)."""

    line_break: str = "word"
    """`word` (어절 단위: a word never breaks inside), `balanced` (by word, but a word may split
    between syllables where that saves a badly spaced line; the PDF's total fit decides) or `syllable`
    (글자 단위); per article with front matter `line_break:`, per paragraph with
    `{: .break-syllable }` / `{: .break-balanced }` / `{: .break-word }`."""
    justify: bool = True
    """Justified text; false gives ragged-right."""
    ellipsis: bool = True
    """`...` → `…`"""
    quotes: bool = True
    """Straight quotes → “ ” ‘ ’"""
    dashes: bool = True
    """`--` → —"""
    middle_dot: bool = True
    """No spaces around a middle dot between words (`서울 · 부산` → `서울·부산`)."""
    emphasis_marks: str = "none"
    """`em`, `strong` or `none`: which Markdown emphasis is set with emphasis marks (드러냄표)."""
    ruby: bool = True
    """`{漢字|한자}` → ruby (the reading over the Hanja)."""


@dataclass(frozen=True)
class VolumeSpec:
    """One `[[volumes]]` entry: which articles make the volume, and how it is titled."""

    title: str | None = None
    subtitle: str | None = None
    first: str | None = None
    last: str | None = None
    files: tuple[str, ...] | None = None
    cover: Path | None = None
    isbn: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class SeriesConfig:
    """The `[series]` table (and `[[volumes]]`): how the ordered articles are cut into volumes."""

    title: str
    """The series title (default: the book title)."""
    per_volume: int | None = None
    """Cut every N articles."""
    by: str | None = None
    """`year` or `month`: cut by the articles' dates."""
    volumes: tuple[VolumeSpec, ...] = ()
    """An explicit list of volumes."""


@dataclass(frozen=True)
class BookConfig:
    """Everything book.toml says, with paths resolved against the book folder."""

    root: Path
    path: Path
    book: BookMeta
    articles: ArticlesConfig
    epub: EpubConfig = field(default_factory=EpubConfig)
    pdf: PdfConfig = field(default_factory=PdfConfig)
    typography: TypographyConfig = field(default_factory=TypographyConfig)
    series: SeriesConfig | None = None
    """None: the book is one volume."""

    @property
    def slug(self) -> str:
        return self.root.resolve().name


# ---------------------------------------------------------------------------
# Locating keys in the TOML text (tomllib keeps no positions)

_TABLE_RE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map (table, key) and (table,) to 1-based line numbers, for error messages. The n-th table of
    an array of tables (`[[volumes]]`) is (name, "n"), counted from 1."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = _TABLE_RE.match(line)
        if m:
            table = tuple(part.strip().strip("\"'") for part in m.group(1).split("."))
            lines.setdefault(table, number)
            if line.strip().startswith("[["):
                arrays[table] = arrays.get(table, 0) + 1
                table = (*table, str(arrays[table]))
                lines.setdefault(table, number)
            continue
        m = _KEY_RE.match(line)
        if m:
            lines.setdefault((*table, m.group(1).strip('"')), number)
    return lines


class _Checker:
    """Type checks for one table, collecting every problem into Diagnostics."""

    def __init__(self, path: Path, text: str, diag: Diagnostics) -> None:
        self.path = path
        self.lines = _key_lines(text)
        self.diag = diag

    def line(self, *key: str) -> int | None:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None

    def error(self, key: tuple[str, ...], message: str, hint: str | None = None) -> None:
        self.diag.error(message, self.path, self.line(*key), hint)

    def table(self, data: dict[str, Any], name: str, allowed: dict[str, str]) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.error((name,), f"`{name}` must be a table ([{name}])")
            return {}
        for key in value:
            if key not in allowed:
                self.error((name, key), f"unknown key `{key}` in [{name}]",
                           "allowed keys: " + ", ".join(sorted(allowed)))
        return value

    def string(self, table: dict[str, Any], tname: str, key: str, *, required: bool = False) -> str | None:
        if key not in table:
            if required:
                self.error((tname,), f"[{tname}] needs `{key}`", f'add a line: {key} = "…"')
            return None
        value = table[key]
        if not isinstance(value, str):
            self.error((tname, key), f"`{key}` must be a string, not {_type_name(value)}",
                       f'write {key} = "…"')
            return None
        if not value.strip():
            self.error((tname, key), f"`{key}` is empty")
            return None
        return value.strip()

    def strings(self, table: dict[str, Any], tname: str, key: str) -> tuple[str, ...] | None:
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error((tname, key), f"`{key}` must be a list of strings", f'write {key} = ["…", "…"]')
            return None
        return tuple(v.strip() for v in value if v.strip())


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a table",
            str: "a string"}.get(type(value), type(value).__name__)


_BOOK_KEYS = {
    "title": "str", "author": "str", "authors": "list[str]", "language": "str", "subtitle": "str",
    "publisher": "str", "date": "date", "description": "str", "identifier": "str", "isbn": "str",
    "cover": "path", "tags": "list[str]",
}
_ARTICLES_KEYS = {"dir": "path", "order": "list[str]", "encoding": "str"}
_EPUB_KEYS = {"toc_depth": "int", "stores": "bool", "accessibility_claim": "bool"}
_PDF_KEYS = {"trim": "str", "bleed": "str", "marks": "bool", "variant": "str", "bookmarks": "bool",
             "color": "str", "profile": "str", "toc_depth": "int", "font_size": "number"}
_TYPO_KEYS = {"line_break": "str", "justify": "bool", "ellipsis": "bool", "quotes": "bool", "dashes": "bool",
              "middle_dot": "bool", "emphasis_marks": "str", "ruby": "bool"}
_SERIES_KEYS = {"title": "str", "per_volume": "int", "by": "str"}
_VOLUME_KEYS = {"title": "str", "subtitle": "str", "first": "str", "last": "str", "files": "list[str]",
                "cover": "path", "isbn": "str"}
_TABLES = {"book", "articles", "epub", "pdf", "typography", "series", "volumes"}


def isbn_is_valid(isbn: str) -> bool:
    """Check an ISBN-10 or ISBN-13 (hyphens and spaces allowed) by its check digit."""
    digits = re.sub(r"[\s-]", "", isbn).upper()
    if re.fullmatch(r"\d{13}", digits):
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits[:12]))
        return (10 - total % 10) % 10 == int(digits[12])
    if re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    return False


def parse_date(value: object) -> dt.date | None:
    """A TOML/YAML date, or a `YYYY-MM-DD`, `YYYY-MM` or `YYYY` string; None when it is none of those."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%Y-%m", "%Y", "%Y.%m.%d", "%Y/%m/%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    return None


def load(book_dir: Path | str) -> BookConfig:
    """Read and check `book_dir/book.toml`; raise ConfigError listing every problem."""
    root = Path(book_dir)
    path = root / CONFIG_NAME
    if not root.is_dir():
        raise ConfigError(f"{root}: no such book folder (give the folder that holds {CONFIG_NAME})")
    if not path.is_file():
        raise ConfigError(f"{path}: not found (run `jebon new {root}` to start a book)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 (save book.toml as UTF-8)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise ConfigError(f"{where}: invalid TOML: {message}") from None

    diag = Diagnostics()
    check = _Checker(path, text, diag)
    for name in data:
        if name not in _TABLES:
            check.error((name,), f"unknown table or key `{name}`",
                        "book.toml has the tables [book], [articles], [epub], [pdf], [typography], [series] "
                        "and [[volumes]]")
    if "book" not in data:
        diag.error("book.toml needs a [book] table with a title", path, 1, '[book]\ntitle = "…"')
    book = check.table(data, "book", _BOOK_KEYS)
    title = check.string(book, "book", "title", required="book" in data)

    authors: tuple[str, ...] = ()
    if "author" in book and "authors" in book:
        check.error(("book", "authors"), "give either `author` or `authors`, not both")
    elif "author" in book:
        author = check.string(book, "book", "author")
        authors = (author,) if author else ()
    elif "authors" in book:
        authors = check.strings(book, "book", "authors") or ()

    language = check.string(book, "book", "language") or "ko"
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", language):
        check.error(("book", "language"), f"`language` {language!r} is not a language tag", 'e.g. "ko"')

    date = None
    if "date" in book:
        date = parse_date(book["date"])
        if date is None:
            check.error(("book", "date"), f"`date` {book['date']!r} is not a date", "write date = 2026-03-01")

    identifier = check.string(book, "book", "identifier")
    isbn = check.string(book, "book", "isbn")
    if isbn and not isbn_is_valid(isbn):
        check.error(("book", "isbn"), f"`isbn` {isbn!r} is not a valid ISBN-10/13 (check digit)")
        isbn = None
    if isbn and identifier:
        check.error(("book", "isbn"), "give either `identifier` or `isbn`, not both")

    cover: Path | None = None
    cover_name = check.string(book, "book", "cover")
    if cover_name:
        cover = (root / cover_name).resolve()
        if not cover.is_file():
            check.error(("book", "cover"), f"cover image {cover_name!r} does not exist",
                        "give a path relative to the book folder, or remove `cover` to get a generated one")
            cover = None

    tags = check.strings(book, "book", "tags") or ()

    articles = check.table(data, "articles", _ARTICLES_KEYS)
    dir_name = check.string(articles, "articles", "dir") or "articles"
    art_dir = root / dir_name
    if not art_dir.is_dir():
        key = ("articles", "dir") if "dir" in articles else ("book",)
        check.error(key, f"article folder {dir_name!r} does not exist",
                    f"create {art_dir} with your *.md articles or set [articles] dir")
    order = check.strings(articles, "articles", "order")
    encoding = check.string(articles, "articles", "encoding") or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        check.error(("articles", "encoding"), f"unknown encoding {encoding!r}", 'e.g. "utf-8" or "cp949"')
        encoding = "utf-8"

    epub = check.table(data, "epub", _EPUB_KEYS)
    toc_depth = 2
    if "toc_depth" in epub:
        value = epub["toc_depth"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3:
            check.error(("epub", "toc_depth"), "`toc_depth` must be 1, 2 or 3")
        else:
            toc_depth = value
    flags: dict[str, bool] = {}
    for flag in ("stores", "accessibility_claim"):
        if flag in epub:
            if isinstance(epub[flag], bool):
                flags[flag] = epub[flag]
            else:
                check.error(("epub", flag), f"`{flag}` must be true or false")

    pdf = _pdf_table(check, data)
    typography = _typography_table(check, data)
    series = _series_table(check, data, root, title or "")
    if series is not None and isbn:
        check.error(("book", "isbn"), "a series cannot share one ISBN",
                    "give each volume its own: isbn = \"…\" in its [[volumes]] entry")

    diag.raise_if_errors(ConfigError)
    assert title is not None
    return BookConfig(
        root=root,
        path=path,
        book=BookMeta(
            title=title, authors=authors, language=language,
            subtitle=check.string(book, "book", "subtitle"),
            publisher=check.string(book, "book", "publisher"), date=date,
            description=check.string(book, "book", "description"),
            identifier=identifier, isbn=isbn, cover=cover, tags=tags,
        ),
        articles=ArticlesConfig(dir=art_dir, order=order, encoding=encoding),
        epub=EpubConfig(toc_depth=toc_depth, line=check.line("epub"), **flags),
        pdf=pdf,
        typography=typography,
        series=series,
    )


def _series_table(check: _Checker, data: dict[str, Any], root: Path, book_title: str) -> SeriesConfig | None:
    if "series" not in data and "volumes" not in data:
        return None
    table = check.table(data, "series", _SERIES_KEYS)
    title = check.string(table, "series", "title") or book_title
    per_volume = table.get("per_volume")
    if per_volume is not None and (isinstance(per_volume, bool) or not isinstance(per_volume, int) or per_volume < 1):
        check.error(("series", "per_volume"), "`per_volume` must be a whole number of articles, 1 or more")
        per_volume = None
    by = check.string(table, "series", "by")
    if by is not None and by not in ("year", "month"):
        check.error(("series", "by"), f"`by` must be year or month, not {by!r}")
        by = None
    raw_volumes = data.get("volumes", [])
    if not isinstance(raw_volumes, list):
        check.error(("volumes",), "write each volume as a [[volumes]] table")
        raw_volumes = []
    volumes = []
    for index, entry in enumerate(raw_volumes, start=1):
        name = ("volumes", str(index))
        if not isinstance(entry, dict):
            check.error(name, "write each volume as a [[volumes]] table")
            continue
        for key in entry:
            if key not in _VOLUME_KEYS:
                check.error((*name, key), f"unknown key `{key}` in [[volumes]] #{index}",
                            "allowed keys: " + ", ".join(sorted(_VOLUME_KEYS)))
        where = f"[[volumes]] #{index}"

        def text(key: str, entry: dict[str, Any] = entry, name: tuple[str, ...] = name,
                 where: str = where) -> str | None:
            value = entry.get(key)
            if value is None:
                return None
            if not isinstance(value, str) or not value.strip():
                check.error((*name, key), f"`{key}` in {where} must be a non-empty string")
                return None
            return value.strip()

        files = entry.get("files")
        if files is not None and (not isinstance(files, list) or not all(isinstance(f, str) for f in files)):
            check.error((*name, "files"), f"`files` in {where} must be a list of article file names")
            files = None
        first, last = text("first"), text("last")
        if files is None and (first is None or last is None):
            check.error(name, f"{where} needs `first` and `last`, or `files`")
        cover = None
        cover_name = text("cover")
        if cover_name:
            cover = (root / cover_name).resolve()
            if not cover.is_file():
                check.error((*name, "cover"), f"cover image {cover_name!r} of {where} does not exist")
                cover = None
        isbn = text("isbn")
        if isbn and not isbn_is_valid(isbn):
            check.error((*name, "isbn"), f"`isbn` {isbn!r} of {where} is not a valid ISBN-10/13")
            isbn = None
        volumes.append(VolumeSpec(title=text("title"), subtitle=text("subtitle"), first=first, last=last,
                                  files=tuple(files) if files is not None else None, cover=cover, isbn=isbn,
                                  line=check.line(*name)))
    rules = [rule for rule, given in (("per_volume", per_volume), ("by", by), ("[[volumes]]", volumes)) if given]
    if len(rules) != 1:
        check.error(("series",), "a series needs exactly one way of cutting volumes: "
                    + ("it has " + " and ".join(rules) if rules else "none is given"),
                    "set per_volume = N, by = \"year\" | \"month\", or list [[volumes]]")
    return SeriesConfig(title=title, per_volume=per_volume, by=by, volumes=tuple(volumes))


def _typography_table(check: _Checker, data: dict[str, Any]) -> TypographyConfig:
    table = check.table(data, "typography", _TYPO_KEYS)
    values: dict[str, Any] = {}
    for key, kind in _TYPO_KEYS.items():
        if key not in table:
            continue
        value = table[key]
        if kind == "bool":
            if isinstance(value, bool):
                values[key] = value
            else:
                check.error(("typography", key), f"`{key}` must be true or false")
    line_break = check.string(table, "typography", "line_break")
    if line_break is not None:
        if line_break in ("word", "balanced", "syllable"):
            values["line_break"] = line_break
        else:
            check.error(("typography", "line_break"),
                        f"`line_break` must be word, balanced or syllable, not {line_break!r}")
    marks = check.string(table, "typography", "emphasis_marks")
    if marks is not None:
        if marks in ("em", "strong", "none"):
            values["emphasis_marks"] = marks
        else:
            check.error(("typography", "emphasis_marks"), f"`emphasis_marks` must be em, strong or none, not {marks!r}")
    return TypographyConfig(**values)

def _pdf_table(check: _Checker, data: dict[str, Any]) -> PdfConfig:
    from .printing import COLORS, PROFILES, VARIANTS, length_mm, trim_mm

    table = check.table(data, "pdf", _PDF_KEYS)
    values: dict[str, Any] = {}
    for key in ("marks", "bookmarks"):
        if key in table:
            if isinstance(table[key], bool):
                values[key] = table[key]
            else:
                check.error(("pdf", key), f"`{key}` must be true or false")
    profile = check.string(table, "pdf", "profile")
    if profile is not None and profile not in PROFILES:
        check.error(("pdf", "profile"), f"unknown profile {profile!r}", "choose " + ", ".join(PROFILES))
        profile = None
    values["profile"] = profile
    trim = check.string(table, "pdf", "trim")
    if trim is not None and trim_mm(trim, PROFILES.get(profile or "")) is None:
        check.error(("pdf", "trim"), f"`trim` {trim!r} is not a trim size",
                    'use 46, sinkukpan, a5, b5, 6x9in or e.g. "130x200mm"')
        trim = None
    values["trim"] = trim
    bleed = check.string(table, "pdf", "bleed") if not isinstance(table.get("bleed"), int) else str(table["bleed"])
    if bleed is not None and (length_mm(bleed) is None or (length_mm(bleed) or 0) > 10):
        check.error(("pdf", "bleed"), f"`bleed` {bleed!r} is not a length up to 10 mm", 'e.g. "3mm" or "0.125in"')
        bleed = None
    values["bleed"] = bleed
    variant = check.string(table, "pdf", "variant")
    if variant is not None and variant != "none" and variant not in VARIANTS:
        check.error(("pdf", "variant"), f"unknown variant {variant!r}", "choose " + ", ".join((*VARIANTS, "none")))
        variant = None
    values["variant"] = variant
    color = check.string(table, "pdf", "color")
    if color is not None and color not in COLORS:
        check.error(("pdf", "color"), f"`color` must be rgb or cmyk, not {color!r}")
        color = None
    values["color"] = color
    if "toc_depth" in table:
        depth = table["toc_depth"]
        if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 3:
            check.error(("pdf", "toc_depth"), "`toc_depth` must be 1, 2 or 3")
        else:
            values["toc_depth"] = depth
    if "font_size" in table:
        size = table["font_size"]
        if isinstance(size, bool) or not isinstance(size, int | float) or not 7 <= size <= 16:
            check.error(("pdf", "font_size"), "`font_size` must be a number of points from 7 to 16")
        else:
            values["font_size"] = float(size)
    return PdfConfig(**values)
