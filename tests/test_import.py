"""`jebon import brunch`: saved Brunch pages (HTML and copied text) → Markdown articles in date order."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

from jebon import build, config
from jebon.cli import app
from jebon.errors import ConfigError, Diagnostics, JebonError, UsageError
from jebon.importers import brunch
from jebon.importers.htmltomd import BR, Converter, escape_chars, paragraph
from jebon.importers.page import Page
from jebon.importers.run import ImportReport, import_pages
from jebon.render import _markdown
from jebon.sources import check_meta, split_front_matter

from .conftest import NS, ROOT, Epub

FIXTURES = ROOT / "tests" / "fixtures" / "brunch"
HTML_PAGES = ["문을 여는 아침.html", "책방 고양이의 하루.html", "rainy-season.html"]
TEXT_PAGES = ["첫 손님의 책.txt", "겨울 낭독회.txt"]
# The fixtures' pages by date, with what each must become.
EXPECTED = [
    ("문을 여는 아침.html", "2024-01-08-문을-여는-아침.md", "문을 여는 아침", "열 평짜리 책방을 열기까지",
     dt.date(2024, 1, 8), ["책방", "동네서점", "개업"], "https://brunch.co.kr/@harim-books/3"),
    ("첫 손님의 책.txt", "2024-02-14-첫-손님의-책.md", "첫 손님의 책", "문을 연 날, 처음으로 계산대에 놓인 한 권",
     dt.date(2024, 2, 14), ["책방", "동네서점", "첫손님"], None),
    ("책방 고양이의 하루.html", "2024-03-29-책방-고양이의-하루.md", "책방 고양이의 하루",
     "문지기인지 손님인지 모를 먼지 씨", dt.date(2024, 3, 29), ["책방", "고양이"], "https://brunch.co.kr/@harim-books/5"),
    ("rainy-season.html", "2024-07-02-장마철의-헌책.md", "장마철의 헌책", "습기와 싸우는 석 달",
     dt.date(2024, 7, 2), ["헌책", "장마", "책방"], "https://brunch.co.kr/@harim-books/9"),
    ("겨울 낭독회.txt", "2024-12-20-겨울-낭독회.md", "겨울 낭독회", None,
     dt.date(2024, 12, 20), ["낭독회", "책방", "겨울"], "https://brunch.co.kr/@harim-books/14"),
]
# Site chrome in the fixtures: none of it may reach an article.
CHROME = ["라이킷", "댓글", "구독", "공유", "매거진의 이전글", "매거진의 다음글", "작가의 이전글", "작가의 다음글",
          "브런치는 최신 브라우저에", "최적화", "keyword", "magazine", "brunch", "글이 작품이 되는 곳",
          "오늘 쓴 문장이 내일의 책이 됩니다", "시작하기", "브런치 홈", "작은 도시에서 열 평짜리 책방을 꾸립니다",
          "다음에 꼭 들러 볼게요", "창가 자리가 제일 따뜻해요", "먼지 사장님께 안부", "첫 월급으로 산 책",
          "내년엔 꼭", "귤한봉지", "여름비", "종이비행기", "자바스크립트", "__APP_STATE__", "미리보기",
          "책방 이름 짓기", "여름 문학 매대", "가을의 첫 주문", "구독자", "by 서하림", "Feb 15. 2024"]
runner = CliRunner()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportReport]:
    """All five fixtures imported once into a new book (pages given in no particular order)."""
    book = tmp_path_factory.mktemp("import") / "작은-서점"
    pages = [FIXTURES / name for name in ("겨울 낭독회.txt", *HTML_PAGES, "첫 손님의 책.txt")]
    return book, import_pages("brunch", pages, book)


def _front(path: Path) -> dict[str, object]:
    diag = Diagnostics()
    text = path.read_text("utf-8")
    meta, _, _ = split_front_matter(path, text, diag)
    meta = check_meta(path, text, meta, diag)
    assert not diag.problems, diag.problems
    return meta


def _body(path: Path) -> str:
    return split_front_matter(path, path.read_text("utf-8"), Diagnostics())[1]


def _render(markdown: str) -> etree._Element:
    """The Markdown as jebon's renderer parses it (before typography: the text must be the page's)."""
    html = _markdown(ruby=True).convert(markdown)
    return lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div")


_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "hr"}


def _words(root: etree._Element) -> str:
    """Text as a reader sees it: a space at every block edge and line break, whitespace collapsed.
    An image counts as its caption (its Markdown title, shown under it in the book)."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _BLOCK_TAGS or el.tag == "br" or "text_caption" in (el.get("class") or ""):
            el.text, el.tail = " " + (el.text or ""), " " + (el.tail or "")
        if el.tag == "img" and el.get("title"):
            el.tail = f" {el.get('title')} " + (el.tail or "")
    return " ".join("".join(str(t) for t in root.itertext()).split())


