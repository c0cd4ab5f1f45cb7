"""book.toml: every problem is reported with the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from jebon.config import isbn_is_valid, load
from jebon.errors import ConfigError


def write_book(tmp_path: Path, toml: str, *, articles: bool = True) -> Path:
    (tmp_path / "book.toml").write_text(toml, encoding="utf-8")
    if articles:
        (tmp_path / "articles").mkdir(exist_ok=True)
        (tmp_path / "articles" / "01.md").write_text("# 제목\n\n본문.\n", encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path)
    return [str(p) for p in info.value.problems]


def test_minimal_config_has_defaults(tmp_path: Path) -> None:
    cfg = load(write_book(tmp_path, '[book]\ntitle = "책"\n'))
    assert cfg.book.title == "책"
    assert cfg.book.language == "ko"
    assert cfg.articles.dir == tmp_path / "articles"
    assert cfg.articles.order is None
    assert cfg.epub.toc_depth == 2


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    write_book(tmp_path, '[book]\ntitle = "책"\n\nsubtitel = "오타"\n')
    (message,) = problems(tmp_path)
    assert f"{tmp_path / 'book.toml'}:4:" in message
    assert "subtitel" in message


def test_wrong_type_names_line(tmp_path: Path) -> None:
    write_book(tmp_path, '[book]\ntitle = "책"\ntags = "a"\nauthor = 3\n')
    (message,) = problems(tmp_path)
    assert "book.toml:4:" in message and "`author` must be a string" in message


def test_every_error_is_listed_at_once(tmp_path: Path) -> None:
    write_book(tmp_path, '[book]\ntitle = 1\nlanguage = "한국어"\nisbn = "978-89-0000-000-0"\n'
                         'cover = "no.png"\n[epub]\ntoc_depth = 9\n[pdff]\n')
    found = "\n".join(problems(tmp_path))
    for needle in (":2:", "title", ":3:", "language", ":4:", "isbn", ":5:", "cover", ":7:", "toc_depth",
                   ":8:", "pdff"):
        assert needle in found


def test_missing_title(tmp_path: Path) -> None:
    write_book(tmp_path, '[book]\nauthor = "나"\n')
    (message,) = problems(tmp_path)
    assert "needs `title`" in message and "book.toml:1:" in message


def test_invalid_toml_reports_line(tmp_path: Path) -> None:
    write_book(tmp_path, '[book]\ntitle = "책"\ndate = 2026-13-45\n')
    (message,) = problems(tmp_path)
    assert "book.toml:3:" in message and "invalid TOML" in message


def test_missing_article_dir(tmp_path: Path) -> None:
    write_book(tmp_path, '[book]\ntitle = "책"\n[articles]\ndir = "글"\n', articles=False)
    (message,) = problems(tmp_path)
    assert "book.toml:4:" in message and "'글' does not exist" in message


def test_author_and_authors_and_isbn(tmp_path: Path) -> None:
    cfg = load(write_book(tmp_path, '[book]\ntitle = "책"\nauthors = ["가", "나"]\n'
                                    'isbn = "979-11-6445-000-8"\n'))
    assert cfg.book.authors == ("가", "나")
    assert cfg.book.isbn == "979-11-6445-000-8"


@pytest.mark.parametrize(("isbn", "ok"), [("9791164450008", True), ("9791164450003", False),
                                          ("979-11-6445-000-4", False),
                                          ("0-306-40615-2", True), ("0306406153", False), ("abc", False)])
def test_isbn_check_digit(isbn: str, ok: bool) -> None:
    assert isbn_is_valid(isbn) is ok


def test_no_book_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="jebon new"):
        load(tmp_path)
