"""Broken and hostile books (tests/books/bad-*): a clear error naming file and line, and nothing
written — or, for input that can be made safe, a valid book."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from jebon.cli import app

from .conftest import ROOT

BOOKS = ROOT / "tests" / "books"

# case → (file whose name must be in the message, line or None, words of the message)
ERRORS: dict[str, tuple[str, int | None, str]] = {
    "bad-toml-syntax": ("book.toml", 2, "invalid TOML"),
    "bad-toml-unknown-key": ("book.toml", 4, "unknown key `titel` in [book]"),
    "bad-toml-type": ("book.toml", 3, "`author` must be a string"),
    "bad-toml-no-title": ("book.toml", 1, "needs `title`"),
    "bad-toml-missing-path": ("book.toml", 4, "does not exist"),
    "bad-yaml": ("01.md", 3, "invalid YAML"),
    "bad-frontmatter-list": ("01.md", 2, "not a list"),
    "bad-frontmatter-types": ("01.md", 2, "`title` must be text"),
    "bad-frontmatter-unterminated": ("01.md", 1, "never closed"),
    "bad-order-missing": ("book.toml", 5, "'02.md', which is not a file"),
    "bad-order-duplicate": ("book.toml", 5, "'01.md' twice"),
    "bad-empty-article": ("02.md", 4, "no text"),
    "bad-no-articles": ("book.toml", None, "no articles"),
    "bad-cp949": ("01.md", 1, 'encoding = "cp949"'),
    "bad-utf16": ("01.md", 1, "UTF-16"),
    "bad-path-escape": ("01.md", 5, "outside the book folder"),
    "bad-path-absolute": ("01.md", 5, "not found in the book folder"),
    "bad-file-url": ("01.md", 5, "file on this computer"),
}
SAFE = ["bad-hostile-html", "bad-control-chars", "bad-markdown-chokers", "bad-line-endings"]


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_broken_book_gets_a_clear_error_and_no_output(case: str, tmp_path: Path) -> None:
    file, line, words = ERRORS[case]
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(BOOKS / case), "--out", str(out), "--format", "all"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    where = f"{file}:{line}:" if line else f"{file}:"
    errors = [m for m in result.stderr.splitlines() if m.startswith("error:")]
    assert any(where in m and words in m for m in errors), result.stderr
    # No output is written; the cache may keep what parsed well, for the build after the fix.
    assert not out.exists() or not [p for p in out.iterdir() if p.name != ".jebon-cache"]


def test_symlink_leaving_the_book_is_refused(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    book = copy_book(BOOKS / "bad-line-endings")
    (book / "articles" / "secret.png").symlink_to("/etc/hostname")
    (book / "articles" / "02.md").write_text("# 글\n\n줄\n\n![비밀](secret.png)\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(book), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "02.md:5:" in result.stderr and "outside the book folder" in result.stderr


@pytest.mark.parametrize("case", SAFE)
def test_hostile_input_becomes_a_safe_valid_book(case: str, safe_books: dict[str, Path],
                                                epubcheck_results: dict[str, dict[str, object]]) -> None:
    epub = zipfile.ZipFile(safe_books[case])
    chapter = epub.read("EPUB/ch01.xhtml").decode()
    etree.fromstring(chapter.encode())
    for bad in ("<script", "onclick", "onerror", "<iframe", "<object", "<form", "javascript:", "vbscript:",
                "expression(", "\x00", "\x07", "\ufffe"):
        assert bad not in chapter
    checker = epubcheck_results[case]["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0)  # type: ignore[index]
    if case == "bad-markdown-chokers":
        assert "{{#include other.md}}" in chapter and "&lt;신 설&gt;" in chapter and "주석" not in chapter
    if case == "bad-line-endings":
        assert re.search("윈도 줄바꿈과\\s+유닉스 줄바꿈과\\s+옛 맥 줄바꿈", chapter)
    if case == "bad-hostile-html":  # the stray <tbody> and the web page's drawing (see make_bad_books.py)
        assert "<tbody" not in chapter and "가 있습니다" in chapter
        drawing = next(name for name in epub.namelist() if name.startswith("EPUB/images/drawing-"))
        svg = epub.read(drawing).decode()
        assert "fonts.example.com" not in svg and "/font/" not in svg and svg.count('id="Apple"') == 1