def _page_words(name: str) -> str:
    """The words of a fixture page's article body (`.wrap_body`), as a browser shows them."""
    doc = lxml.html.parse(str(FIXTURES / name)).getroot()
    body = doc.xpath('//*[contains(concat(" ", @class, " "), " wrap_body ")]')[0]
    for el in list(body.iter("script", "style", "iframe")):
        el.drop_tree()
    return _words(body)


# -- what is written ------------------------------------------------------------------------------

def test_articles_are_named_and_ordered_by_date(imported: tuple[Path, ImportReport]) -> None:
    book, report = imported
    names = sorted(p.name for p in (book / "articles").glob("*.md"))
    assert names == [e[1] for e in EXPECTED]
    assert [a.status for a in report.articles] == ["imported"] * 5
    # jebon's own order (file names, sorted naturally) is the date order
    from jebon.api import load_book

    articles = load_book(book).articles
    assert [a.path.name for a in articles] == [e[1] for e in EXPECTED]
    assert [a.date for a in articles] == sorted(a.date for a in articles if a.date)


@pytest.mark.parametrize("source, name, title, subtitle, date, tags, url", EXPECTED)
def test_front_matter(imported: tuple[Path, ImportReport], source: str, name: str, title: str, subtitle: str | None,
                      date: dt.date, tags: list[str], url: str | None) -> None:
    path = imported[0] / "articles" / name
    meta = _front(path)
    assert meta["title"] == title
    assert meta.get("subtitle") == subtitle
    assert meta["author"] == "서하림"
    assert meta["date"] == date
    assert re.search(rf"^date: {date.isoformat()}$", path.read_text("utf-8"), re.MULTILINE)  # ISO, unquoted
    assert meta["tags"] == tags
    assert meta.get("url") == url


@pytest.mark.parametrize("source", HTML_PAGES)
def test_html_body_survives_word_for_word(imported: tuple[Path, ImportReport], source: str) -> None:
    name = next(e[1] for e in EXPECTED if e[0] == source)
    body = _body(imported[0] / "articles" / name)
    assert _words(_render(body)) == _page_words(source)


@pytest.mark.parametrize("source, first, end", [
    ("첫 손님의 책.txt", "개업 첫날 오전 내내", "라이킷 27"),
    ("겨울 낭독회.txt", "올해 마지막 토요일 저녁", "매거진의 이전글 장마철의 헌책"),
])
def test_text_body_survives_paragraph_for_paragraph(imported: tuple[Path, ImportReport], source: str, first: str,
                                                   end: str) -> None:
    text = (FIXTURES / source).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    stop = lines.index(end)
    # The page's paragraphs: blank lines between them, a newline inside one is a line break.
    expected = [" / ".join(p.split("\n")) for p in "\n".join(lines[start:stop]).strip().split("\n\n")]
    name = next(e[1] for e in EXPECTED if e[0] == source)
    root = _render(_body(imported[0] / "articles" / name))
    for br in root.iter("br"):
        br.tail = " / " + (br.tail or "").lstrip("\n")
    rendered = ["".join(str(t) for t in p.itertext()) for p in root]
    assert [p.tag for p in root] == ["p"] * len(expected)  # no heading, list or quote was made up
    assert rendered == expected


