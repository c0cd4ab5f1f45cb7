"""`jebon import brunch`: saved Brunch pages (HTML and copied text) → Markdown articles, in date order or
in the order of a magazine, a brunchbook or a list of addresses."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tomllib
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
from jebon.importers.page import ArticleList, Page, ReadOptions
from jebon.importers.run import ImportReport, import_pages
from jebon.importers.tomlorder import OrderEditError, set_order
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
    """The words of a fixture page's article body (`.wrap_body`), as a browser shows them; a video
    player counts as what the book shows instead, the word `동영상` and its page's address."""
    doc = lxml.html.parse(str(FIXTURES / name)).getroot()
    body = doc.xpath('//*[contains(concat(" ", @class, " "), " wrap_body ")]')[0]
    for frame in list(body.iter("iframe")):
        src = re.sub(r".*/cliplink/(\d+).*", r"https://tv.kakao.com/v/\1", frame.get("src"))
        frame.getparent().text = f"동영상 {src}"
        frame.drop_tree()
    for card in body.xpath('.//*[contains(@class, "item_type_opengraph")]'):  # a link card names its site
        link = card.find(".//a")
        link.tail = " (" + re.sub(r"^https://(www\.)?([^/]+).*", r"\2)", link.get("href")) + (link.tail or "")
    for el in list(body.iter("script", "style")):
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
    # a relative link is made absolute against brunch.co.kr; the video player becomes its page's address
    assert [a.get("href") for a in cat.iter("a")] == ["https://tv.kakao.com/v/12345",
                                                      "https://brunch.co.kr/@harim-books/2"]
    assert len(cat.findall(".//blockquote/p")) == 2
    # two line items with a blank item between them are two paragraphs
    assert [p.text[:8] for p in cat.findall("p")[:2]] == ["책방에는 고양이", "계산대 위에는 "]

    rain = _render(_body(articles / "2024-07-02-장마철의-헌책.md"))
    assert rain.find(".//h2").text == "습도계 두 개"
    assert rain.find(".//strong/em") is not None or rain.find(".//em/strong") is not None
    assert len(rain.findall(".//ul/li/ul/li")) == 2  # the nested list stays nested
    assert rain.find(".//u").text == "하루의 첫 일"  # underline is kept
    card = next(p for p in rain.iter("p") if p.find("a") is not None and (p.find("a").tail or "") == " (example.org)")
    assert card.find("a").get("href") == "https://example.org/old-paper-care"


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
    # an image without alt text keeps none (its caption is its caption, not a description), with a warning
    assert ('![](images/2024-01-08-문을-여는-아침-01.png "낮은 서가 세 개와 창가의 작은 탁자")'
            in _body(book / "articles" / "2024-01-08-문을-여는-아침.md"))
    warnings = [str(w) for w in report.warnings]
    assert any("문을 여는 아침.html:65: image 'shelf.png' has no alt text" in w for w in warnings)
    # the image that was not saved with the page: left out, with a warning naming the file and line
    assert "daumcdn" not in cat and "창가의 먼지 씨" in cat
    assert any("책방 고양이의 하루.html:55" in w and "not saved with the page" in w for w in warnings)
    # so is the cover photo that was not saved
    assert any("문을 여는 아침.html:39: cover photo" in w and "cover_3.jpg" in w for w in warnings)


def test_book_toml_is_written_from_the_pages(imported: tuple[Path, ImportReport]) -> None:
    book, report = imported
    assert report.book_toml == book / "book.toml"
    cfg = config.load(book)
    assert cfg.book.title == "작은 서점의 사계절"  # the first article's magazine
    assert cfg.book.authors == ("서하림",)
    assert cfg.articles.dir == book / "articles"


def test_imported_book_builds_an_epub(imported: tuple[Path, ImportReport], tmp_path: Path) -> None:
    report = build(imported[0], ["epub"], tmp_path)
    # the image the page gave no description is the only thing the build reports
    assert [w.message for w in report.warnings] == ["image 'images/2024-01-08-문을-여는-아침-01.png' has no alt text"]
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
    # the site's name is known and not counted; the four unknown lines are listed
    assert any("4 lines before the byline were dropped as the site banner: 하나 / 둘 / 셋 / 넷" in str(w)
               for w in diag.warnings)


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
    assert {(Path(w["path"]).name, w["line"]) for w in report["warnings"]} == {
        ("문을 여는 아침.html", 39), ("문을 여는 아침.html", 65), ("책방 고양이의 하루.html", 55)}
    assert report["order"] is None and report["lists"] == []
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


# -- the real site: copied pages -------------------------------------------------------------------

CORPUS = ROOT.parent / "shared" / "corpus" / "brunch-copied-text"
# Five real pages copied from brunch.co.kr (other people's text: read here, never committed). What
# each must become, read off the page by hand: title, subtitle, author, date, magazine, and the first
# and last words of its text.
REAL_PAGES = [
    ("webtutor-722.txt", "차 한 잔과 시민의 집", None, "교실밖", dt.date(2023, 10, 31), "일상담화",
     "창덕궁 옆에 시민의 집이 있다.", "가슴이 설레는 일을 하고 싶다."),
    ("ringringstar-1147.txt", "2014년 3월 18일", None, "꽃반지", dt.date(2024, 3, 18), None,
     "얼마 전에 좋아하는 작가님을", "하루의 9할을 작업에 쓴다는 얘기도 했다."),
    ("episcopalpaul78-335.txt", "문학은 즐거움이다", "소파 방정환, 이기영 작가의 삶", "김재홍",
     dt.date(2024, 6, 13), None,
     "이기영 작가와 소파 방정환에게", "잊게하는 즐거움이었다."),
    ("folL-13.txt", "서울에서 가볼 만한 바, 카페", "잡지의 형식", "환씨", dt.date(2023, 7, 4), "MAGAZINE C",
     "나는 잡지의 본질이", "충분이 의의가 존재한다고 생각한다."),
    ("tjben0510-3.txt", "작가 소개", None, "주태훈", dt.date(2024, 10, 20), None,
     "말보다 행동, 행동보다 꿈이 앞서는 사람.", "자신의 꿈을 펼쳐나간다."),
]
# What the site puts around every copied article: none of it may reach one.
SITE_CHROME = ["You can make anything", "by writing", "C.S.Lewis", "brunch", "매거진 ", "매거진의 이전글",
               "작가의 이전글", "작품 선택", "키워드 선택", "댓글여부", "afliean", "브런치는", "IE chrome safari"]
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real pages are not here ({CORPUS})")


