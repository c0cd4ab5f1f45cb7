"""calibre (Debian `calibre`) on the sample: its book checker finds nothing, and it converts the
EPUB to AZW3 for Kindle. Skipped when calibre is not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import Epub

DEBUG, CONVERT = shutil.which("calibre-debug"), shutil.which("ebook-convert")
pytestmark = pytest.mark.skipif(DEBUG is None or CONVERT is None,
                                reason="calibre is not installed: apt-get install calibre")

CHECK = """
import sys
from calibre.ebooks.oeb.polish.container import get_container
from calibre.ebooks.oeb.polish.check.main import run_checks
for e in run_checks(get_container(sys.argv[1], tweak_mode=True)):
    print('PROBLEM', e.level, type(e).__name__, e.name, getattr(e, 'line', None), e.msg)
print('CHECKED')
"""


def calibre_env() -> dict[str, str]:
    # calibre's Qt WebEngine will not start as root without this (the tests may run as root).
    return dict(os.environ, QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox", QT_QPA_PLATFORM="offscreen")


def test_calibre_book_checker_finds_nothing(sample_epub: Epub, reader_epub: Epub, tmp_path: Path) -> None:
    script = tmp_path / "check.py"
    script.write_text(CHECK, encoding="utf-8")
    assert DEBUG is not None
    for epub in (sample_epub, reader_epub):
        proc = subprocess.run([DEBUG, str(script), str(epub.path)], capture_output=True, text=True, timeout=300,
                              env=calibre_env())
        assert "CHECKED" in proc.stdout, proc.stderr[-2000:]
        problems = [line for line in proc.stdout.splitlines() if line.startswith("PROBLEM")]
        assert problems == [], problems


def test_calibre_converts_to_azw3(sample_epub: Epub, tmp_path: Path) -> None:
    assert CONVERT is not None
    out = tmp_path / "golmok.azw3"
    proc = subprocess.run([CONVERT, str(sample_epub.path), str(out)], capture_output=True, text=True, timeout=600,
                          env=calibre_env())
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert out.stat().st_size > 100_000 and out.read_bytes()[60:68] == b"BOOKMOBI"