def test_markup_is_kept(imported: tuple[Path, ImportReport]) -> None:
    articles = imported[0] / "articles"
    opening = _render(_body(articles / "2024-01-08-문을-여는-아침.md"))
    assert [s.text for s in opening.iter("strong")] == ["열 평짜리 책방", "똑같이"]
    assert [e.text for e in opening.iter("em")] == ["먹고살 만하냐고"]
    assert [h.text for h in opening.iter("h2")] == ["간판보다 먼저 정한 것"]
    assert len(opening.findall(".//ul/li")) == 3 and len(opening.findall(".//hr")) == 1
    assert opening.find(".//blockquote/p").text.startswith("책방은 책을 파는 곳이기 전에")
    assert opening.find(".//a").get("href") == "https://brunch.co.kr/@harim-books/4"
    assert len(opening.findall(".//br")) == 1

    cat = _render(_body(articles / "2024-03-29-책방-고양이의-하루.md"))
    # h3 and h4 on the page are the article's first and second heading levels: ## and ###
    assert [(h.tag, h.text) for h in cat.iter("h2", "h3")] == [("h2", "먼지 씨의 출근"), ("h3", "하루의 동선")]
    assert len(cat.findall(".//ol/li")) == 3
    assert cat.find(".//ruby") is None and cat.find(".//ol/li/em").text == "조금씩"
    # a relative link is made absolute against brunch.co.kr
    assert [a.get("href") for a in cat.iter("a")] == ["https://brunch.co.kr/@harim-books/2"]
    assert len(cat.findall(".//blockquote/p")) == 2

    rain = _render(_body(articles / "2024-07-02-장마철의-헌책.md"))
    assert rain.find(".//h2").text == "습도계 두 개"
    assert rain.find(".//strong/em") is not None or rain.find(".//em/strong") is not None
    assert len(rain.findall(".//ul/li/ul/li")) == 2  # the nested list stays nested


def test_chrome_is_dropped(imported: tuple[Path, ImportReport]) -> None:
    for path in (imported[0] / "articles").glob("*.md"):
        text = _words(_render(_body(path)))
        for chrome in CHROME:
            assert chrome not in text, f"{chrome!r} in {path.name}"


def test_images_are_copied_and_linked(imported: tuple[Path, ImportReport]) -> None:
    book, report = imported
    images = book / "articles" / "images"
    assert sorted(p.name for p in images.iterdir()) == [
        "2024-01-08-문을-여는-아침-01.png", "2024-03-29-책방-고양이의-하루-01.jpg",
        "2024-07-02-장마철의-헌책-01.png", "2024-07-02-장마철의-헌책-02.png"]
    assert (images / "2024-03-29-책방-고양이의-하루-01.jpg").read_bytes() == \
        (FIXTURES / "책방 고양이의 하루_files" / "img_0329.jpg").read_bytes()
    assert (images / "2024-07-02-장마철의-헌책-02.png").read_bytes() == \
        (FIXTURES / "rainy-season_files" / "R1280x0(1).png").read_bytes()
    cat = _body(book / "articles" / "2024-03-29-책방-고양이의-하루.md")
    assert ('![계산대 위에서 몸을 둥글게 말고 잠든 회색 고양이](images/2024-03-29-책방-고양이의-하루-01.jpg '
            '"오후 세 시, 계산대는 먼지 씨의 자리다")') in cat
    # an image without alt text gets its caption as alt text
    assert ('![낮은 서가 세 개와 창가의 작은 탁자](images/2024-01-08-문을-여는-아침-01.png'
            in _body(book / "articles" / "2024-01-08-문을-여는-아침.md"))
    # the image that was not saved with the page: left out, with a warning naming the file and line
    assert "daumcdn" not in cat and "창가의 먼지 씨" in cat
    warnings = [str(w) for w in report.warnings]
    assert any("책방 고양이의 하루.html:54" in w and "not saved with the page" in w for w in warnings)
    assert any("책방 고양이의 하루.html:59" in w and "iframe" in w for w in warnings)


