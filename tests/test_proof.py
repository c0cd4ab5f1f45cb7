"""`jebon proof`: page ranges, page PNGs cut to the trim, the contact sheet of spreads, reuse of the PDF."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from jebon import proof as proof_mod
from jebon.cli import app
from jebon.errors import UsageError
from jebon.printing import TRIMS
from jebon.proof import parse_pages, spreads

from .conftest import ROOT, SAMPLE

runner = CliRunner()
SERIES_BOOK = ROOT / "tests" / "books" / "print-series"


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("build"))
    return target


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The sample book, copied (its default build folder is then a temporary one), proofed once:
    pages 1-6 at 60 dpi; the PDF is built by the proof because none exists yet."""
    book = _copy(SAMPLE, tmp_path_factory.mktemp("proof") / "golmok")
    result = runner.invoke(app, ["proof", str(book), "--pages", "1-6", "--json"])
    assert result.exit_code == 0, result.output
    return book, json.loads(result.stdout)


def test_parse_pages() -> None:
    assert parse_pages("1-12", 20) == list(range(1, 13))
    assert parse_pages("3,5,7-9", 20) == [3, 5, 7, 8, 9]
    assert parse_pages("9, 3, 3-4", 20) == [3, 4, 9]
    assert parse_pages("18-", 20) == [18, 19, 20]
    assert parse_pages(None, 4) == [1, 2, 3, 4]
    for bad in ("0-3", "5-2", "1-21", "21", "a-b", "1,,2", "-3", "1-2-3"):
        with pytest.raises(UsageError, match="1–20"):
            parse_pages(bad, 20)


def test_spreads_pair_pages_as_a_reader_sees_them() -> None:
    assert spreads(range(1, 7)) == [(None, 1), (2, 3), (4, 5), (6, None)]
    assert spreads([3, 5, 7, 8, 9]) == [(None, 3), (None, 5), (None, 7), (8, 9)]


def test_pngs_for_a_page_range(sample: tuple[Path, dict[str, object]]) -> None:
    book, report = sample
    (pdf,) = report["pdfs"]  # type: ignore[misc]
    assert pdf["built"] is True and Path(pdf["path"]).is_file()
    pages = report["pages"]
    assert [p["page"] for p in pages] == [1, 2, 3, 4, 5, 6]  # type: ignore[union-attr, index]
    width_mm, height_mm = TRIMS["46"]
    for page in pages:  # type: ignore[union-attr]
        path = Path(page["path"])
        assert path.name == f"golmok-p{page['page']:03d}.png"
        assert path.parent == book / "build" / "proof"
        with Image.open(path) as image:
            # cut to the trim, at 60 dpi
            assert abs(image.width - width_mm / 25.4 * 60) <= 1
            assert abs(image.height - height_mm / 25.4 * 60) <= 1
            assert (image.width, image.height) == (page["width"], page["height"])
    listed = report["files"]
    assert len(listed) == 7 and all(Path(f).is_file() for f in listed)  # type: ignore[arg-type, union-attr]
    # atomic writes leave no temporary files behind
    assert not [p for p in (book / "build" / "proof").iterdir() if p.name.startswith(".")]


