"""The bundled font files: glyph addressing that PDF readers rely on, and the licence they carry."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
FONT_FILES = sorted(p for p in (ROOT / "fonts").iterdir() if p.suffix in (".otf", ".ttf"))


def cid_mismatches(font: TTFont) -> int:
    """Glyphs of a CID-keyed CFF whose CID is not their glyph id."""
    top = font["CFF "].cff.topDictIndex[0]
    assert hasattr(top, "ROS"), "a CFF font here is CID-keyed"
    return sum(1 for gid, name in enumerate(top.charset) if gid and name != f"cid{gid:05d}")


def test_there_are_bundled_fonts() -> None:
    assert len(FONT_FILES) >= 4


@pytest.mark.parametrize("path", FONT_FILES, ids=lambda p: p.name)
def test_cid_equals_glyph_id(path: Path) -> None:
    """PDF readers that follow the specification (MuPDF, Ghostscript, Acrobat, RIPs) look the glyphs of
    a CIDFontType0 font up by CID, and WeasyPrint writes glyph ids: both must be the same number."""
    font = TTFont(path, lazy=True)
    if "CFF " in font:
        assert cid_mismatches(font) == 0
    else:
        assert "glyf" in font  # TrueType: glyphs are addressed by id in the PDF (CIDToGIDMap /Identity)


@pytest.mark.parametrize("path", FONT_FILES, ids=lambda p: p.name)
def test_fonts_carry_their_licence(path: Path) -> None:
    """The OFL asks for the copyright notice and the licence with every copy."""
    name = TTFont(path, lazy=True)["name"]
    assert name.getDebugName(0)
    assert "Open Font License" in (name.getDebugName(13) or "")
    assert name.getDebugName(14)


def test_fontconfig_configuration_matches_the_faces() -> None:
    """fonts/fonts.conf: no font folder of the machine; generic families → bundled faces; the fallback
    families appended in the order of fonts.FACES (the order the EPUB's unicode-ranges follow)."""
    from lxml import etree

    from jebon import fonts

    root = etree.parse(str(ROOT / "fonts" / fonts.FONTCONFIG_FILE)).getroot()
    assert root.find(".//dir") is None and root.find(".//include") is None
    generic = {m.findtext("test/string"): m.findtext("edit/string") for m in root.iter("match")
               if m.find("test") is not None}
    assert generic == {"serif": fonts.SERIF, "sans-serif": fonts.SANS, "monospace": fonts.MONO_FAMILY}
    appended = [s.text for m in root.iter("match") if m.find("test") is None for s in m.iter("string")]
    assert appended == list(dict.fromkeys(face.family for face in fonts.FALLBACK_FACES))
    assert {face.file for face in fonts.FACES} == {p.name for p in FONT_FILES}
