"""Real Markdown must build (issue 13): tests/books/real-markdown holds what writers bring from web
sites and editors (site-root links and images, raw HTML checklists, `<details>`, `<figure>`,
`<kbd>`, emoji, long URLs and identifiers, 2-space lists, headings that skip levels, a table wider
than the page, a code block longer than one, `ruby = false`). It builds in both formats, its EPUB
passes epubcheck, its PDF keeps tables and code inside the text block, and its contents and outline
agree. A book of real text from elsewhere is built too when one is present (never copied here)."""

from __future__ import annotations

import os
import zipfile
from itertools import pairwise
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from lxml import etree
from pypdf import PdfReader

from jebon import build
from jebon.api import BuildReport
from jebon.printing import MARGIN_INNER, MARGIN_OUTER

from .conftest import ROOT, epubcheck_json
from .test_pdf import outline_entries

BOOK = ROOT / "tests" / "books" / "real-markdown"
X = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    return build(BOOK, ["epub", "pdf"], tmp_path_factory.mktemp("real-markdown"))


def _output(report: BuildReport, fmt: str) -> Path:
    return next(o.path for o in report.outputs if o.format == fmt)


def test_it_builds_with_a_warning_at_each_line_that_needs_one(real: BuildReport) -> None:
    warnings = [(p.path.name if p.path else "", p.line, p.message) for p in real.problems]
    assert not [p for p in real.problems if p.severity == "error"]
    where = {(name, line) for name, line, _ in warnings}
    assert ("01-web.md", 7) in where  # the site-root links /notices/ and /docs/install
    assert any(name == "01-web.md" and "/notices/" in message and "becomes text" in message
               for name, _, message in warnings)
    assert ("03-headings.md", 6) in where  # ### right under the title
    # emoji are in the bundled fallback face (Noto Emoji): no glyph warning for 👏 or 😀
    assert not any("no bundled font" in message for _, _, message in warnings), warnings
    # nothing else: no checklist control, fence, table or list is reported as something it is not
    assert len(warnings) == 3, warnings


