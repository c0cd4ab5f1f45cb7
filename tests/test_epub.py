"""The EPUB: validity, reading order, metadata, fonts, determinism."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from jebon import build
from jebon.errors import Diagnostics

from .conftest import FEATURES, NS, Epub

X = "{http://www.w3.org/1999/xhtml}"


@pytest.mark.parametrize("name", ["sample", "features", *(f"series-vol{n:02d}.epub" for n in range(1, 5))])
def test_epubcheck_finds_no_error_and_no_warning(epubcheck_results: dict[str, dict[str, object]],
                                                 name: str) -> None:
    result = epubcheck_results[name]
    checker = result["checker"]
    assert isinstance(checker, dict)
    messages = [f"{m['severity']} {m['ID']}: {m['message']} {m['locations'][:1]}"
                for m in result["messages"] if m["severity"] in ("FATAL", "ERROR", "WARNING")]  # type: ignore[attr-defined, index]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0), messages


def test_spine_nav_and_ncx_follow_the_article_order(features_epub: Epub) -> None:
    # book.toml's order is b-second, a-first, c-third: that order, and only it, everywhere.
    titles = ["처음 오는 글", "두 번째로 오는 글", "세 번째 글: 콜론이 든 제목"]
    chapters = ["ch01.xhtml", "ch02.xhtml", "ch03.xhtml"]
    assert features_epub.spine_hrefs() == ["cover.xhtml", "title.xhtml", "nav.xhtml", *chapters,
                                           "colophon.xhtml"]
    for name, title in zip(chapters, titles, strict=True):
        assert features_epub.xml(f"EPUB/{name}").find(f".//{X}h1").text == title
    nav = features_epub.xml("EPUB/nav.xhtml")
    toc = nav.find(f".//{X}nav[@id='toc']/{X}ol")
    top = [li.find(f"{X}a") for li in toc.findall(f"{X}li")]
    assert [(a.get("href"), a.text) for a in top] == list(zip(chapters, titles, strict=True))
    ncx = features_epub.xml("EPUB/toc.ncx")
    points = ncx.findall("ncx:navMap/ncx:navPoint", NS)
    assert [p.find("ncx:content", NS).get("src") for p in points] == chapters
    assert [p.find("ncx:navLabel/ncx:text", NS).text for p in points] == titles
    orders = [int(p.get("playOrder")) for p in ncx.iter("{*}navPoint")]
    assert orders == sorted(orders) == list(range(1, len(orders) + 1))


def test_toc_nests_headings_to_the_configured_depth(features_epub: Epub) -> None:
    nav = features_epub.xml("EPUB/nav.xhtml")
    second = nav.findall(f".//{X}nav[@id='toc']/{X}ol/{X}li")[1]
    level2 = second.findall(f"{X}ol/{X}li")
    assert [li.find(f"{X}a").text for li in level2] == ["첫째 절"]
    assert [a.text for a in level2[0].iter(f"{X}a")] == ["첫째 절", "작은 절"]
    ncx = features_epub.xml("EPUB/toc.ncx")
    assert ncx.find(".//ncx:meta[@name='dtb:depth']", NS).get("content") == "3"
    landmarks = [a.get("{http://www.idpf.org/2007/ops}type") for a in nav.iter(f"{X}a")
                 if a.get("{http://www.idpf.org/2007/ops}type")]
    assert landmarks == ["cover", "titlepage", "toc", "bodymatter", "colophon"]


def test_metadata(features_epub: Epub) -> None:
    opf = features_epub.opf
    meta = opf.find("opf:metadata", NS)
    text = {tag: [e.text for e in meta.findall(f"dc:{tag}", NS)]
            for tag in ("title", "creator", "language", "publisher", "date", "description", "subject")}
    assert text["title"] == ["시험용 책", "기능을 모두 써 보는 작은 책"]
    assert text["creator"] == ["김시험", "이검사"]
    assert text["language"] == ["ko"] and text["publisher"] == ["제본 시험실"]
    assert text["date"] == ["2026-01-15"] and text["subject"] == ["시험", "제본"]
    props = {}
    for m in meta.findall("opf:meta", NS):
        props.setdefault(m.get("property"), []).append(m.text)
    assert props["dcterms:modified"] == ["2026-01-15T00:00:00Z"]  # newest date named by the sources
    assert props["title-type"] == ["main", "subtitle"]
    assert props["role"] == ["aut", "aut"]
    assert props["schema:accessMode"] == ["textual", "visual"]
    assert "alternativeText" in props["schema:accessibilityFeature"]
    assert props["schema:accessibilityHazard"] == ["none"]
    assert props["schema:accessibilitySummary"][0]
    identifier = meta.find("dc:identifier", NS).text
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", identifier)


def test_every_document_is_korean_and_styled(features_epub: Epub) -> None:
    docs = [n for n in features_epub.names() if n.endswith(".xhtml")]
    assert len(docs) == 7
    for name in docs:
        root = features_epub.xml(name)
        assert root.get("lang") == "ko" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ko"
        assert root.find(f".//{X}link[@rel='stylesheet']") is not None
    css = features_epub.read("EPUB/styles/epub.css").decode()
    assert "word-break: keep-all" in css
    assert not re.search(r"\d+px", css), "no px-based layout"


def test_fonts_are_subsets_of_the_characters_used(features_epub: Epub) -> None:
    fonts = {n: features_epub.read(n) for n in features_epub.names() if n.startswith("EPUB/fonts/")}
    # the four body faces, and the monospaced face for the book's code (no fallback: nothing needs one)
    assert sorted(fonts) == [f"EPUB/fonts/{name}" for name in (
        "mono-regular.ttf", "sans-bold.otf", "sans-regular.otf", "serif-bold.otf", "serif-regular.otf")]
    assert sum(len(d) for d in fonts.values()) < 400_000
    mono = TTFont(io.BytesIO(fonts["EPUB/fonts/mono-regular.ttf"])).getBestCmap()
    assert ord("{") in mono and ord("가") not in mono  # the code's characters, not the prose's
    for data in fonts.values():  # the OFL: notice and licence travel with every copy
        names = TTFont(io.BytesIO(data))["name"]
        assert names.getDebugName(0) and "Open Font License" in (names.getDebugName(13) or "")
    body = TTFont(io.BytesIO(fonts["EPUB/fonts/serif-regular.otf"]))
    cmap = body.getBestCmap()
    for char in "寧邊六疊房①｢」“℃원ᄭᅩᆺ":
        assert ord(char) in cmap, char
    assert ord("鬱") not in cmap  # not in the book
    # old Hangul: the subset still composes conjoining jamo (GSUB ljmo/vjmo/tjmo kept)
    features = {r.FeatureTag for r in body["GSUB"].table.FeatureList.FeatureRecord}
    assert {"ljmo", "vjmo", "tjmo"} <= features


def test_sample_fonts_stay_small(sample_epub: Epub) -> None:
    fonts = [n for n in sample_epub.names() if n.startswith("EPUB/fonts/")]
    total = sum(len(sample_epub.read(n)) for n in fonts)
    assert 0 < total < 2_500_000, total


def test_rebuild_is_byte_identical_and_honours_source_date_epoch(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = build(FEATURES, ["epub"], tmp_path / "1").outputs[0].path.read_bytes()
    second = build(FEATURES, ["epub"], tmp_path / "2").outputs[0].path.read_bytes()
    assert first == second
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    third = build(FEATURES, ["epub"], tmp_path / "3").outputs[0].path
    assert third.read_bytes() != first
    assert b"2026-01-01T00:00:00Z" in Epub(third).read("EPUB/content.opf")


def test_identifier_is_stable_and_isbn_wins(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    book = copy_book(FEATURES)
    (book / "articles" / "d.md").write_text("# 새 글\n\n본문\n", encoding="utf-8")
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace('"c-third.md"]', '"c-third.md", "d.md"]'), encoding="utf-8")
    grown = Epub(build(book, ["epub"], tmp_path / "a").outputs[0].path)
    original = Epub(build(FEATURES, ["epub"], tmp_path / "b").outputs[0].path)
    assert len(grown.spine_hrefs()) == len(original.spine_hrefs()) + 1
    ident = ".//dc:identifier"
    assert grown.opf.find(ident, NS).text == original.opf.find(ident, NS).text
    (book / "book.toml").write_text(toml.replace('language = "ko"', 'language = "ko"\nisbn = "9791164450008"'),
                                    encoding="utf-8")
    with_isbn = Epub(build(book, ["epub"], tmp_path / "c").outputs[0].path)
    assert with_isbn.opf.find(ident, NS).text == "urn:isbn:9791164450008"
    assert "9791164450008" in with_isbn.read("EPUB/colophon.xhtml").decode()


def test_cover_configured_or_generated(sample_epub: Epub, features_epub: Epub) -> None:
    from jebon.images import sniff

    sample_cover = (FEATURES.parents[2] / "books" / "golmok" / "cover.png").read_bytes()
    assert sample_epub.read("EPUB/images/cover.png") == sample_cover
    generated = features_epub.read("EPUB/images/cover.png")
    assert sniff(generated) == "image/png"
    from PIL import Image

    assert Image.open(io.BytesIO(generated)).size == (1600, 2400)
    item = features_epub.opf.find(".//opf:item[@properties='cover-image']", NS)
    assert item.get("href") == "images/cover.png"


def test_colophon_credits_fonts(features_epub: Epub) -> None:
    text = "".join(features_epub.xml("EPUB/colophon.xhtml").itertext())
    for needle in ("시험용 책", "김시험 · 이검사", "제본 시험실", "2026년 1월 15일", "Open Font License",
                   "Noto Serif CJK KR"):
        assert needle in text


def test_character_missing_from_fonts_is_reported(copy_book: Callable[[Path], Path]) -> None:
    from jebon.api import check

    book = copy_book(FEATURES)
    path = book / "articles" / "c-third.md"
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "\n희귀한 글자 𠀀 하나\n", encoding="utf-8")
    report = check(book)
    hits = [p for p in report.warnings if "U+20000" in p.message]
    assert len(hits) == 1 and hits[0].path == path and hits[0].line == original.count("\n") + 2


def test_diagnostics_do_not_repeat() -> None:
    diag = Diagnostics()
    diag.warn("a", Path("x"), 1)
    diag.warn("a", Path("x"), 1)
    assert len(diag.warnings) == 1


def test_generated_files_only(tmp_path: Path, copy_book: Callable[[Path], Path]) -> None:
    """Nothing but the EPUB (and the build cache) is left in the output folder: no temporary files."""
    out = tmp_path / "out"
    build(FEATURES, ["epub"], out)
    assert sorted(p.name for p in out.iterdir()) == [".jebon-cache", "features.epub"]
    assert not [p for p in out.rglob("*") if p.name.startswith(".tmp")]
    shutil.rmtree(out)


def test_accessibility_metadata_does_not_claim_missing_alt_text(copy_book: Callable[[Path], Path],
                                                                 tmp_path: Path) -> None:
    book = copy_book(FEATURES)
    path = book / "articles" / "c-third.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n![](../articles/img/dot.jpg)\n", encoding="utf-8")
    epub = Epub(build(book, ["epub"], tmp_path / "out").outputs[0].path)
    features = [m.text for m in epub.opf.iterfind(".//opf:meta[@property='schema:accessibilityFeature']", NS)]
    assert "alternativeText" not in features
    summary = epub.opf.find(".//opf:meta[@property='schema:accessibilitySummary']", NS).text
    assert "일부 그림에는 대체 텍스트가 없습니다" in summary