@needs_corpus
@pytest.mark.parametrize("name, title, subtitle, author, date, magazine, first, last", REAL_PAGES)
def test_real_copied_pages(name: str, title: str, subtitle: str | None, author: str, date: dt.date,
                           magazine: str | None, first: str, last: str) -> None:
    diag = Diagnostics()
    page = brunch.read(CORPUS / name, diag)
    assert isinstance(page, Page), diag.problems
    assert not diag.problems
    assert (page.title, page.subtitle, page.author, page.date, page.magazine) == (
        title, subtitle, author, date, magazine)
    text = _words(_render(page.body))
    assert text.startswith(first) and text.endswith(last), text
    for chrome in SITE_CHROME:
        assert chrome not in page.body, f"{chrome!r} in {name}"


@needs_corpus
def test_real_copied_pages_keep_their_lines_and_paragraphs() -> None:
    # A copy with a blank line after every line: one blank line is the copy's, two are the author's.
    page = brunch.read(CORPUS / "webtutor-722.txt", Diagnostics())
    assert isinstance(page, Page)
    root = _render(page.body)
    assert [len(p.findall("br")) for p in root] == [1, 1, 1]
    # A copy without them: a blank line ends a stanza, a newline is a line.
    page = brunch.read(CORPUS / "tjben0510-3.txt", Diagnostics())
    assert isinstance(page, Page)
    assert [len(p.findall("br")) for p in _render(page.body)] == [1, 2, 2, 2, 3]


@needs_corpus
def test_real_copied_pages_import_into_a_book(tmp_path: Path) -> None:
    report = import_pages("brunch", [CORPUS], tmp_path / "book")
    assert sorted(a.title for a in report.articles) == sorted(p[1] for p in REAL_PAGES)
    assert not report.warnings
    for article in report.articles:
        assert article.path is not None
        meta = _front(article.path)
        expected = next(p for p in REAL_PAGES if p[1] == article.title)
        assert (meta["author"], meta["date"], meta.get("subtitle")) == (expected[3], expected[4], expected[2])


# -- the copied text: the site's banner, slogan, magazine and chrome ---------------------------------

@pytest.mark.parametrize("head", [
    "brunch\n\nYou can make anything\nby writing\n\nC.S.Lewis\n",
    "brunch story\n매거진 골목의 책방\nYou can make anything\nby writing\n— C.S.Lewis —\n",
    "브런치스토리\nYou can make anything by writing\nC.S. Lewis\n",
    "by writing\nC.S.Lewis\n",  # the slogan alone, the banner lost in copying
    "",
])
def test_the_slogan_is_never_the_byline(tmp_path: Path, head: str) -> None:
    page, diag = _text_page(tmp_path, head + "\nby 서하림 Apr 02. 2024\n\n봄의 책방\n\n창문을 처음 연 날\n\n"
                                       "먼지를 털었다.\n")
    assert (page.author, page.date, page.title, page.subtitle) == (
        "서하림", dt.date(2024, 4, 2), "봄의 책방", "창문을 처음 연 날")
    assert page.magazine == ("골목의 책방" if "매거진" in head else None)
    assert page.body == "먼지를 털었다.\n"
    assert not diag.problems  # the known banner and slogan lines are not reported as dropped


def test_a_byline_without_a_date_is_still_the_authors(tmp_path: Path) -> None:
    # The slogan's `by writing` is no candidate even when the real byline has no date: the page is
    # the author's, and its missing date is reported on the byline's line.
    text = "brunch\n\nYou can make anything\nby writing\n\nC.S.Lewis\n\nby 서하림\n\n봄의 책방\n\n먼지를 털었다.\n"
    page, _ = _text_page(tmp_path, text)
    assert (page.author, page.date, page.title, page.date_line) == ("서하림", None, "봄의 책방", 8)
    with pytest.raises(JebonError, match=r"page.txt:8: the page has no publication date"):
        import_pages("brunch", [tmp_path / "page.txt"], tmp_path / "book")


def test_the_byline_with_a_date_wins_anywhere_in_the_head(tmp_path: Path) -> None:
    # A `by` line without a date before the real byline (a tagline, say) is not the byline.
    text = "brunch\nby 누구나 작가가 되는 곳\n매거진 골목의 책방\nYou can make anything\nby writing\nC.S.Lewis\n" \
           "by 서하림 Apr 02. 2024\n봄의 책방\n\n먼지를 털었다.\n"
    page, _ = _text_page(tmp_path, text)
    assert (page.author, page.date, page.title, page.magazine) == (
        "서하림", dt.date(2024, 4, 2), "봄의 책방", "골목의 책방")