def test_book_toml_is_written_from_the_pages(imported: tuple[Path, ImportReport]) -> None:
    book, report = imported
    assert report.book_toml == book / "book.toml"
    cfg = config.load(book)
    assert cfg.book.title == "작은 서점의 사계절"  # the first article's magazine
    assert cfg.book.authors == ("서하림",)
    assert cfg.articles.dir == book / "articles"


def test_imported_book_builds_an_epub(imported: tuple[Path, ImportReport], tmp_path: Path) -> None:
    report = build(imported[0], ["epub"], tmp_path)
    assert not report.warnings, report.warnings
    epub = Epub(report.outputs[0].path)
    titles = [epub.xml(f"EPUB/{href}").findtext(".//x:h1", namespaces=NS) for href in epub.spine_hrefs()
              if href.startswith("ch")]
    assert titles == [e[2] for e in EXPECTED]
    media = [i.get("media-type") for i in epub.opf.iterfind(".//opf:manifest/opf:item", NS)]
    assert media.count("image/png") >= 3 and media.count("image/jpeg") == 1


# -- importing again -------------------------------------------------------------------------------

def _snapshot(book: Path) -> dict[str, bytes]:
    return {str(p.relative_to(book)): p.read_bytes() for p in sorted(book.rglob("*")) if p.is_file()}


def test_importing_again_skips_every_page(tmp_path: Path) -> None:
    book = tmp_path / "book"
    import_pages("brunch", [FIXTURES], book)
    before = _snapshot(book)
    again = import_pages("brunch", [FIXTURES], book, title="다른 제목")
    assert [a.status for a in again.articles] == ["skipped"] * 5
    assert all(a.reason == "already in the book" for a in again.articles)
    assert [a.path.name for a in again.articles if a.path] == [e[1] for e in EXPECTED]
    assert again.book_toml is None
    assert _snapshot(book) == before  # nothing written: no article, no image, not book.toml
    assert any("--title is not used" in w.message for w in again.warnings)


def test_an_edited_article_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    book = tmp_path / "book"
    import_pages("brunch", [FIXTURES], book)
    article = book / "articles" / "2024-07-02-장마철의-헌책.md"
    original = article.read_bytes()
    article.write_text(article.read_text("utf-8").replace("장마가 시작되면", "장마가 오면"), encoding="utf-8")
    edited = article.read_bytes()

    kept = import_pages("brunch", [FIXTURES / "rainy-season.html"], book)
    assert [a.status for a in kept.articles] == ["skipped"]
    assert article.read_bytes() == edited

    forced = import_pages("brunch", [FIXTURES / "rainy-season.html"], book, force=True)
    assert [(a.status, a.path) for a in forced.articles] == [("replaced", article)]
    assert article.read_bytes() == original
    assert len(list((book / "articles" / "images").glob("2024-07-02-*"))) == 2  # its images, not copies of them


def test_a_page_without_url_is_known_by_title_and_date(tmp_path: Path) -> None:
    book = tmp_path / "book"
    copy = tmp_path / "saved" / "사본.txt"
    copy.parent.mkdir()
    shutil.copy(FIXTURES / "첫 손님의 책.txt", copy)
    report = import_pages("brunch", [FIXTURES / "첫 손님의 책.txt", copy], book)
    assert sorted(a.status for a in report.articles) == ["imported", "skipped"]
    assert "same article as" in next(a.reason for a in report.articles if a.status == "skipped")
    assert len(list((book / "articles").glob("*.md"))) == 1
    assert import_pages("brunch", [copy], book).articles[0].status == "skipped"


