"""The print PDF: boxes, fonts, outline, TOC page numbers, running heads, blank versos, profiles."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from jebon import build
from jebon.api import check
from jebon.config import PdfConfig
from jebon.errors import JebonError
from jebon.printing import PROFILES, resolve, trim_mm

from . import pdftools
from .conftest import FEATURES, SAMPLE

PT_PER_MM = 72 / 25.4


def lines(page: object) -> list[tuple[float, str]]:
    """(baseline y, text) of every text run on a page, top of the page first."""
    found: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            found.append((round(cm[5] + tm[5] * cm[3], 1), text.strip()))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return sorted(found, key=lambda item: -item[0])


def outline_entries(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, 1-based page) of every bookmark, in order."""
    result: list[tuple[int, str, int]] = []

    def walk(items: list[object], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                result.append((depth, item.title, reader.get_destination_page_number(item) + 1))  # type: ignore[attr-defined]

    walk(reader.outline, 0)
    return result


@pytest.fixture(scope="session")
def sample_reader(sample_pdf: Path) -> PdfReader:
    return PdfReader(sample_pdf)


@pytest.fixture(scope="session")
def profile_pdfs(build_dir: Path) -> dict[str, Path]:
    return {name: build(SAMPLE, ["pdf"], build_dir / f"profile-{name}",
                        print_options={"profile": name}).outputs[0].path
            for name in PROFILES}


def article_titles() -> list[str]:
    from jebon.api import load_book

    return [a.title for a in load_book(SAMPLE).articles]


def test_outline_mirrors_the_articles_in_order(sample_reader: PdfReader) -> None:
    top = [(title, page) for depth, title, page in outline_entries(sample_reader) if depth == 0]
    assert [title for title, _ in top] == article_titles()
    pages = [page for _, page in top]
    assert pages == sorted(pages)


def test_toc_page_numbers_are_the_pages_where_articles_start(sample_reader: PdfReader) -> None:
    toc_text = ""
    for page in sample_reader.pages[:10]:
        text = page.extract_text() or ""
        if toc_text or text.startswith("차례"):
            toc_text += text + "\n"
    starts = {title: page for depth, title, page in outline_entries(sample_reader) if depth == 0}
    for title in article_titles():
        m = re.search(re.escape(title) + r"[\s.]*\.[\s.]*\.[\s.]*\.[\s.]*?(\d+)", toc_text)  # title … leader … page
        assert m, f"{title} not in the printed TOC"
        printed = int(m.group(1))
        assert printed == starts[title]
        # the title really is on that page, and the page is a right-hand (odd) page
        assert title in (sample_reader.pages[printed - 1].extract_text() or "")
        assert printed % 2 == 1


def test_every_internal_link_leads_somewhere(sample_pdf: Path) -> None:
    """Contents entries, footnote and cross-article links are named destinations of the assembled
    volume, each on the page where its target is; none is left as a placeholder URI."""
    import pikepdf

    pdf = pikepdf.open(sample_pdf)
    items = list(pdf.Root.Names.Dests.Names)
    dests = {str(k): v for k, v in zip(items[::2], items[1::2], strict=True)}
    pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages, 1)}
    links = []
    for number, page in enumerate(pdf.pages, 1):
        for annot in page.obj.get("/Annots", []):
            assert "jebon-xref" not in str(annot.get("/A", {}).get("/URI", ""))
            if "/Dest" in annot:
                links.append((number, str(annot.Dest)))
    toc_links = [name for number, name in links if number < 10 and name.endswith("-title")]
    assert len(set(toc_links)) == len(article_titles())
    for _, name in links:
        assert name in dests, name
        assert dests[name][0].objgen in pages
    reader = PdfReader(sample_pdf)
    for name in set(toc_links):  # the article's title is on the page its contents entry leads to
        page = reader.pages[pages[dests[name][0].objgen] - 1].extract_text() or ""
        assert any(title in page for title in article_titles())