def test_every_trailing_chrome_line_is_dropped(tmp_path: Path) -> None:
    text = ("by 서하림 Apr 02. 2024\n봄의 책방\n\n먼지를 털었다.\n\n\n작가의 이전글 겨울 낭독회\n작품 선택\n"
            "키워드 선택 0 / 3 0\n댓글여부\nxkq\n브런치는 최신 브라우저에 최적화 되어있습니다. IE chrome safari\n")
    page, _ = _text_page(tmp_path, text)
    assert page.body == "먼지를 털었다.\n"
    for line in ("작품 선택", "키워드 선택 0 / 3 0", "키워드 선택", "댓글여부", "댓글 여부"):
        assert brunch.is_chrome(line), line
    for line in ("작품 선택의 이유", "키워드 선택이 어려웠다.", "댓글여부를 물었다"):
        assert not brunch.is_chrome(line), line


def test_copied_blank_lines(tmp_path: Path) -> None:
    head = "by 서하림 Apr 02. 2024\n봄의 책방\n창문을 연 날\n\n"

    def body(text: str, **options: bool) -> str:
        page = brunch.parse_text(tmp_path / "page.txt", head + text, Diagnostics(), ReadOptions(**options))
        assert page is not None and page.subtitle == "창문을 연 날"
        return page.body

    # a blank line after every line of the page: one is the copy's, more are the author's
    assert body("하나\n\n둘\n\n\n셋\n\n넷\n") == "하나<br>\n둘\n\n셋<br>\n넷\n"
    # --lines keeps the author's blank lines as empty lines
    assert body("하나\n\n둘\n\n\n\n셋\n", lines=True) == "하나<br>\n둘<br><br><br>\n셋\n"
    # a copy without the extra blank lines: a blank line is a paragraph break, or with --lines an empty line
    assert body("하나\n둘\n\n셋\n") == "하나<br>\n둘\n\n셋\n"
    assert body("하나\n둘\n\n셋\n", lines=True) == "하나<br>\n둘<br><br>\n셋\n"
    # no blank line at all: a paragraph per line, or with --lines one paragraph of lines
    assert body("하나\n둘\n") == "하나\n\n둘\n"
    assert body("하나\n둘\n", lines=True) == "하나<br>\n둘\n"


# -- the saved page as the site writes it --------------------------------------------------------

MAGAZINE = FIXTURES / "magazine"
REPAIR = MAGAZINE / "헌책 수선의 날.html"
POEM = MAGAZINE / "눈 오는 밤.html"


def _html_page(tmp_path: Path, source: Path, *replace: tuple[str, str],
               options: ReadOptions | None = None) -> tuple[Page, Diagnostics]:
    """A fixture page, changed by `replace` (old, new) pairs, read as the importer reads it (beside
    the fixture's `_files` folder, so that its images are there)."""
    text = source.read_text("utf-8")
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new)
    path = source.parent / f".{tmp_path.name}.html"  # beside the _files folder; removed below
    path.write_text(text, encoding="utf-8")
    try:
        diag = Diagnostics()
        page = brunch.read(path, diag, options)
        assert isinstance(page, Page), diag.problems
        return page, diag
    finally:
        path.unlink()


def test_saved_page_reads_the_sites_metadata(tmp_path: Path) -> None:
    page, _ = _html_page(tmp_path, REPAIR)
    assert (page.title, page.subtitle, page.author, page.date, page.magazine) == (
        "헌책 수선의 날", "풀 한 통과 무명실 한 타래", "서하림", dt.date(2024, 5, 14), "작은 서점의 사계절")
    assert page.url == "https://brunch.co.kr/@harim-books/7"
    assert page.aliases == ("https://brunch.co.kr/@harim-books/7", "https://brunch.co.kr/@@hRm7/7")
    assert page.tags == ("헌책", "책수선", "책방")


def test_saved_page_metadata_falls_back_as_the_site_allows(tmp_path: Path) -> None:
    author_link = '<a href="/@harim-books" class="link_author #author">서하림</a>'
    # no byline link: <meta name="byl">; no byl either: the rich-scrap summary (never article:author's address)
    byl = '<meta name="byl" content="서하림">'
    page, _ = _html_page(tmp_path, REPAIR, (author_link, ""), (byl, '<meta name="byl" content="하림">'))
    assert page.author == "하림"
    scrap = "&quot;author&quot;:{&quot;name&quot;:&quot;"
    page, _ = _html_page(tmp_path, REPAIR, (author_link, ""), (byl, ""), (scrap + "서하림", scrap + "서 하림"))
    assert page.author == "서 하림"
    # the date under the title, else article:published_time (Korean time, as written), else the summary's
    page, _ = _html_page(tmp_path, REPAIR, ("May 14. 2024", "3시간전"))
    assert page.date == dt.date(2024, 5, 14)
    page, _ = _html_page(tmp_path, REPAIR, ("May 14. 2024", "3시간전"),
                         ("2024-05-14T07:30+0900", "2024-05-13T23:30+0900"))
    assert page.date == dt.date(2024, 5, 13)
    # the magazine: the summary's category, else article:media_name unless that is the author's name
    no_category = ("&quot;category_title&quot;:&quot;작은 서점의 사계절&quot;,", "")
    page, _ = _html_page(tmp_path, REPAIR, no_category, ('content="작은 서점의 사계절">', 'content="책방 일지">'))
    assert page.magazine == "책방 일지"
    page, _ = _html_page(tmp_path, REPAIR, no_category, ('content="작은 서점의 사계절">', 'content="서하림">'))
    assert page.magazine is None