def test_the_address_decides_when_a_page_names_one(tmp_path: Path) -> None:
    page = "{url}\nbrunch\nby 서하림 May 01. 2024\n{title}\n\n본문 {n}.\n\n라이킷 1\n"
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "a.txt").write_text(page.format(url="https://brunch.co.kr/@harim-books/20", title="편지", n=1))
    (saved / "b.txt").write_text(page.format(url="https://brunch.co.kr/@harim-books/21", title="편지", n=2))
    first = import_pages("brunch", [saved], tmp_path / "book")
    # same title and date, different addresses: two articles, in Brunch's order
    assert [(a.status, a.path.name) for a in first.articles if a.path] == [
        ("imported", "2024-05-01-편지.md"), ("imported", "2024-05-01-편지-2.md")]
    assert "본문 2." in (tmp_path / "book" / "articles" / "2024-05-01-편지-2.md").read_text("utf-8")
    # the author renamed the article on Brunch: same address, so it is the same article
    (saved / "c.txt").write_text(page.format(url="http://brunch.co.kr/@harim-books/21/", title="두 번째 편지", n=2))
    again = import_pages("brunch", [saved / "c.txt"], tmp_path / "book")
    assert [(a.status, a.path.name) for a in again.articles if a.path] == [("skipped", "2024-05-01-편지-2.md")]


def test_an_unrelated_file_with_the_same_name_is_never_overwritten(tmp_path: Path) -> None:
    articles = tmp_path / "book" / "articles"
    articles.mkdir(parents=True)
    mine = articles / "2024-02-14-첫-손님의-책.md"
    mine.write_text("---\ntitle: 내가 쓴 다른 글\ndate: 2024-02-14\n---\n\n지우면 안 되는 글.\n", encoding="utf-8")
    for force, status in ((False, "imported"), (True, "replaced")):
        report = import_pages("brunch", [FIXTURES / "첫 손님의 책.txt"], tmp_path / "book", force=force)
        (article,) = report.articles
        assert (article.status, article.path) == (status, articles / "2024-02-14-첫-손님의-책-2.md")
        assert mine.read_text("utf-8").endswith("지우면 안 되는 글.\n")
    assert sorted(p.name for p in articles.glob("*.md")) == [
        "2024-02-14-첫-손님의-책-2.md", "2024-02-14-첫-손님의-책.md"]


def test_an_existing_book_keeps_its_book_toml_and_article_folder(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "글").mkdir(parents=True)
    toml = '[book]\ntitle = "내 책"\n\n[articles]\ndir = "글"\norder = ["00-서문.md"]\n'
    (book / "book.toml").write_text(toml, encoding="utf-8")
    report = import_pages("brunch", [FIXTURES / "겨울 낭독회.txt"], book, title="무시될 제목")
    assert (book / "book.toml").read_text("utf-8") == toml
    assert (book / "글" / "2024-12-20-겨울-낭독회.md").is_file()
    messages = [w.message for w in report.warnings]
    assert any("[articles] order" in m and "2024-12-20-겨울-낭독회.md" in m for m in messages)


def test_title_option_names_a_new_book(tmp_path: Path) -> None:
    import_pages("brunch", [FIXTURES / "rainy-season.html"], tmp_path / "b", title="비 오는 책방")
    assert config.load(tmp_path / "b").book.title == "비 오는 책방"
    import_pages("brunch", [FIXTURES / "rainy-season.html"], tmp_path / "c")  # no magazine: the author
    assert config.load(tmp_path / "c").book.title == "서하림"


# -- bad input -------------------------------------------------------------------------------------

def _fails(tmp_path: Path, files: dict[str, bytes], **options: bool) -> JebonError:
    saved = tmp_path / "saved"
    saved.mkdir(exist_ok=True)
    for name, data in files.items():
        (saved / name).write_bytes(data)
    with pytest.raises(JebonError) as caught:
        import_pages("brunch", [saved / name for name in files], tmp_path / "book", **options)
    assert not (tmp_path / "book").exists()  # nothing is written when any page fails
    return caught.value


