"""Running heads and folios sit where print.css puts them, whatever the bleed and the crop marks."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from jebon import build

from .conftest import FEATURES


def _chars(path: Path, index: int) -> list[tuple[str, float, float]]:
    """(character, left, bottom) of every visible character of a page, in points from the TrimBox."""
    document = pdfium.PdfDocument(path)
    try:
        page = document[index]
        left, bottom, _, _ = page.get_trimbox()
        text = page.get_textpage()
        found = []
        for i in range(text.count_chars()):
            char = text.get_text_range(i, 1)
            if char.strip() and char != "\u2060":
                box = text.get_charbox(i)
                found.append((char, round(box[0] - left, 1), round(box[1] - bottom, 1)))
        return found
    finally:
        document.close()


@pytest.mark.parametrize("options", [{"bleed": "3mm"}, {"bleed": "0.125in", "marks": True}],
                         ids=["bleed", "bleed-and-marks"])
def test_heads_and_folios_stay_put(tmp_path: Path, options: dict[str, object]) -> None:
    plain = build(FEATURES, ["pdf"], tmp_path / "plain").outputs[0].path
    bled = build(FEATURES, ["pdf"], tmp_path / "bled", print_options=options).outputs[0].path
    pages = len(pdfium.PdfDocument(plain))
    checked = 0
    for index in range(pages):
        a, b = _chars(plain, index), _chars(bled, index)
        assert [c for c, _, _ in a] == [c for c, _, _ in b]
        for (char, x1, y1), (_, x2, y2) in zip(a, b, strict=True):
            assert abs(x1 - x2) <= 0.2 and abs(y1 - y2) <= 0.2, (index + 1, char, (x1, y1), (x2, y2))
        checked += len(a)
    assert checked > 500
