"""Build speed against the peers: jebon EPUB and PDF (full build and rebuild after one edit) beside
Pandoc → EPUB 3 and one plain WeasyPrint call on jebon's own print HTML, on generated magazines.

Usage: python benchmarks/run.py [--size 10 100 300] [--skip-epub] [--skip-pdf] [--skip-peers]
                                [--keep DIR] [--repeat N] [--seed S] [--json FILE]

Every measured command is a separate process. jebon's modules are byte-compiled first, as a wheel
install leaves them (a checkout run with PYTHONDONTWRITEBYTECODE would compile them on every run).
Rebuilds after an edit are short and the noisiest figures, so they are the best of at least three.

Wall time is from start to reaping; CPU time is user + sys of the whole process tree (os.wait4's
rusage, which includes every descendant the tree reaped); peak memory is the highest sum of PSS
over the process tree, sampled every 50 ms (less often when reading is slow, see TreeSampler) from
/proc/<pid>/smaps_rollup (PSS splits shared pages between the processes sharing them, so forked
workers are not counted twice); max RSS is ru_maxrss of the largest single process of the tree.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import itertools
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from make_magazine import GENERATOR_VERSION, generate

ROOT = Path(__file__).resolve().parents[1]
PANDOC = shutil.which("pandoc") or "/usr/bin/pandoc"
SAMPLE_SECONDS = 0.05
SAMPLE_DUTY = 0.1

TARGETS = {
    # name: (limit, description); a ratio passes when it is at most the limit.
    "epub_wall_vs_pandoc": (0.5, "jebon EPUB wall ÷ Pandoc wall"),
    "epub_size_vs_pandoc": (0.2, "jebon EPUB size ÷ Pandoc EPUB size"),
    "epub_peak_mb": (300.0, "jebon EPUB peak memory (MB, PSS sum)"),
    "pdf_wall_vs_weasyprint": (0.6, "jebon PDF wall ÷ plain WeasyPrint wall"),
    "pdf_peak_vs_weasyprint": (0.5, "jebon PDF peak memory ÷ plain WeasyPrint peak"),
    "epub_rebuild_vs_full": (0.2, "jebon EPUB rebuild after one edit ÷ full build"),
    "pdf_rebuild_vs_full": (0.2, "jebon PDF rebuild after one edit ÷ full build"),
}


# ---------------------------------------------------------------------------------------------
# Measuring one process tree


@dataclass
class Measurement:
    """One measured command."""

    label: str
    wall: float
    cpu: float
    """user + sys seconds of the whole process tree."""
    peak_pss_mb: float
    """Highest sum of PSS over the tree (sampled)."""
    max_rss_mb: float
    """ru_maxrss of the largest single process of the tree."""
    returncode: int
    size: int | None = None
    pages: int | None = None
    warnings: int | None = None
    processes: int = 1
    """Most processes seen in the tree at once."""
    samples: int = 0
    """Memory samples taken (their mean interval is wall / samples)."""
    sampler_seconds: float = 0.0
    """Time the sampler itself spent reading /proc."""
    parts: dict[str, int] = field(default_factory=dict)
    """EPUB only: compressed bytes by kind (fonts, images, other)."""
    command: list[str] = field(default_factory=list)


def _children_map(above: int) -> dict[int, list[int]]:
    """Parent → children for the processes whose pid is at least `above` (a process's descendants
    get higher pids than it, short of pid wrap-around, so the rest of /proc need not be read)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) < above:
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    """`root` and all its living descendants."""
    children = _children_map(root)
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii").splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the PSS sum of a process tree every SAMPLE_SECONDS, or less often when a sample is
    slow: reading smaps_rollup walks the page tables (~50 ms for a 500 MB process on a loaded
    machine), so the wait is at least SAMPLE_DUTY⁻¹ times the last sample's cost, which keeps the
    sampler's own CPU use below ~SAMPLE_DUTY of one core."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.most = 0
        self.samples = 0
        self.busy = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            start = time.perf_counter()
            tree = process_tree(self.pid)
            self.peak_kb = max(self.peak_kb, sum(pss_kb(pid) for pid in tree))
            self.most = max(self.most, len(tree))
            self.samples += 1
            cost = time.perf_counter() - start
            self.busy += cost
            self.done.wait(max(SAMPLE_SECONDS, cost / SAMPLE_DUTY))


