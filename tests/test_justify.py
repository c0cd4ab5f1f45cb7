"""Total-fit justification (issue 14): the algorithm on measured positions, and the PDF it makes,
checked with jebon.spacing (glyph positions read back by MuPDF)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from jebon import build
from jebon.spacing import measure
from jebon.typography.justify import (
    LETTER_SHRINK_EM,
    LETTER_STRETCH_EM,
    LETTER_STRETCH_MORE_EM,
    SHRINK,
    Break,
    Paragraph,
    adjustment,
    total_fit,
)

from .conftest import SAMPLE

WORD_EM = {"가": 1.0, " ": 0.31}


def _paragraph(text: str, em: float = 10.0) -> tuple[Paragraph, list[Break]]:
    x = [0.0]
    for char in text:
        x.append(x[-1] + WORD_EM.get(char, 1.0) * em)
    space = [c == " " for c in text]
    breaks = [Break(i, i + 1) for i, c in enumerate(text) if c == " "]
    return Paragraph(x, space, em), breaks


def _worst(paragraph: Paragraph, lines: list[tuple[int, int]], width: float) -> float:
    return max(abs(paragraph.ratio(paragraph.line(s, e, width, last=False))) for s, e in lines[:-1])


def _first_fit(paragraph: Paragraph, breaks: list[Break], width: float) -> list[tuple[int, int]]:
    """WeasyPrint's way: each line takes words while they fit at natural width."""
    lines, start, fit = [], 0, None
    for brk in [*breaks, Break(paragraph.length, paragraph.length)]:
        if paragraph.x[brk.end] - paragraph.x[start] <= width:
            fit = brk
            continue
        assert fit is not None
        lines.append((start, fit.end))
        start = fit.start
        fit = brk
    lines.append((start, paragraph.length))
    return lines


def test_total_fit_spreads_the_slack_that_first_fit_leaves_on_one_line() -> None:
    import random

    better = 0
    for seed in range(30):
        rng = random.Random(seed)
        text = " ".join("가" * rng.choice([1, 2, 2, 3, 3, 3, 4, 5, 7]) for _ in range(40))
        paragraph, breaks = _paragraph(text)
        width = 180.0


        planned = total_fit(paragraph, breaks, width, width, lambda s, e: False)
        assert planned is not None
        chosen = [(line.start, line.end) for line in planned]
        greedy = _worst(paragraph, _first_fit(paragraph, breaks, width), width)
        assert _worst(paragraph, chosen, width) <= greedy + 1e-9
        better += _worst(paragraph, chosen, width) < 0.8 * greedy
        for line in planned[:-1]:
            assert paragraph.ratio(line) >= -1  # never fuller than the spaces and letters can shrink
    assert better >= 10


def test_a_one_syllable_last_line_is_pulled_up() -> None:
    # Words of two to four syllables, as Korean prose has: pulling one down leaves line one at
    # about 1.7 of its room, cheaper than the runt.
    text = "가가가 가가 가가가가 가가 가가가 가가 가가가가 가가 가가가 가가가 가가 가"
    paragraph, breaks = _paragraph(text)
    width = paragraph.x[text.rindex(" ")] + 1  # everything but the last syllable fits on line one
    is_runt = lambda start, end: sum(1 for c in text[start:end] if c == "가") == 1  # noqa: E731
    lines = total_fit(paragraph, breaks, width, width, is_runt)
    assert lines is not None and len(lines) == 2
    assert not is_runt(lines[-1].start, lines[-1].end)


def test_a_shrunk_line_fits_and_keeps_two_thirds_of_its_spaces() -> None:
    text = "가가가 가가가 가가가 가가가"
    paragraph, _ = _paragraph(text)
    natural = paragraph.x[-1]
    line = paragraph.line(0, paragraph.length, natural - 4.0, last=False)
    adjust = adjustment(paragraph, line)
    carriers = line.chars - 2 * line.gaps
    width = natural + adjust.word_spacing * line.gaps + adjust.letter_spacing * line.chars
    assert width <= natural - 4.0
    gap = 0.31 * 10 + adjust.word_spacing + 2 * adjust.letter_spacing
    assert gap >= (1 - SHRINK) * 0.31 * 10 - 1e-6 and carriers > 0