def test_a_page_that_is_not_brunch_is_an_error_naming_it(tmp_path: Path) -> None:
    error = _fails(tmp_path, {
        "blog.html": "<!DOCTYPE html><html><body><article><p>남의 블로그 글</p></article></body></html>".encode(),
        "memo.txt": "장 볼 것\n우유\n달걀\n".encode(),
        "page.mhtml": b"From: <Saved by Blink>\nMIME-Version: 1.0\nContent-Type: multipart/related;\n",
        "page.webarchive": b"bplist00\xd1\x01\x02_\x10\x0fWebMainResource",
        "empty.txt": b"",
        "good.txt": (FIXTURES / "첫 손님의 책.txt").read_bytes(),
    })
    text = str(error)
    assert "blog.html:1: an HTML page, but not a Brunch article: no article body" in text
    assert "memo.txt:1: not a Brunch page: no `by <author> <date>` line" in text
    assert "page.mhtml:1: a single-file web archive (MHTML) is not supported" in text
    assert "page.webarchive:1: a Safari web archive (.webarchive) is not supported" in text
    assert "empty.txt:1: the file is empty" in text
    assert "Save Page As" in text and "good.txt" not in text


def test_undecodable_bytes_are_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    page = (FIXTURES / "첫 손님의 책.txt").read_text("utf-8")
    error = _fails(tmp_path, {"cp949.txt": page.encode("cp949"),
                              "broken.html": b"<html><body>\n\n<p>\xff\xfe\xfd</p></body></html>"})
    text = str(error)
    assert "cp949.txt:2: the file is not valid utf-8 text" in text and "iconv -f cp949" in text
    assert "broken.html:3: the file is not valid utf-8 text" in text


def test_a_missing_date_is_an_error_unless_the_file_date_is_asked_for(tmp_path: Path) -> None:
    page = "brunch\n작품 소개\n“인용”\nby 서하림\n날짜 없는 글\n부제목\n\n본문 한 문단.\n\n라이킷 3\n"
    recent = page.replace("by 서하림\n", "by 서하림 3시간전\n").replace("날짜 없는", "최근")
    error = _fails(tmp_path, {"undated.txt": page.encode(), "recent.txt": recent.encode()})
    text = str(error)
    assert "undated.txt:4: the page has no publication date" in text and "--date-from-mtime" in text
    assert "recent.txt:4: the page has no publication date (it shows '3시간전')" in text

    saved = tmp_path / "saved" / "undated.txt"
    os.utime(saved, (dt.datetime(2023, 5, 6, 12).timestamp(),) * 2)
    report = import_pages("brunch", [saved], tmp_path / "book", date_from_mtime=True)
    (article,) = report.articles
    assert article.date == dt.date(2023, 5, 6) and article.path is not None
    assert any("undated.txt:4" in str(w) and "modification date 2023-05-06" in str(w) for w in report.warnings)
    assert "date: 2023-05-06  # the saved file's modification date: check it" in article.path.read_text("utf-8")
    assert _front(article.path)["date"] == dt.date(2023, 5, 6)


def test_images_outside_the_saved_page_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "private.png").write_bytes((FIXTURES / "rainy-season_files" / "R1280x0.png").read_bytes())
    saved = tmp_path / "saved"
    saved.mkdir()
    page = (FIXTURES / "rainy-season.html").read_text("utf-8").replace(
        "./rainy-season_files/R1280x0.png", "../private.png").replace("./rainy-season_files/", "./없는_files/")
    (saved / "rainy-season.html").write_text(page, encoding="utf-8")
    report = import_pages("brunch", [saved], tmp_path / "book")
    assert report.articles[0].images == 0
    assert not (tmp_path / "book" / "articles" / "images").exists()
    messages = [str(w) for w in report.warnings]
    assert any("'../private.png' is outside the saved page's folder" in m for m in messages)
    assert any("R1280x0(1).png' is not beside the page" in m for m in messages)


