"""DAISY Ace (the accessibility checker publishers and stores use) on the built EPUBs: nothing
serious or moderate. Runs when Ace is installed (`PUPPETEER_SKIP_DOWNLOAD=1 npm install -g
@daisy/ace-cli` gives the `ace-cli` command; it drives Debian's chromium), else is skipped; the rules it found broken
before are also checked without it in test_epub_readers.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from jebon import build

from .conftest import ROOT, Epub

ACE = shutil.which("ace-cli") or shutil.which("ace")
pytestmark = pytest.mark.skipif(
    ACE is None, reason="DAISY Ace is not installed: PUPPETEER_SKIP_DOWNLOAD=1 npm install -g @daisy/ace-cli")

SERIOUS = ("critical", "serious", "moderate")
REAL_BOOKS = ROOT.parent / "realbooks"
"""Real Korean Markdown books (other people's writing), when this machine has them; never committed."""


def ace(epub: Path, out: Path) -> list[tuple[str, str, str, str]]:
    """(impact, rule, document, element) of every violation Ace reports."""
    env = dict(os.environ)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser and "PUPPETEER_EXECUTABLE_PATH" not in env:
        env["PUPPETEER_EXECUTABLE_PATH"] = browser
    assert ACE is not None
    proc = subprocess.run([ACE, "--force", "--silent", "--outdir", str(out), str(epub)], env=env,
                          capture_output=True, text=True, timeout=900)
    report = out / "report.json"
    assert report.is_file(), f"Ace wrote no report: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    data = json.loads(report.read_text("utf-8"))
    found = []
    for document in data["assertions"]:
        for check in document["assertions"]:
            test = check["earl:test"]
            found.append((test["earl:impact"], test["dct:title"], document["earl:testSubject"]["url"],
                          check["earl:result"].get("html", "")[:160]))
    return found


@pytest.fixture(scope="module")
def reports(sample_epub: Epub, features_epub: Epub, reader_epub: Epub,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str, str, str]]]:
    books = {"sample": sample_epub.path, "features": features_epub.path, "reader": reader_epub.path}
    out = tmp_path_factory.mktemp("ace")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda item: ace(item[1], out / item[0]), books.items())
        return dict(zip(books, results, strict=True))


@pytest.mark.parametrize("name", ["sample", "features", "reader"])
def test_ace_finds_nothing_serious_or_moderate(reports: dict[str, list[tuple[str, str, str, str]]],
                                               name: str) -> None:
    bad = [v for v in reports[name] if v[0] in SERIOUS]
    assert bad == [], bad


@pytest.mark.skipif(not (REAL_BOOKS / "rust-book" / "book.toml").is_file(), reason="no real books on this machine")
def test_ace_on_a_real_book(tmp_path: Path) -> None:
    """A real Korean technical book (its first 16 chapters and the operators appendix, for time):
    code, tables, notes, Latin and Hangul headings, written by other people."""
    import tomllib

    source = REAL_BOOKS / "rust-book"
    config = tomllib.loads((source / "book.toml").read_text("utf-8"))
    book = tmp_path / "rust-book"
    shutil.copytree(source, book)
    order = [*config["articles"]["order"][:16], "appendix-02-operators.md"]
    (book / "book.toml").write_text(
        f'[book]\ntitle = {json.dumps(config["book"]["title"])}\nauthor = {json.dumps(config["book"]["author"])}\n'
        f'language = "ko"\n\n[articles]\norder = {json.dumps(order, ensure_ascii=False)}\n', encoding="utf-8")
    epub = build(book, ["epub"], tmp_path / "out").outputs[0].path
    bad = [v for v in ace(epub, tmp_path / "ace") if v[0] in SERIOUS]
    assert bad == [], bad[:10]
