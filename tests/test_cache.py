"""The build cache: cached and uncached builds give the same bytes, and an edit rebuilds exactly what
depends on it (one article → its parse and its PDF chapter; a style → what that style lays out;
a font → everything set in it, not the Markdown)."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from jebon import build, resources
from jebon.api import BuildReport

from .conftest import FEATURES

FORMATS = ("epub", "pdf")


def _outputs(report: BuildReport) -> dict[str, bytes]:
    return {o.path.name: o.path.read_bytes() for o in report.outputs}


def _build(book: Path, out: Path, *, cache: bool = True) -> BuildReport:
    return build(book, FORMATS, out, jobs=1, cache=cache, epoch=1_700_000_000)


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of jebon's styles/ and fonts/, used instead of the bundled ones."""
    root = tmp_path / "data"
    for name in ("styles", "fonts"):
        shutil.copytree(resources.data_dir(name), root / name)
    monkeypatch.setattr(resources, "data_dir", lambda name: root / name)
    return root


def test_cached_and_uncached_builds_are_byte_identical(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    book = copy_book(FEATURES)
    fresh = _outputs(_build(book, tmp_path / "nocache", cache=False))
    first = _build(book, tmp_path / "cached")
    assert not (tmp_path / "nocache" / ".jebon-cache").exists()
    assert all(hits == 0 for hits, _ in first.cache.values()), first.cache  # an empty cache: everything was made
    second = _build(book, tmp_path / "cached")
    assert second.cache and all(misses == 0 for _, misses in second.cache.values()), second.cache
    assert _outputs(first) == fresh
    assert _outputs(second) == fresh
    assert second.warnings == first.warnings  # the warnings of cached articles are reported again


def test_editing_one_article_rebuilds_only_that_article(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    book = copy_book(FEATURES)
    out = tmp_path / "out"
    _build(book, out)
    article = book / "articles" / "b-second.md"
    article.write_text(article.read_text("utf-8") + "\n덧붙인 문단 하나가 이 글에만 들어갑니다.\n", "utf-8")
    report = _build(book, out)
    articles = len(list((book / "articles").glob("*.md")))
    assert report.cache["parse"] == (articles - 1, 1)
    assert report.cache["render"] == (articles - 1, 1)
    assert report.cache["epub-page"] == (articles - 1, 1)
    assert report.cache["front-matter"][1] == 0  # the front matter did not change
    assert report.cache["pdf-chapter"] == (articles - 1, 1)
    assert report.cache["pdf-furniture"] == (1, 0)
    # ...and the result is what a clean build of the edited book gives.
    assert _outputs(report) == _outputs(_build(book, tmp_path / "clean", cache=False))


def test_a_style_change_relays_out_exactly_what_it_styles(copy_book: Callable[[Path], Path], tmp_path: Path,
                                                          data_copy: Path) -> None:
    book = copy_book(FEATURES)
    out = tmp_path / "out"
    _build(book, out)
    articles = len(list((book / "articles").glob("*.md")))
    css = data_copy / "styles" / "print.css"
    css.write_text(css.read_text("utf-8") + "\nblockquote { border-left-width: 2pt; }\n", "utf-8")
    report = _build(book, out)
    assert report.cache["pdf-chapter"] == (0, articles)  # every chapter is laid out with print.css
    assert report.cache["parse"] == (articles, 0)  # the Markdown does not depend on it
    assert report.cache["epub-font"] == (5, 0)  # nor do the EPUB's fonts (four body faces, the monospaced one)
    epub_css = data_copy / "styles" / "epub.css"
    epub_css.write_text(epub_css.read_text("utf-8") + "\nblockquote { margin-left: 1.5em; }\n", "utf-8")
    report = _build(book, out)
    assert report.cache["pdf-chapter"] == (articles, 0)  # the PDF does not use epub.css
    assert report.cache["parse"] == (articles, 0)


def _touch_font(path: Path) -> None:
    """Change a font file without breaking it: a new 'modified' date in its head table."""
    data = bytearray(path.read_bytes())
    tables = struct.unpack(">H", data[4:6])[0]
    for i in range(tables):
        tag, _, offset, _ = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
        if tag == b"head":
            data[offset + 28:offset + 36] = struct.pack(">Q", 3_900_000_000)
            path.write_bytes(bytes(data))
            return
    raise AssertionError("no head table")


def test_a_font_change_rebuilds_what_is_set_in_it(copy_book: Callable[[Path], Path], tmp_path: Path,
                                                  data_copy: Path) -> None:
    book = copy_book(FEATURES)
    out = tmp_path / "out"
    _build(book, out)
    articles = len(list((book / "articles").glob("*.md")))
    _touch_font(data_copy / "fonts" / "JebonSansKR-Bold.otf")
    report = _build(book, out)
    assert report.cache["pdf-chapter"] == (0, articles)
    assert report.cache["pdf-furniture"] == (0, 1)
    assert report.cache["parse"] == (articles, 0)
    assert report.cache["epub-font"] == (4, 1)  # only the changed face is cut again


def test_a_full_build_prunes_what_it_no_longer_uses(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    book = copy_book(FEATURES)
    out = tmp_path / "out"
    _build(book, out)
    before = {p for p in (out / ".jebon-cache").rglob("*") if p.is_file()}
    time.sleep(1.5)  # prune() keeps what is less than a second older than the build
    article = book / "articles" / "c-third.md"
    article.write_text(article.read_text("utf-8") + "\n바뀐 글입니다.\n", "utf-8")
    _build(book, out)
    after = {p for p in (out / ".jebon-cache").rglob("*") if p.is_file()}
    gone = before - after
    assert gone and len(gone) < len(before) / 2  # the old entries of the edited article, not the rest
    assert not [p for p in after if p.name.startswith(".tmp-")]


def test_front_matter_and_images_are_read_again_when_they_change(copy_book: Callable[[Path], Path],
                                                                 tmp_path: Path) -> None:
    book = copy_book(FEATURES)
    out = tmp_path / "out"
    _build(book, out)
    article = book / "articles" / "c-third.md"
    text = article.read_text("utf-8")
    assert "subtitle: 부제목\n" in text
    article.write_text(text.replace("subtitle: 부제목\n", "subtitle: 새로 붙인 부제\n"), "utf-8")
    svg = book / "articles" / "img" / "box.svg"
    svg.write_text(svg.read_text("utf-8").replace("</svg>", '<circle cx="5" cy="5" r="2"/></svg>'), "utf-8")
    report = _build(book, out)
    with_front_matter = sum(1 for p in (book / "articles").glob("*.md") if p.read_text("utf-8").startswith("---"))
    assert report.cache["front-matter"] == (with_front_matter - 1, 1)
    assert report.cache["render"][1] == 2  # the retitled article, and the one showing the changed image
    epub = next(o.path for o in report.outputs if o.format == "epub")
    with zipfile.ZipFile(epub) as archive:
        names = archive.namelist()
        assert any("새로 붙인 부제".encode() in archive.read(n) for n in names if n.endswith(".xhtml"))
        assert any(b"<circle" in archive.read(n) for n in names if n.endswith(".svg"))
    assert _outputs(report) == _outputs(_build(book, tmp_path / "clean", cache=False))


def test_a_remembered_file_digest_is_not_fooled_by_a_restored_date(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Cache.file_digest remembers a font's digest by the file's identity, size and times. A write
    that keeps the size and sets the modification time back still moves the change time."""
    from jebon import cache as cache_mod

    font = tmp_path / "face.otf"
    font.write_bytes(b"A" * 5000)
    cache = cache_mod.Cache(tmp_path / "cache")
    assert cache.file_digest(font) == hashlib.sha256(b"A" * 5000).hexdigest()
    assert not (tmp_path / "cache").exists()  # just written: not settled, so not remembered
    later = time.time_ns() + 10 * 1_000_000_000
    monkeypatch.setattr(cache_mod.time, "time_ns", lambda: later)
    assert cache.file_digest(font) == hashlib.sha256(b"A" * 5000).hexdigest()
    assert len(list((tmp_path / "cache" / "file-digest").rglob("*"))) == 2  # remembered (folder + entry)
    before = font.stat()
    time.sleep(0.05)
    font.write_bytes(b"B" * 5000)
    os.utime(font, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert font.stat().st_mtime_ns == before.st_mtime_ns and font.stat().st_size == before.st_size
    assert cache.file_digest(font) == hashlib.sha256(b"B" * 5000).hexdigest()


def test_a_cached_rebuild_does_not_load_what_it_does_not_use(copy_book: Callable[[Path], Path],
                                                             tmp_path: Path) -> None:
    """A rebuild that takes the fonts' subsets and coverage, the drawn cover, the front matter and
    the image sizes from the cache never loads HarfBuzz, PyYAML or Pillow (each costs tens of
    milliseconds to load, every build). The first build in a fresh process does load them."""
    import subprocess
    import sys

    book = copy_book(FEATURES)  # no cover configured: the cover is drawn
    out = tmp_path / "out"
    script = ("import sys; from jebon import build; build(sys.argv[1], ('epub',), sys.argv[2]); "
              "print(sorted(m for m in ('uharfbuzz', 'yaml', 'PIL') if m in sys.modules))")

    def loaded() -> str:
        proc = subprocess.run([sys.executable, "-c", script, str(book), str(out)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    assert loaded() == "['PIL', 'uharfbuzz', 'yaml']"
    assert loaded() == "[]"


def test_package_versions_are_read_without_importing() -> None:
    import PIL
    import uharfbuzz
    import yaml

    from jebon.cache import package_version

    assert package_version("yaml") == yaml.__version__
    assert package_version("uharfbuzz", "_version") == uharfbuzz.__version__
    assert package_version("PIL", "_version") == PIL.__version__


def test_damaged_entries_are_made_again(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    """Every entry cut in half with garbage after it (whatever its kind: pickles, JSON, raw bytes,
    arrays): the next build treats them all as missing and gives the same files, not wrong ones."""
    book = copy_book(FEATURES)
    out = tmp_path / "out"
    first = _build(book, out)
    damaged = 0
    for entry in (out / ".jebon-cache").rglob("*"):
        if entry.is_file():
            data = entry.read_bytes()
            entry.write_bytes(data[:len(data) // 2] + b"\x00garbage")
            damaged += 1
    assert damaged > 20
    again = _build(book, out)
    assert all(hits == 0 for hits, _ in again.cache.values()), again.cache
    assert again.warnings == first.warnings
    assert _outputs(again) == _outputs(_build(book, tmp_path / "clean", cache=False))


def test_a_file_in_the_cache_folders_place_is_reported(copy_book: Callable[[Path], Path], tmp_path: Path) -> None:
    """Without this warning every build would silently start from nothing."""
    book = copy_book(FEATURES)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".jebon-cache").write_text("not a folder", "utf-8")
    report = _build(book, out)
    (warning,) = [p for p in report.warnings if p.path == out / ".jebon-cache"]
    assert "reuses nothing" in warning.message and "remove the file" in (warning.hint or "")
    assert (out / ".jebon-cache").read_text("utf-8") == "not a folder"  # left as it was
    assert _outputs(report) == _outputs(_build(book, tmp_path / "clean", cache=False))