@pytest.fixture(scope="module")
def repair() -> tuple[Page, Diagnostics, etree._Element]:
    diag = Diagnostics()
    page = brunch.read(REPAIR, diag)
    assert isinstance(page, Page)
    return page, diag, _render(page.body)


def test_saved_page_lines_and_breaks(repair: tuple[Page, Diagnostics, etree._Element]) -> None:
    page, _, root = repair
    paragraphs = [p for p in root if p.tag == "p" and p.find("img") is None]
    # Line items stay lines of one paragraph; a run of `<p><br></p>` items (one, two, or an nbsp
    # item, or an empty heading) is one paragraph break.
    first = paragraphs[0]
    assert first.text.startswith("한 달에 한 번") and len(first.findall("br")) == 1
    assert first.find("br").tail.strip().startswith("지난달 들어온 책")
    assert paragraphs[1].text.startswith("수선이라고 해서") and len(paragraphs[1].findall("br")) == 1
    assert "<br><br>" not in page.body and "\n\n\n" not in page.body
    # An h4 that reads as a sentence next to lines is a line of their paragraph, a short one a heading.
    thread = next(p for p in paragraphs if (p.text or "").startswith("실은 굵을수록"))
    assert thread.find("br").tail.strip() == "그래서 나는 늘 중간 굵기를 고른다."
    assert [(h.tag, h.text) for h in root.iter("h2", "h3")] == [("h2", "작업대 위의 것들"), ("h3", "무명실 고르기")]


def test_saved_page_marks_quotes_rules_and_images(repair: tuple[Page, Diagnostics, etree._Element]) -> None:
    page, diag, root = repair
    assert [s.text for s in root.iter("strong")] == ["풀", "실", "수선 순서"]
    assert [e.text for e in root.iter("em")] == ["책을 망가뜨릴까 봐"]
    assert [u.text for u in root.iter("u")] == ["서두르지 않는 마음"]
    assert [s.text for s in root.iter("s")] == ["비싼 제본용 풀"]
    quotes = root.findall("blockquote")  # quote, bar and box
    assert [len(q.findall(".//br")) for q in quotes] == [1, 0, 3]
    assert quotes[0].find("p").text == "책을 고치는 일은 책을 읽는 일과 닮았다."
    assert len(root.findall("hr")) == 1
    # The cover photo opens the article; Brunch's "브런치 글 이미지 1" alt is dropped, so both are reported.
    images = [img for img in root.iter("img")]
    assert [img.get("src").strip("\ufffd") for img in images] == ["image-1", "image-2", "image-3"]
    assert root[0].find("img") is images[0] and [i.source.name for i in page.images] == [
        "cover.jpg", "workbench.png", "hqdefault.jpg"]
    assert images[1].get("alt") == "" and images[1].get("title") == "작업대에 펼쳐 둔 풀과 붓, 무명실"
    assert "브런치 글 이미지" not in page.body
    warnings = [str(w) for w in diag.warnings]
    assert any(":72: image 'workbench.png' has no alt text (the page's '브런치 글 이미지 1' says nothing" in w
               for w in warnings)
    assert any(":42: cover photo 'cover.jpg' has no alt text" in w for w in warnings)


def test_a_cover_photo_left_online_is_reported_with_what_to_do(tmp_path: Path) -> None:
    page, diag = _html_page(tmp_path, REPAIR, ("url(&quot;./헌책 수선의 날_files/cover.jpg&quot;)",
                                               "url(&quot;//img1.daumcdn.net/thumb/R1280x0/?fname=cover.jpg&quot;)"))
    assert [i.source.name for i in page.images] == ["workbench.png", "hqdefault.jpg"]
    (warning,) = [w for w in diag.warnings if "cover photo" in w.message]
    assert warning.line == 42 and "was not saved with the page" in warning.message
    assert "Save Image As" in (warning.hint or "")


def test_saved_page_link_cards_and_videos(repair: tuple[Page, Diagnostics, etree._Element]) -> None:
    page, diag, root = repair
    # A link card: its title as the link, its site, and its description as a line.
    card = next(p for p in root.iter("p") if p.find("a") is not None and p.find("a").text == "헌책 손보기 교실")
    assert card.find("a").get("href") == "https://library.example.org/class/book-repair"
    assert card.find("a").tail == " (library.example.org)"
    assert card.find("br").tail.strip() == "낡은 책을 스스로 고치는 법을 배우는 주말 강좌입니다."
    # A video saved with its still image: a figure, then its page's address (not the player's).
    still = next(img for img in root.iter("img") if "image-3" in img.get("src"))
    assert (still.get("alt"), still.get("title")) == (
        "동영상: 책등에 실을 꿰는 법 (3분)", "동영상: 책등에 실을 꿰는 법 (3분)")
    assert '"동영상: 책등에 실을 꿰는 법 (3분)")\n\n' \
        "[https://www.youtube.com/watch?v=kR3bkPg7sQo](https://www.youtube.com/watch?v=kR3bkPg7sQo)\n" in page.body
    # A video whose still image was not saved: its caption and a link to it, with a warning.
    assert "동영상: 수선한 책 한 권의 전과 후<br>\n[https://tv.kakao.com/v/43128765](https://tv.kakao.com/v/43128765)" \
        in page.body
    assert any(":95: the video's still image was not saved" in str(w) for w in diag.warnings)
    assert "iframe" not in page.body and not any("embedded" in str(w) for w in diag.warnings)


def test_saved_page_drops_the_site(repair: tuple[Page, Diagnostics, etree._Element]) -> None:
    text = _words(repair[2])
    for chrome in ("라이킷", "구독", "매거진의 이전글", "책방 고양이의 하루", "풀냄새", "목공풀로도", "브런치는",
                   "keyword", "서하림", "May 14. 2024", "brunch", "열 평짜리 책방을 꾸립니다"):
        assert chrome not in text, chrome


