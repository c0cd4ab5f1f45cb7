"""A series: one book.toml, volumes cut by a rule, built in parallel, numbered and linked."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from jebon import build
from jebon.api import list_volumes, load_book
from jebon.cli import app
from jebon.errors import JebonError

from .conftest import NS, SERIES, Epub

X = "{http://www.w3.org/1999/xhtml}"


def with_series(copy_book: Callable[[Path], Path], series: str) -> Path:
    book = copy_book(SERIES)
    toml = (book / "book.toml").read_text(encoding="utf-8")
    head = toml.split("[series]")[0]
    (book / "book.toml").write_text(head + series, encoding="utf-8")
    return book


def counts(book: Path) -> list[tuple[int, str | None, int]]:
    return [(v.number, v.title, len(v.articles)) for v in load_book(book).volumes]


def test_per_volume() -> None:
    assert counts(SERIES) == [(1, None, 12), (2, None, 12), (3, None, 12), (4, None, 6)]


def test_by_year_and_month(copy_book: Callable[[Path], Path]) -> None:
    book = with_series(copy_book, '[series]\nby = "year"\n')
    assert counts(book) == [(1, "2023년", 12), (2, "2024년", 12), (3, "2025년", 12), (4, "2026년", 6)]
    built = build(book, ["epub"], book / "out", jobs=2)
    titles = [Epub(o.path).opf.find(".//dc:title[@id='subtitle']", NS).text for o in built.outputs]
    assert titles == ["2023년", "2024년", "2025년", "2026년"]
    (book / "book.toml").write_text((book / "book.toml").read_text(encoding="utf-8").replace('"year"', '"month"'),
                                    encoding="utf-8")
    volumes = counts(book)
    assert len(volumes) == 42 and volumes[0] == (1, "2023년 1월", 1) and volumes[-1] == (42, "2026년 6월", 1)


def test_explicit_volumes(copy_book: Callable[[Path], Path]) -> None:
    book = with_series(copy_book, '[series]\ntitle = "빵집 편지 선집"\n\n[[volumes]]\ntitle = "첫 해"\n'
                                  'first = "01-letter.md"\nlast = "12-letter.md"\n\n[[volumes]]\ntitle = "고른 글"\n'
                                  'files = ["20-letter.md", "30-letter.md", "40-letter.md"]\n')
    assert counts(book) == [(1, "첫 해", 12), (2, "고른 글", 3)]


def test_cutting_errors_name_every_problem(copy_book: Callable[[Path], Path]) -> None:
    book = with_series(copy_book, '[series]\n\n[[volumes]]\nfirst = "01-letter.md"\nlast = "12-letter.md"\n\n'
                                  '[[volumes]]\nfiles = ["05-letter.md", "99-letter.md"]\n\n'
                                  '[[volumes]]\ntitle = "빈 권"\n')
    with pytest.raises(JebonError) as info:
        load_book(book)
    lines = (book / "book.toml").read_text(encoding="utf-8").splitlines()
    third = [i for i, line in enumerate(lines, 1) if line == "[[volumes]]"][2]
    assert f"book.toml:{third}: [[volumes]] #3 needs `first` and `last`" in str(info.value)
    (book / "book.toml").write_text("\n".join(lines[:third - 1]) + "\n", encoding="utf-8")
    with pytest.raises(JebonError) as info:
        load_book(book)
    message = str(info.value)
    assert "'99-letter.md', which is not an article" in message and "'05-letter.md' is in volume 1 and 2" in message
    head = (book / "book.toml").read_text(encoding="utf-8").split("[series]")[0]
    (book / "book.toml").write_text(head + '[series]\nper_volume = 5\nby = "year"\n', encoding="utf-8")
    with pytest.raises(JebonError, match="exactly one way of cutting"):
        load_book(book)


def test_undated_articles_are_listed(copy_book: Callable[[Path], Path]) -> None:
    book = with_series(copy_book, '[series]\nby = "year"\n')
    for name in ("07-letter.md", "31-letter.md"):
        path = book / "articles" / name
        path.write_text(re.sub(r"date: .*\n", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(JebonError) as info:
        load_book(book)
    problems = [p for p in info.value.problems if "no date" in p.message]
    assert sorted(p.path.name for p in problems if p.path) == ["07-letter.md", "31-letter.md"]


def test_volumes_are_named_numbered_and_linked(series_build: dict[str, Path]) -> None:
    assert sorted(series_build) == [f"series-vol{n:02d}.{ext}" for n in range(1, 5) for ext in ("epub", "pdf")]
    identifiers = set()
    for n in range(1, 5):
        epub = Epub(series_build[f"series-vol{n:02d}.epub"])
        meta = epub.opf.find("opf:metadata", NS)
        props = {m.get("property"): m.text for m in meta.findall("opf:meta", NS)}
        assert props["belongs-to-collection"] == "골목 빵집 편지"
        assert props["collection-type"] == "series" and props["group-position"] == str(n)
        assert meta.find("dc:title", NS).text == f"골목 빵집 편지 제{n}권"
        identifiers.add(meta.find("dc:identifier", NS).text)
        page = epub.xml("EPUB/series.xhtml")
        items = page.findall(f".//{X}li")
        assert len(items) == 4
        current = [i for i, li in enumerate(items, 1) if li.get("class") == "current"]
        assert current == [n]
        assert "series.xhtml" in epub.spine_hrefs()
        pdf = PdfReader(series_build[f"series-vol{n:02d}.pdf"])
        assert pdf.metadata["/series"] == "골목 빵집 편지" and pdf.metadata["/volume"] == str(n)
        assert pdf.metadata.title.startswith(f"골목 빵집 편지 제{n}권")
        assert any(f"제{n}권 (이 책)" in (p.extract_text() or "") for p in pdf.pages[:8])
    assert len(identifiers) == 4


def test_adding_an_article_leaves_earlier_volumes_identical(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    book = copy_book(SERIES)
    first = build(book, ["epub", "pdf"], tmp_path / "a", jobs=2)
    text = '---\ntitle: "7월의 식빵"\ndate: 2026-07-12\n---\n\n여름 방학이 시작되자 아침 손님이 줄었다.\n'
    (book / "articles" / "43-letter.md").write_text(text, encoding="utf-8")
    second = build(book, ["epub", "pdf"], tmp_path / "b", jobs=2)
    before = {o.path.name: o.path.read_bytes() for o in first.outputs}
    after = {o.path.name: o.path.read_bytes() for o in second.outputs}
    assert before.keys() == after.keys()
    for name in before:
        if "vol04" in name:
            assert before[name] != after[name]
        else:
            assert before[name] == after[name], name


def test_one_failing_volume_is_named_and_the_others_are_written(copy_book: Callable[[Path], Path],
                                                                 tmp_path: Path) -> None:
    book = copy_book(SERIES)
    broken = book / "articles" / "30-letter.md"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n![없는 그림](nowhere.png)\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(JebonError) as info:
        build(book, ["epub"], out, jobs=2)
    assert "volume 3: " in str(info.value) and "30-letter.md" in str(info.value)
    assert sorted(p.name for p in out.iterdir() if p.name != ".jebon-cache") == [
        "series-vol01.epub", "series-vol02.epub", "series-vol04.epub"]
    for path in out.glob("*.epub"):
        assert zipfile.ZipFile(path).testzip() is None


def test_cli_volume_selection_and_list(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["build", str(SERIES), "--out", str(tmp_path), "--volume", "2", "-v", "4",
                                 "--format", "pdf", "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(Path(o["path"]).name for o in json.loads(result.stdout)["outputs"]) == \
        ["series-vol02.pdf", "series-vol04.pdf"]
    listed = runner.invoke(app, ["list", str(SERIES), "--out", str(tmp_path), "--json"])
    rows = json.loads(listed.stdout)
    def date(n: int) -> str:
        text = (SERIES / "articles" / f"{n:02d}-letter.md").read_text(encoding="utf-8")
        return re.search(r"date: (\S+)", text).group(1)  # type: ignore[union-attr]

    assert [(r["volume"], r["articles"], r["from"], r["to"]) for r in rows] == [
        (1, 12, date(1), date(12)), (2, 12, date(13), date(24)), (3, 12, date(25), date(36)),
        (4, 6, date(37), date(42))]
    assert [r["pages"] for r in rows][1] > 0 and rows[0]["pages"] is None
    bad = runner.invoke(app, ["build", str(SERIES), "--volume", "9"])
    assert bad.exit_code == 2 and "volumes 1–4" in bad.stderr
    assert list_volumes(SERIES, tmp_path)[3]["last"] == "42-letter.md"


def test_the_series_title_names_every_volume(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    """`[series] title` (not the book's title) is what the cover, dc:title, the PDF title and `jebon list`
    call a volume; a `[[volumes]] title` is the volume's own title (its subtitle), and the series page
    lists the volumes by their titles."""
    book = copy_book(SERIES)
    head = (book / "book.toml").read_text(encoding="utf-8").split("[series]")[0]
    head = head.replace('title = "골목 빵집 편지"', 'title = "하늘 우체국"')
    (book / "book.toml").write_text(head + '[series]\ntitle = "하늘 우체국 연대기"\n\n[[volumes]]\ntitle = "첫 해"\n'
                                    'files = ["01-letter.md", "02-letter.md"]\n\n[[volumes]]\n'
                                    'files = ["03-letter.md", "04-letter.md"]\n', encoding="utf-8")
    report = build(book, ["epub", "pdf"], tmp_path / "out", jobs=1)
    files = {o.path.name: o.path for o in report.outputs}
    first, second = Epub(files["series-vol01.epub"]), Epub(files["series-vol02.epub"])
    assert first.opf.find(".//dc:title[@id='title']", NS).text == "하늘 우체국 연대기 제1권"
    assert first.opf.find(".//dc:title[@id='subtitle']", NS).text == "첫 해"
    assert second.opf.find(".//dc:title[@id='title']", NS).text == "하늘 우체국 연대기 제2권"
    cover = second.xml("EPUB/cover.xhtml").find(f".//{X}img")
    assert cover.get("alt") == "표지: 하늘 우체국 연대기 제2권"
    title_page = "".join(second.xml("EPUB/title.xhtml").itertext())
    assert "하늘 우체국 연대기 제2권" in title_page and "하늘 우체국 제2권" not in title_page
    entries = ["".join(li.itertext()) for li in second.xml("EPUB/series.xhtml").iter(f"{X}li")]
    assert entries == ["제1권 첫 해", "제2권 (이 책)"]
    for name in ("series-vol01.pdf", "series-vol02.pdf"):
        info = PdfReader(files[name]).metadata
        assert info.title.startswith(f"하늘 우체국 연대기 제{name[-5]}권") and info["/series"] == "하늘 우체국 연대기"
    pdf_pages = " ".join(p.extract_text() or "" for p in PdfReader(files["series-vol02.pdf"]).pages[:8])
    assert "제1권 첫 해" in pdf_pages and "하늘 우체국 제2권" not in pdf_pages
    rows = list_volumes(book, tmp_path / "out")
    assert [(r["title"], r["subtitle"]) for r in rows] == [("하늘 우체국 연대기 제1권", "첫 해"),
                                                           ("하늘 우체국 연대기 제2권", None)]
    listing = CliRunner().invoke(app, ["list", str(book), "--out", str(tmp_path / "out")], env={"COLUMNS": "80"})
    assert "하늘 우체국 연대기 제2권" in listing.stdout and "첫 해" in listing.stdout
