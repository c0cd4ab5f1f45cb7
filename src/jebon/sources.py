"""Find, decode and order article files, and split their YAML front matter (errors give path:line)."""

from __future__ import annotations

import datetime as dt
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .cache import FORMAT, Cache, digest, package_version
from .config import BookConfig, parse_date
from .errors import Diagnostics

# Characters XML 1.0 forbids, plus lone surrogates and non-characters.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


@dataclass(frozen=True)
class SourceFile:
    """One article file, decoded, with its front matter split off."""

    path: Path
    meta: dict[str, Any]
    body: str
    body_line: int
    """1-based line number in the file where `body` starts."""
    text: str = field(repr=False, default="")
    """The whole decoded file (for locating things by line)."""
    broken: bool = False
    """Its front matter had errors (already reported): it is not checked further."""



def natural_key(name: str) -> list[object]:
    """Sort key that puts `2-x.md` before `10-x.md`."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)]


def discover(config: BookConfig, diag: Diagnostics) -> list[Path]:
    """The article files in reading order: `[articles] order`, else file names sorted naturally."""
    folder = config.articles.dir
    found = sorted((p for p in folder.glob("*.md") if p.is_file()), key=lambda p: natural_key(p.name))
    if config.articles.order is None:
        if not found:
            diag.error(f"no articles (*.md) in {folder}", config.path, None,
                       "add Markdown files to the article folder")
        return found
    chosen: list[Path] = []
    seen: set[str] = set()
    line = _order_line(config.path)
    for name in config.articles.order:
        path = folder / name
        if name in seen:
            diag.error(f"`order` names {name!r} twice", config.path, line, "list each article once")
            continue
        seen.add(name)
        if not path.is_file():
            diag.error(f"`order` names {name!r}, which is not a file in {folder}", config.path, line,
                       "fix the name or remove it from [articles] order")
            continue
        chosen.append(path)
    for path in found:
        if path.name not in seen:
            diag.warn(f"{path.name} is not in [articles] order and is left out", config.path, line,
                      "add it to `order` to include it")
    if not chosen and not diag.errors:
        diag.error("[articles] order is empty", config.path, line)
    return chosen


def _order_line(path: Path) -> int | None:
    for number, line in enumerate(path.read_text("utf-8-sig").splitlines(), start=1):
        if re.match(r"\s*order\s*=", line):
            return number
    return None


def decode(path: Path, raw: bytes, diag: Diagnostics, encoding: str = "utf-8") -> str | None:
    """UTF-8 with or without BOM (or the book's `[articles] encoding`); anything else is an error that
    says what the file seems to be and how to fix it."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        diag.error("the file is UTF-16, not UTF-8", path, 1,
                   'save it as UTF-8, or set [articles] encoding = "utf-16" in book.toml')
        return None
    codec = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = f"save it as {encoding}"
        if codec == "utf-8-sig":
            try:
                raw.decode("cp949")
                hint = ('it looks like CP949/EUC-KR: convert it with `iconv -f cp949 -t utf-8`, '
                        'or set [articles] encoding = "cp949" in book.toml')
            except UnicodeDecodeError:
                pass
        diag.error(f"the file is not valid {encoding}", path, line, hint)
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = list(_BAD_CHARS.finditer(text))
    if bad:
        line = text.count("\n", 0, bad[0].start()) + 1
        kinds = ", ".join(sorted({f"U+{ord(m.group()):04X}" for m in bad}))
        diag.warn(f"{len(bad)} control or invalid character(s) removed ({kinds})", path, line,
                  "they are invisible and not allowed in an EPUB")
        text = _BAD_CHARS.sub("", text)
    return text


