"""The command line: exit codes 0/1/2, --json, --strict, check, new."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jebon.cli import app

from .conftest import FEATURES, SAMPLE

runner = CliRunner()


def test_build_json_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(FEATURES), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["articles"] == 3
    (output,) = report["outputs"]
    assert output["format"] == "epub" and output["volume"] == 1
    assert Path(output["path"]).stat().st_size == output["size"]
    assert any("missing.md" in w["message"] and w["line"] == 12 for w in report["warnings"])


def test_build_prints_a_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(FEATURES), "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert "features.epub" in result.stdout and "3 articles" in result.stdout


def test_book_errors_exit_1_and_list_every_error(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\ntitel = "x"\n[articles]\ndir = "없음"\n', encoding="utf-8")
    result = runner.invoke(app, ["build", str(tmp_path)])
    assert result.exit_code == 1
    assert "book.toml:2" in result.stderr and "titel" in result.stderr
    assert "book.toml:4" in result.stderr and "없음" in result.stderr
    assert "Traceback" not in result.output


def test_strict_turns_warnings_into_errors_and_writes_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(FEATURES), "--out", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 1
    assert "a-first.md:11" in result.stderr
    assert not (tmp_path / "out").exists()


def test_strict_fails_on_preflight_warnings_too(tmp_path: Path) -> None:
    """The sample's images print below 300 dpi on a print profile: a warning only preflight sees,
    after layout. --strict makes it an error, and neither the PDF nor the EPUB is written."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(SAMPLE), "--out", str(out), "--format", "all", "--profile", "kdp",
                                 "--strict"])
    assert result.exit_code == 1, result.output
    assert "dpi" in result.stderr and "error" in result.stderr
    assert not list(out.glob("*.pdf")) and not list(out.glob("*.epub"))


def test_build_all_formats_with_print_flags(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(FEATURES), "--out", str(tmp_path), "--format", "all", "--json",
                                 "--trim", "a5", "--bleed", "3mm", "--no-bookmarks"])
    assert result.exit_code == 0, result.output
    outputs = {o["format"]: o for o in json.loads(result.stdout)["outputs"]}
    assert set(outputs) == {"epub", "pdf"}
    assert outputs["pdf"]["pages"] >= 8 and outputs["pdf"]["pages"] % 2 == 0
    assert outputs["epub"]["pages"] is None
    bad = runner.invoke(app, ["build", str(FEATURES), "--out", str(tmp_path), "--format", "pdf", "--trim", "x"])
    assert bad.exit_code == 2 and "--trim 'x'" in bad.stderr


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["build", str(FEATURES), "--format", "docx"]).exit_code == 2
    assert runner.invoke(app, ["build"]).exit_code == 2
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2


def test_check(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["check", str(FEATURES)])
    assert ok.exit_code == 0 and "4 warnings" in ok.stdout
    assert runner.invoke(app, ["check", str(FEATURES), "--strict"]).exit_code == 1
    assert runner.invoke(app, ["check", str(tmp_path)]).exit_code == 1
    assert not (FEATURES / "build").exists()


def test_new_book_builds_at_once(tmp_path: Path) -> None:
    book = tmp_path / "내-책"
    result = runner.invoke(app, ["new", str(book)])
    assert result.exit_code == 0, result.output
    built = runner.invoke(app, ["build", str(book), "--strict", "--json"])
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["articles"] == 2
    again = runner.invoke(app, ["new", str(book)])
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "jebon", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, check=True)
    assert proc.stdout.startswith("jebon ")


def test_a_pdf_build_leaves_no_temporary_folders(tmp_path: Path) -> None:
    """WeasyPrint copies the fonts into a /tmp/weasyprint-* folder per layout context and removes it
    when the context is collected. The command line ends with os._exit and the layout workers end
    the same way, so jebon collects them itself: nothing may be left in the temporary folder."""
    import os

    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.run([sys.executable, "-m", "jebon", "build", str(FEATURES), "--format", "pdf", "--out",
                           str(tmp_path / "out"), "--jobs", "2", "--no-cache"], capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(temp)})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "features.pdf").is_file()
    assert not list(temp.iterdir())


