"""Set `[articles] order` in an existing book.toml and leave every other byte as it was: the user's
other keys, their layout and their comments. The edit is checked by parsing the result: it must
hold exactly what the old file held, with the new order."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any


class OrderEditError(ValueError):
    """book.toml cannot be edited safely; the message says why."""


def toml_array(key: str, values: list[str], indent: str = "") -> str:
    """`key = [` one quoted value a line `]` (JSON's string escapes are valid TOML)."""
    inner = "".join(f"{indent}    {json.dumps(v, ensure_ascii=False)},\n" for v in values)
    return f"{key} = [\n{inner}{indent}]"


@dataclass(frozen=True)
class _Statement:
    kind: str
    """`table` (a `[name]` or `[[name]]` header) or `key` (`key = value`)."""
    name: str
    """The table's or key's dotted name, quotes removed."""
    start: int
    """Offset of the statement's first character."""
    value_start: int
    value_end: int
    """The value's span (for a header: the header itself); a comment after it is not in it."""
    line_end: int
    """Offset just after the statement's line (after its comment and newline)."""


def set_order(text: str, order: list[str]) -> str:
    """book.toml's text with `[articles] order` set to `order`: replaced where it is, added to the
    `[articles]` table when the table has none, or a new `[articles]` table at the end. Raises
    OrderEditError when the file defines `articles` in a way that cannot be edited in place (an inline
    table, dotted keys) or when the result would not be the same file with the new order."""
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OrderEditError(f"it is not valid TOML ({exc})") from None
    statements = _statements(text)
    tables = [s for s in statements if s.kind == "table"]
    header = next((t for t in tables if t.name == "articles"), None)
    newline = "\r\n" if "\r\n" in text else "\n"
    if header is None:
        if "articles" in before:
            raise OrderEditError("`articles` is written as an inline table or dotted keys, not as an "
                                 "[articles] table")
        addition = "[articles]" + newline + toml_array("order", order).replace("\n", newline) + newline
        result = text + ("" if not text or text.endswith("\n") else newline) + ("" if not text.strip() else newline) \
            + addition
    else:
        after = next((t for t in tables if t.start > header.start), None)
        end = after.start if after else len(text)
        keys = [s for s in statements if s.kind == "key" and header.start < s.start < end]
        current = next((k for k in keys if k.name == "order"), None)
        if current is not None:
            indent = _indent(text, current.start)
            array = toml_array("order", order, indent)[len("order = "):].replace("\n", newline)
            result = text[:current.value_start] + array + text[current.value_end:]
        else:
            anchor = keys[-1].line_end if keys else header.line_end
            gap = "" if anchor == 0 or text[anchor - 1:anchor] == "\n" else newline
            array = toml_array("order", order).replace("\n", newline)
            result = text[:anchor] + gap + array + newline + text[anchor:]
    try:
        parsed = tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:  # a bug in the edit, caught here
        raise OrderEditError(f"the edited file would not be valid TOML ({exc})") from None
    expected: dict[str, Any] = {**before, "articles": {**before.get("articles", {}), "order": order}}
    if parsed != expected:
        raise OrderEditError("the edited file would change more than [articles] order")
    return result


def _indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    return re.match(r"[ \t]*", text[start:offset]).group()  # type: ignore[union-attr]


_KEY_CHARS = re.compile(r"[A-Za-z0-9_\-]+")


def _statements(text: str) -> list[_Statement]:
    """The file's top-level statements, in order. Strings (all four kinds), comments and values
    spread over several lines (arrays, multi-line strings) are read as TOML reads them."""
    out: list[_Statement] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
            continue
        if c == "#":
            i = _line_end(text, i)
            continue
        start = i
        if c == "[":
            double = text.startswith("[[", i)
            name, i = _key(text, i + (2 if double else 1), "]")
            i = text.index("]]" if double else "]", i) + (2 if double else 1)
            out.append(_Statement("table", name, start, start, i, _line_end(text, i)))
            continue
        name, i = _key(text, i, "=")
        i = text.index("=", i) + 1
        while i < n and text[i] in " \t":
            i += 1
        value_start = i
        i = _value_end(text, i)
        out.append(_Statement("key", name, start, value_start, i, _line_end(text, i)))
    return out


def _key(text: str, i: int, stop: str) -> tuple[str, int]:
    """A dotted key starting at `i`, up to `stop`: (its parts joined with dots, quotes removed, the offset after it)."""
    parts: list[str] = []
    while True:
        while text[i] in " \t":
            i += 1
        if text[i] in "\"'":
            end = _string_end(text, i)
            raw = text[i:end]
            parts.append(json.loads(raw) if raw.startswith('"') else raw[1:-1])
            i = end
        else:
            m = _KEY_CHARS.match(text, i)
            if not m:
                raise OrderEditError(f"cannot read the key at offset {i}")
            parts.append(m.group())
            i = m.end()
        while text[i] in " \t":
            i += 1
        if text[i] == ".":
            i += 1
            continue
        if text[i] != stop:
            raise OrderEditError(f"cannot read the key at offset {i}")
        return ".".join(parts), i


def _string_end(text: str, i: int) -> int:
    """The offset just after the string (basic, literal, or either multi-line kind) that starts at `i`."""
    quote = text[i]
    if text.startswith(quote * 3, i):
        j = i + 3
        while True:
            if quote == '"' and text[j] == "\\":
                j += 2
                continue
            if text.startswith(quote * 3, j):
                j += 3
                while j < len(text) and text[j] == quote:  # up to two quotes may end the content
                    j += 1
                return j
            j += 1
    j = i + 1
    while text[j] != quote:
        j += 2 if quote == '"' and text[j] == "\\" else 1
    return j + 1


def _value_end(text: str, i: int) -> int:
    """The offset just after the value starting at `i` (nested arrays and inline tables included)."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            i = _string_end(text, i)
            continue
        if c == "#":
            if depth == 0:
                break
            i = _line_end(text, i)
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in "\r\n" and depth == 0:
            break
        i += 1
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    return i


def _line_end(text: str, i: int) -> int:
    """The offset after the end of the line that `i` is on (after its newline, or the end of the text)."""
    j = text.find("\n", i)
    return len(text) if j < 0 else j + 1
