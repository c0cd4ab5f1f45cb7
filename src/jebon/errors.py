"""Errors and warnings that say where: file, line, what is wrong and what to do."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("jebon")


@dataclass(frozen=True)
class Problem:
    """One finding about the sources: an error stops the build, a warning does not (unless --strict)."""

    message: str
    path: Path | None = None
    line: int | None = None
    hint: str | None = None
    severity: str = "error"

    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "path": str(self.path) if self.path else None,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


class JebonError(Exception):
    """A book cannot be built; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(JebonError):
    """book.toml is missing, invalid or inconsistent."""


class ArticleError(JebonError):
    """An article cannot be read: encoding, front matter, order."""


class UsageError(JebonError):
    """A command-line value is wrong (exit code 2)."""


class RenderError(JebonError):
    """An article's Markdown, links or images cannot be turned into a book."""


@dataclass
class Diagnostics:
    """Collects warnings and errors over a whole build so that all of them are reported at once."""

    problems: list[Problem] = field(default_factory=list)

    def warn(self, message: str, path: Path | None = None, line: int | None = None,
             hint: str | None = None) -> None:
        problem = Problem(message, path, line, hint, "warning")
        if problem not in self.problems:
            self.problems.append(problem)
            log.warning("%s", problem)

    def error(self, message: str, path: Path | None = None, line: int | None = None,
              hint: str | None = None) -> None:
        problem = Problem(message, path, line, hint, "error")
        if problem not in self.problems:
            self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_if_errors(self, kind: type[JebonError] = JebonError) -> None:
        if self.errors:
            raise kind(self.errors)
