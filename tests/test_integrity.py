"""A PDF is whole, checked by jebon's integrity check and by renderers that do not forgive (MuPDF,
Ghostscript), on small books with every font form and on a book of more than 1,500 pages."""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from jebon import build, fonts, integrity
from jebon.errors import JebonError

from .conftest import ROOT

FALLBACK_LINE = "\n\n표시 ✓ ☑, 웃음 😀, 물결 ∼, 점 ⋅, **굵은 😀 ✓** 글자.\n"
MISSING_LINE = "\n\n옛 글자 𠀀 하나와 ․ 점 하나.\n"


def _mupdf_warnings(path: Path) -> str:
    """Everything MuPDF says while it draws every page (PyMuPDF, from the test extras)."""
    pymupdf = pytest.importorskip("pymupdf")
    pymupdf.TOOLS.mupdf_warnings()  # clear
    with pymupdf.open(path) as document:
        for page in document:
            page.get_pixmap(dpi=24)
    return str(pymupdf.TOOLS.mupdf_warnings())


def _ghostscript_errors(path: Path) -> str | None:
    """What Ghostscript prints while it draws every page; None when it is not installed."""
    gs = shutil.which("gs")
    if gs is None:
        return None
    done = subprocess.run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage", str(path)],
                          capture_output=True, text=True, timeout=600)
    return (done.stdout + done.stderr).strip()


def _font_names(path: Path) -> set[str]:
    names: set[str] = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in (page.obj.get("/Resources", {}).get("/Font") or {}).values():
                names.add(str(font.BaseFont).lstrip("/").split("+", 1)[-1])
    return names


def _assert_whole(path: Path, *, poppler: bool = True) -> None:
    """jebon's check, MuPDF and Ghostscript silent, only bundled faces; poppler too where installed
    (`poppler=False` on the big book: pdftotext takes half a minute there and adds nothing the others
    do not check)."""
    data = path.read_bytes()
    assert integrity.check(data, thorough=True) == []
    warnings = _mupdf_warnings(path)
    assert warnings == "", warnings[:2000]
    errors = _ghostscript_errors(path)
    assert not errors, (errors or "")[:2000]
    assert _font_names(path) <= {face.ps_name for face in fonts.FACES}
    if poppler and shutil.which("pdftotext"):  # poppler, where installed: silent too
        done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
        assert done.stderr == ""


@pytest.fixture(scope="module")
def symbol_book(tmp_path_factory: pytest.TempPathFactory, copy_book_module: Callable[[Path], Path]) -> Path:
    """The features book, with fallback symbols and emoji in one article and characters no font has in
    another (the fonts WeasyPrint then writes with a CMap stream)."""
    book = copy_book_module(ROOT / "tests" / "books" / "features")
    articles = sorted((book / "articles").glob("*.md"))
    articles[0].write_text(articles[0].read_text("utf-8") + FALLBACK_LINE, "utf-8")
    articles[1].write_text(articles[1].read_text("utf-8") + MISSING_LINE + FALLBACK_LINE, "utf-8")
    out = tmp_path_factory.mktemp("symbols")
    build(book, ["pdf", "epub"], out)
    return out


@pytest.fixture(scope="module")
def copy_book_module(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    def _copy(source: Path) -> Path:
        target = tmp_path_factory.mktemp("book") / source.name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("build"))
        return target

    return _copy


def test_every_font_form_is_whole(symbol_book: Path) -> None:
    """Fallback faces, CMap-encoded fonts (a character no font has) and Identity-H fonts of the same
    faces in one volume: every program present, parseable, drawn by MuPDF and Ghostscript."""
    pdf = symbol_book / "features.pdf"
    _assert_whole(pdf)
    names = _font_names(pdf)
    assert {"Noto-Emoji", "Noto-Emoji-Bold", "Noto-Sans-Symbols2", "Noto-Sans-Math"} <= names
    with pikepdf.open(pdf) as document:
        encodings = [f.get("/Encoding") for p in document.pages for f in (p.obj.Resources.get("/Font") or {}).values()]
        assert any(isinstance(e, pikepdf.Stream) for e in encodings), "a CMap-encoded font"