def test_old_pages_write_every_line_as_h4(tmp_path: Path) -> None:
    page, _ = _html_page(tmp_path, POEM)
    assert page.body == ("눈 오는 밤에는<br>\n전화벨도 조금 작게 운다\n\n"
                         "퇴근길 버스 창에<br>\n누가 손가락으로 쓴 이름 하나<br>\n내리는 눈이 천천히 지운다\n\n"
                         "언젠가 나는<br>\n책이 많은 가게를 열 것이다<br>\n불을 반만 켜 두고<br>\n"
                         "눈 오는 밤의 손님을 기다릴 것이다\n\n"
                         "2019년 겨울, 회사 옥상에서\n")
    assert page.magazine is None  # article:media_name is the author's name here
    # --lines keeps every line: blank ones stay empty lines (two blank items, two empty lines)
    lines, _ = _html_page(tmp_path, POEM, options=ReadOptions(lines=True))
    assert lines.body == ("눈 오는 밤에는<br>\n전화벨도 조금 작게 운다<br><br>\n"
                          "퇴근길 버스 창에<br>\n누가 손가락으로 쓴 이름 하나<br>\n"
                          "내리는 눈이 천천히 지운다<br><br><br>\n"
                          "언젠가 나는<br>\n책이 많은 가게를 열 것이다<br>\n불을 반만 켜 두고<br>\n"
                          "눈 오는 밤의 손님을 기다릴 것이다<br><br>\n2019년 겨울, 회사 옥상에서\n")
    # --h4 heading: every h4 line is a heading; --h4 text: none is, even a heading-like one
    headings, _ = _html_page(tmp_path, POEM, options=ReadOptions(h4="heading"))
    assert [h.text for h in _render(headings.body).iter("h2")][:2] == ["눈 오는 밤에는", "전화벨도 조금 작게 운다"]
    repair_text, _ = _html_page(tmp_path, REPAIR, options=ReadOptions(h4="text"))
    assert _render(repair_text.body).find(".//h3") is None and "무명실 고르기<br>" in repair_text.body


def test_an_article_with_a_few_short_h4s_has_headings(tmp_path: Path) -> None:
    body = "".join(f'<p class="wrap_item item_type_text">{t}</p>'
                   for t in ("첫 줄이다.", "둘째 줄이다.", "셋째 줄이다."))
    short = '<h4 class="wrap_item item_type_text">짧은 제목</h4><p class="wrap_item item_type_text"><br></p>'
    page, _ = _html_page(tmp_path, POEM, (POEM.read_text("utf-8").split('<div class="wrap_body text_align_left">')[1]
                                          .split("</div>")[0], short + body))
    assert page.body == "## 짧은 제목\n\n첫 줄이다.<br>\n둘째 줄이다.<br>\n셋째 줄이다.\n"


def test_strike_survives_the_sanitiser_and_both_formats_draw_the_marks(tmp_path: Path) -> None:
    from weasyprint import CSS, HTML

    from jebon import resources

    book = tmp_path / "book"
    (book / "articles").mkdir(parents=True)
    (book / "book.toml").write_text('[book]\ntitle = "표시"\nauthor = "나"\nlanguage = "ko"\n', encoding="utf-8")
    (book / "articles" / "a.md").write_text(
        "---\ntitle: 표시\ndate: 2024-01-01\n---\n\n<u>밑줄</u>과 <s>취소선</s>과 <strike>옛 취소선</strike>\n",
        encoding="utf-8")
    report = build(book, ["epub"], tmp_path / "out")
    assert not report.warnings, report.warnings  # <strike> is not "not supported"
    chapter = Epub(report.outputs[0].path).xml("EPUB/ch01.xhtml")
    assert [(el.tag.split("}")[1], el.text) for el in chapter.iter(f"{{{NS['x']}}}u", f"{{{NS['x']}}}s")] == [
        ("u", "밑줄"), ("s", "취소선"), ("s", "옛 취소선")]
    assert "u, ins { text-decoration: underline" in resources.style("epub.css")
    # The print stylesheet keeps both marks (nothing in it takes them away again).
    html = '<div class="chapter-body"><p><a href="#x"><u>밑줄</u></a> <s>취소선</s></p></div>'
    document = HTML(string=html).render(stylesheets=[CSS(string=resources.style("print.css"))])

    def boxes(box: object) -> list[object]:
        return [box, *(b for child in getattr(box, "children", None) or [] for b in boxes(child))]

    marks = {b.element_tag: b.style["text_decoration_line"] for b in boxes(document.pages[0]._page_box)  # type: ignore[attr-defined]
             if getattr(b, "element_tag", None) in ("u", "s")}
    assert marks == {"u": {"underline"}, "s": {"line-through"}}


# -- a magazine in order ----------------------------------------------------------------------------

MAGAZINE_ORDER = ["2024-05-14-헌책-수선의-날.md", "2024-01-08-문을-여는-아침.md", "2024-08-19-책방의-여름휴가.md",
                  "2019-12-24-눈-오는-밤.md", "2024-12-20-겨울-낭독회.md"]
MAGAZINE_INPUTS = [MAGAZINE, FIXTURES / "문을 여는 아침.html", FIXTURES / "겨울 낭독회.txt"]