def _parse_yaml(block: str, cache: Cache | None) -> Any:
    """The front matter block parsed (libyaml's safe loader when PyYAML has it, about ten times
    faster than the Python one), remembered by its text in `cache`; raise yaml.YAMLError. PyYAML is
    imported only when a block is not in the cache."""
    if not block.strip():
        return {}
    key = digest(FORMAT, __version__, "front-matter", package_version("yaml"), block)
    meta = cache.read("front-matter", key, pickle.loads) if cache is not None else None
    if meta is not None:
        return meta
    import yaml

    try:
        meta = yaml.load(block, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        meta = yaml.safe_load(block)  # the pure-Python parser's message and line are the clearer ones
    if cache is not None and isinstance(meta, dict):
        cache.put("front-matter", key, pickle.dumps(meta, protocol=5))
    return meta


def split_front_matter(path: Path, text: str, diag: Diagnostics,
                       cache: Cache | None = None) -> tuple[dict[str, Any], str, int]:
    """(front matter mapping, body, 1-based line of the body)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            break
    else:
        diag.error("front matter opened with `---` on line 1 is never closed", path, 1,
                   "add a line `---` after the front matter")
        return {}, text, 1
    block = "\n".join(lines[1:index])
    body = "\n".join(lines[index + 1:])
    try:
        meta = _parse_yaml(block, cache)
    except Exception as exc:
        import yaml

        if not isinstance(exc, yaml.YAMLError):
            raise
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        diag.error(f"invalid YAML in front matter: {problem}", path, line,
                   "quote values that contain `:` or start with a special character")
        return {}, body, index + 2
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        diag.error("front matter must be `key: value` lines, not a list or a single value", path, 2)
        return {}, body, index + 2
    return meta, body, index + 2


_STR_KEYS = ("title", "subtitle", "author")


def check_meta(path: Path, text: str, meta: dict[str, Any], diag: Diagnostics) -> dict[str, Any]:
    """Check the known front-matter keys' types; other keys are kept as they are."""

    def line_of(key: str) -> int:
        for number, line in enumerate(text.split("\n")[1:], start=2):
            if re.match(rf"\s*{re.escape(key)}\s*:", line):
                return number
        return 1

    clean = {str(k): v for k, v in meta.items()}
    for key in _STR_KEYS:
        value = clean.get(key)
        if value is None:
            clean.pop(key, None)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            clean[key] = str(value)
        elif not isinstance(value, str):
            diag.error(f"front matter `{key}` must be text", path, line_of(key), f'write {key}: "…"')
            clean.pop(key)
        else:
            clean[key] = value.strip()
    if "date" in clean and clean["date"] is not None:
        date = parse_date(clean["date"])
        if date is None:
            diag.error(f"front matter `date` {clean['date']!r} is not a date", path, line_of("date"),
                       "write date: 2025-03-15")
            clean.pop("date")
        else:
            clean["date"] = date
    mode = clean.get("line_break")
    if mode is not None and mode not in ("word", "balanced", "syllable"):
        diag.error(f"front matter `line_break` must be word, balanced or syllable, not {mode!r}", path,
                   line_of("line_break"))
        clean.pop("line_break")
    tags = clean.get("tags")
    if tags is not None:
        if isinstance(tags, str):
            clean["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
        elif isinstance(tags, list) and all(isinstance(t, str | int) for t in tags):
            clean["tags"] = [str(t) for t in tags]
        else:
            diag.error("front matter `tags` must be a list of words", path, line_of("tags"),
                       "write tags: [종이, 제본]")
            clean.pop("tags")
    return clean


def read(path: Path, diag: Diagnostics, encoding: str = "utf-8", cache: Cache | None = None) -> SourceFile | None:
    """Read one article; problems go to `diag`, and None is returned when it cannot be used."""
    text = decode(path, path.read_bytes(), diag, encoding)
    if text is None:
        return None
    errors = len(diag.errors)
    meta, body, body_line = split_front_matter(path, text, diag, cache)
    meta = check_meta(path, text, meta, diag)
    return SourceFile(path=path, meta=meta, body=body, body_line=body_line, text=text,
                      broken=len(diag.errors) > errors)


def collect(config: BookConfig, diag: Diagnostics, cache: Cache | None = None) -> list[SourceFile]:
    """Every readable article of the book, decoded and split, in reading order. Problems go to
    `diag`; the caller raises once the articles themselves have been checked too. Front matter
    already parsed is taken from `cache`."""
    return [s for s in (read(p, diag, config.articles.encoding, cache) for p in discover(config, diag))
            if s is not None]


def date_of(meta: dict[str, Any]) -> dt.date | None:
    value = meta.get("date")
    return value if isinstance(value, dt.date) else None