def test_a_character_no_font_has_is_a_box_not_a_blank_chapter(symbol_book: Path) -> None:
    """The chapter's text is drawn; the character itself extracts as itself (ToUnicode) and is drawn as
    the bundled font's .notdef box, the same on every machine."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(symbol_book / "features.pdf")
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    assert "𠀀" in text and "옛 글자" in text and "😀" in text


def test_epub_carries_the_fallback_faces_it_uses(symbol_book: Path) -> None:
    import zipfile

    with zipfile.ZipFile(symbol_book / "features.epub") as epub:
        names = set(epub.namelist())
        css = epub.read("EPUB/styles/epub.css").decode()
    assert {"EPUB/fonts/emoji-regular.ttf", "EPUB/fonts/emoji-bold.ttf", "EPUB/fonts/symbols.ttf",
            "EPUB/fonts/math.ttf"} <= names
    # a composite family: the fallback face serves exactly its characters under the body family
    assert re.search(r'font-family: "Jebon Serif KR"; font-weight: 400;[^}]*emoji-regular\.ttf[^}]*'
                     r"unicode-range: U\+1F600;", css)


def test_the_pdf_does_not_depend_on_the_machines_fonts(tmp_path: Path) -> None:
    """Families the machine may have (DejaVu Sans is installed here), generic families and characters
    no bundled face has all come out in bundled faces: the layout sees jebon's fonts only."""
    from weasyprint import CSS, HTML

    from jebon.writers.pdf import BASE, BookFetcher, own_font_configuration, weasy_fetcher

    fetcher = weasy_fetcher(BookFetcher(()))
    config = own_font_configuration()
    css = CSS(string=fonts.font_face_rules(lambda face: f"{BASE}fonts/{face.file}", fonts.FACES)
              + 'p { font-family: "DejaVu Sans", Arial, sans-serif; } code { font-family: monospace; }',
              font_config=config, url_fetcher=fetcher)
    html = "<p>기계의 글꼴 abc ✓ 😀 𠀀 <code>x = 1</code></p><p style='font-family: serif'>명조 serif</p>"
    out = tmp_path / "machine.pdf"
    HTML(string=html, base_url=BASE, url_fetcher=fetcher).write_pdf(out, stylesheets=[css], font_config=config)
    names = _font_names(out)
    assert names <= {face.ps_name for face in fonts.FACES}, names
    assert {"Jebon-Sans-KR", "Jebon-Mono-KR", "Jebon-Serif-KR", "Noto-Emoji"} <= names


# -- the check can fail: each kind of broken file ---------------------------------------------------


@pytest.fixture(scope="module")
def whole_pdf(symbol_book: Path) -> bytes:
    return (symbol_book / "features.pdf").read_bytes()


