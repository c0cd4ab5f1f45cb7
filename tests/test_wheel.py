"""A non-editable install (the wheel), run from another folder, builds a book with the bundled fonts."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from .conftest import FEATURES, ROOT


def test_installed_wheel_builds_a_book(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(ROOT)], check=True, capture_output=True)
    (wheel,) = dist.glob("jebon-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "jebon/_data/styles/epub.css" in names
    assert "jebon/_data/fonts/JebonSerifKR-Regular.otf" in names and "jebon/_data/fonts/fonts.conf" in names
    assert "jebon/_data/docs/printing.md" in names and "jebon/_data/docs/README.md" in names  # jebon help

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # The fresh venv sees this environment's dependencies (not its jebon) through a .pth file,
    # so the test needs no network; jebon itself comes only from the wheel.
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True)

    work = tmp_path / "elsewhere"
    book = work / "book"
    shutil.copytree(FEATURES, book)
    proc = subprocess.run([str(python), "-c", "import jebon, sys; print(jebon.__file__)"], cwd=work,
                          check=True, capture_output=True, text=True)
    assert proc.stdout.strip().startswith(purelib), proc.stdout
    subprocess.run([str(env_dir / "bin" / "jebon"), "build", "book", "--out", "out"], cwd=work, check=True,
                   capture_output=True)
    epub = zipfile.ZipFile(work / "out" / "book.epub")
    fonts = [n for n in epub.namelist() if n.startswith("EPUB/fonts/")]
    # the four body faces and the monospaced one (the book has code), from the wheel's own fonts/
    assert len(fonts) == 5 and all(epub.getinfo(n).file_size > 1000 for n in fonts)
    guide = subprocess.run([str(env_dir / "bin" / "jebon"), "help", "series"], cwd=work, check=True,
                           capture_output=True, text=True).stdout
    assert guide.startswith("### A series in volumes")
    where = subprocess.run([str(env_dir / "bin" / "jebon"), "help", "printing", "--path"], cwd=work, check=True,
                           capture_output=True, text=True).stdout.strip()
    assert where.startswith(purelib) and Path(where).is_file()
