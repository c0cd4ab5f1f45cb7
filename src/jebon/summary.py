"""Warnings summarised for a person: grouped by kind, the first few of each with file:line, the count
of the rest. A real book can raise hundreds of warnings of a handful of kinds (links to pages that are
not articles, images without alt text); listed one by one they push everything else off the screen."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Problem

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|`[^`]*`|｢[^｣]*｣")
_TAG = re.compile(r"<[A-Za-z][\w:-]*>")
_FRAGMENT = re.compile(r"#[^\s,;:)]+")
_PATHLIKE = re.compile(r"(?<![\w…])[\w.~-]*(?:/[\w.%~-]*)+"
                       r"|\b[\w-]+\.(?:md|png|jpe?g|gif|webp|svg|pdf|epub|html?|txt)\b")
_NUMBER = re.compile(r"\bU\+[0-9A-F]{4,6}\b|\d[\d,.]*")


def kind(problem: Problem) -> str:
    """The message with what varies taken out (quoted text, tags, paths, fragments, numbers): warnings
    of one kind share it, e.g. "link to '…', which is not an article of this book; it becomes text"."""
    text = _QUOTED.sub("'…'", problem.message)
    text = _TAG.sub("<…>", text)
    text = _FRAGMENT.sub("#…", text)
    text = _PATHLIKE.sub("…", text)
    return _NUMBER.sub("N", text)


@dataclass(frozen=True)
class Group:
    """The warnings of one kind, in the order they were found."""

    kind: str
    problems: tuple[Problem, ...]

    @property
    def count(self) -> int:
        return len(self.problems)

    @property
    def hint(self) -> str | None:
        hints = {p.hint for p in self.problems}
        return self.problems[0].hint if len(hints) == 1 else None


def groups(problems: Iterable[Problem]) -> list[Group]:
    """Warnings grouped by kind, the most frequent kind first (ties in the order first seen)."""
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        found.setdefault(kind(problem), []).append(problem)
    ordered = sorted(found.items(), key=lambda item: -len(item[1]))
    return [Group(name, tuple(items)) for name, items in ordered]


def plural(count: int, word: str, words: str | None = None) -> str:
    """ "1 warning", "2 warnings", "0 warnings"."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


@dataclass(frozen=True)
class Shown:
    """What the summary prints of one group: the examples, and how many are left unshown."""

    group: Group
    examples: tuple[Problem, ...]

    @property
    def hidden(self) -> int:
        return self.group.count - len(self.examples)


def summarise(problems: Iterable[Problem], *, lines: int = 30, examples: int = 3) -> tuple[list[Shown], int]:
    """Which warnings to show in about `lines` lines: every kind gets up to `examples` of its warnings
    (fewer when there are many kinds), a kind with one more than that shows it instead of a "1 more"
    line. Returns the groups to show and how many kinds are left out entirely."""
    found = groups(problems)
    if not found:
        return [], 0
    # One heading line per kind, its examples, one "… more" line when some are hidden, a hint line.
    per_kind = examples
    while per_kind > 1 and sum(2 + min(g.count, per_kind) for g in found) > lines:
        per_kind -= 1
    shown: list[Shown] = []
    used = 0
    for group in found:
        take = group.count if group.count <= per_kind + 1 else per_kind
        cost = (1 if group.count == 1 else 2) + take + (group.count > take)
        if shown and used + cost > lines:
            break
        shown.append(Shown(group, group.problems[:take]))
        used += cost
    return shown, len(found) - len(shown)