def test_a_saved_magazine_page_is_a_list(tmp_path: Path) -> None:
    found = brunch.read(MAGAZINE / "작은 서점의 사계절.html", Diagnostics())
    assert isinstance(found, ArticleList)
    assert (found.kind, found.title, found.url) == ("magazine", "작은 서점의 사계절",
                                                     "https://brunch.co.kr/magazine/small-bookshop")
    # the list's own links, in its order; not the header's, nor the recommended articles of others
    assert [e.url.rsplit("/", 1)[1] for e in found.entries] == ["7", "3", "11", "1", "14"]
    assert [e.title for e in found.entries] == [
        "헌책 수선의 날", "문을 여는 아침", "책방의 여름휴가", "눈 오는 밤", "겨울 낭독회"]
    book = brunch.read(FIXTURES / "brunchbook" / "책방을 여는 일.html", Diagnostics())
    assert isinstance(book, ArticleList) and (book.kind, book.title) == ("brunchbook", "책방을 여는 일")
    assert [e.url.rsplit("/", 1)[1] for e in book.entries] == ["9", "3", "5"]


def test_other_pages_of_the_site_are_no_list(tmp_path: Path) -> None:
    page = (MAGAZINE / "작은 서점의 사계절.html").read_text("utf-8")
    author = tmp_path / "author.html"
    author.write_text(page.replace("https://brunch.co.kr/magazine/small-bookshop", "https://brunch.co.kr/@harim-books")
                      .replace("(0044)", "(0034)"), encoding="utf-8")
    diag = Diagnostics()
    brunch.read(author, diag)
    assert [p.message for p in diag.errors] == ["an author's page lists the articles newest first: it gives no "
                                                 "book order"]
    keyword = tmp_path / "keyword.html"
    keyword.write_text(page.replace("https://brunch.co.kr/magazine/small-bookshop", "https://brunch.co.kr/keyword/책방"),
                       encoding="utf-8")
    diag = Diagnostics()
    assert brunch.read(keyword, diag) is None
    assert "an HTML page, but not a Brunch article: no article body" in str(diag.errors[0])


def test_a_magazine_is_imported_in_its_order(tmp_path: Path) -> None:
    book = tmp_path / "book"
    report = import_pages("brunch", MAGAZINE_INPUTS, book)
    assert report.order == MAGAZINE_ORDER and report.order_written == "created"
    text = (book / "book.toml").read_text("utf-8")
    data = tomllib.loads(text)
    assert data["articles"]["order"] == MAGAZINE_ORDER
    assert data["book"]["title"] == "작은 서점의 사계절"
    assert "# In the order of 작은 서점의 사계절 <https://brunch.co.kr/magazine/small-bookshop>." in text
    from jebon.api import load_book

    assert [a.path.name for a in load_book(book).articles] == MAGAZINE_ORDER  # not the date order
    # The copied text without an address was found by its title in the list.
    assert _front(book / "articles" / "2024-08-19-책방의-여름휴가.md")["title"] == "책방의 여름휴가"


def test_a_magazine_with_pages_not_saved_is_one_error_naming_them(tmp_path: Path) -> None:
    with pytest.raises(JebonError) as caught:
        import_pages("brunch", [MAGAZINE], tmp_path / "book")
    (error,) = [p for p in caught.value.problems if p.severity == "error"]
    assert error.path == MAGAZINE / "작은 서점의 사계절.html" and error.line == 36
    assert error.message == ("the magazine page names 2 of its 5 articles that were not saved: "
                             "2. 문을 여는 아침 <https://brunch.co.kr/@harim-books/3>; "
                             "5. 겨울 낭독회 <https://brunch.co.kr/@harim-books/14>")
    assert "Save Page As" in (error.hint or "")
    assert not (tmp_path / "book").exists()


def test_a_brunchbook_and_a_list_of_addresses_give_the_order(tmp_path: Path) -> None:
    pages = [FIXTURES / name for name in HTML_PAGES]
    report = import_pages("brunch", [FIXTURES / "brunchbook", *pages], tmp_path / "a")
    assert report.order == [
        "2024-07-02-장마철의-헌책.md", "2024-01-08-문을-여는-아침.md", "2024-03-29-책방-고양이의-하루.md"]
    assert config.load(tmp_path / "a").book.title == "책방을 여는 일"
    addresses = tmp_path / "순서.txt"
    addresses.write_text("# 책방 이야기, 읽을 순서대로\n\nhttps://brunch.co.kr/@harim-books/5\n"
                         "- <https://m.brunch.co.kr/@harim-books/9?from=app>  장마철의 헌책\n"
                         "https://brunch.co.kr/@@hRm7/3/\n", encoding="utf-8")
    # the page of /3 gives only its @author address: the @@id form is matched by its title...
    with pytest.raises(JebonError, match=r"names 1 of its 3 articles that were not saved: 3\. <https://brunch.co.kr/@@hRm7/3>"):
        import_pages("brunch", [addresses, *pages], tmp_path / "b")
    # ... which a list of bare addresses does not have; with the page's other address it is found
    page = tmp_path / "saved" / "문을 여는 아침.html"
    page.parent.mkdir()
    shutil.copytree(FIXTURES / "문을 여는 아침_files", page.parent / "문을 여는 아침_files")
    page.write_text((FIXTURES / "문을 여는 아침.html").read_text("utf-8").replace(
        '<meta property="dg:plink" content="https://brunch.co.kr/@harim-books/3">',
        '<meta property="dg:plink" content="https://brunch.co.kr/@@hRm7/3">'), encoding="utf-8")
    report = import_pages("brunch", [addresses, *pages[1:], page], tmp_path / "b")
    assert report.order == [
        "2024-03-29-책방-고양이의-하루.md", "2024-07-02-장마철의-헌책.md", "2024-01-08-문을-여는-아침.md"]