def test_letter_spacing_stays_within_klreq_limits_between_syllables() -> None:
    """WeasyPrint adds letter spacing after every character, word joiners too: two syllables with a
    joiner between them get it twice, and that doubled amount is what the limits bound."""
    import random

    for seed in range(40):
        rng = random.Random(seed)
        words = ["\u2060".join("가" * rng.choice([1, 2, 3, 4, 6])) for _ in range(rng.randint(2, 9))]
        text = " ".join(words)
        x = [0.0]
        for char in text:
            x.append(x[-1] + {"가": 10.0, " ": 3.1, "\u2060": 0.0}[char])
        paragraph = Paragraph(x, [c == " " for c in text], 10.0, [c != "\u2060" for c in text])
        line = paragraph.line(0, paragraph.length, x[-1] + rng.uniform(-6, 40), last=False)
        adjust = adjustment(paragraph, line)
        joined = "\u2060" in text  # syllable, joiner, syllable: the spacing twice
        between = (2 if joined else 1) * adjust.letter_spacing
        assert -(LETTER_SHRINK_EM * 10) - 1e-9 <= between <= (LETTER_STRETCH_EM + LETTER_STRETCH_MORE_EM) * 10 + 1e-9
        if 0 <= line.excess <= 0.3 * line.spaces:
            assert not adjust.needed  # within 1.3× the spaces take it all, WeasyPrint alone sets it


def test_the_sample_is_set_without_early_lines_runts_or_split_words(sample_pdf: Path) -> None:
    report = measure(sample_pdf, [SAMPLE])
    assert report.unmatched == 0 and report.justified > 300
    assert report.early == [] and report.runts == []
    assert report.split_words == []  # word mode: breaks only at spaces, brackets and separators
    assert report.mid_word is not None
    for line in report.mid_word:
        assert re.search(r"[/_.?&=#-]\s*\||\|\s*[(\[%]", line.text), line.text
    # what a reader sees between two syllables: never past KLREQ's small adjustment
    assert report.tracking_max is not None and report.tracking_max <= LETTER_STRETCH_EM + LETTER_STRETCH_MORE_EM + 0.003


def test_total_fit_leaves_far_fewer_loose_lines_than_first_fit(sample_pdf: Path, tmp_path: Path) -> None:
    from jebon.api import load_book
    from jebon.errors import Diagnostics
    from jebon.printing import resolve
    from jebon.render import render_volume
    from jebon.writers.pdf import PdfBuilder

    diag = Diagnostics()
    loaded = load_book(SAMPLE, diag)
    rendered = render_volume(loaded, loaded.volumes[0], diag)
    first = tmp_path / "first-fit.pdf"
    first.write_bytes(PdfBuilder(loaded.config, rendered, resolve(loaded.config.pdf, loaded.config.epub.toc_depth),
                                 total_fit=False).build().data)
    before, after = measure(first, [SAMPLE]), measure(sample_pdf, [SAMPLE])
    assert before.ratio_p95 is not None and after.ratio_p95 is not None
    assert before.over_1_5 is not None and after.over_1_5 is not None
    assert after.ratio_p95 < before.ratio_p95 - 0.8
    assert after.over_1_5 < before.over_1_5 / 3
    assert len(after.early) < len(before.early) or before.early == []


def _tiny_book(root: Path, typography: str) -> Path:
    (root / "articles").mkdir(parents=True)
    (root / "book.toml").write_text(f'[book]\ntitle = "정렬 시험"\nauthor = "시험"\n\n[typography]\n{typography}\n',
                                    encoding="utf-8")
    body = " ".join(["골목의 인쇄소들은 아침마다 셔터를 올리고 잉크 냄새를 거리로 내보낸다."] * 12)
    (root / "articles" / "a.md").write_text(f"# 첫 글\n\n{body}\n\n{body}\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("justify", [True, False])
def test_justify_false_is_ragged_right_in_the_pdf(tmp_path: Path, justify: bool) -> None:
    book = _tiny_book(tmp_path / "book", f"justify = {str(justify).lower()}")
    pdf = next(o.path for o in build(book, ["pdf"], tmp_path / "out").outputs if o.path.suffix == ".pdf")
    report = measure(pdf, [book])
    assert report.ratio_max is not None
    if justify:
        assert report.early == [] and report.ratio_max > 1.02
    else:
        assert report.early and report.ratio_max < 1.02  # natural spaces, lines end short


def test_balanced_mode_splits_a_word_only_to_save_a_line(tmp_path: Path, sample_pdf: Path,
                                                         copy_book: Callable[[Path], Path]) -> None:
    book = copy_book(SAMPLE)
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace('line_break = "word"', 'line_break = "balanced"'), encoding="utf-8")
    output = next(o for o in build(book, ["pdf"], tmp_path / "out").outputs if o.path.suffix == ".pdf")
    report = measure(output.path, [book])
    word = measure(sample_pdf, [SAMPLE])
    assert report.split_words is not None and report.early == [] and report.runts == []
    assert 0 < len(report.split_words) <= 0.06 * report.lines
    assert report.ratio_p95 is not None and word.ratio_p95 is not None and report.ratio_p95 < word.ratio_p95 - 0.2
    # the build says how many it split (the planner counts lists and notes too, the checker body text)
    assert output.split_words is not None and output.lines is not None
    assert len(report.split_words) <= output.split_words <= 0.1 * output.lines