def test_running_heads_and_blank_versos(sample_reader: PdfReader) -> None:
    book_title = "골목의 활자"
    starts = {page for depth, _, page in outline_entries(sample_reader) if depth == 0}
    chapter_of: dict[int, str] = {}
    current = ""
    titled = {page: title for depth, title, page in outline_entries(sample_reader) if depth == 0}
    for number in range(1, len(sample_reader.pages) + 1):
        current = titled.get(number, current)
        chapter_of[number] = current
    first_body = min(starts)
    checked = 0
    for number, page in enumerate(sample_reader.pages, 1):
        found = lines(page)
        if number < first_body:
            continue
        if not found:
            assert number % 2 == 0, f"blank page {number} should be a verso"
            continue
        top_text = found[0][1]
        if number in starts:
            assert top_text not in (book_title, chapter_of[number]) or found[0][0] < 450, \
                f"chapter opener {number} has a running head"
            continue
        expected = book_title if number % 2 == 0 else chapter_of[number]
        assert top_text == expected, f"page {number}: running head {top_text!r}, expected {expected!r}"
        assert found[-1][1] == str(number), f"page {number}: folio {found[-1][1]!r}"
        checked += 1
    assert checked > 20


def test_blank_pages_are_truly_blank(sample_reader: PdfReader) -> None:
    blanks = [n for n, page in enumerate(sample_reader.pages, 1) if not lines(page)]
    assert blanks, "break-before: right leaves blank versos"
    for number in blanks:
        assert not sample_reader.pages[number - 1].get_contents() or not lines(sample_reader.pages[number - 1])


def test_page_boxes_and_fonts_default(sample_reader: PdfReader) -> None:
    width, height = trim_mm("46")  # type: ignore[misc]
    for page in sample_reader.pages:
        trim = [float(v) for v in page.trimbox]
        assert abs((trim[2] - trim[0]) - width * PT_PER_MM) < 0.6
        assert abs((trim[3] - trim[1]) - height * PT_PER_MM) < 0.6
        assert [float(v) for v in page.mediabox] == pytest.approx(trim, abs=0.6)
    assert len(sample_reader.pages) % 2 == 0
    fonts = set()
    for page in sample_reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile3" in descendant["/FontDescriptor"] or "/FontFile2" in descendant["/FontDescriptor"]
    # the body faces, and the monospaced face for the sample's code (`code`, `kbd` in print.css)
    assert fonts == {"Jebon-Serif-KR", "Jebon-Serif-KR-Bold", "Jebon-Sans-KR", "Jebon-Sans-KR-Bold", "Jebon-Mono-KR"}


def test_metadata(sample_reader: PdfReader) -> None:
    info = sample_reader.metadata
    assert info.title.startswith("골목의 활자") and info.author == "한여울"
    assert info.subject and "을지로" in info.keywords
    assert sample_reader.trailer["/Root"]["/Lang"] == "ko"


def test_footnotes_at_the_foot_of_the_page(sample_reader: PdfReader) -> None:
    # Notes sit at the foot of their page, below all body text, each behind its "N." marker.
    placed = 0
    for page in sample_reader.pages:
        found = lines(page)
        notes = [(y, text) for y, text in found if re.fullmatch(r"\d+\.", text) and y < 150]
        body = [y for y, text in found if y > 150 and not re.fullmatch(r"\d+", text)]
        if notes and body:
            assert max(y for y, _ in notes) < min(body)
            placed += 1
    assert placed >= 5


def test_profiles(profile_pdfs: dict[str, Path]) -> None:
    for name, path in profile_pdfs.items():
        profile = PROFILES[name]
        reader = PdfReader(path)
        options = resolve(PdfConfig(), 2, profile=name)
        bleed = options.bleed_mm * PT_PER_MM
        page = reader.pages[1]  # a verso: its left edge is an outer edge, bled by every profile
        media, trim = [float(v) for v in page.mediabox], [float(v) for v in page.trimbox]
        assert trim[0] - media[0] == pytest.approx(bleed, abs=0.6), name
        assert (trim[2] - trim[0]) == pytest.approx(options.width_mm * PT_PER_MM, abs=0.6), name
        if bleed:
            assert "/BleedBox" in page
        assert bool(reader.outline) is profile.bookmarks, name
        assert len(reader.pages) % profile.signature == 0
    ingram = PdfReader(profile_pdfs["ingramspark"])
    assert ingram.metadata["/GTS_PDFXVersion"] == "PDF/X-1:2001" and ingram.pdf_header == "%PDF-1.3"
    assert ingram.metadata["/GTS_PDFXConformance"] == "PDF/X-1a:2001"
    intent = ingram.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX" and intent["/DestOutputProfile"].get_object()["/N"] == 4
    for page in ingram.pages:
        assert not re.search(rb"\s(rg|RG)\s", page.get_contents().get_data())
        for xobject in (page["/Resources"].get("/XObject") or {}).values():
            assert xobject.get_object().get("/ColorSpace") != "/DeviceRGB"
    bookk = PdfReader(profile_pdfs["bookk"]).pages[0]
    assert float(bookk.trimbox[2]) - float(bookk.trimbox[0]) == pytest.approx(127 * PT_PER_MM, abs=0.6)