def test_a_list_of_addresses_names_its_bad_lines(tmp_path: Path) -> None:
    addresses = tmp_path / "순서.txt"
    addresses.write_text("https://brunch.co.kr/@harim-books/5\nhttps://brunch.co.kr/magazine/small-bookshop\n"
                         "https://example.org/@harim/3\nhttps://brunch.co.kr/@harim-books/5\n", encoding="utf-8")
    diag = Diagnostics()
    assert brunch.read(addresses, diag) is None
    messages = [str(p) for p in diag.problems]
    assert any("순서.txt:2: https://brunch.co.kr/magazine/small-bookshop is a magazine page, not an article" in m
               and "save the magazine page" in m for m in messages)
    assert any("순서.txt:3: https://example.org/@harim/3 is not a Brunch article's address" in m for m in messages)
    assert any("순서.txt:4:" in m and "listed twice (first on line 1)" in m for m in messages)
    assert not brunch.is_address_list("https://brunch.co.kr/@harim-books/5\nby 서하림 Mar 29. 2024\n")


def test_pages_the_list_does_not_name_go_after_it(tmp_path: Path) -> None:
    report = import_pages("brunch", [*MAGAZINE_INPUTS, FIXTURES / "rainy-season.html"], tmp_path / "book")
    assert report.order == [*MAGAZINE_ORDER, "2024-07-02-장마철의-헌책.md"]
    assert any("rainy-season.html" in str(w) and "'장마철의 헌책' is not in the list" in w.message
               for w in report.warnings)


def test_importing_a_magazine_again_changes_nothing(tmp_path: Path) -> None:
    book = tmp_path / "book"
    import_pages("brunch", MAGAZINE_INPUTS, book)
    before = _snapshot(book)
    again = import_pages("brunch", MAGAZINE_INPUTS, book)
    assert [a.status for a in again.articles] == ["skipped"] * 5
    assert again.order == MAGAZINE_ORDER and again.order_written == "unchanged"
    assert _snapshot(book) == before
    # Only the list, the pages already in the book: the order is found from the articles themselves.
    assert import_pages("brunch", [MAGAZINE / "작은 서점의 사계절.html"], book).order == MAGAZINE_ORDER
    assert _snapshot(book) == before


def test_an_existing_book_toml_gets_its_order_updated_and_keeps_the_rest(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "글").mkdir(parents=True)
    (book / "글" / "00-여는-글.md").write_text("---\ntitle: 여는 글\n---\n\n책방 이야기를 묶으며.\n", encoding="utf-8")
    (book / "글" / "99-닫는-글.md").write_text("---\ntitle: 닫는 글\n---\n\n고맙습니다.\n", encoding="utf-8")
    toml = ('# 나의 책방 책\n[book]\ntitle = "책방의 한 해"  # 가제\nauthor = "서하림"\n\n'
            '[articles]\ndir = "글"\norder = [\n  "00-여는-글.md",  # 맨 앞\n  "99-닫는-글.md",\n]  # 순서\n\n'
            '[typography]\nquotes = true\n')
    (book / "book.toml").write_text(toml, encoding="utf-8")
    report = import_pages("brunch", MAGAZINE_INPUTS, book)
    assert report.order_written == "updated" and report.book_toml is None
    text = (book / "book.toml").read_text("utf-8")
    assert text.startswith('# 나의 책방 책\n[book]\ntitle = "책방의 한 해"  # 가제\n')  # comments and keys kept
    assert text.endswith(']  # 순서\n\n[typography]\nquotes = true\n')
    data = tomllib.loads(text)
    assert data["book"] == {"title": "책방의 한 해", "author": "서하림"} and data["typography"] == {"quotes": True}
    # the magazine's articles go where the book's first one of them was; here none was: after the others
    assert data["articles"]["order"] == ["00-여는-글.md", "99-닫는-글.md", *MAGAZINE_ORDER]
    assert any("keep their places" in w.message for w in report.warnings)
    # moved by hand around the closing piece, they stay together where the first of them is
    order = ["00-여는-글.md", MAGAZINE_ORDER[1], "99-닫는-글.md", *MAGAZINE_ORDER[:1], *MAGAZINE_ORDER[2:]]
    (book / "book.toml").write_text(text.replace(text[text.index("order = ["):text.index("]  # 순서") + 1],
                                                 "order = " + json.dumps(order, ensure_ascii=False)), encoding="utf-8")
    report = import_pages("brunch", MAGAZINE_INPUTS, book)
    assert tomllib.loads((book / "book.toml").read_text("utf-8"))["articles"]["order"] == [
        "00-여는-글.md", *MAGAZINE_ORDER, "99-닫는-글.md"]
    build_report = config.load(book)
    assert build_report.articles.order == ("00-여는-글.md", *MAGAZINE_ORDER, "99-닫는-글.md")


def test_a_list_later_puts_a_book_imported_by_date_in_order(tmp_path: Path) -> None:
    book = tmp_path / "book"
    pages = [p for p in MAGAZINE.iterdir() if p.is_file() and p.name != "작은 서점의 사계절.html"]
    first = import_pages("brunch", [*pages, *MAGAZINE_INPUTS[1:]], book)
    assert first.order is None and "order" not in tomllib.loads((book / "book.toml").read_text("utf-8"))["articles"]
    created = (book / "book.toml").read_text("utf-8")
    report = import_pages("brunch", [MAGAZINE / "작은 서점의 사계절.html"], book)  # the pages are in the book
    assert report.order == MAGAZINE_ORDER and report.order_written == "updated"
    text = (book / "book.toml").read_text("utf-8")
    assert text.startswith(created.rstrip("\n")) and tomllib.loads(text)["articles"]["order"] == MAGAZINE_ORDER
    assert [a.status for a in report.articles] == []