def _broken(data: bytes, change: Callable[[pikepdf.Pdf], None]) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _fonts_of(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    found: dict[tuple[int, int], pikepdf.Object] = {}
    for page in pdf.pages:
        for font in (page.obj.Resources.get("/Font") or {}).values():
            found.setdefault(font.objgen, font)
    return list(found.values())


def _serif(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return next(f for f in _fonts_of(pdf) if str(f.BaseFont).endswith("+Jebon-Serif-KR")
                and f.Encoding == pikepdf.Name("/Identity-H"))


def _program(font: pikepdf.Object) -> pikepdf.Object:
    return font.DescendantFonts[0].FontDescriptor.FontFile3


def test_check_finds_an_empty_program(whole_pdf: bytes) -> None:
    def empty(pdf: pikepdf.Pdf) -> None:
        _program(_serif(pdf)).write(b"")

    problems = integrity.check(_broken(whole_pdf, empty))
    assert any("empty font program" in p for p in problems), problems


def test_check_finds_a_program_that_does_not_parse(whole_pdf: bytes) -> None:
    def garble(pdf: pikepdf.Pdf) -> None:
        stream = _program(_serif(pdf))
        stream.write(stream.read_bytes()[:2000])

    problems = integrity.check(_broken(whole_pdf, garble))
    assert any("does not parse" in p for p in problems), problems


def test_check_finds_cids_that_are_not_glyph_ids(whole_pdf: bytes) -> None:
    """The bundled fonts before they were renumbered: a program whose glyph 5 is CID 6 and so on."""
    from fontTools.ttLib import TTFont

    def shuffle(pdf: pikepdf.Pdf) -> None:
        stream = _program(_serif(pdf))
        font = TTFont(io.BytesIO(stream.read_bytes()))
        top = font["CFF "].cff.topDictIndex[0]
        order = font.getGlyphOrder()
        names = [order[0], *order[2:], order[1]]  # every CID moved by one
        strings = top.CharStrings
        strings.charStrings = {new: strings.charStrings[old] for old, new in zip(order, names, strict=True)}
        top.charset = names
        font.setGlyphOrder(names)
        out = io.BytesIO()
        font.save(out)
        stream.write(out.getvalue())

    problems = integrity.check(_broken(whole_pdf, shuffle))
    assert any("CID is not their glyph id" in p for p in problems), problems


def test_check_finds_a_cidtogidmap_in_a_cff_font(whole_pdf: bytes) -> None:
    def add(pdf: pikepdf.Pdf) -> None:
        _serif(pdf).DescendantFonts[0].CIDToGIDMap = pikepdf.Name.Identity

    problems = integrity.check(_broken(whole_pdf, add))
    assert any("CIDToGIDMap" in p for p in problems), problems


def test_check_finds_glyphs_the_program_lacks(whole_pdf: bytes) -> None:
    """A program cut too short: the page draws glyphs it does not have (an invisible heading)."""
    def cut(pdf: pikepdf.Pdf) -> None:
        from jebon.writers.pdffonts import subset_retaining_ids

        face = fonts.FACES[0]
        _program(_serif(pdf)).write(subset_retaining_ids(face, [3, 4, 5]))

    problems = integrity.check(_broken(whole_pdf, cut))
    assert any("glyph(s) its program does not have" in p and p.startswith("page ") for p in problems), problems


def test_check_finds_a_font_jebon_does_not_ship(whole_pdf: bytes) -> None:
    def rename(pdf: pikepdf.Pdf) -> None:
        font = _serif(pdf)
        font.BaseFont = pikepdf.Name("/ABCDEF+DejaVuSans")

    problems = integrity.check(_broken(whole_pdf, rename))
    assert any("DejaVuSans: is not a font jebon ships" in p for p in problems), problems


def test_check_finds_a_bookmark_whose_title_is_not_on_its_page(whole_pdf: bytes) -> None:
    def retitle(pdf: pikepdf.Pdf) -> None:
        with pdf.open_outline() as outline:
            outline.root[0].title = "어디에도 없는 제목"

    problems = integrity.check(_broken(whole_pdf, retitle))
    assert any("어디에도 없는 제목" in p and "not on the page" in p and integrity.page_of(p) for p in problems), \
        problems


def test_a_broken_pdf_is_not_written(copy_book: Callable[[Path], Path], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """When the check fails, the build fails naming the page and the article on it, leaves the earlier
    PDF as it was, and still writes the EPUB."""
    book = copy_book(ROOT / "tests" / "books" / "features")
    out = tmp_path / "out"
    first = build(book, ["pdf"], out).outputs[0].path
    before = first.read_bytes()
    with pikepdf.open(first) as pdf:  # the last page: in the last article
        last = len(pdf.pages)
    flaw = f"page {last}: font X draws 2 glyph(s) its program does not have"
    monkeypatch.setattr(integrity, "check", lambda data, thorough=False: [flaw])
    with pytest.raises(JebonError) as failure:
        build(book, ["pdf", "epub"], out, cache=False)
    problem = next(p for p in failure.value.problems if p.severity == "error")
    assert problem.message == f"the PDF is not whole: {flaw}"
    assert problem.path is not None and problem.path.name == "c-third.md"
    assert first.read_bytes() == before
    assert (out / "features.epub").is_file()


# -- a big book -------------------------------------------------------------------------------------


def _magazine() -> object:
    spec = importlib.util.spec_from_file_location("make_magazine", ROOT / "benchmarks" / "make_magazine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


BIG_ARTICLES = 195
"""About 1,550 pages: eight pages an article."""


@pytest.fixture(scope="module")
def big_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated magazine of more than 1,500 pages (headings, bold, sans, footnotes, tables, code,
    figures in every chapter), with fallback symbols and emoji in every fifth chapter and a character
    no font has in every twentieth: built once, PDF only."""
    root = tmp_path_factory.mktemp("big")
    generator = _magazine()
    paths = generator.generate(BIG_ARTICLES, root / "book")  # type: ignore[attr-defined]
    for number, path in enumerate(sorted(paths)):
        extra = (FALLBACK_LINE if number % 5 == 0 else "") + (MISSING_LINE if number % 20 == 0 else "")
        if extra:
            path.write_text(path.read_text("utf-8") + extra, "utf-8")
    report = build(root / "book", ["pdf"], root / "out", cache=False)
    return report.outputs[0].path


def test_a_big_book_is_whole(big_book: Path) -> None:
    with pikepdf.open(big_book) as pdf:
        pages = len(pdf.pages)
        with pdf.open_outline() as outline:
            chapters = len(list(outline.root))
    assert pages >= 1500 and chapters == BIG_ARTICLES
    _assert_whole(big_book, poppler=False)


def test_deferred_fonts_matches_the_weasyprint_it_patches(tmp_path: Path) -> None:
    """`deferred_fonts` replaces WeasyPrint's `Font.clean`, which WeasyPrint calls once per font file
    before it embeds `font.file_content`. If an upgrade of WeasyPrint stops doing either, the pieces
    would carry whole fonts or none at all: this fails first."""
    import weasyprint
    from weasyprint import CSS, HTML

    from jebon.writers.pdf import BASE, BookFetcher, deferred_fonts, embed_fonts, own_font_configuration, weasy_fetcher

    def write(defer: bool) -> bytes:
        fetcher = weasy_fetcher(BookFetcher(()))
        config = own_font_configuration()
        css = CSS(string=fonts.font_face_rules(lambda face: f"{BASE}fonts/{face.file}", fonts.FACES)
                  + "b { font-family: 'Jebon Sans KR'; font-weight: 700; }", font_config=config, url_fetcher=fetcher)
        document = HTML(string="<p>본문 ✓ <b>굵게</b> 𠀀</p>", base_url=BASE, url_fetcher=fetcher).render(
            stylesheets=[css], font_config=config)
        if not defer:
            return bytes(document.write_pdf())
        with deferred_fonts():
            return bytes(document.write_pdf())

    def programs(data: bytes) -> list[int]:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return [len(f.DescendantFonts[0].FontDescriptor[k].read_bytes()) for f in _fonts_of(pdf)
                    for k in ("/FontFile2", "/FontFile3") if k in f.DescendantFonts[0].FontDescriptor]

    assert weasyprint.__version__ == "70.0"  # the version pyproject.toml pins and these tests were made with
    plain, deferred = write(False), write(True)
    assert len(programs(plain)) == len(programs(deferred)) >= 3
    assert all(size > 0 for size in programs(plain))
    assert all(size == 0 for size in programs(deferred))
    whole = embed_fonts(deferred)
    assert all(size > 0 for size in programs(whole))
    assert integrity.check(whole) == []


def test_spaces_and_emoji_sequences_are_not_flaws(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    """Found on real books: an ideographic space (U+3000, an empty glyph) in a law, an emoji with its
    variation selector (❤️) in a heading. Neither is a flaw: the PDF is written and whole."""
    book = copy_book(ROOT / "tests" / "books" / "features")
    article = sorted((book / "articles").glob("*.md"))[0]
    article.write_text(article.read_text("utf-8") + "\n\n## 커뮤니티의 ❤️으로\n\n제31조,\u3000제32조제2항\n", "utf-8")
    out = build(book, ["pdf"], tmp_path / "out").outputs[0].path
    assert integrity.check(out.read_bytes()) == []