def test_a_page_saved_as_utf16_is_read(tmp_path: Path) -> None:
    page = tmp_path / "utf16.txt"
    page.write_bytes((FIXTURES / "첫 손님의 책.txt").read_text("utf-8").encode("utf-16"))  # with a BOM
    report = import_pages("brunch", [page], tmp_path / "book")
    assert [a.title for a in report.articles] == ["첫 손님의 책"]


def test_missing_inputs_and_a_file_as_book_are_errors(tmp_path: Path) -> None:
    with pytest.raises(JebonError, match="no such file"):
        import_pages("brunch", [tmp_path / "없는.html"], tmp_path / "book")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        import_pages("brunch", [FIXTURES / "첫 손님의 책.txt"], tmp_path / "file")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "book.toml").write_text("[book\n")
    with pytest.raises(ConfigError, match=r"book.toml:1: invalid TOML"):
        import_pages("brunch", [FIXTURES / "첫 손님의 책.txt"], tmp_path / "bad")


# -- the copied text, line by line ----------------------------------------------------------------

def _text_page(tmp_path: Path, text: str) -> tuple[Page, Diagnostics]:
    path = tmp_path / "page.txt"
    path.write_text(text, encoding="utf-8")
    diag = Diagnostics()
    page = brunch.read(path, diag)
    assert page is not None, diag.problems
    return page, diag


@pytest.mark.parametrize("byline", [
    "by 홍길동 Mar 29. 2024", "by홍길동Mar 29. 2024", "by 홍길동 · Mar 29, 2024", "by 홍길동\nMar 29. 2024",
    "by\n홍길동\nMar 29. 2024", "by 홍길동 2024. 3. 29.", "by 홍길동 2024년 3월 29일", "By 홍길동 | March 29 2024",
])
def test_byline_variants(tmp_path: Path, byline: str) -> None:
    page, diag = _text_page(tmp_path, f"brunch\n소개 한 줄\n“인용 한 줄”\n{byline}\n제목\n부제\n\n첫 문단이다.\n")
    assert not diag.problems
    assert (page.author, page.date, page.title, page.subtitle) == (
        "홍길동", dt.date(2024, 3, 29), "제목", "부제")
    assert page.body == "첫 문단이다.\n"


def test_subtitle_is_optional_and_lines_without_blank_lines_are_paragraphs(tmp_path: Path) -> None:
    text = "by 홍길동 Mar 29. 2024\n제목\n첫 문장은 마침표로 끝난다.\n둘째 줄.\n작가의 이전글 앞 글\n"
    page, _ = _text_page(tmp_path, text)
    assert page.subtitle is None
    assert page.body == "첫 문장은 마침표로 끝난다.\n\n둘째 줄.\n"


def test_a_long_banner_is_reported(tmp_path: Path) -> None:
    _, diag = _text_page(tmp_path, "brunch\n하나\n둘\n셋\n넷\nby 홍길동 Mar 29. 2024\n제목\n\n본문.\n")
    assert any("5 lines before the byline were dropped" in str(w) for w in diag.warnings)


def test_chrome_lines_are_whole_lines_only() -> None:
    for line in ("라이킷 27", "댓글 3", "공유", "구독자 1,204", "매거진의 이전글 장마철의 헌책", "작가의 다음글",
                 "keyword", "magazine 작은 서점", "브런치는 최신 브라우저에 최적화 되어있습니다. IE chrome safari"):
        assert brunch.is_chrome(line), line
    for line in ("댓글을 달아 준 손님이 있었다.", "공유 서가를 만들었다", "keywords are hard", "매거진을 읽는 밤",
                 "다음 글 예고: 장마철의 헌책", "작가의 다른 글을 찾아 읽었다.", "이전 글에서 말한 서가"):
        assert not brunch.is_chrome(line), line


# -- escaping: any text survives ------------------------------------------------------------------

