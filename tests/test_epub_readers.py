"""What reading systems and stores ask of the EPUB beyond epubcheck: accessibility semantics (the
rules DAISY Ace runs), the fonts' licence, Apple Books' options, reader themes, tables that split
across pages, store-sized images."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tinycss2
from lxml import etree
from PIL import Image

from jebon import build, resources
from jebon.writers.xhtml import table_setting

from .conftest import NS, Epub
from .test_preview import Browser

X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# The epub:type → ARIA role pairs of Ace's `epub-type-has-matching-role` rule (axe-core for Ace)
# for the semantics a jebon book uses; `endnote` maps to a deprecated role, which the rule lets go.
MATCHING_ROLE = {"chapter": "doc-chapter", "colophon": "doc-colophon", "endnotes": "doc-endnotes",
                 "footnote": "doc-footnote", "footnotes": None, "noteref": "doc-noteref", "toc": "doc-toc",
                 "referrer": "doc-backlink", "cover": None, "titlepage": None, "bodymatter": None,
                 "landmarks": None, "endnote": None}
"""None: no ARIA role to match (`footnotes` is not a term a role matches: jebon must not use it)."""


def content_documents(epub: Epub) -> dict[str, etree._Element]:
    return {name: epub.xml(name) for name in epub.names() if name.endswith(".xhtml")}


# -- accessibility: Ace's rules, reimplemented ---------------------------------------------------

def test_package_declares_the_book_language(sample_epub: Epub) -> None:
    opf = sample_epub.opf
    assert opf.get(XML_LANG) == opf.find(".//dc:language", NS).text == "ko"  # Ace: epub-lang (serious)


@pytest.mark.parametrize("which", ["sample_epub", "reader_epub", "features_epub"])
def test_every_epub_type_has_its_aria_role(which: str, request: pytest.FixtureRequest) -> None:
    epub: Epub = request.getfixturevalue(which)
    seen: set[str] = set()
    for name, root in content_documents(epub).items():
        for el in root.iter():
            if not isinstance(el.tag, str) or el.get(EPUB_TYPE) is None:
                continue
            if any(a.get(EPUB_TYPE) == "landmarks" for a in el.iterancestors(f"{X}nav")):
                continue  # the landmarks nav's links name places, not their own role
            for kind in el.get(EPUB_TYPE, "").split():
                assert kind in MATCHING_ROLE, (name, kind)
                seen.add(kind)
                role = MATCHING_ROLE[kind]
                if kind == "footnotes":
                    pytest.fail(f"{name}: epub:type footnotes has no matching ARIA role")
                if role is not None:
                    assert el.get("role") == role, (name, etree.tostring(el)[:120])
    assert {"chapter", "colophon", "toc", "endnotes", "endnote", "noteref"} <= seen


def test_asides_have_names_unique_on_their_page(reader_epub: Epub) -> None:
    root = reader_epub.xml("EPUB/ch03.xhtml")
    asides = list(root.iter(f"{X}aside"))
    assert len(asides) == 2
    names = [a.get("aria-label") or a.get("aria-labelledby") for a in asides]
    assert all(names) and len(set(names)) == len(names), names  # Ace: landmark-unique


def test_aside_named_by_its_heading_or_its_own_label() -> None:
    from jebon.writers.xhtml import label_landmarks

    root = etree.fromstring('<div xmlns="http://www.w3.org/1999/xhtml"><aside><h2 id="h">곁 제목</h2><p>글</p>'
                            '</aside><aside aria-label="저자 메모"><p>글</p></aside><aside><p>글</p></aside></div>')
    first, second, third = label_landmarks(root).iter(f"{X}aside")
    assert first.get("aria-labelledby") == "h" and first.get("aria-label") is None
    assert second.get("aria-label") == "저자 메모"
    assert third.get("aria-label") == "곁글 3"


def test_contents_have_no_empty_entry(tmp_path: Path) -> None:
    # A heading that has no text (a stray `##` line) must not become a nameless link in the nav
    # (Ace: link-name, serious), nor an empty heading in the chapter (the renderer drops it); the
    # heading under it stays in the contents.
    article = tmp_path / "articles" / "a.md"
    article.parent.mkdir(parents=True)
    (tmp_path / "book.toml").write_text('[book]\ntitle = "빈 제목 시험"\n', encoding="utf-8")
    article.write_text("# 글\n\n## 첫 절\n\n본문\n\n##\n\n본문\n\n## 둘째 절\n\n끝\n", encoding="utf-8")
    epub = Epub(build(tmp_path, ["epub"], tmp_path / "out").outputs[0].path)
    chapter = epub.xml("EPUB/ch01.xhtml")
    headings = ["".join(h.itertext()).strip() for h in chapter.iter(f"{X}h2")]
    assert headings == ["첫 절", "둘째 절"]
    links = list(epub.xml("EPUB/nav.xhtml").find(f".//{X}nav[@id='toc']").iter(f"{X}a"))
    assert [a.text for a in links] == ["글", "첫 절", "둘째 절"]
    labels = [t.text for t in epub.xml("EPUB/toc.ncx").iter("{*}text")]
    assert "" not in labels and None not in labels


def test_colophon_is_marked_as_a_colophon(sample_epub: Epub) -> None:
    section = sample_epub.xml("EPUB/colophon.xhtml").find(f".//{X}section")
    assert section.get(EPUB_TYPE) == "colophon" and section.get("role") == "doc-colophon"


# -- fonts' licence and Apple Books --------------------------------------------------------------

def test_font_licence_travels_with_the_fonts(sample_epub: Epub) -> None:
    names = sample_epub.names()
    assert "EPUB/fonts/OFL.txt" in names
    text = sample_epub.read("EPUB/fonts/OFL.txt")
    assert text == resources.font_path("OFL.txt").read_bytes()
    assert b"SIL OPEN FONT LICENSE Version 1.1" in text and "© 2014-2021 Adobe".encode() in text
    item = sample_epub.opf.find(".//opf:manifest/opf:item[@href='fonts/OFL.txt']", NS)
    assert item is not None and item.get("media-type") == "text/plain"
    colophon = "".join(sample_epub.xml("EPUB/colophon.xhtml").itertext())
    assert "fonts/OFL.txt" in colophon and "Open Font License 1.1" in colophon
    assert "글꼴 파일 안에" not in colophon  # the licence text is not inside the font files


def test_apple_books_is_told_to_use_the_book_fonts(sample_epub: Epub) -> None:
    options = etree.fromstring(sample_epub.read("META-INF/com.apple.ibooks.display-options.xml"))
    assert options.tag == "display_options"
    platform = options.find("platform")
    assert platform is not None and platform.get("name") == "*"
    assert [(o.get("name"), o.text) for o in platform.iter("option")] == [("specified-fonts", "true")]
    opf = sample_epub.opf
    prefixes = dict(re.findall(r"(\S+): (\S+)", opf.get("prefix") or ""))
    assert prefixes["ibooks"] == "http://vocabulary.itunes.apple.com/rdf/ibooks/vocabulary-extensions-1.0/"
    meta = opf.find(".//opf:meta[@property='ibooks:specified-fonts']", NS)
    assert meta is not None and meta.text == "true"


# -- the stylesheet under reader themes ----------------------------------------------------------

def _declarations() -> Iterator[tuple[str, str, str]]:
    """(selector, property, value) of every declaration of epub.css, @font-face rules excepted."""
    sheet = tinycss2.parse_stylesheet(resources.style("epub.css"), skip_comments=True, skip_whitespace=True)
    for rule in sheet:
        if rule.type == "at-rule":
            assert rule.lower_at_keyword == "font-face", rule.at_keyword
            continue
        assert rule.type == "qualified-rule", rule
        selector = tinycss2.serialize(rule.prelude).strip()
        for decl in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
            assert decl.type == "declaration", decl
            yield selector, decl.lower_name, tinycss2.serialize(decl.value).strip()


COLOUR = re.compile(r"#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|color)\(|\b(?:white|black|gr[ae]y|red|"
                    r"silver|navy|maroon)\b", re.IGNORECASE)


def test_stylesheet_leaves_colours_and_backgrounds_to_the_reader() -> None:
    declarations = list(_declarations())
    assert len(declarations) > 100
    for selector, prop, value in declarations:
        assert not prop.startswith("background"), (selector, prop, value)
        assert not COLOUR.search(value), (selector, prop, value)  # no fixed colour: borders use currentColor
        if prop == "color":
            assert value in ("inherit", "currentColor"), (selector, value)
        if prop in ("font-size", "font") and re.search(r"(^|,)\s*(html|:root)\s*($|,)", selector):
            pytest.fail(f"the root font size is the reader's: {selector} {{ {prop}: {value} }}")


def test_code_asks_for_a_monospaced_face_first() -> None:
    families = {selector: value for selector, prop, value in _declarations() if prop == "font-family"}
    for selector in ("code, kbd, samp", "pre"):
        first, *rest = [f.strip().strip('"') for f in families[selector].split(",")]
        assert first in ("monospace", "Jebon Mono KR"), (selector, families[selector])
        assert rest, "`monospace` alone makes browsers shrink the text (the 13 px monospace quirk)"


def test_tables_are_not_scroll_boxes() -> None:
    for selector, prop, value in _declarations():
        if "table" in selector or selector in ("th, td", "tr", "thead"):
            assert not prop.startswith("overflow") or prop == "overflow-wrap", (selector, prop, value)
    rules = {(s, p): v for s, p, v in _declarations()}
    assert rules[("thead", "display")] == "table-header-group"
    assert rules[("tr", "break-inside")] == "avoid"


def _table(*rows: list[str]) -> etree._Element:
    xml = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return etree.fromstring(f'<table xmlns="http://www.w3.org/1999/xhtml">{xml}</table>')


def test_tables_too_wide_for_a_phone_are_set_to_fit(reader_epub: Epub) -> None:
    assert table_setting(_table(["번호", "가게"], ["1", "동성활판사"])) == ""
    assert table_setting(_table(["가나다라마"] * 4)) == "table-wide"  # 20 em of words: 25.6 em padded as usual
    assert table_setting(_table(["가나다라마바사아자차"] * 3)) == "table-very-wide"
    tables = list(reader_epub.xml("EPUB/ch01.xhtml").iter(f"{X}table"))
    assert [t.get("class") for t in tables] == [None, "table-very-wide"]


# -- in a paginated reader (Chromium laying the page out in columns, as epub.js does) -----------

PAGE_WIDTH, PAGE_HEIGHT, GAP = 360, 640, 40
PAGINATE = f"""(() => {{
  const style = document.createElement('style');
  style.textContent = `html {{ height: {PAGE_HEIGHT}px; width: {PAGE_WIDTH}px; overflow: hidden;
    column-width: {PAGE_WIDTH}px; column-gap: {GAP}px; column-fill: auto; }}
    body {{ color: rgb(232, 232, 232) !important; background: rgb(18, 18, 18) !important; }}`;
  document.head.appendChild(style);
  return document.fonts.ready.then(() => true);
}})()"""


@pytest.fixture(scope="module")
def paged(reader_epub: Epub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Browser]]:
    """Opens a chapter of the reader book in headless Chromium, paginated and in a dark theme."""
    folder = tmp_path_factory.mktemp("reader-unzipped")
    with zipfile.ZipFile(reader_epub.path) as z:
        z.extractall(folder)
    browser = Browser(folder.parent / "chromium-reader")

    def open_page(name: str) -> Browser:
        browser.call("Page.enable")
        browser.call("Emulation.setDeviceMetricsOverride", width=PAGE_WIDTH, height=PAGE_HEIGHT,
                     deviceScaleFactor=1, mobile=True)
        browser.call("Page.navigate", url=(folder / "EPUB" / name).as_uri())
        for _ in range(200):
            if browser.evaluate("document.readyState") == "complete":
                break
        assert browser.evaluate(PAGINATE) is True
        return browser

    yield open_page
    browser.close()


def test_a_long_table_flows_across_pages_and_every_row_is_shown(paged: Callable[[str], Browser]) -> None:
    browser = paged("ch01.xhtml")
    rows = browser.evaluate(f"""[...document.querySelectorAll('table')[0].rows].map(r => {{
        const b = r.getBoundingClientRect(), x = b.left + scrollX;
        return [r.cells[0].textContent.trim(), Math.floor(x / {PAGE_WIDTH + GAP}),
                x % {PAGE_WIDTH + GAP} + b.width <= {PAGE_WIDTH} + 1, b.top >= 0 && b.bottom <= {PAGE_HEIGHT} + 1];
    }})""")
    assert [r[0] for r in rows] == ["번호", *[str(n) for n in range(1, 36)]]
    hidden = [r[0] for r in rows if not (r[2] and r[3])]
    assert not hidden, f"rows outside every page: {hidden}"
    assert len({r[1] for r in rows}) >= 2, "the 35 rows fit one page: the test proves nothing"
    # the wide table too: no cell runs past the page's right edge
    overflow = browser.evaluate(f"""[...document.querySelectorAll('table')[1].querySelectorAll('td, th')]
        .filter(c => {{ const b = c.getBoundingClientRect(); return (b.left + scrollX) % {PAGE_WIDTH + GAP} + b.width
        > {PAGE_WIDTH} + 1; }}).map(c => c.textContent)""")
    assert overflow == []


def test_a_dark_theme_sets_every_colour(paged: Callable[[str], Browser]) -> None:
    for name in ("ch01.xhtml", "ch02.xhtml", "ch03.xhtml", "colophon.xhtml", "nav.xhtml", "title.xhtml"):
        browser = paged(name)
        wrong = browser.evaluate("""[...document.body.querySelectorAll('*')].flatMap(el => {
            const s = getComputedStyle(el), out = [];
            if (s.color !== 'rgb(232, 232, 232)') out.push(el.tagName + ' color ' + s.color);
            if (s.backgroundColor !== 'rgba(0, 0, 0, 0)') out.push(el.tagName + ' background ' + s.backgroundColor);
            for (const side of ['Top', 'Right', 'Bottom', 'Left'])
                if (s['border' + side + 'Style'] !== 'none' && s['border' + side + 'Color'] !== s.color)
                    out.push(el.tagName + ' border ' + s['border' + side + 'Color']);
            return out; })""")
        assert wrong == [], (name, wrong[:5])


def test_code_is_set_in_a_monospaced_face(paged: Callable[[str], Browser]) -> None:
    browser = paged("ch02.xhtml")
    widths = browser.evaluate("""['pre', 'code:not(pre code)', 'kbd', 'samp'].map(sel => {
        const el = document.querySelector(sel), span = t => { const s = document.createElement('span');
            s.textContent = t; el.appendChild(s); const w = s.getBoundingClientRect().width; s.remove(); return w; };
        return [sel, span('iiiiiiiiii'), span('MMMMMMMMMM')]; })""")
    for selector, narrow, wide in widths:
        assert narrow > 0 and abs(narrow - wide) < 0.5, (selector, narrow, wide)
    # the bundled face: Hangul two Latin characters wide, so a text table in a listing lines up
    latin, hangul = browser.evaluate("""(() => { const el = document.querySelector('pre');
        const w = t => { const s = document.createElement('span'); s.textContent = t; el.appendChild(s);
            const r = s.getBoundingClientRect().width; s.remove(); return r; };
        return [w('abcdefghij'), w('쪽수글자수')]; })()""")  # syllables of the listing (the face is cut to them)
    assert abs(hangul - latin) < 0.5, (latin, hangul)
    browser.call("DOM.enable")
    browser.call("CSS.enable")
    used = browser.fonts_of("pre")
    assert used and all(f["familyName"] == "Jebon Mono KR" and f["isCustomFont"] for f in used), used
    body_narrow, body_wide = browser.evaluate("""(() => { const el = document.querySelector('.chapter-body > p');
        const w = t => { const s = document.createElement('span'); s.textContent = t; el.appendChild(s);
            const r = s.getBoundingClientRect().width; s.remove(); return r; };
        return [w('iiiiiiiiii'), w('MMMMMMMMMM')]; })()""")
    assert body_wide > 1.5 * body_narrow  # the measure can tell a proportional face


# -- images at the stores' limits ----------------------------------------------------------------

def _png(size: tuple[int, int], noise: bool = False) -> bytes:
    image = Image.effect_noise(size, 90).convert("RGB") if noise else Image.new("RGB", size, (120, 160, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_images_are_scaled_to_the_stores_limits_and_kept_for_print(tmp_path: Path) -> None:
    from jebon import images

    book = tmp_path / "book"
    (book / "articles").mkdir(parents=True)
    (book / "book.toml").write_text('[book]\ntitle = "그림 시험"\ncover = "cover.png"\n', encoding="utf-8")
    (book / "cover.png").write_bytes(_png((2000, 3000)))  # 6 Mpx
    big, small = _png((2310, 1732)), _png((300, 200))  # 4.0 Mpx (just over Apple's cap), 0.06 Mpx
    (book / "articles" / "big.png").write_bytes(big)
    (book / "articles" / "small.png").write_bytes(small)
    (book / "articles" / "a.md").write_text("# 그림\n\n![큰 그림](big.png)\n\n![작은 그림](small.png)\n",
                                             encoding="utf-8")
    report = build(book, ["epub", "pdf"], tmp_path / "out")
    epub = Epub(next(o.path for o in report.outputs if o.format == "epub"))
    sizes = {}
    for name in epub.names():
        if name.endswith(".png"):
            data = epub.read(name)
            sizes[name.rsplit("/", 1)[1].split("-")[0]] = (Image.open(io.BytesIO(data)).size, data)
    (bw, bh), _ = sizes["big"]
    assert bw * bh <= images.SCREEN_MAX_PIXELS < 4_000_000 and abs(bw / bh - 2310 / 1732) < 0.01
    assert sizes["small"][1] == small  # within the limits: the very bytes, never scaled up
    (cw, ch), _ = sizes["cover.png"]
    assert cw * ch <= images.SCREEN_MAX_PIXELS and abs(cw / ch - 2 / 3) < 0.01 and cw >= 1400
    import pikepdf

    pdf = pikepdf.open(next(o.path for o in report.outputs if o.format == "pdf"))
    widths = sorted(int(x.Width) for page in pdf.pages for x in page.get_images().values())
    assert 2310 in widths  # the print PDF keeps the full image


def test_an_image_over_the_byte_limit_is_scaled_until_it_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    from jebon import images

    data = _png((500, 400), noise=True)
    monkeypatch.setattr(images, "SCREEN_MAX_BYTES", len(data) // 3)
    asset = images.Asset("images/x.png", "image/png", data)
    assert not images.fits_screen(asset)
    out = images.fit_for_screen(asset)
    width, height = Image.open(io.BytesIO(out)).size
    assert len(out) <= len(data) // 3 and width < 500 and abs(width / height - 1.25) < 0.02
    monkeypatch.setattr(images, "SCREEN_MAX_BYTES", 10 * len(data))
    assert images.fit_for_screen(asset) is data



# -- identifiers ---------------------------------------------------------------------------------

def test_fragment_ids_are_ascii_and_links_written_in_hangul_still_arrive(tmp_path: Path) -> None:
    from .test_render import render, tree

    volume, diag = render(tmp_path, {
        "01-a.md": "# 가\n\n[위로](#활자活字라는-물건), [옆 글의 절](02-b.md#둘째-절), [같은 이름](#같은-이름_1)\n\n"
                   "## 활자(活字)라는 물건\n\n## DTP 이후의 조판\n\n## 같은 이름\n\n## 같은 이름\n\n"
                   "## 2024년 {#year-2024}\n\n### 2025\n",
        "02-b.md": "# 나\n\n## 첫 절\n\n## 둘째 절\n",
    })
    assert not diag.warnings, diag.warnings
    first, second = volume.chapters
    assert [(h.id, h.text) for h in first.headings] == [
        ("sec-1", "활자(活字)라는 물건"), ("dtp", "DTP 이후의 조판"), ("sec-3", "같은 이름"),
        ("sec-4", "같은 이름"), ("year-2024", "2024년"), ("sec-2025", "2025")]
    assert [h.id for h in second.headings] == ["sec-1", "sec-2"]
    hrefs = [a.get("href") for a in tree(volume).iter(f"{X}a")]
    assert hrefs[:3] == ["#sec-1", "ch02.xhtml#sec-2", "#sec-4"]
    for chapter in volume.chapters:
        for el in etree.fromstring(chapter.html).iter():
            assert re.fullmatch(r"[A-Za-z][\w.-]*", el.get("id") or "a", re.ASCII), el.get("id")


def test_every_id_and_fragment_in_the_sample_is_ascii(sample_epub: Epub) -> None:
    ids = 0
    for name, root in content_documents(sample_epub).items():
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            if el.get("id") is not None:
                ids += 1
                assert re.fullmatch(r"[A-Za-z][\w.-]*", el.get("id", ""), re.ASCII), (name, el.get("id"))
            href = el.get("href") or ""
            assert "#" not in href or href.split("#", 1)[1].isascii(), (name, href)
    assert ids > 60
    headings = "".join("".join(h.itertext()) for h in sample_epub.xml("EPUB/ch02.xhtml").iter(f"{X}h2"))
    assert "활자(活字)라는 물건" in headings  # the Hangul stays in the text


# -- stores and the accessibility claim -----------------------------------------------------------

def test_a_store_bound_book_without_an_isbn_is_noted(copy_book: Callable[[Path], Path]) -> None:
    from jebon.api import check

    from .conftest import READER, SERIES

    book = copy_book(READER)
    assert not [p for p in check(book).warnings if "ISBN" in p.message]  # stores = true, and an ISBN
    toml = book / "book.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('isbn = "979-11-6445-000-8"\n', ""), encoding="utf-8")
    (note,) = [p for p in check(book).warnings if "ISBN" in p.message]
    epub_line = text.replace('isbn = "979-11-6445-000-8"\n', "").splitlines().index("[epub]") + 1
    assert note.path == toml and note.line == epub_line and "stores = true" in note.message
    assert "isbn" in (note.hint or "")
    toml.write_text(text.replace('isbn = "979-11-6445-000-8"\n', "").replace("stores = true\n", ""),
                    encoding="utf-8")
    assert not [p for p in check(book).warnings if "ISBN" in p.message]  # not meant for stores: no note
    series = copy_book(SERIES)
    (series / "book.toml").write_text((series / "book.toml").read_text(encoding="utf-8") + "\n[epub]\nstores = true\n",
                                      encoding="utf-8")
    notes = [p.message for p in check(series).warnings if "ISBN" in p.message]
    assert [m.split(" is meant")[0] for m in notes] == [f"volume {n}" for n in range(1, 5)]


def test_store_and_claim_settings_are_checked(copy_book: Callable[[Path], Path]) -> None:
    from jebon.api import check
    from jebon.errors import JebonError

    from .conftest import READER

    book = copy_book(READER)
    toml = book / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("stores = true", 'stores = "yes"'), encoding="utf-8")
    with pytest.raises(JebonError) as info:
        check(book)
    assert "`stores` must be true or false" in str(info.value) and f"{toml}:" in str(info.value)


def test_accessibility_claim_only_when_the_checks_pass(reader_epub: Epub, features_epub: Epub,
                                                       copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    from jebon.writers.epub import CONFORMANCE

    from .conftest import READER

    def claim(epub: Epub) -> tuple[str | None, str | None]:
        found = [epub.opf.find(f".//opf:meta[@property='{p}']", NS) for p in ("dcterms:conformsTo", "a11y:certifiedBy")]
        return found[0].text if found[0] is not None else None, found[1].text if found[1] is not None else None

    assert claim(reader_epub) == (CONFORMANCE, "제본 시험실")  # asked for, and every check passes
    assert claim(features_epub) == (None, None)  # not asked for
    book = copy_book(READER)
    article = book / "articles" / "03-ruby.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text + "\n<table><tr><td>머리 칸이 없는 표</td></tr></table>\n", encoding="utf-8")
    (book / "articles" / "dot.png").write_bytes(_png((20, 20)))
    code = book / "articles" / "02-code.md"
    code.write_text(code.read_text(encoding="utf-8") + "\n![](dot.png)\n", encoding="utf-8")
    report = build(book, ["epub"], tmp_path / "out")
    assert claim(Epub(report.outputs[0].path)) == (None, None)
    gaps = {(p.path.name, p.message.split(": ", 1)[1]) for p in report.warnings if "Accessibility claim" in p.message}
    assert gaps == {("02-code.md", "1 image(s) without alt text"),
                    ("03-ruby.md", "a table without header cells (<th>)")}, gaps