# -- help that reads like the tools people know -------------------------------------------------------
COMMANDS = [["build"], ["check"], ["list"], ["new"], ["preview"], ["proof"], ["cover"], ["help"], ["import"],
            ["import", "brunch"], []]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "jebon")
def test_help_shows_values_and_defaults_not_types(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(f"Usage: jebon {' '.join(command)}".rstrip() + " ")
    assert not re.search(r"<(bool|int|str|path|float|list|text)[^>]*>|x>=|\{\w+\}", text), text
    # every option says its default, on its line or on the lines wrapped under it
    entries: list[str] = []
    for line in text.split("Options:", 1)[1].split("\nCommands:")[0].split("\nExamples:")[0].splitlines():
        if re.match(r"  (-\w, |    )--[\w-]", line):
            entries.append(line)
        elif entries and line.startswith("      "):
            entries[-1] += " " + line.strip()
    assert entries
    for entry in entries:
        if "--help" not in entry:
            assert "[default: " in entry, entry


def test_build_help_gives_the_output_default_and_ends_with_examples() -> None:
    text = runner.invoke(app, ["build", "--help"], env={"COLUMNS": "100"}).stdout
    assert re.search(r"-o, --out DIR\s+Output folder\. \[default: BOOK_DIR/build\]", text)
    assert "--marks / --no-marks" in text and "[default: --cache]" in text
    examples = text.split("Examples:\n", 1)[1]
    assert examples.count("jebon build ") >= 5 and "jebon help" in examples.splitlines()[-1]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and re.fullmatch(r"jebon \d+\.\d+\.\d+\S*\n", result.stdout)


@pytest.mark.parametrize(("args", "expected"), [
    (["build", "{book}", "--jobs", "x"], "error: --jobs: 'x' is not a whole number"),
    (["build", "{book}", "--jobs", "0"], "error: --jobs: 0 is out of range"),
    (["build", "{book}", "--format", "docx"], "error: --format: 'docx': choose epub, pdf or all"),
    (["build", "{book}", "--volume", "two"], "error: --volume: 'two' is not a whole number"),
    (["proof", "{book}", "--dpi", "lots"], "error: --dpi: 'lots' is not a number"),
    (["preview", "{book}", "--port", "70000"], "error: --port: 70000 is out of range"),
    (["cover", "{book}", "--profile", "amazon"], "error: --profile: 'amazon': choose kdp, lulu, ingramspark or bookk"),
    (["build", "{missing}"], "no such folder (`jebon new"),
    (["check", "{missing}", "--pdf"], "no such folder"),
    (["build", "{book}", "--frobnicate"], "error: No such option: --frobnicate"),
    (["build"], "error: Missing argument 'BOOK_DIR'"),
    (["help", "nothing"], "error: 'nothing' is not a guide"),
])
def test_usage_errors_are_plain_and_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    args = [a.format(book=FEATURES, missing=tmp_path / "nowhere") for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr, result.stderr
    assert "Try 'jebon" in result.stderr and "Usage: jebon" in result.stderr
    for wording in ("Input should", "Value error", "pydantic", "validation error", "x>=", "╭"):
        assert wording not in result.stderr


def test_help_topics_show_the_guides() -> None:
    listing = runner.invoke(app, ["help"])
    assert listing.exit_code == 0
    from jebon.cli import TOPICS

    for topic in TOPICS:
        assert re.search(rf"^  {topic}\s+\S", listing.stdout, re.MULTILINE)
        path = runner.invoke(app, ["help", topic, "--path"]).stdout.strip()
        assert Path(path).is_file(), topic
        page = runner.invoke(app, ["help", topic])
        assert page.exit_code == 0 and page.stdout.startswith("#"), topic
    assert "## Profiles" in runner.invoke(app, ["help", "printing"]).stdout
    series = runner.invoke(app, ["help", "series"]).stdout
    assert series.startswith("### A series in volumes") and "## Input format" not in series
