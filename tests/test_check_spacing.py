"""jebon.spacing and scripts/check_spacing.py measure what small WeasyPrint PDFs were built to show.

The paragraphs are set at 20px in Jebon Serif KR, where a Hangul syllable advances 0.966 em and a
Korean space 0.310 em: three three-syllable words fill 9 × 19.32 + 2 × 6.2 = 186.28 px exactly, so a
box of that width plus 2k × 6.2 px makes every full line's two gaps (k + 1) times as wide as a space.
Word joiners (U+2060) keep Pango from breaking inside the words, as jebon does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pymupdf")
pytest.importorskip("weasyprint")

from jebon import fonts
from jebon.spacing import measure, table

ROOT = Path(__file__).resolve().parents[1]
WORD = "가\u2060나\u2060다"
FULL = 9 * 19.32 + 2 * 6.2


def joined(word: str) -> str:
    return "\u2060".join(word)


def build(path: Path, body: str, width: float, align: str = "justify") -> Path:
    from weasyprint import HTML

    from jebon.writers.pdf import own_font_configuration

    faces = fonts.font_face_rules(lambda face: face.path.as_uri(), fonts.FACES)
    css = (f"{faces} @page {{ size: 160mm 120mm; margin: 10mm; }}"
           f" body {{ font: 20px/1.7 'Jebon Serif KR'; text-align: {align}; }}"
           f" p {{ margin: 0; width: {width}px; }} p + p {{ text-indent: 1em; }}"
           " .running { font: 8px 'Jebon Sans KR'; }")
    HTML(string=f'<html lang="ko"><style>{css}</style><body><div class="running">골목의 활자</div>{body}</body></html>'
         ).write_pdf(path, font_config=own_font_configuration())
    return path


def test_gaps_stretched_to_twice_a_space_measure_two(tmp_path: Path) -> None:
    pdf = build(tmp_path / "two.pdf", f"<p>{' '.join([WORD] * 9)}</p>", FULL + 2 * 6.2)
    report = measure(pdf)
    assert report.body_font == fonts.SERIF and report.body_size == pytest.approx(15, abs=0.1)
    assert report.lines == 3 and report.paragraphs == 1 and report.justified == 2
    assert report.ratio_median == pytest.approx(2.0, abs=0.02)
    assert report.ratio_max == pytest.approx(2.0, abs=0.02)
    assert report.over_1_5 == 1.0
    assert report.worst is not None and report.worst.gaps == 2 and report.worst.ratio == pytest.approx(2.0, abs=0.02)
    assert report.early == [] and report.runts == []


def test_lines_that_fill_the_measure_with_plain_spaces_measure_one(tmp_path: Path) -> None:
    pdf = build(tmp_path / "one.pdf", f"<p>{' '.join([WORD] * 9)}</p>", FULL + 0.1)
    report = measure(pdf)
    assert report.justified == 2
    assert report.ratio_median == pytest.approx(1.0, abs=0.02)
    assert report.ratio_p95 == pytest.approx(1.0, abs=0.02)
    assert report.over_1_5 == 0.0


def test_a_forced_break_makes_an_early_line_unless_the_source_has_it(tmp_path: Path) -> None:
    """A line that stops short inside a paragraph is early; with the sources, one that stops where
    the author broke the line (`<br>`, two spaces at a line's end) is counted apart."""
    text = " ".join([WORD] * 4) + "<br>" + " ".join([WORD] * 5)
    pdf = build(tmp_path / "early.pdf", f"<p>{text}</p><p>{' '.join([WORD] * 4)}</p>", FULL + 2 * 6.2)
    source = tmp_path / "early.md"
    source.write_text(" ".join(["가나다"] * 4) + "  \n" + " ".join(["가나다"] * 5) + "\n\n"
                      + " ".join(["가나다"] * 4) + "\n", encoding="utf-8")
    unbroken = tmp_path / "unbroken.md"  # the same words, but no line break in the source
    unbroken.write_text(source.read_text(encoding="utf-8").replace("  \n", " ", 1), encoding="utf-8")
    with_break = measure(pdf, [source])
    assert with_break.early == [] and with_break.hard_breaks == 1 and with_break.paragraphs == 2
    assert "and 1 at the author's line breaks" in table(with_break)
    for report in (measure(pdf), measure(pdf, [unbroken])):
        assert len(report.early) == 1 and report.hard_breaks == 0, report.method
        early = report.early[0]
        assert early.text == "가나다"
        # the line holds one word of 2.898 em in a measure of 9.934 em
        assert early.short_em == pytest.approx((FULL + 2 * 6.2) / 20 - 2.898, abs=0.05)
        assert report.paragraphs == 2
        assert report.ratio_median == pytest.approx(2.0, abs=0.02)
    assert measure(pdf, [source]).unmatched == 0


def test_a_one_syllable_last_line_is_a_runt(tmp_path: Path) -> None:
    runt = f"<p>{' '.join([WORD] * 6)} 라.</p>"
    fine = f"<p>{' '.join([WORD] * 6)} {joined('라마')}.</p>"
    assert [line.text for line in measure(build(tmp_path / "runt.pdf", runt, FULL + 2 * 6.2)).runts] == ["라."]
    assert measure(build(tmp_path / "fine.pdf", fine, FULL + 2 * 6.2)).runts == []


def test_a_break_between_syllables_of_a_word_is_a_mid_word_break(tmp_path: Path) -> None:
    words = ["가나다라마", "바사아자차", "카타파하가", "나다라마바"]
    source = tmp_path / "words.md"
    source.write_text(" ".join(words) + "\n", encoding="utf-8")
    width = 7 * 19.32 + 1
    broken = measure(build(tmp_path / "broken.pdf", f"<p>{' '.join(words)}</p>", width), [source])
    assert broken.mid_word is not None and len(broken.mid_word) >= 1
    for line in broken.mid_word:  # the next line goes on with the word this one ends in
        tail, head = line.text.split(" | ")
        assert tail.split()[-1] + head.split()[0] in "".join(words)
    whole = measure(build(tmp_path / "whole.pdf", f"<p>{' '.join(joined(w) for w in words)}</p>", width), [source])
    assert whole.mid_word == []
    assert measure(build(tmp_path / "nosource.pdf", f"<p>{' '.join(words)}</p>", width)).mid_word is None


def test_the_checker_prints_json_and_fails_past_its_limits(tmp_path: Path) -> None:
    pdf = build(tmp_path / "two.pdf", f"<p>{' '.join([WORD] * 9)}</p>", FULL + 2 * 6.2)
    script = [sys.executable, str(ROOT / "scripts" / "check_spacing.py"), str(pdf)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*script, *args], capture_output=True, text=True, env=env)

    done = run("--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["method"] == "geometry" and data["ratio_p95"] == pytest.approx(2.0, abs=0.02)
    assert data["early_lines"] == 0 and data["runt_count"] == 0 and data["mid_word_breaks"] is None
    assert run("--max-p95", "2.5", "--max-early", "0").returncode == 0
    failed = run("--max-p95", "1.5")
    assert failed.returncode == 1 and "p95" in failed.stderr
    assert run("--max-worst", "1.9").returncode == 1


@pytest.mark.parametrize("spacing", [0.0, 0.04, 0.1])
def test_letter_spacing_between_syllables_is_measured_in_ems(tmp_path: Path, spacing: float) -> None:
    style = f' style="letter-spacing: {spacing}em"'
    # no word joiners here: WeasyPrint gives a joiner letter spacing of its own, which doubles it
    pdf = build(tmp_path / "tracked.pdf", f"<p{style}>{' '.join(['가나다라'] * 16)}</p>", 400)
    report = measure(pdf)
    assert report.tracking_max == pytest.approx(spacing, abs=0.003)
    assert report.tracking_p95 == pytest.approx(spacing, abs=0.003)


def test_a_break_at_a_bracket_is_not_a_split_word(tmp_path: Path) -> None:
    source = tmp_path / "gloss.md"
    source.write_text("가나다 가나다 가나다표기법(camelCase)이 가나다\n", encoding="utf-8")
    width = 12 * 19.32 + 2 * 6.2 + 1  # "가나다 가나다 가나다표기법" and no more
    body = f"<p>{WORD} {WORD} {joined('가나다표기법')}\u200b(camelCase)이 {WORD}</p>"
    report = measure(build(tmp_path / "gloss.pdf", body, width, align="left"), [source])
    assert report.mid_word is not None and report.split_words is not None
    assert len(report.mid_word) == 1 and report.split_words == []
    plain = tmp_path / "plain.md"
    plain.write_text("가나다 가나다 가나다표기법이다 가나다\n", encoding="utf-8")
    split = measure(build(tmp_path / "split.pdf", f"<p>{WORD} {WORD} 가나다표기법이다 {WORD}</p>", width,
                          align="left"), [plain])
    assert split.split_words is not None and len(split.split_words) == 1


def test_the_loosest_lines_are_listed_loosest_first(tmp_path: Path) -> None:
    body = f"<p>{' '.join([WORD] * 9)}</p>"
    report = measure(build(tmp_path / "two.pdf", body, FULL + 2 * 6.2))
    assert [line.ratio for line in report.loosest] == sorted((line.ratio for line in report.loosest), reverse=True)
    assert len(report.loosest) == 2 and report.loosest[0].ratio == report.worst.ratio  # type: ignore[union-attr]
