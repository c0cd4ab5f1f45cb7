"""Korean justification and line breaking in the EPUB (issue 14): the word joiners jebon puts where
a browser with `word-break: keep-all` would break against KLREQ, the stylesheet's justification and
overflow rules, and a narrow column laid out by headless Chromium."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import tinycss2
from lxml import etree

from jebon import build
from jebon.render import XHTML_NS
from jebon.typography.epubjoin import WJ, browser_may_break, join_text, join_tree

from .conftest import FEATURES, Epub

X = f"{{{XHTML_NS}}}"


def joined(text: str, mode: str = "word") -> str:
    return join_text(text, mode).replace(WJ, "^")


@pytest.mark.parametrize(("text", "expected"), [
    ("전쟁·포로에", "전쟁^·포로에"),               # a middle dot may not start a line
    ("교정·교열자", "교정^·교열자"),
    ("그는 ‘책의 이력서’라고 불렀다", "그는 ‘책의 이력서^’라고 불렀다"),  # a quote between syllables
    ("무게 3㎏", "무게 3^㎏"),                     # a unit symbol is not a letter: keep-all lets it go
    ("1 · 2025년", "1 ^· 2025년"),                  # nor after a space
    # after a space: ICU (WebKit) honours a joiner there, Chromium breaks after any space regardless
    ("『 하늘과 바람과 별과 詩 』", "『 ^하늘과 바람과 별과 詩 ^』"),
])
def test_a_joiner_where_the_browser_would_break_and_klreq_forbids(text: str, expected: str) -> None:
    assert joined(text) == expected


@pytest.mark.parametrize("text", [
    "「하늘」", "『하늘과 바람과 별과 詩』", "(“괄호”)와", "30kg 5,000원 12℃ 30% ₩12,000 1,200부",
    "그는 —— 말했다……", "“그래” 하고", "책을 읽는다. 그리고, 다시!", "https://example.com/a_b",
])
def test_no_joiner_where_the_browser_already_keeps_the_rule(text: str) -> None:
    assert join_text(text) == text


def test_the_browser_model_knows_brackets_and_numbers() -> None:
    assert not browser_may_break("「하늘」", 1)  # after an opening bracket
    assert not browser_may_break("「하늘」", 3)  # before a closing one
    assert browser_may_break("『 하늘 』", 2)  # Chromium breaks after a space, even after 『
    assert not browser_may_break("5,000원", 5)  # keep-all: a number and its unit
    assert browser_may_break("5,000원", 5, "syllable")  # word-break: normal breaks there
    assert browser_may_break("전쟁·포로", 2) and browser_may_break("가 나", 2)


def test_syllable_mode_keeps_a_number_with_its_unit() -> None:
    assert joined("값은 5,000원", "syllable") == "값은 5,000^원"
    assert joined("값은 5,000원") == "값은 5,000원"


def test_the_tree_pass_leaves_code_attributes_and_clusters_alone() -> None:
    root = etree.fromstring(
        f'<div xmlns="{XHTML_NS}"><p title="교정·교열">교정<em>·교열</em>과 <code>a·b</code>·c '
        '<a href="x·y">진달내ᄭᅩᆺ·꽃</a> ‘ᄊᆞ’는<ruby>漢<rt>한·</rt></ruby></p>'
        '<pre>전쟁·포로</pre><p class="break-syllable">값 5,000원</p></div>')
    join_tree(root)
    p, pre, syllable = root
    assert p.get("title") == "교정·교열" and p[2].get("href") == "x·y"
    assert p.text == "교정" and p[0].text == f"{WJ}·교열"  # the joiner goes with the dot
    assert p[1].text == "a·b" and p[1].tail == f"{WJ}·c "  # nothing inside code; after it, yes
    assert p[2].text == f"진달내ᄭᅩᆺ{WJ}·꽃"  # after the whole old-Hangul syllable
    assert p[2].tail == f" ‘ᄊᆞ{WJ}’는"
    assert p[3][0].text == "한·"  # ruby readings are not on the line
    assert pre.text == "전쟁·포로"
    assert syllable.text == f"값 5,000{WJ}원"


# -- the built sample ----------------------------------------------------------------------------------

def _body_rules(css: str) -> dict[str, str]:
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == "body":
            declarations = tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True)
            return {d.lower_name: tinycss2.serialize(d.value).strip() for d in declarations
                    if d.type == "declaration"}
    raise AssertionError("no body rule")


def test_sample_stylesheet_justifies_between_words_and_breaks_only_long_words(sample_epub: Epub) -> None:
    css = sample_epub.read("EPUB/styles/epub.css").decode()
    body = _body_rules(css)
    assert body["text-align"] == "justify" and body["text-justify"] == "inter-word"
    assert body["overflow-wrap"] == "break-word" and body["word-break"] == "keep-all"
    # the one table too wide for a phone still may break its words, its figures excepted
    assert "table.table-very-wide th, table.table-very-wide td { overflow-wrap: anywhere; }" in css
    assert "table.table-very-wide .align-right { overflow-wrap: normal; }" in css


def test_sample_chapters_carry_joiners_and_the_contents_do_not(sample_epub: Epub) -> None:
    chapter = sample_epub.read("EPUB/ch12.xhtml").decode()
    assert f"교정{WJ}·교열자" in chapter
    title = sample_epub.xml("EPUB/ch12.xhtml").find(f".//{X}title")
    assert title is not None and WJ not in (title.text or "")
    for name in ("EPUB/nav.xhtml", "EPUB/toc.ncx", "EPUB/content.opf"):
        assert WJ not in sample_epub.read(name).decode(), name
    for name in sample_epub.names():
        if name.endswith(".xhtml"):
            for pre in sample_epub.xml(name).iter(f"{X}pre", f"{X}code"):
                assert WJ not in "".join(pre.itertext()), name


def test_justify_false_sets_the_epub_ragged_right(copy_book: Callable[[Path], Path], tmp_path: Path,
                                                  features_epub: Epub) -> None:
    book = copy_book(FEATURES)
    toml = book / "book.toml"
    toml.write_text(toml.read_text("utf-8") + "\n[typography]\njustify = false\n", "utf-8")
    ragged = Epub(build(book, ["epub"], tmp_path / "out").outputs[0].path)
    css = ragged.read("EPUB/styles/epub.css").decode()
    assert css.rstrip().endswith("body { text-align: left; }")
    assert "text-align: left; }" not in features_epub.read("EPUB/styles/epub.css").decode()[-40:]
    # the joiners do not depend on it
    assert ragged.read("EPUB/ch01.xhtml") == features_epub.read("EPUB/ch01.xhtml")


# -- headless Chromium ----------------------------------------------------------------------------------

LINES = """(() => {
  const CLOSING = new Set([...")]}〕〉》」』】’”、。，．,.:;?!·・-‐–%）］｝：；？！"]);
  const OPENING = new Set([..."([{〔〈《「『【‘“（［｛"]);
  const found = [];
  for (const p of document.querySelectorAll('p.probe')) {
    const chars = [];
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode())
      for (let k = 0; k < node.data.length; k++) {
        if (/\\s|\\u2060/.test(node.data[k])) continue;
        const range = document.createRange(); range.setStart(node, k); range.setEnd(node, k + 1);
        const rect = range.getClientRects()[0];
        if (rect) chars.push([node.data[k], rect.top, rect.left]);
      }
    for (let k = 1; k < chars.length; k++)
      if (chars[k][1] > chars[k - 1][1] + 4 && chars[k][2] < chars[k - 1][2]) {
        const context = chars.slice(Math.max(0, k - 3), k + 3).map(c => c[0]).join('');
        if (CLOSING.has(chars[k][0])) found.push(p.dataset.width + ' starts ' + context);
        if (OPENING.has(chars[k - 1][0])) found.push(p.dataset.width + ' ends ' + context);
      }
  }
  return found;
})()"""

PROSE = ("요즘은 교정·교열자의 이름을 적는 출판사도 늘었다. 나는 판권면을 ‘책의 이력서’라고 불렀다. "
         "봉투 한 상자의 무게는 3㎏쯤이다. 소설·에세이·시·희곡의 본문은 미색 모조지에 찍는다. "
         "『하늘과 바람과 별과 詩』와 「하늘」을 함께 읽었다. 값은 5,000원이고 온도는 12℃였다.")


def test_a_narrow_column_starts_no_line_with_a_middle_dot(sample_epub: Epub, tmp_path: Path) -> None:
    """The sample's stylesheet and the joined text, in columns from 200 to 400 px: no line starts
    with a closing mark or ends with an opening one. The same text without joiners does (else the
    test would prove nothing)."""
    from .test_preview import Browser

    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(sample_epub.path) as z:
        z.extractall(folder)
    probes = []
    for width in range(200, 401, 6):
        for label, text in (("joined", join_text(PROSE)), ("plain", PROSE)):
            probes.append(f'<p class="probe {label}" data-width="{label} {width}" '
                          f'style="width: {width}px; text-indent: 0">{text}</p>')
    page = folder / "EPUB" / "probe.xhtml"
    page.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="{XHTML_NS}" lang="ko" xml:lang="ko">'
                    '<head><meta charset="utf-8"/><title>probe</title>'
                    '<link rel="stylesheet" type="text/css" href="styles/epub.css"/></head>'
                    f'<body>{"".join(probes)}</body></html>', "utf-8")
    browser = Browser(tmp_path / "chromium-profile")
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=page.as_uri())
        for _ in range(200):
            if browser.evaluate("document.readyState") == "complete":
                break
        assert browser.evaluate("document.fonts.ready.then(() => document.fonts.status)") == "loaded"
        found = browser.evaluate(LINES)
    finally:
        browser.close()
    assert [f for f in found if f.startswith("joined")] == [], "\n".join(found)
    plain = [f for f in found if f.startswith("plain")]
    assert any("·" in f.split(" starts ")[-1][3:4] for f in plain if " starts " in f), plain