def test_bleed_and_marks(tmp_path: Path) -> None:
    path = build(FEATURES, ["pdf"], tmp_path, print_options={"bleed": "3mm", "marks": True, "trim": "a5"}
                 ).outputs[0].path
    page = PdfReader(path).pages[0]
    trim, media = [float(v) for v in page.trimbox], [float(v) for v in page.mediabox]
    assert (trim[2] - trim[0]) == pytest.approx(148 * PT_PER_MM, abs=0.6)
    assert trim[0] - media[0] > 3 * PT_PER_MM  # marks need room beyond the bleed
    bleed_box = [float(v) for v in page["/BleedBox"]]
    assert trim[0] - bleed_box[0] == pytest.approx(3 * PT_PER_MM, abs=0.6)


def test_pdf_is_reproducible(tmp_path: Path) -> None:
    first = build(FEATURES, ["pdf"], tmp_path / "a").outputs[0].path.read_bytes()
    second = build(FEATURES, ["pdf"], tmp_path / "b").outputs[0].path.read_bytes()
    assert first == second


def test_preflight_names_failures(sample_pdf: Path) -> None:
    report = check(SAMPLE, pdf=True, out_dir=sample_pdf.parent)
    assert not report.warnings
    with pytest.raises(JebonError) as info:
        check(SAMPLE, pdf=True, out_dir=sample_pdf.parent, print_options={"profile": "kdp"})
    assert "bookmarks" in str(info.value)
    with pytest.raises(JebonError) as info:
        check(SAMPLE, pdf=True, out_dir=sample_pdf.parent, print_options={"profile": "ingramspark"})
    message = str(info.value)
    assert "no CMYK output intent" in message and "RGB colour" in message and "bleed" in message
    with pytest.raises(JebonError, match="no PDF to preflight"):
        check(SAMPLE, pdf=True, out_dir=sample_pdf.parent / "nothing")


def test_print_option_errors() -> None:
    with pytest.raises(JebonError) as info:
        resolve(PdfConfig(), 2, trim="giant", bleed="3 apples", profile="nope")
    message = str(info.value)
    assert "--trim 'giant'" in message and "--bleed '3 apples'" in message and "--profile 'nope'" in message


