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
    strict = runner.invoke(app, ["check", str(FEATURES), "--strict"])
    assert strict.exit_code == 1 and "--strict: 4 warnings count as errors" in strict.stderr
    not_a_book = runner.invoke(app, ["check", str(tmp_path)])
    assert not_a_book.exit_code == 1 and "book.toml: not found" in not_a_book.stderr
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


# -- output a person can read -------------------------------------------------------------------------
def _noisy_book(root: Path, articles: int = 75) -> Path:
    """A book with four warnings of four kinds in every article (300 in all)."""
    from PIL import Image

    (root / "articles" / "img").mkdir(parents=True)
    Image.new("RGB", (40, 30), (200, 180, 150)).save(root / "articles" / "img" / "점.png")
    (root / "book.toml").write_text('[book]\ntitle = "경고가 많은 책"\nauthor = "한누리"\n', encoding="utf-8")
    for n in range(1, articles + 1):
        (root / "articles" / f"{n:03d}.md").write_text(
            f"---\ntitle: 골목 소식 {n}호\n---\n\n지난달 소식은 [옛 글](old-{n}.md)에 있다.[^a]\n\n"
            f"![](img/점.png)\n\n<span onclick=\"go({n})\">여기를 누르세요</span>\n\n"
            f"[^a]: 쓰인 각주.\n[^b{n}]: 쓰이지 않은 각주.\n", encoding="utf-8")
    return root