def test_contact_sheet_dimensions_and_spreads(sample: tuple[Path, dict[str, object]]) -> None:
    _, report = sample
    (sheet,) = report["contact_sheets"]  # type: ignore[misc]
    assert Path(sheet["path"]).name == "contact.png"
    page = report["pages"][0]  # type: ignore[index]
    thumb_w = round(page["width"] * proof_mod.THUMB_HEIGHT / page["height"])
    pairs = spreads(range(1, 7))
    columns = min(proof_mod.SPREADS_PER_ROW, len(pairs))
    rows = -(-len(pairs) // columns)
    expected_w = 2 * proof_mod.MARGIN + columns * 2 * thumb_w + (columns - 1) * proof_mod.SPREAD_GAP
    header = 64
    expected_h = header + proof_mod.MARGIN + rows * (proof_mod.THUMB_HEIGHT + proof_mod.LABEL) \
        + (rows - 1) * proof_mod.ROW_GAP
    with Image.open(sheet["path"]) as image:
        rgb = image.convert("RGB")
    assert rgb.size == (expected_w, expected_h)
    top = header + proof_mod.THUMB_HEIGHT // 2
    left_of_first = proof_mod.MARGIN + thumb_w // 2
    # page 1 stands alone on the right: the left slot of the first spread is background, the right is paper
    assert rgb.getpixel((left_of_first, top)) == proof_mod.BACKGROUND
    assert rgb.getpixel((left_of_first + thumb_w, top + 60)) != proof_mod.BACKGROUND
    # not blank: the title page and the text pages put ink on the sheet
    dark = sum(rgb.convert("L").histogram()[:100])
    assert dark > 2000


def test_bad_range_is_a_usage_error_naming_the_pages(sample: tuple[Path, dict[str, object]]) -> None:
    book, report = sample
    total = len(PdfReader(report["pdfs"][0]["path"]).pages)  # type: ignore[index]
    result = runner.invoke(app, ["proof", str(book), "--pages", f"5-{total + 3}"])
    assert result.exit_code == 2
    assert f"1–{total}" in result.stderr
    malformed = runner.invoke(app, ["proof", str(book), "--pages", "one-two", "--json"])
    assert malformed.exit_code == 2 and json.loads(malformed.stdout)["ok"] is False


def test_series_volume_names_and_pdf_reuse(tmp_path: Path) -> None:
    book = _copy(SERIES_BOOK, tmp_path / "print-series")
    png = book / "proofs"  # inside the book folder: the PNGs written there must not count as sources
    first = runner.invoke(app, ["proof", str(book), "--volume", "2", "--pages", "2,3", "--out", str(png), "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert [p["built"] for p in report["pdfs"]] == [True]
    assert sorted(Path(f).name for f in report["files"]) == [
        "contact-vol02.png", "print-series-vol02-p002.png", "print-series-vol02-p003.png"]
    assert all(Path(f).parent == png for f in report["files"])
    assert not (book / "build" / "print-series-vol01.pdf").exists()  # only the volume asked for is built
    # Nothing changed: the PDF is reused.
    again = json.loads(runner.invoke(app, ["proof", str(book), "-v", "2", "-p", "1", "--json",
                                           "--out", str(png)]).stdout)
    assert [p["built"] for p in again["pdfs"]] == [False]
    # A source newer than the PDF: it is built again.
    pdf = Path(again["pdfs"][0]["path"])
    article = book / "articles" / "04-hem.md"
    os.utime(article, (pdf.stat().st_mtime + 5, pdf.stat().st_mtime + 5))
    third = json.loads(runner.invoke(app, ["proof", str(book), "-v", "2", "-p", "1", "--json",
                                           "--out", str(png)]).stdout)
    assert [p["built"] for p in third["pdfs"]] == [True]
    unknown = runner.invoke(app, ["proof", str(book), "--volume", "3"])
    assert unknown.exit_code == 2 and "1–2" in unknown.stderr


def test_proof_uses_the_pdf_as_it_was_built(tmp_path: Path) -> None:
    """A `build --profile kdp` interior is proofed as it is, and laid out again with --profile kdp when
    a source changes, never with book.toml's settings; a stale PDF whose settings jebon cannot know is
    left alone with an error saying what to do."""
    from jebon import built

    book = _copy(SERIES_BOOK, tmp_path / "print-series")
    made = runner.invoke(app, ["build", str(book), "--format", "pdf", "--profile", "kdp", "-v", "1", "--json"])
    assert made.exit_code == 0, made.output
    pdf = book / "build" / "print-series-vol01.pdf"
    before = pdf.read_bytes()
    assert not PdfReader(pdf).outline  # KDP forbids bookmarks; book.toml's settings have them
    proofed = runner.invoke(app, ["proof", str(book), "-v", "1", "-p", "1", "--json"])
    assert proofed.exit_code == 0, proofed.output
    (interior,) = json.loads(proofed.stdout)["pdfs"]
    assert interior["built"] is False and interior["settings"] == "--profile kdp"
    assert pdf.read_bytes() == before
    text = runner.invoke(app, ["proof", str(book), "-v", "1", "-p", "1"]).stdout
    assert "print-series-vol01.pdf: " in text and "--profile kdp, up to date" in text
    # A source changes: laid out again, with the flags it was built with.
    article = book / "articles" / "01-button.md"
    os.utime(article, (pdf.stat().st_mtime + 5, pdf.stat().st_mtime + 5))
    again = json.loads(runner.invoke(app, ["proof", str(book), "-v", "1", "-p", "1", "--json"]).stdout)
    assert again["pdfs"][0]["built"] is True and again["pdfs"][0]["settings"] == "--profile kdp"
    assert not PdfReader(pdf).outline
    record = built.read(pdf)
    assert record is not None and record.flags == {"profile": "kdp"}
    # Without its record, stale, and not a book.toml build: not touched.
    built.record_path(pdf).unlink()
    kept = pdf.read_bytes()
    os.utime(article, (pdf.stat().st_mtime + 10, pdf.stat().st_mtime + 10))
    refused = runner.invoke(app, ["proof", str(book), "-v", "1", "-p", "1"])
    assert refused.exit_code == 1
    assert "no record of" in refused.stderr and "--rebuild" in refused.stderr
    assert pdf.read_bytes() == kept
