"""Very large and deeply nested input builds without crashing, in bounded time and memory."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from jebon import build


def book(tmp_path: Path, articles: dict[str, str]) -> Path:
    root = tmp_path / "book"
    (root / "articles").mkdir(parents=True)
    (root / "book.toml").write_text('[book]\ntitle = "큰 책"\nauthor = "김시험"\n', encoding="utf-8")
    for name, text in articles.items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    return root


def test_deep_nesting_and_wide_tables_in_both_formats(tmp_path: Path) -> None:
    deep = "# 깊은 글\n\n" + "".join("> " * i + f"인용 {i}\n" for i in range(1, 150)) + "\n"
    deep += "".join("    " * i + f"- 목록 {i}\n" for i in range(100)) + "\n"
    header = "|" + "|".join(f"열{i}" for i in range(500)) + "|\n"
    wide = "# 넓은 표\n\n" + header + "|" + "---|" * 500 + "\n|" + "값|" * 500 + "\n"
    root = book(tmp_path, {"01.md": deep, "02.md": wide})
    report = build(root, ["epub", "pdf"], tmp_path / "out")
    assert any("flattened" in p.message for p in report.warnings)
    epub = zipfile.ZipFile(tmp_path / "out" / "book.epub")
    chapter = etree.fromstring(epub.read("EPUB/ch01.xhtml"))
    text = "".join(chapter.itertext())
    assert "인용 149" in text and "목록 99" in text  # flattened, not lost
    assert "열499" in epub.read("EPUB/ch02.xhtml").decode()
    assert (tmp_path / "out" / "book.pdf").read_bytes().startswith(b"%PDF")


def test_ten_megabyte_article_and_two_thousand_articles(tmp_path: Path) -> None:
    line = "한국어 문장이 길게 이어지는 아주 큰 글이다. " * 40 + "\n\n"
    big = book(tmp_path / "a", {"01.md": "# 큰 글\n\n" + line * (10 * 1024 * 1024 // len(line.encode()))})
    assert (big / "articles" / "01.md").stat().st_size > 10_000_000
    assert build(big, ["epub"], tmp_path / "a" / "out").outputs[0].size > 100_000
    many = book(tmp_path / "b", {f"{n:04d}.md": f"# 글 {n}\n\n짧은 글 {n}번.[^1]\n\n[^1]: 각주 {n}.\n"
                                 for n in range(1, 2001)})
    report = build(many, ["epub"], tmp_path / "b" / "out")
    assert report.articles == 2000
    with zipfile.ZipFile(report.outputs[0].path) as epub:
        assert "EPUB/ch2000.xhtml" in epub.namelist()