def test_the_epub_passes_epubcheck_and_reads_as_written(real: BuildReport) -> None:
    epub = _output(real, "epub")
    checker = epubcheck_json(epub)["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0)  # type: ignore[index]
    with zipfile.ZipFile(epub) as z:
        web = z.read("EPUB/ch01.xhtml").decode()
        lists = etree.fromstring(z.read("EPUB/ch02.xhtml"))
    assert "郵遞局(우체국)" in web and "{郵遞局" not in web
    assert web.count('class="checkbox') == 4 and "<input" not in web and '<details open="open">' in web
    assert 'href="ch02.xhtml"' in web  # the site-root link to an article of the book
    assert "images/logo-" in web  # the site-root image, from the book folder
    nested = lists.find(f".//{X}ul/{X}li/{X}ul/{X}li/{X}ul/{X}li")
    assert nested is not None and nested.text == "바코드 자리"


def test_contents_and_outline_agree_and_no_heading_skips_a_level(real: BuildReport) -> None:
    epub = _output(real, "epub")
    with zipfile.ZipFile(epub) as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        chapters = [etree.fromstring(z.read(f"EPUB/ch0{n}.xhtml")) for n in range(1, 5)]
    contents: list[tuple[int, str]] = []

    def walk(ol: etree._Element, depth: int) -> None:
        for li in ol.findall(f"{X}li"):
            contents.append((depth, "".join(li.find(f"{X}a").itertext())))
            sub = li.find(f"{X}ol")
            if sub is not None:
                walk(sub, depth + 1)

    walk(nav.find(f".//{X}nav[@id='toc']/{X}ol"), 0)
    outline = [(depth, title) for depth, title, _ in outline_entries(PdfReader(_output(real, "pdf")))]
    assert outline == contents
    assert (1, "세 단계부터 시작하는 절") in contents and (2, "두 단계를 건너뛴 절") in contents
    for chapter in chapters:
        levels = [int(etree.QName(h).localname[1]) for h in chapter.iter()
                  if etree.QName(h).localname in ("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1 and all(b <= a + 1 for a, b in pairwise(levels)), levels


def _outside(page: pdfium.PdfPage, recto: bool) -> str:
    """The characters drawn outside the page's text block (1 pt of slack)."""
    width, _ = page.get_size()
    left = width * (MARGIN_INNER if recto else MARGIN_OUTER)
    right = width - width * (MARGIN_OUTER if recto else MARGIN_INNER)
    text = page.get_textpage()
    out = []
    for k in range(text.count_chars()):
        char = text.get_text_range(k, 1)
        box = text.get_charbox(k)
        if char.strip() and (box[0] < left - 1 or box[2] > right + 1):
            out.append(char)
    return "".join(out)


def _pages(real: BuildReport) -> list[tuple[str, str]]:
    """(text, characters outside the text block) of every page of the PDF."""
    pdf = pdfium.PdfDocument(_output(real, "pdf"))
    return [(pdf[i].get_textpage().get_text_range(), _outside(pdf[i], i % 2 == 0)) for i in range(len(pdf))]


def test_wide_tables_and_long_code_stay_on_the_page(real: BuildReport) -> None:
    """The eight-column table is set smaller with its words whole (서울특별시, 2025-01-15); the
    fifteen-column one gets equal columns; the 120-line program breaks across pages and wraps its
    long lines: nothing is drawn past the text block."""
    pages = _pages(real)
    table = [i for i, (text, _) in enumerate(pages) if "광주광역시" in text]
    code = [i for i, (text, _) in enumerate(pages) if "measure(" in text]
    assert len(table) == 1 and "서울특별시" in pages[table[0]][0] and "2025-01-15" in pages[table[0]][0]
    assert len(code) >= 3 and code == list(range(code[0], code[-1] + 1))
    assert "line_120" in pages[code[-1]][0] and "프로그램이 끝난 뒤의 문단이다" in pages[code[-1]][0]
    for i in {*table, *code, table[0] + 1}:
        assert not pages[i][1], f"page {i + 1} draws {pages[i][1]!r} outside the text block"


def test_long_urls_and_identifiers_stay_on_the_page(real: BuildReport) -> None:
    """A 90-character URL and a 60-character identifier in a justified paragraph break at their
    separators (`token_break`) and stay inside the text block (the text is searched with its line
    breaks taken out: the URL is on two lines)."""
    pages = _pages(real)
    (page,) = [i for i, (text, _) in enumerate(pages) if "CODE_OF_CONDUCT_FOR" in "".join(text.split())]
    assert not pages[page][1], f"page {page + 1} draws {pages[page][1]!r} outside the text block"


def _real_books() -> list[Path]:
    """Books of real text from elsewhere on this machine (JEBON_REAL_BOOKS, /work/realbooks, or
    ../shared/corpus): folders with a book.toml."""
    roots = [Path(p) for p in os.environ.get("JEBON_REAL_BOOKS", "").split(os.pathsep) if p]
    roots += [Path("/work/realbooks"), ROOT.parent / "shared" / "corpus"]
    return [book for root in roots if root.is_dir()
            for book in sorted(root.iterdir()) if (book / "book.toml").is_file() and book.name == "mixed-12"]


@pytest.mark.skipif(not _real_books(), reason="no book of real text here (/work/realbooks/mixed-12)")
def test_a_book_of_real_text_builds(tmp_path: Path) -> None:
    """Twelve real articles (law, technical docs, essays): both formats build, and the EPUB passes
    epubcheck."""
    book = _real_books()[0]
    report = build(book, ["epub", "pdf"], tmp_path / "out")
    assert {o.format for o in report.outputs} == {"epub", "pdf"}
    checker = epubcheck_json(_output(report, "epub"))["checker"]
    assert (checker["nFatal"], checker["nError"]) == (0, 0)  # type: ignore[index]
    messages = [p.message for p in report.problems]
    assert not [m for m in messages if "<button>" in m or "<input>" in m or "<label>" in m], messages
