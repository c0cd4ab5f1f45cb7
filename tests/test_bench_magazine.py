"""The benchmark magazine generator: deterministic, prefix-stable, inside the fonts, a valid book."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from jebon import build, fonts

from .conftest import ROOT, epubcheck_json


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_magazine", ROOT / "benchmarks" / "make_magazine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


make_magazine = _generator()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    make_magazine.generate(8, tmp_path / "a", seed=11)
    make_magazine.generate(8, tmp_path / "b", seed=11)
    make_magazine.generate(8, tmp_path / "c", seed=12)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")


def test_a_small_magazine_is_the_prefix_of_a_larger_one(tmp_path: Path) -> None:
    small = make_magazine.generate(3, tmp_path / "small")
    large = make_magazine.generate(9, tmp_path / "large")
    assert [p.read_bytes() for p in small] == [p.read_bytes() for p in large[:3]]


def test_every_character_is_in_the_bundled_fonts(tmp_path: Path) -> None:
    paths = make_magazine.generate(40, tmp_path / "book")
    text = "".join(p.read_text(encoding="utf-8") for p in paths)
    assert fonts.missing(text) == []
    assert 5_000 < len(text.encode()) / len(paths) < 8_000  # ~6–7 KB of Markdown per article
    assert any("```" in p.read_text(encoding="utf-8") for p in paths)
    assert any("| ---" in p.read_text(encoding="utf-8") for p in paths)


def test_jebon_builds_it_without_a_warning_and_epubcheck_passes(tmp_path: Path) -> None:
    book = tmp_path / "book"
    make_magazine.generate(4, book)  # article 3 has a code block, article 4 a table
    report = build(book, ("epub", "pdf"), tmp_path / "out")
    assert [p.message for p in report.problems] == []  # no glyph, link, image or low-dpi warning
    assert {o.format for o in report.outputs} == {"epub", "pdf"}
    result = epubcheck_json(tmp_path / "out" / "book.epub")
    checker = result["checker"]
    assert isinstance(checker, dict)
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0)
