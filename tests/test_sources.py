"""Articles: decoding, front matter, titles and reading order."""

from __future__ import annotations

from pathlib import Path

import pytest

from jebon.api import load_book
from jebon.errors import JebonError
from jebon.sources import natural_key


def make(tmp_path: Path, files: dict[str, bytes | str], toml: str = "") -> Path:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "책"\n' + toml, encoding="utf-8")
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return tmp_path


def errors(book: Path) -> str:
    with pytest.raises(JebonError) as info:
        load_book(book)
    return "\n".join(str(p) for p in info.value.problems)


def test_natural_order(tmp_path: Path) -> None:
    book = load_book(make(tmp_path, {f"{n}-글.md": f"# 글 {n}\n\n본문\n" for n in (10, 2, 1)}))
    assert [a.title for a in book.articles] == ["글 1", "글 2", "글 10"]
    assert [a.id for a in book.articles] == ["ch01", "ch02", "ch03"]


def test_natural_key() -> None:
    assert sorted(["b10.md", "b9.md", "A1.md"], key=natural_key) == ["A1.md", "b9.md", "b10.md"]


def test_explicit_order_and_unlisted_warning(tmp_path: Path) -> None:
    book_dir = make(tmp_path, {"a.md": "# 가\n\n글", "b.md": "# 나\n\n글", "c.md": "# 다\n\n글"},
                    '[articles]\norder = ["c.md", "a.md"]\n')
    book = load_book(book_dir)
    assert [a.title for a in book.articles] == ["다", "가"]


def test_order_errors_are_all_listed(tmp_path: Path) -> None:
    book_dir = make(tmp_path, {"a.md": "# 가\n\n글"}, '[articles]\norder = ["a.md", "a.md", "x.md"]\n')
    found = errors(book_dir)
    assert "'a.md' twice" in found and "'x.md'" in found and "book.toml:4" in found


def test_bom_and_crlf(tmp_path: Path) -> None:
    text = "\ufeff---\r\ntitle: 제목\r\ndate: 2025-01-02\r\n---\r\n본문\r\n"
    (article,) = load_book(make(tmp_path, {"a.md": text})).articles
    assert article.title == "제목" and article.body.strip() == "본문"
    assert str(article.date) == "2025-01-02"


def test_cp949_is_named_with_the_fix(tmp_path: Path) -> None:
    found = errors(make(tmp_path, {"a.md": "# 제목\n\n한국어 본문".encode("cp949")}))
    assert "a.md:1" in found and "CP949" in found and "iconv" in found


def test_encoding_option_reads_cp949(tmp_path: Path) -> None:
    book = make(tmp_path, {"a.md": "# 제목\n\n한국어 본문".encode("cp949")}, '[articles]\nencoding = "cp949"\n')
    (article,) = load_book(book).articles
    assert article.title == "제목" and "한국어 본문" in article.body


def test_utf16_is_named(tmp_path: Path) -> None:
    found = errors(make(tmp_path, {"a.md": "# 제목\n".encode("utf-16")}))
    assert "UTF-16" in found


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    found = errors(make(tmp_path, {"a.md": "---\ntitle: 제목\ntags: [a, b\n---\n본문\n"}))
    assert "a.md:" in found and "invalid YAML" in found


def test_unterminated_front_matter(tmp_path: Path) -> None:
    found = errors(make(tmp_path, {"a.md": "---\ntitle: 제목\n본문\n"}))
    assert "a.md:1" in found and "never closed" in found


def test_front_matter_must_be_a_mapping(tmp_path: Path) -> None:
    assert "not a list" in errors(make(tmp_path, {"a.md": "---\n- a\n- b\n---\n본문\n"}))


def test_wrong_types_in_front_matter(tmp_path: Path) -> None:
    found = errors(make(tmp_path, {"a.md": "---\ntitle: [a]\ndate: 어제\n---\n본문\n"}))
    assert "a.md:2" in found and "`title` must be text" in found
    assert "a.md:3" in found and "not a date" in found


def test_title_from_heading_and_extra_keys_kept(tmp_path: Path) -> None:
    (article,) = load_book(make(tmp_path, {"a.md": "---\nmood: 비\n---\n\n# 머리 제목\n\n본문\n"})).articles
    assert article.title == "머리 제목"
    assert "머리 제목" not in article.body
    assert article.extra == {"mood": "비"}


def test_missing_title_and_empty_article(tmp_path: Path) -> None:
    found = errors(make(tmp_path, {"a.md": "제목 없는 본문\n", "b.md": "---\ntitle: 빈 글\n---\n\n"}))
    assert "a.md:1: the article has no title" in found
    assert "b.md" in found and "no text" in found


def test_no_articles(tmp_path: Path) -> None:
    assert "no articles" in errors(make(tmp_path, {}))


def test_problems_of_every_article_are_listed_together(tmp_path: Path) -> None:
    found = errors(make(tmp_path, {"a.md": "# 제목만\n", "b.md": "---\ntitle: [x]\n---\n본문\n",
                                   "c.md": "# 글\n\n".encode("utf-16")}))
    assert "a.md:1: the article has no text" in found
    assert "b.md:2: front matter `title` must be text" in found and "b.md:1: the article has no title" not in found
    assert "c.md:1: the file is UTF-16" in found