def measure(label: str, command: Sequence[str], cwd: Path, log: Path) -> tuple[Measurement, str]:
    """Run `command` and measure it; return the measurement and its stdout. Stdout and stderr are
    kept in `log`.out and `log`.err."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.with_suffix(".out").open("wb") as out, log.with_suffix(".err").open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(command), cwd=cwd, stdout=out, stderr=err)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    m = Measurement(label=label, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                    peak_pss_mb=sampler.peak_kb / 1024, max_rss_mb=usage.ru_maxrss / 1024,
                    returncode=proc.returncode, processes=sampler.most, samples=sampler.samples,
                    sampler_seconds=sampler.busy, command=list(command))
    if proc.returncode:
        tail = log.with_suffix(".err").read_text(errors="replace")[-1500:]
        print(f"  ! {label} failed with exit code {proc.returncode}:\n{tail}", file=sys.stderr)
    return m, log.with_suffix(".out").read_text(errors="replace")


# ---------------------------------------------------------------------------------------------
# jebon


def jebon_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "jebon", *args]


REBUILD_REPEAT = 3
"""Rebuilds measured at least this many times (the fastest is shown): they take a second or two, so
one busy moment of the machine would otherwise decide the ratio."""


def byte_compile_jebon() -> str:
    """Byte-compile the jebon package the measured commands import (as a wheel install does);
    returns its folder."""
    where = subprocess.run([sys.executable, "-c", "import jebon, os; print(os.path.dirname(jebon.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True, capture_output=True)
    return where


def has_no_cache() -> bool:
    """Whether `jebon build` has the --no-cache flag (the content-keyed cache)."""
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    proc = subprocess.run(jebon_command("build", "--help"), capture_output=True, text=True, env=env)
    return "--no-cache" in proc.stdout


def jebon_build(label: str, book: Path, fmt: str, out: Path, logs: Path, *, no_cache: bool) -> Measurement:
    command = jebon_command("build", str(book), "--format", fmt, "--out", str(out), "--json")
    if no_cache:
        command.append("--no-cache")
    m, stdout = measure(label, command, book.parent, logs / label.replace(" ", "-"))
    try:
        report = json.loads(stdout[stdout.find("{"):])
        outputs = [o for o in report.get("outputs", []) if o["format"] == fmt]
        m.size = sum(o["size"] for o in outputs)
        m.pages = sum(o["pages"] or 0 for o in outputs) or None
        m.warnings = len(report.get("warnings", []))
        if fmt == "epub" and outputs:
            m.parts = epub_parts(Path(outputs[0]["path"]))
    except (ValueError, KeyError):
        files = list(out.glob(f"*.{fmt}"))
        m.size = sum(f.stat().st_size for f in files) or None
    return m


def epub_parts(path: Path) -> dict[str, int]:
    """Compressed bytes of an EPUB by kind: fonts, images and everything else."""
    kinds = {"otf": "fonts", "ttf": "fonts", "woff": "fonts", "woff2": "fonts", "png": "images", "jpg": "images",
             "jpeg": "images", "gif": "images", "webp": "images", "svg": "images"}
    parts = {"fonts": 0, "images": 0, "other": 0}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            parts[kinds.get(info.filename.rsplit(".", 1)[-1].lower(), "other")] += info.compress_size
    return parts


def edit_one_article(book: Path) -> Path:
    """Append a sentence to the first paragraph of the middle article (a new one each run, so that
    no content-keyed cache can already hold the result)."""
    articles = sorted((book / "articles").glob("*.md"))
    path = articles[len(articles) // 2]
    text = path.read_text(encoding="utf-8")
    body = text.index("\n---\n", 4) + 5
    paragraph = text.index("\n\n", body + 1)
    sentence = f" 이 문장은 {time.time_ns() % 10**9}번째 교정에서 덧붙였다."
    path.write_text(text[:paragraph] + sentence + text[paragraph:], encoding="utf-8")
    return path


def jebon_runs(book: Path, fmt: str, work: Path, repeat: int, no_cache: bool) -> Iterator[Measurement]:
    """Full build (best of `repeat`), then build with the cache, edit one article and rebuild."""
    logs = work / "logs"
    yield best_of(repeat, lambda n: jebon_build(f"jebon {fmt} full", book, fmt, _fresh(work / f"{fmt}-full-{n}"),
                                               logs, no_cache=no_cache))
    copy = _fresh(work / f"{fmt}-rebuild-book")
    shutil.copytree(book, copy, dirs_exist_ok=True)
    out = _fresh(work / f"{fmt}-rebuild-out")
    yield jebon_build(f"jebon {fmt} first build with cache", copy, fmt, out, logs, no_cache=False)

    def rebuild(n: int) -> Measurement:
        edit_one_article(copy)
        return jebon_build(f"jebon {fmt} rebuild after 1 edit", copy, fmt, out, logs, no_cache=False)

    yield best_of(max(repeat, REBUILD_REPEAT), rebuild)


# ---------------------------------------------------------------------------------------------
# Peers


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """The simple `key: "value"` front matter the generator writes, and the body."""
    end = text.index("\n---\n", 4)
    meta = {}
    for line in text[4:end].splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip().strip('"')
    return meta, text[end + 5:]


def pandoc_inputs(book: Path, dest: Path) -> list[str]:
    """The same content for Pandoc: one Markdown file per article with its title as `#` heading,
    footnote labels made unique, links between articles turned into links to those headings, ruby
    as raw HTML; a metadata file; a CSS using the four bundled fonts. Returns Pandoc's arguments."""
    import tomllib

    from jebon import resources
    from jebon.fonts import FACES

    config = tomllib.loads((book / "book.toml").read_text(encoding="utf-8"))["book"]
    dest.mkdir(parents=True, exist_ok=True)
    meta = dest / "metadata.yaml"
    meta.write_text(json.dumps({
        "title": config["title"], "subtitle": config.get("subtitle", ""), "creator": [
            {"role": "author", "text": config["author"]}], "publisher": config["publisher"], "lang": "ko",
        "date": config["date"], "description": config["description"], "subject": config["tags"],
    }, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    css = dest / "style.css"
    css.write_text("".join(
        f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
        f'src: url("../fonts/{face.file}"); }}\n' for face in FACES)
        + 'body { font-family: "Jebon Serif KR", serif; line-height: 1.7; word-break: keep-all; }\n'
        'h1, h2, h3 { font-family: "Jebon Sans KR", sans-serif; }\n', encoding="utf-8")
    chapters = []
    for path in sorted((book / "articles").glob("*.md")):
        meta_fields, body = _front_matter(path.read_text(encoding="utf-8"))
        anchor = "a" + path.name[:3]
        body = re.sub(r"\[\^(\d+)\]", rf"[^{anchor}-\1]", body)
        body = re.sub(r"\]\((\d{3})-[a-z-]+\.md\)", r"](#a\1)", body)
        body = re.sub(r"\{([^{}|]+)\|([^{}]+)\}", r"<ruby>\1<rt>\2</rt></ruby>", body)
        head = f"# {meta_fields['title']} {{#{anchor}}}\n\n"
        if "subtitle" in meta_fields:
            head += meta_fields["subtitle"] + "\n\n"
        chapter = dest / path.name
        chapter.write_text(head + body, encoding="utf-8")
        chapters.append(str(chapter))
    fonts = [f"--epub-embed-font={resources.font_path(face.file)}" for face in FACES]
    return ["-f", "markdown", "-t", "epub3", "--metadata-file", str(meta), "--css", str(css),
            "--epub-cover-image", str(book / "cover.png"), "--toc", "--toc-depth=2",
            "--resource-path", str(book / "articles"), *fonts, *chapters]


def export_print_html(book_dir: Path, dest: Path) -> tuple[Path, Path]:
    """jebon's print HTML and CSS for the book's (first) volume as files in `dest`, with the fonts,
    images and marks beside them as real files, referenced by relative URLs. Returns (html, css).

    This is the one place that knows jebon's PDF writer internals (PdfBuilder.html() and the CSS
    assembly of PdfBuilder.layout(); URLs under BASE as BookFetcher.resolve serves them): adapt it
    here when those change."""
    from jebon import color, resources
    from jebon.api import _prepare
    from jebon.errors import Diagnostics
    from jebon.fonts import FACES
    from jebon.printing import resolve
    from jebon.writers.pdf import BASE, DOT_SVG, PdfBuilder, page_css

    diag = Diagnostics()
    book, rendered = _prepare(book_dir, lambda stage, done, total: None, diag)
    config = book.config
    options = resolve(config.pdf, config.epub.toc_depth)
    builder = PdfBuilder(config, rendered[0], options)
    css = page_css(options, config.typography.justify) + resources.style("print.css")
    html = builder.html()
    dest.mkdir(parents=True, exist_ok=True)
    # Everything BookFetcher.resolve serves, at the same relative path under dest.
    for asset in rendered[0].assets:
        (dest / asset.name).parent.mkdir(parents=True, exist_ok=True)
        (dest / asset.name).write_bytes(asset.data)
    (dest / "fonts").mkdir(exist_ok=True)
    for face in FACES:
        shutil.copyfile(resources.font_path(face.file), dest / "fonts" / face.file)
    (dest / "marks").mkdir(exist_ok=True)
    (dest / "marks" / "dot.svg").write_text(DOT_SVG, encoding="utf-8")
    profile = resources.data_dir("styles") / color.PROFILE_NAME
    if profile.is_file():
        (dest / color.PROFILE_NAME).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(profile, dest / color.PROFILE_NAME)
    html_path, css_path = dest / "print.html", dest / "print.css"
    html_path.write_text(html.replace(BASE, ""), encoding="utf-8")
    css_path.write_text(css.replace(BASE, ""), encoding="utf-8")
    return html_path, css_path


def pdf_pages(path: Path) -> int | None:
    from pypdf import PdfReader

    try:
        return len(PdfReader(path).pages)
    except Exception:
        return None


def _stderr_lines(log: Path, pattern: str) -> int:
    err = log.with_suffix(".err")
    return sum(1 for line in err.read_text(errors="replace").splitlines() if re.search(pattern, line))


def pandoc_run(book: Path, work: Path, repeat: int) -> Measurement:
    args = pandoc_inputs(book, _fresh(work / "pandoc-input"))

    def once(n: int) -> Measurement:
        out = _fresh(work / f"pandoc-out-{n}") / "book.epub"
        log = work / "logs" / "pandoc-epub"
        m, _ = measure("pandoc epub3", [PANDOC, *args, "-o", str(out)], work, log)
        m.size = out.stat().st_size if out.is_file() else None
        m.parts = epub_parts(out) if out.is_file() else {}
        m.warnings = _stderr_lines(log, r"WARNING")
        return m

    return best_of(repeat, once)


def weasyprint_run(book: Path, work: Path, repeat: int) -> Measurement:
    folder = _fresh(work / "print-html")
    html, css = export_print_html(book, folder)

    def once(n: int) -> Measurement:
        out = work / f"weasyprint-{n}.pdf"
        log = work / "logs" / "weasyprint"
        m, _ = measure("weasyprint plain", [sys.executable, "-m", "weasyprint", html.name, str(out),
                                            "-s", css.name], folder, log)
        m.size = out.stat().st_size if out.is_file() else None
        m.pages = pdf_pages(out)
        m.warnings = _stderr_lines(log, r"\S")
        return m

    return best_of(repeat, once)


# ---------------------------------------------------------------------------------------------
# Running and reporting


def peer(fmt: str, book: Path, work: Path, repeat: int) -> Iterator[Measurement]:
    """The peer for a format: Pandoc for EPUB, plain WeasyPrint for PDF."""
    yield pandoc_run(book, work, repeat) if fmt == "epub" else weasyprint_run(book, work, repeat)


def best_of(repeat: int, run: Callable[[int], Measurement]) -> Measurement:
    """The run with the shortest wall time (its other figures come from the same run)."""
    runs = [run(n) for n in range(max(1, repeat))]
    return min(runs, key=lambda m: (m.returncode != 0, m.wall))


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def book_for(size: int, seed: int, where: Path) -> Path:
    """The generated book for `size` articles under `where`, reused when its stamp matches."""
    book = where / f"magazine-{size}"
    source = (Path(__file__).parent / "make_magazine.py").read_bytes()
    stamp = f"{GENERATOR_VERSION} {size} {seed} {hashlib.sha256(source).hexdigest()[:16]}"
    stamp_file = where / f"magazine-{size}.stamp"
    if not (book / "book.toml").is_file() or not stamp_file.is_file() or stamp_file.read_text() != stamp:
        generate(size, book, seed)
        stamp_file.write_text(stamp)
    return book


def machine() -> dict[str, object]:
    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    pandoc = subprocess.run([PANDOC, "--version"], capture_output=True, text=True).stdout.splitlines()
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip()
    return {
        "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)), "cpu": model,
        "memory_mb": memory, "python": platform.python_version(), "weasyprint": version("weasyprint"),
        "pandoc": pandoc[0].split()[-1] if pandoc else "?", "jebon": version("jebon"), "commit": commit,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _mb(size: int | None) -> str:
    return f"{size / 1e6:8.2f}" if size else f"{'–':>8}"


def table_header(title: str) -> str:
    return (f"{title}\n  {'run':<36} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'maxRSS':>8} {'procs':>5} "
            f"{'size MB':>8} {'pages':>6} {'warn':>5} {'smpl ms':>7}")


def table_row(m: Measurement) -> str:
    failed = " FAILED" if m.returncode else ""
    return (f"  {m.label:<36} {m.wall:8.2f} {m.cpu:8.2f} {m.peak_pss_mb:8.0f} {m.max_rss_mb:8.0f} "
            f"{m.processes:5d} {_mb(m.size)} {m.pages or '–':>6} "
            f"{'–' if m.warnings is None else m.warnings:>5} {1000 * m.wall / max(1, m.samples):7.0f}{failed}")


def _without_images(a: str, b: str, by_label: dict[str, Measurement]) -> float | None:
    if a not in by_label or b not in by_label or not by_label[a].parts or not by_label[b].parts:
        return None
    x, y = (sum(by_label[k].parts.values()) - by_label[k].parts["images"] for k in (a, b))
    return x / y if y else None


def ratios(by_label: dict[str, Measurement]) -> dict[str, float]:
    def ratio(a: str, b: str, attr: str) -> float | None:
        if a not in by_label or b not in by_label:
            return None
        x, y = getattr(by_label[a], attr), getattr(by_label[b], attr)
        return x / y if x and y else None

    found = {
        "epub_wall_vs_pandoc": ratio("jebon epub full", "pandoc epub3", "wall"),
        "epub_size_vs_pandoc": ratio("jebon epub full", "pandoc epub3", "size"),
        "epub_peak_mb": by_label["jebon epub full"].peak_pss_mb if "jebon epub full" in by_label else None,
        "pdf_wall_vs_weasyprint": ratio("jebon pdf full", "weasyprint plain", "wall"),
        "pdf_peak_vs_weasyprint": ratio("jebon pdf full", "weasyprint plain", "peak_pss_mb"),
        "epub_rebuild_vs_full": ratio("jebon epub rebuild after 1 edit", "jebon epub full", "wall"),
        "pdf_rebuild_vs_full": ratio("jebon pdf rebuild after 1 edit", "jebon pdf full", "wall"),
        "epub_cpu_vs_pandoc": ratio("jebon epub full", "pandoc epub3", "cpu"),
        "epub_size_without_images_vs_pandoc": _without_images("jebon epub full", "pandoc epub3", by_label),
        "pdf_cpu_vs_weasyprint": ratio("jebon pdf full", "weasyprint plain", "cpu"),
        "epub_rebuild_cpu_vs_full": ratio("jebon epub rebuild after 1 edit", "jebon epub full", "cpu"),
        "pdf_rebuild_cpu_vs_full": ratio("jebon pdf rebuild after 1 edit", "jebon pdf full", "cpu"),
    }
    return {key: value for key, value in found.items() if value is not None}


CPU_RATIOS = {
    # Not targets: the same comparisons in CPU time, which drifts less than wall time on a shared
    # machine, and the size comparison without the images (the same files in both books).
    "epub_cpu_vs_pandoc": "jebon EPUB CPU ÷ Pandoc CPU",
    "epub_size_without_images_vs_pandoc": "jebon EPUB size ÷ Pandoc's, images left out",
    "pdf_cpu_vs_weasyprint": "jebon PDF CPU ÷ plain WeasyPrint CPU",
    "epub_rebuild_cpu_vs_full": "jebon EPUB rebuild CPU ÷ full build CPU",
    "pdf_rebuild_cpu_vs_full": "jebon PDF rebuild CPU ÷ full build CPU",
}


def headline(found: dict[str, float]) -> str:
    lines = ["  headline (target: ✓ met, ✗ missed)"]
    for key, value in found.items():
        if key in CPU_RATIOS:
            continue
        limit, description = TARGETS[key]
        mark = "✓" if value <= limit else "✗"
        shown = f"{value:7.0f}" if key.endswith("_mb") else f"{value:7.2f}×"
        target = f"≤ {limit:.0f}" if key.endswith("_mb") else f"≤ {limit}×"
        lines.append(f"  {mark} {description:<48} {shown:>8}   target {target}")
    lines += [f"  · {description:<48} {found[key]:7.2f}×   (for reference)"
              for key, description in CPU_RATIOS.items() if key in found]
    return "\n".join(lines)


@contextlib.contextmanager
def workspace(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="jebon-bench-") as tmp:
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", action="extend", metavar="N",
                        help="articles in the generated magazine (repeatable; default: 10 100)")
    parser.add_argument("--skip-epub", action="store_true", help="PDF only")
    parser.add_argument("--skip-pdf", action="store_true", help="EPUB only")
    parser.add_argument("--skip-peers", action="store_true", help="no Pandoc, no plain WeasyPrint")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the books and outputs in this folder")
    parser.add_argument("--repeat", type=int, help="runs per measurement, the fastest is shown "
                        "[default: 3 up to 30 articles (small builds are noisy), else 1]")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure to FILE as JSON")
    args = parser.parse_args(argv)
    sizes = args.size or [10, 100]

    info = machine()
    info["byte_compiled"] = byte_compile_jebon()
    no_cache = has_no_cache()
    info["no_cache_flag"] = no_cache
    print(f"machine: {info['cores']} cores ({info['usable_cores']} usable), {info['cpu']}, "
          f"{info['memory_mb']} MB; Python {info['python']}, WeasyPrint {info['weasyprint']}, "
          f"Pandoc {info['pandoc']}, jebon {info['jebon']} ({info['commit']}, byte-compiled in "
          f"{info['byte_compiled']}); load {info['load_average']}")
    if not no_cache:
        print("note: `jebon build` has no --no-cache flag: full builds run without it, and a rebuild is "
              "simply a second full build")
    results: dict[str, object] = {"machine": info, "targets": {k: v[0] for k, v in TARGETS.items()}, "sizes": {}}
    with workspace(args.keep) as where:
        for size in sizes:
            book = book_for(size, args.seed, where)
            markdown = sum(p.stat().st_size for p in (book / "articles").glob("*.md"))
            images = len(list((book / "articles" / "images").iterdir()))
            repeat = args.repeat or (3 if size <= 30 else 1)
            work = where / f"runs-{size}"
            work.mkdir(exist_ok=True)
            print(f"\n== {size} articles: {markdown / 1e6:.2f} MB of Markdown, {images} images "
                  f"({book}); best of {repeat}; load {[round(x, 2) for x in os.getloadavg()]}")
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            rows: dict[str, list[Measurement]] = {"epub": [], "pdf": []}
            entry: dict[str, object] = {"markdown_bytes": markdown, "images": images, "repeat": repeat}
            results["sizes"][str(size)] = entry  # type: ignore[index]
            for fmt, skip in (("epub", args.skip_epub), ("pdf", args.skip_pdf)):
                if skip:
                    continue
                print(table_header(f"  {fmt.upper()}"), flush=True)
                runs: Iterator[Measurement] = jebon_runs(book, fmt, work, repeat, no_cache)
                if not args.skip_peers:
                    runs = itertools.chain(runs, peer(fmt, book, work, repeat))
                for m in runs:  # each row is shown, and saved, as soon as it is measured
                    rows[fmt].append(m)
                    print(table_row(m), flush=True)
                    entry[fmt] = [asdict(r) for r in rows[fmt]]
                    if args.json:
                        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
            children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_children = (children_after.ru_utime + children_after.ru_stime
                            - children_before.ru_utime - children_before.ru_stime)
            measured = rows["epub"] + rows["pdf"]
            found = ratios({m.label: m for m in measured})
            entry["ratios"] = found
            print(headline(found))
            print(f"  (check: the rows' CPU sums to {sum(m.cpu for m in measured):.1f} s of the "
                  f"{cpu_children:.1f} s RUSAGE_CHILDREN grew by; the rest is repeats that were not the best)")
            if args.json:
                args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
