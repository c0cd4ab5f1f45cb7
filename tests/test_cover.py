"""`jebon cover`: the full-wrap size from the published per-page figures, spine text, fonts, CMYK, preflight."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from jebon.cli import app
from jebon.errors import Diagnostics
from jebon.preflight import check_cover
from jebon.printcover import make_covers
from jebon.printing import PROFILES, cover_geometry, trim_mm

from . import pdftools
from .conftest import ROOT, SAMPLE

runner = CliRunner()
SERIES_BOOK = ROOT / "tests" / "books" / "print-series"
PT_PER_MM = 72 / 25.4
IN = 25.4

# The services' own figures, written here independently of printing.COVERS (docs/printing.md cites them):
# spine in mm for a page count, and the bleed in mm.
PUBLISHED = {
    ("kdp", "white"): (lambda pages: pages * 0.002252 * IN, 0.125 * IN),
    ("kdp", "cream"): (lambda pages: pages * 0.0025 * IN, 0.125 * IN),
    ("lulu", "white"): (lambda pages: (pages / 444 + 0.06) * IN, 0.125 * IN),
    ("ingramspark", "white"): (lambda pages: pages * 0.002252 * IN, 0.125 * IN),
    ("bookk", "white"): (lambda pages: pages * 0.0475, 3.0),
}
CASES = [("kdp", "white", 40), ("kdp", "cream", 320), ("lulu", "white", 40), ("lulu", "white", 320),
         ("ingramspark", "white", 240), ("bookk", "white", 320)]


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("build"))
    return target


def expected_size_pt(profile: str, paper: str, pages: int, trim: str = "46") -> tuple[float, float, float]:
    """(width, height, bleed) in points: bleed + back + spine + front + bleed, bleed + height + bleed."""
    spine, bleed = PUBLISHED[(profile, paper)]
    size = trim_mm(trim, PROFILES[profile])
    assert size is not None
    width, height = size
    return ((2 * bleed + 2 * width + spine(pages)) * PT_PER_MM, (2 * bleed + height) * PT_PER_MM, bleed * PT_PER_MM)


def spine_chars(path: Path, profile: str, paper: str, pages: int) -> str:
    """The characters whose boxes lie on the spine (between the two folds), in reading order."""
    _, _, bleed = expected_size_pt(profile, paper, pages)
    size = trim_mm("46", PROFILES[profile])
    assert size is not None
    left = bleed + size[0] * PT_PER_MM
    right = left + PUBLISHED[(profile, paper)][0](pages) * PT_PER_MM
    document = pdfium.PdfDocument(str(path))
    text = document[0].get_textpage()
    found = []
    for index in range(text.count_chars()):
        x0, _, x1, _ = text.get_charbox(index)
        if left <= (x0 + x1) / 2 <= right:
            found.append(text.get_text_range(index, 1))
    document.close()
    return "".join(found)


@pytest.fixture(scope="module")
def covers(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, int], Path]:
    """One cover per case for volume 1 of the fixture series, page count given (no interior is built)."""
    base = tmp_path_factory.mktemp("covers")
    book = _copy(SERIES_BOOK, base / "print-series")
    made = {}
    for profile, paper, pages in CASES:
        out = base / f"{profile}-{paper}-{pages}"
        report = make_covers(book, profile, paper=paper, pages=pages, volumes=[1], out_dir=out)
        (output,) = report.outputs
        made[(profile, paper, pages)] = output.path
    return made


@pytest.mark.parametrize(("profile", "paper", "pages"), CASES)
def test_size_is_the_formula(covers: dict[tuple[str, str, int], Path], profile: str, paper: str, pages: int) -> None:
    path = covers[(profile, paper, pages)]
    assert path.name == "print-series-vol01-cover.pdf"
    page = PdfReader(path).pages[0]
    width, height, bleed = expected_size_pt(profile, paper, pages)
    media = [float(v) for v in page.mediabox]
    trim = [float(v) for v in page.trimbox]
    assert media[2] - media[0] == pytest.approx(width, abs=0.5)
    assert media[3] - media[1] == pytest.approx(height, abs=0.5)
    assert trim == pytest.approx([media[0] + bleed, media[1] + bleed, media[2] - bleed, media[3] - bleed], abs=0.5)
    assert [float(v) for v in page.bleedbox] == pytest.approx(media, abs=0.5)


def test_two_page_counts_differ_by_the_paper_alone(covers: dict[tuple[str, str, int], Path]) -> None:
    narrow = PdfReader(covers[("lulu", "white", 40)]).pages[0].mediabox
    wide = PdfReader(covers[("lulu", "white", 320)]).pages[0].mediabox
    assert float(wide.width) - float(narrow.width) == pytest.approx(280 / 444 * 72, abs=0.5)


@pytest.mark.parametrize(("profile", "paper", "pages", "text"), [
    ("kdp", "white", 40, False), ("kdp", "cream", 320, True),
    ("lulu", "white", 40, False), ("lulu", "white", 320, True),
])
def test_spine_text_only_on_a_wide_enough_spine(covers: dict[tuple[str, str, int], Path], profile: str, paper: str,
                                                pages: int, text: bool) -> None:
    on_spine = spine_chars(covers[(profile, paper, pages)], profile, paper, pages)
    if text:
        assert "수선집일지제1권" in on_spine.replace(" ", "")  # the volume's title
        assert "윤다온" in on_spine
    else:
        assert on_spine.strip() == ""


def test_fonts_embedded(covers: dict[tuple[str, str, int], Path]) -> None:
    for path in covers.values():
        faces = pdftools.fonts(path)
        assert faces, path
        assert all(face.embedded and "Jebon" in face.name for face in faces), faces


def test_ingramspark_cover_is_cmyk(covers: dict[tuple[str, str, int], Path]) -> None:
    reader = PdfReader(covers[("ingramspark", "white", 240)])
    root = reader.trailer["/Root"]
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/DestOutputProfile"].get_object()["/N"] == 4
    assert reader.metadata is not None and reader.metadata["/GTS_PDFXVersion"] == "PDF/X-1:2001"
    assert reader.metadata["/GTS_PDFXConformance"] == "PDF/X-1a:2001"
    content = reader.pages[0].get_contents()
    assert content is not None
    data = content.get_data()
    assert b"/DeviceCMYK cs" in data  # CMYK fills
    for operator in (b" rg\n", b" rg ", b" RG\n", b" RG ", b"/DeviceRGB"):
        assert operator not in data
    rgb = PdfReader(covers[("kdp", "white", 40)]).pages[0].get_contents()
    assert rgb is not None and b" rg" in rgb.get_data()  # the test can tell the two apart


def test_front_image_fills_the_front_with_bleed(tmp_path: Path) -> None:
    book = _copy(SAMPLE, tmp_path / "golmok")
    report = make_covers(book, "kdp", pages=320, out_dir=tmp_path / "out")
    (output,) = report.outputs
    assert output.path == tmp_path / "out" / "golmok-cover.pdf"
    page = PdfReader(output.path).pages[0]
    images = [x.get_object() for x in page["/Resources"]["/XObject"].values()
              if x.get_object().get("/Subtype") == "/Image"]
    assert [(im["/Width"], im["/Height"]) for im in images] == [(1600, 2400)]  # the EPUB cover
    assert all("/SMask" not in im for im in images)  # flattened: no transparency
    # the image reaches the top, bottom and outer edges of the media (its bleed)
    document = pdfium.PdfDocument(str(output.path))
    obj = next(o for o in document[0].get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE)
    left, bottom, right, top = obj.get_bounds()
    width, height, _ = expected_size_pt("kdp", "white", 320)
    assert right >= width - 0.5 and bottom <= 0.5 and top >= height - 0.5
    assert left == pytest.approx(width / 2 + PUBLISHED[("kdp", "white")][0](320) * PT_PER_MM / 2, abs=0.5)
    document.close()


def test_preflight_catches_a_wrong_size_and_a_crowded_spine(covers: dict[tuple[str, str, int], Path]) -> None:
    path = covers[("kdp", "cream", 320)]
    data = path.read_bytes()
    size = trim_mm("46")
    assert size is not None
    right = cover_geometry("kdp", "cream", 320, *size)
    diag = Diagnostics()
    check_cover(data, right, path, diag)
    assert diag.errors == []
    wrong = Diagnostics()
    check_cover(data, cover_geometry("kdp", "cream", 340, *size), path, wrong)
    assert any("formula" in p.message for p in wrong.errors)
    narrow = Diagnostics()
    check_cover(data, dataclasses.replace(right, spine_text=False), path, narrow)
    assert any("too narrow" in p.message for p in narrow.errors)


def test_cover_command_takes_the_page_count_from_the_interior(tmp_path: Path) -> None:
    book = _copy(SERIES_BOOK, tmp_path / "print-series")
    result = runner.invoke(app, ["cover", str(book), "--profile", "kdp", "--volume", "2", "--json"])
    assert result.exit_code == 0, result.output
    (output,) = json.loads(result.stdout)["outputs"]
    interior = Path(output["interior"]["path"])
    assert output["interior"]["built"] is True and interior.name == "print-series-vol02.pdf"
    reader = PdfReader(interior)
    pages = len(reader.pages)
    assert output["pages"] == pages
    assert not reader.outline  # built for kdp, which forbids bookmarks
    cover = PdfReader(output["path"]).pages[0]
    width, height, _ = expected_size_pt("kdp", "white", pages)
    assert float(cover.mediabox.width) == pytest.approx(width, abs=0.5)
    assert float(cover.mediabox.height) == pytest.approx(height, abs=0.5)
    assert Path(output["path"]) == book / "build" / "print-series-vol02-cover.pdf"
    again = runner.invoke(app, ["cover", str(book), "--profile", "kdp", "--volume", "2", "--json"])
    assert json.loads(again.stdout)["outputs"][0]["interior"]["built"] is False


def test_usage_errors_and_spine_override(tmp_path: Path) -> None:
    book = _copy(SERIES_BOOK, tmp_path / "print-series")
    bad_paper = runner.invoke(app, ["cover", str(book), "--profile", "kdp", "--paper", "glossy", "--pages", "100"])
    assert bad_paper.exit_code == 2 and "white, cream, color" in bad_paper.stderr
    assert runner.invoke(app, ["cover", str(book), "--profile", "nope", "--pages", "100"]).exit_code == 2
    bad_spine = runner.invoke(app, ["cover", str(book), "--profile", "kdp", "--spine", "wide", "--pages", "9"])
    assert bad_spine.exit_code == 2 and "--spine 'wide'" in bad_spine.stderr
    given = runner.invoke(app, ["cover", str(book), "--profile", "bookk", "-v", "1", "--pages", "200",
                                "--spine", "20mm", "--json", "--out", str(tmp_path / "out")])
    assert given.exit_code == 0, given.output
    (output,) = json.loads(given.stdout)["outputs"]
    size = trim_mm("46", PROFILES["bookk"])
    assert size is not None
    assert float(PdfReader(output["path"]).pages[0].mediabox.width) == pytest.approx(
        (2 * 3.0 + 2 * size[0] + 20) * PT_PER_MM, abs=0.5)
    assert not list((tmp_path / "out").glob(".*"))


def test_cover_leaves_an_interior_built_with_other_settings_alone(tmp_path: Path) -> None:
    """`cover --profile lulu` needs a Lulu interior (0.125 in bleed): the user's own book.toml build is
    not rewritten with bleed, the cover builds its own interior beside it and says so; the next cover
    reuses that one."""
    book = _copy(SERIES_BOOK, tmp_path / "print-series")
    made = runner.invoke(app, ["build", str(book), "--format", "pdf", "-v", "2"])
    assert made.exit_code == 0, made.output
    theirs = book / "build" / "print-series-vol02.pdf"
    before = theirs.read_bytes()
    result = runner.invoke(app, ["cover", str(book), "--profile", "lulu", "-v", "2", "--json"])
    assert result.exit_code == 0, result.output
    interior = json.loads(result.stdout)["outputs"][0]["interior"]
    assert Path(interior["path"]) == book / "build" / "print-series-vol02-lulu.pdf"
    assert interior["built"] is True and interior["settings"] == "--profile lulu"
    assert "print-series-vol02.pdf was built with book.toml's settings: left as it is" in interior["note"]
    assert theirs.read_bytes() == before
    page = PdfReader(interior["path"]).pages[0]
    assert float(page.mediabox.width) - float(page.trimbox.width) == pytest.approx(2 * 0.125 * 72, abs=0.1)
    shown = runner.invoke(app, ["cover", str(book), "--profile", "lulu", "-v", "2"])
    assert shown.exit_code == 0 and "note: " in shown.stderr and "up to date" in shown.stdout
    assert theirs.read_bytes() == before
    # Built for the same service, the user's own file is the interior.
    runner.invoke(app, ["build", str(book), "--format", "pdf", "-v", "2", "--profile", "kdp"])
    kdp = json.loads(runner.invoke(app, ["cover", str(book), "--profile", "kdp", "-v", "2", "--json"]).stdout)
    assert kdp["outputs"][0]["interior"]["path"] == str(theirs) and kdp["outputs"][0]["interior"]["built"] is False