def test_config_pdf_table_errors(copy_book: Callable[[Path], Path]) -> None:
    from jebon.config import load
    from jebon.errors import ConfigError

    book = copy_book(FEATURES)
    text = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(text + '\n[pdf]\ntrim = "huge"\nbleed = "30mm"\nmarks = "yes"\nprofile = "x"\n',
                                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(book)
    message = str(info.value)
    for needle in ("trim", "bleed", "marks", "profile"):
        assert needle in message
    assert re.search(r"book.toml:\d+: `trim`", message)


def test_structure_and_fonts(sample_pdf: Path) -> None:
    """qpdf's checks (through pikepdf) pass, pdfium follows every link, and the bundled faces are
    embedded, subset and mapped to Unicode (what `pdffonts` shows; poppler checks too where installed):
    serif and sans, regular and bold, and the monospaced face for code."""
    pdftools.check(sample_pdf)
    faces = pdftools.fonts(sample_pdf)
    assert len(faces) == 5, faces
    assert all(f.embedded and f.subset and f.unicode and "Jebon" in f.name for f in faces), faces


def test_source_date_epoch_sets_the_pdf_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    info = PdfReader(build(FEATURES, ["pdf"], tmp_path).outputs[0].path).metadata
    assert info["/CreationDate"].startswith("D:20260101000000")


@pytest.mark.parametrize(("variant", "marker"), [("pdf/a-2b", b"pdfaid"), ("pdf/ua-1", b"pdfuaid")])
def test_variants_are_declared(tmp_path: Path, variant: str, marker: bytes) -> None:
    path = build(FEATURES, ["pdf"], tmp_path, print_options={"variant": variant}).outputs[0].path
    reader = PdfReader(path)
    root = reader.trailer["/Root"].get_object()
    xmp = root["/Metadata"].get_object().get_data()
    assert marker in xmp
    if variant == "pdf/ua-1":
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    else:
        assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


def test_assembled_volume_looks_like_one_weasyprint_call(sample_pdf: Path) -> None:
    """The volume is laid out per chapter and assembled; a reader must not see a difference from
    laying the whole volume out in one WeasyPrint call: every page, rendered, is the same."""
    import pypdfium2
    from PIL import ImageChops

    from jebon import printing
    from jebon.api import _noop, _prepare
    from jebon.errors import Diagnostics
    from jebon.model import edition
    from jebon.writers.pdf import PdfBuilder

    book, rendered = _prepare(SAMPLE, _noop, Diagnostics())
    options = printing.resolve(book.config.pdf, book.config.epub.toc_depth)
    meta, series = edition(book, book.volumes[0])
    whole = PdfBuilder(book.config, rendered[0], options, meta=meta, series=series).build_whole().data
    one, assembled = pypdfium2.PdfDocument(whole), pypdfium2.PdfDocument(sample_pdf)
    assert len(one) == len(assembled)
    differing = []
    for index in range(len(one)):
        a = one[index].render(scale=50 / 72).to_pil().convert("L")
        b = assembled[index].render(scale=50 / 72).to_pil().convert("L")
        diff = ImageChops.difference(a, b).point(lambda v: 255 if v > 64 else 0)
        changed = diff.histogram()[255]  # pixels a reader could see differ
        if changed:
            differing.append((index + 1, changed))
        assert changed < 0.002 * a.width * a.height, f"page {index + 1}: {changed} pixels differ"
    # Text set by the same engine in the same face lands on the same pixels; at most a head or a
    # folio may sit a fraction of a point off (HarfBuzz and Pango round advances differently).
    assert len(differing) <= 3, differing


def test_an_image_inside_a_drawing_is_drawn(tmp_path: Path) -> None:
    """SVGs exported from design tools carry their bitmaps as `data:image/png;base64,…`: the PDF
    draws them (decoded from the URL, nothing fetched), in RGB and in the CMYK variant."""
    import base64
    import struct
    import zlib

    import pikepdf

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 40 for _ in range(20))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 40, 20, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    book = tmp_path / "book"
    (book / "articles").mkdir(parents=True)
    (book / "book.toml").write_text('[book]\ntitle = "그림"\n', encoding="utf-8")
    (book / "articles" / "d.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="80" '
        f'height="40"><image width="80" height="40" xlink:href="data:image/png;base64,'
        f'{base64.b64encode(png).decode()}"/></svg>', encoding="utf-8")
    (book / "articles" / "01.md").write_text("# 그림\n\n빨간 네모.\n\n![빨간 네모](d.svg)\n", encoding="utf-8")
    for variant in (None, "pdf/x-1a"):
        options = {"variant": variant} if variant else None
        report = build(book, ["pdf"], tmp_path / str(variant), print_options=options)
        with pikepdf.open(report.outputs[0].path) as pdf:
            sizes = [(int(image.Width), int(image.Height)) for page in pdf.pages
                     for image in page.images.values()]
            sizes += [(int(x.Width), int(x.Height)) for page in pdf.pages for form in page.Resources.get(
                "/XObject", {}).values() if form.get("/Subtype") == "/Form"
                for x in form.get("/Resources", {}).get("/XObject", {}).values() if x.get("/Subtype") == "/Image"]
        assert (40, 20) in sizes, (variant, sizes)