def _screen_rows(text: str, columns: int = 80) -> int:
    """How many rows `text` takes on a terminal `columns` wide (long lines wrap)."""
    from rich.cells import cell_len

    return sum(max(1, -(-cell_len(line) // columns)) for line in text.splitlines())


def test_hundreds_of_warnings_fit_on_one_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # where the author works: paths are shown from here
    book = _noisy_book(tmp_path / "book")
    result = runner.invoke(app, ["build", "book", "--out", "out"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "300 warnings" in result.stdout
    rows = _screen_rows(result.stderr + result.stdout)
    assert rows <= 40, result.stderr
    for kind in ("link to '…', which is not an article of this book", "image '…' has no alt text",
                 "event handler '…' removed from <…>", "footnote [^bN] is defined but never referenced"):
        assert re.search(rf"warning: 75 times: {re.escape(kind)}", result.stderr), kind
    assert result.stderr.count("… and 72 more") == 4
    assert "\n  book/articles/001.md:5: link to 'old-1.md'" in result.stderr  # file:line of the first few
    # every one with --verbose, and always in --json
    verbose = runner.invoke(app, ["build", str(book), "--out", str(tmp_path / "out"), "--verbose"])
    assert verbose.stderr.count("warning: ") == 300
    data = json.loads(runner.invoke(app, ["build", str(book), "--out", str(tmp_path / "out"), "--json"]).stdout)
    assert len(data["warnings"]) == 300 and {w["kind"] for w in data["warnings"]} == {
        k["kind"] for k in data["warning_kinds"]}
    assert sorted(k["count"] for k in data["warning_kinds"]) == [75, 75, 75, 75]


def test_errors_stay_in_full(tmp_path: Path) -> None:
    book = _noisy_book(tmp_path / "book", articles=8)
    for n in range(1, 9):
        path = book / "articles" / f"{n:03d}.md"
        path.write_text(path.read_text(encoding="utf-8") + f"\n![빈 그림](img/없음-{n}.png)\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(book), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert all(f"없음-{n}.png" in result.stderr for n in range(1, 9))  # each error listed
    assert "warning: 8 times:" in result.stderr  # the warnings that came with them, summarised


def test_one_warning_is_one_warning(tmp_path: Path) -> None:
    book = tmp_path / "책"
    runner.invoke(app, ["new", str(book)])
    article = sorted((book / "articles").glob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8") + "\n[없는 글](없음.md)\n", encoding="utf-8")
    built = runner.invoke(app, ["build", str(book)])
    assert built.exit_code == 0 and "· 1 warning\n" in built.stdout, built.stdout
    checked = runner.invoke(app, ["check", str(book)])
    assert "2 articles, 1 warning, no errors" in checked.stdout
    strict = runner.invoke(app, ["check", str(book), "--strict"])
    assert strict.exit_code == 1
    assert "error: --strict: 1 warning count as errors" in strict.stderr  # says why it failed


def _run_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run jebon with its standard output and error on a real pseudo-terminal; what the terminal got."""
    import os
    import pty

    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "jebon", *args], stdin=terminal, stdout=terminal, stderr=terminal,
                            cwd=cwd, env=env, close_fds=True)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return proc.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def test_progress_lines_on_a_terminal_and_none_in_a_pipe(tmp_path: Path) -> None:
    code, screen = _run_on_a_terminal(["build", str(FEATURES), "--format", "all", "--out", str(tmp_path / "t")],
                                      tmp_path)
    assert code == 0, screen
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen).replace("\r", "\n")
    for done in (r"Read 3 articles", r"Rendered 3 articles", r"Wrote the EPUB", r"Laid out \d+ PDF pages",
                 r"Preflighted \d+ pages"):
        assert re.search(rf"✓ {done} in \d+(\.\d+)? s", lines), (done, lines)
    assert "0/None" not in lines and "None" not in lines
    assert "3 articles · " in lines and "features.pdf" in lines
    piped = subprocess.run([sys.executable, "-m", "jebon", "build", str(FEATURES), "--format", "all", "--out",
                            str(tmp_path / "p")], capture_output=True, text=True, cwd=tmp_path)
    assert piped.returncode == 0
    assert "✓" not in piped.stderr + piped.stdout and "Laying out" not in piped.stderr
    assert "features.pdf" in piped.stdout and "3 articles · " in piped.stdout


def test_check_pdf_takes_builds_print_flags(tmp_path: Path) -> None:
    """A --marks build passes its check: with the same flag, and with none (the PDF's recorded
    settings); with other flags, or without a record and without flags, it fails and says why."""
    out = tmp_path / "out"
    built = runner.invoke(app, ["build", str(FEATURES), "--format", "pdf", "--marks", "--out", str(out)])
    assert built.exit_code == 0, built.output
    same = runner.invoke(app, ["check", str(FEATURES), "--pdf", "--marks", "--out", str(out)])
    assert same.exit_code == 0, same.output
    assert "preflight passed: " in same.stdout and "(against --marks)" in same.stdout
    recorded = runner.invoke(app, ["check", str(FEATURES), "--pdf", "--out", str(out)])
    assert recorded.exit_code == 0, recorded.output
    assert "(against --marks, as it was built)" in recorded.stdout
    other = runner.invoke(app, ["check", str(FEATURES), "--pdf", "--no-marks", "--out", str(out)])
    assert other.exit_code == 1 and "preflight:" in other.stderr
    for record in (out / ".jebon-cache" / "built").iterdir():
        record.unlink()
    unknown = runner.invoke(app, ["check", str(FEATURES), "--pdf", "--out", str(out)])
    assert unknown.exit_code == 1
    assert "jebon has no record of how this PDF was built" in unknown.stderr and "same flags" in unknown.stderr


def test_preflight_names_images_by_their_source(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(FEATURES), "--format", "pdf", "--profile", "kdp", "--out",
                                 str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    (low,) = [w["message"] for w in json.loads(result.stdout)["warnings"] if "dpi" in w["message"]]
    assert "image articles/img/dot.jpg prints at" in low, low


def test_list_fits_80_columns(tmp_path: Path) -> None:
    from rich.cells import cell_len

    from .conftest import SERIES

    for book in (SERIES, SAMPLE, FEATURES):
        result = runner.invoke(app, ["list", str(book), "--out", str(tmp_path)], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        widest = max(cell_len(line) for line in result.stdout.splitlines())
        assert widest <= 80, result.stdout
    listing = runner.invoke(app, ["list", str(SERIES), "--out", str(tmp_path)], env={"COLUMNS": "80"}).stdout
    assert "골목 빵집 편지 제4권" in listing and "2026-01" in listing and "37-letter.md" in listing
