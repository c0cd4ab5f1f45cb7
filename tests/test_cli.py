"""The command line: exit codes 0/1/2, --json, --strict, check, new."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