_CHARS = st.sampled_from(list("가나다 ab 12.-+*_#>=:~`|[]{}()!<&;\\\"'^@?,%"))


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(st.text(_CHARS, min_size=1, max_size=25).filter(str.strip), min_size=1, max_size=4))
def test_escaped_text_renders_as_itself(lines: list[str]) -> None:
    """Every line of any text, with every character Markdown and jebon's extensions read, renders as
    itself (a line break between lines, nothing else)."""
    md = paragraph(BR.join(escape_chars(" ".join(line.split())) for line in lines))
    root = _render("앞 문단\n\n" + md)
    assert len(root) == 2 and root[1].tag == "p", md
    for br in root.iter("br"):
        br.tail = "\ue000" + (br.tail or "")
    got = [" ".join(part.split()) for part in "".join(str(t) for t in root[1].itertext()).split("\ue000")]
    assert got == [" ".join(line.split()) for line in lines], md


_INLINE = st.recursive(
    st.one_of(st.text(_CHARS, max_size=10).map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;")),
              st.just("<br>")),
    lambda inner: st.tuples(st.sampled_from(["b", "i", "strong", "em", "span", "a", "u", "code"]),
                            st.lists(inner, max_size=3)).map(
        lambda t: (f'<{t[0]} href="https://e.x/p">' if t[0] == "a" else f"<{t[0]}>") + "".join(t[1]) + f"</{t[0]}>"),
    max_leaves=8)


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(_INLINE, min_size=1, max_size=5))
def test_converted_html_renders_the_same_words(parts: list[str]) -> None:
    """Bold, italic, links, code and line breaks nested any way: the Markdown shows the same words."""
    html = "<div><p>" + "".join(parts) + "</p></div>"
    markdown = Converter(lambda img, caption: "").markdown(lxml.html.fragment_fromstring(html))
    assert _words(_render(markdown)) == _words(lxml.html.fragment_fromstring(html)), markdown


def test_ruby_becomes_jebon_ruby() -> None:
    html = "<div><p><ruby>活字<rp>(</rp><rt>활자</rt><rp>)</rp></ruby>와 <ruby>a*b<rt>x</rt></ruby></p></div>"
    markdown = Converter(lambda img, caption: "").markdown(lxml.html.fragment_fromstring(html))
    assert markdown == "{活字|활자}와 a\\*b(x)\n"
    ruby = _render(markdown).find(".//ruby")
    assert ruby is not None and ruby.text == "活字" and ruby.findtext("rt") == "활자"


# -- the command line -----------------------------------------------------------------------------

def test_cli_json_report_and_table(tmp_path: Path) -> None:
    book = tmp_path / "book"
    result = runner.invoke(app, ["import", "brunch", str(FIXTURES), "--into", str(book), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["imported"] == 5 and report["book_toml"] == str(book / "book.toml")
    assert [a["date"] for a in report["articles"]] == [e[4].isoformat() for e in EXPECTED]
    assert {w["line"] for w in report["warnings"]} == {54, 59}
    again = runner.invoke(app, ["import", "brunch", str(FIXTURES / "겨울 낭독회.txt"), "--into", str(book)])
    assert again.exit_code == 0
    assert "skipped" in again.stdout and "already in the book" in again.stdout and "--force" in again.stdout


def test_cli_errors_exit_1_and_usage_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "memo.txt").write_text("그냥 메모\n", encoding="utf-8")
    bad = runner.invoke(app, ["import", "brunch", str(tmp_path / "memo.txt"), "--into", str(tmp_path / "b")])
    assert bad.exit_code == 1 and "memo.txt:1" in bad.stderr and "Traceback" not in bad.output
    assert runner.invoke(app, ["import", "brunch", str(tmp_path / "memo.txt")]).exit_code == 2  # no --into
    assert runner.invoke(app, ["import", "brunch", str(FIXTURES / "겨울 낭독회.txt"), "--into",
                               str(tmp_path / "memo.txt")]).exit_code == 2
