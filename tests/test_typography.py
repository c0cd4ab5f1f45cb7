"""Korean typesetting: punctuation, emphasis marks, ruby, the PDF's word joiners, and the measured
result on the sample book (no mid-word breaks, no forbidden line starts or ends, clean text)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from pypdf import PdfReader

from jebon import build
from jebon.render import XHTML_NS, remove_keep_tail
from jebon.typography.linebreak import WJ, Gluer
from jebon.typography.punctuation import Rules, normalise_text

from . import pdftools
from .conftest import ROOT, SAMPLE, Epub

X = f"{{{XHTML_NS}}}"


@pytest.mark.parametrize(("source", "expected"), [
    ('그는 "책은 묶은 것"이라고 했다...', "그는 “책은 묶은 것”이라고 했다…"),
    ("'접지'와 '정합' 그리고 it's", "‘접지’와 ‘정합’ 그리고 it’s"),
    ("서울 · 부산 -- 대구", "서울·부산 — 대구"),
    ("(\"괄호\")와 ....", "(“괄호”)와 ...."),
    ("<!-- 주석 --> 과 ---", "<!-- 주석 --> 과 ---"),
])
def test_punctuation(source: str, expected: str) -> None:
    assert normalise_text(source, Rules()) == expected


def test_punctuation_rules_switch_off() -> None:
    text = 'a... "b" -- c · d'
    assert normalise_text(text, Rules(False, False, False, False)) == text
    assert normalise_text(text, Rules(ellipsis=True, quotes=False, dashes=False, middle_dot=False)) == \
        'a… "b" -- c · d'


def glue(html: str, mode: str = "word", line_em: float = 27) -> str:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    Gluer(line_em).apply(root, mode)
    return lxml.html.tostring(root, encoding="unicode").replace(WJ, "^")


def test_word_mode_joins_the_syllables_of_each_word() -> None:
    assert glue("<p>책을 읽는다.</p>") == "<div><p>책^을 읽^는^다^.</p></div>"


def test_joiners_cross_inline_elements_and_hold_footnotes() -> None:
    assert glue("<p><strong>날짜</strong>를 본다</p>") == "<div><p><strong>날^짜^</strong>를 본^다</p></div>"
    assert glue('<p>뜻이다.<span class="footnote">주석 글</span> 다음</p>') == \
        '<div><p>뜻^이^다^.^<span class="footnote">주^석 글</span> 다^음</p></div>'


def test_syllable_mode_keeps_only_the_rules() -> None:
    assert glue("<p>책을 5,000원 “인쇄”</p>", "syllable") == "<div><p>책을 5,000^원 “^인쇄^”</p></div>"
    assert glue('<p class="break-syllable">책을</p><p>책을</p>') == \
        '<div><p class="break-syllable">책을</p><p>책^을</p></div>'


def test_old_hangul_clusters_are_never_split() -> None:
    assert glue("<p>진달내ᄭᅩᆺ을</p>") == "<div><p>진^달^내^ᄭᅩᆺ^을</p></div>"


def test_a_word_longer_than_the_line_stays_breakable() -> None:
    long_word = "가" * 40
    assert glue(f"<p>짧은 {long_word}</p>", line_em=20) == f"<div><p>짧^은 {long_word}</p></div>"
    assert glue("<pre>코드 안</pre>") == "<div><pre>코드 안</pre></div>"


def test_emphasis_marks_and_ruby_in_the_epub(sample_epub: Epub) -> None:
    chapter = sample_epub.xml("EPUB/ch04.xhtml")
    ruby = chapter.find(f".//{X}ruby")
    assert ruby is not None and ruby.text == "檢印" and ruby.find(f"{X}rt").text == "검인"
    marked = [el for el in chapter.iter(f"{X}em") if "emphasis-marks" in (el.get("class") or "")]
    css = sample_epub.read("EPUB/styles/epub.css").decode()
    assert "text-emphasis-style: filled dot" in css
    all_marked = [el for n in range(1, 15) for el in sample_epub.xml(f"EPUB/ch{n:02d}.xhtml").iter(f"{X}em")]
    assert all_marked and all("emphasis-marks" in (el.get("class") or "") for el in all_marked)
    assert marked is not None


def test_check_breaks_reports_zero_faults_in_word_mode(sample_pdf: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_breaks.py"), str(sample_pdf), str(SAMPLE),
                           "--json"], capture_output=True, text=True)
    import json

    report = json.loads(proc.stdout)
    assert (report["mid_word_breaks"], report["forbidden_starts"], report["forbidden_ends"]) == (0, 0, 0), report
    assert report["lines"] > 500
    assert proc.returncode == 0


def test_check_breaks_finds_syllable_breaks(tmp_path: Path, copy_book: Callable[[Path], Path]) -> None:
    book = copy_book(SAMPLE)
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace('line_break = "word"', 'line_break = "syllable"'), encoding="utf-8")
    pdf = build(book, ["pdf"], tmp_path / "out").outputs[0].path
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_breaks.py"), str(pdf), str(book), "--json"],
                          capture_output=True, text=True)
    import json

    report = json.loads(proc.stdout)
    assert report["mid_word_breaks"] > 50 and proc.returncode == 1
    assert report["forbidden_starts"] == 0 and report["forbidden_ends"] == 0


def test_pdf_text_is_the_source_text(sample_pdf: Path, sample_epub: Epub) -> None:
    """No joiners in the extracted text, and every prose word of the book is found whole
    (copy and search find Korean words)."""
    text = pdftools.text(sample_pdf)
    assert WJ not in text
    assert all(WJ not in (page.extract_text() or "") for page in PdfReader(sample_pdf).pages)
    tokens = set(text.split())
    for number in range(1, 15):
        chapter = sample_epub.xml(f"EPUB/ch{number:02d}.xhtml")
        for ruby in list(chapter.iter(f"{X}ruby")):  # the PDF sets the reading apart, above its Hanja
            for child in list(ruby):
                remove_keep_tail(child)
        for el in list(chapter.iter(f"{X}pre", f"{X}a")):
            # code blocks, backlinks and bare URLs are not prose (they break or extract differently)
            local = etree.QName(el).localname
            if el.get("role") == "doc-backlink" or local != "a" or (el.text or "").startswith("http"):
                remove_keep_tail(el)
        keycaps = {el.text for el in chapter.iter(f"{X}kbd") if el.text}  # drawn apart, as keys
        body = chapter.find(f".//{X}div[@class]")
        words = "".join(str(t) for t in body.itertext()).replace(WJ, "").split()  # the EPUB keeps joiners
        missing = [w for w in words if w not in tokens and len(w) < 14 and not re.search(r"[_/↑]", w)
                   and not any(key in w for key in keycaps)]
        assert not missing, (number, missing[:10])


def test_typography_config_errors(copy_book: Callable[[Path], Path]) -> None:
    from jebon.config import load
    from jebon.errors import ConfigError

    book = copy_book(SAMPLE)
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace('line_break = "word"', 'line_break = "letter"\nquotes = "yes"'),
                                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(book)
    assert "`line_break` must be word, balanced or syllable" in str(info.value) and "`quotes`" in str(info.value)