def test_an_rss_feed_is_not_a_list(tmp_path: Path) -> None:
    feed = tmp_path / "rss.xml"
    feed.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>서하림</title>'
                    "<item><link>https://brunch.co.kr/@@hRm7/14</link></item></channel></rss>\n", encoding="utf-8")
    with pytest.raises(JebonError, match=r"rss.xml:1: an RSS feed cannot give the book's articles"):
        import_pages("brunch", [feed, *MAGAZINE_INPUTS], tmp_path / "book")


def test_a_book_toml_that_cannot_be_edited_says_what_to_do(tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    toml = 'articles = { dir = "articles" }\n\n[book]\ntitle = "책"\n'
    (book / "book.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        import_pages("brunch", MAGAZINE_INPUTS, book)
    message = str(caught.value)
    assert "cannot set [articles] order" in message and "Nothing was imported" in message
    assert 'order = [\n    "2024-05-14-헌책-수선의-날.md",' in message  # the order, ready to paste
    assert (book / "book.toml").read_text("utf-8") == toml and not (book / "articles").exists()


@pytest.mark.parametrize("text", [
    "",
    '[book]\ntitle = "x"\n',
    '[book]\ntitle = "x"',
    '[articles]\ndir = "글"\n[series]\nper_volume = 3\n',
    '[articles]  # 글\norder = ["a.md"] # 순서\ndir = "글"\n',
    '[articles]\norder = [\n  "a.md", # 하나\n  [\'x]\'],\n]\n[book]\ntitle = """\n[articles]\norder = []\n"""\n',
    "[ 'articles' ]\r\ndir = 'x'\r\n",
])
def test_set_order_changes_only_the_order(text: str) -> None:
    result = set_order(text, ["가.md", "나 \"다\".md"])
    before, after = tomllib.loads(text) if text else {}, tomllib.loads(result)
    assert after == {**before, "articles": {**before.get("articles", {}), "order": ["가.md", "나 \"다\".md"]}}
    assert result.startswith(text.split("order")[0].split("[articles]")[0])


def test_set_order_checks_its_own_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Were the edit ever wrong (here: the old value's end misread), the file is refused, not written.
    from jebon.importers import tomlorder

    monkeypatch.setattr(tomlorder, "_value_end", lambda text, i: i)
    with pytest.raises(OrderEditError, match="would not be valid TOML"):
        set_order('[articles]\norder = ["a.md"]\n', ["b.md"])
    monkeypatch.undo()
    monkeypatch.setattr(tomlorder, "toml_array", lambda key, values, indent="": f'{key} = ["c.md"]')
    with pytest.raises(OrderEditError, match="would change more than"):
        set_order('[articles]\norder = ["a.md"]\n', ["b.md"])


@pytest.mark.parametrize("text", ['articles.dir = "x"\n', 'articles = { dir = "x" }\n', "[book\n"])
def test_set_order_refuses_what_it_cannot_edit(text: str) -> None:
    with pytest.raises(OrderEditError):
        set_order(text, ["a.md"])


def test_cli_options_and_order(tmp_path: Path) -> None:
    book = tmp_path / "book"
    result = runner.invoke(app, ["import", "brunch", *map(str, MAGAZINE_INPUTS), "--into", str(book), "--lines",
                                 "--h4", "text", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["order"] == MAGAZINE_ORDER and report["order_written"] == "created"
    assert report["lists"] == [{"source": str(MAGAZINE / "작은 서점의 사계절.html"), "kind": "magazine",
                                "title": "작은 서점의 사계절", "url": "https://brunch.co.kr/magazine/small-bookshop",
                                "articles": 5}]
    poem = (book / "articles" / "2019-12-24-눈-오는-밤.md").read_text("utf-8")
    assert "내리는 눈이 천천히 지운다<br><br><br>\n" in poem  # --lines
    repair = (book / "articles" / "2024-05-14-헌책-수선의-날.md").read_text("utf-8")
    assert "### 무명실 고르기" not in repair and "무명실 고르기<br>" in repair  # --h4 text
    table = runner.invoke(app, ["import", "brunch", *map(str, MAGAZINE_INPUTS), "--into", str(book)])
    assert table.exit_code == 0 and "[articles] order (5 articles, from 작은 서점의 사계절) already in" in table.stdout
    bad = runner.invoke(app, ["import", "brunch", str(MAGAZINE), "--into", str(tmp_path / "c"), "--h4", "maybe"])
    assert bad.exit_code == 2 and "--h4 'maybe'" in bad.stderr


def test_a_magazine_book_builds_and_passes_epubcheck(tmp_path: Path) -> None:
    book = tmp_path / "book"
    import_pages("brunch", MAGAZINE_INPUTS, book)
    report = build(book, ["epub"], tmp_path / "out")
    epub = Epub(report.outputs[0].path)
    titles = [epub.xml(f"EPUB/{href}").findtext(".//x:h1", namespaces=NS) for href in epub.spine_hrefs()
              if href.startswith("ch")]
    assert titles == ["헌책 수선의 날", "문을 여는 아침", "책방의 여름휴가", "눈 오는 밤", "겨울 낭독회"]
    if shutil.which("java") is None:
        pytest.skip("java is not installed: epubcheck cannot run")
    from .conftest import epubcheck_json

    result = epubcheck_json(epub.path)
    messages = result["messages"]
    assert isinstance(messages, list)
    assert [m for m in messages if m.get("severity") in ("ERROR", "FATAL", "WARNING")] == []
