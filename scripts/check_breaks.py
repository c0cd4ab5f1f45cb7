"""Count Korean line-breaking faults in a jebon PDF: mid-word breaks, forbidden line starts and ends.

Usage: python scripts/check_breaks.py PDF SOURCE_DIR [--json]

SOURCE_DIR is the book folder the PDF was built from. The PDF's lines come from pypdfium2
(`jebon.pdftext`, the lines as pdftotext would give them);
the words come from jebon's own rendering of the sources. A break inside a word longer than a line
(it must break or overflow), after a separator (/ _ . ? & = #) of a long URL or file name, or where
`jebon.typography.breaks.token_break` allows one (before an opening bracket, after a separator of a
Latin token, before a URL's %XX) splits no word: it is allowed and counted apart. Exit status 1
when any fault is found.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from jebon.api import load_book
from jebon.errors import Diagnostics
from jebon.pdftext import page_lines
from jebon.printing import resolve
from jebon.render import XHTML_NS, render_volume
from jebon.typography.breaks import URL_BREAKS, token_break
from jebon.typography.linebreak import LINE_FILL
from jebon.typography.rules import CLOSING, OPENING, width_em


@dataclass
class Report:
    lines: int = 0
    mid_word: list[str] = field(default_factory=list)
    long_word: list[str] = field(default_factory=list)
    bad_start: list[str] = field(default_factory=list)
    bad_end: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"lines": self.lines, "mid_word_breaks": len(self.mid_word), "forbidden_starts": len(self.bad_start),
                "forbidden_ends": len(self.bad_end), "long_word_breaks": len(self.long_word),
                "examples": {"mid_word": self.mid_word[:10], "forbidden_starts": self.bad_start[:10],
                             "forbidden_ends": self.bad_end[:10]}}


def pdf_pages(pdf: Path) -> list[list[str]]:
    return page_lines(pdf)


def check(pdf: Path, book_dir: Path) -> Report:
    diag = Diagnostics()
    book = load_book(book_dir, diag)
    words: set[str] = set()
    flows: list[str] = []
    code: list[str] = []
    titles = {book.config.book.title}
    for volume in book.volumes:
        for chapter in render_volume(book, volume, diag).chapters:
            section = etree.fromstring(chapter.html)
            body = next(el for el in section.iter(f"{{{XHTML_NS}}}div")
                        if "chapter-body" in (el.get("class") or "").split())
            text = re.sub(r"\s+", " ", "".join(str(t) for t in body.itertext())).strip()
            words.update(text.split())
            flows.append(text)
            titles.add(chapter.article.title)
            for pre in section.iter(f"{{{XHTML_NS}}}pre"):
                code.append("".join(str(t) for t in pre.itertext()))
    flow = "\n".join(flows)
    code_text = re.sub(r"\s+", "", "".join(code))
    options = resolve(book.config.pdf, book.config.epub.toc_depth)
    line_em = options.line_em
    report = Report()
    started = False
    for page in pdf_pages(pdf):
        # running heads, folios and lines of code blocks (they break wherever the code does) are not prose
        body = [line for line in page if not re.fullmatch(r"\d+", line) and line not in titles
                and re.sub(r"\s+", "", line) not in code_text]
        if not started:
            # front matter (title pages, contents) ends at the first chapter opener's kicker "N · YYYY년 M월"
            if not any(re.match(r"^\d+ · \d{4}", line) for line in page):
                continue
            started = True
        report.lines += len(body)
        continued: set[int] = set()
        for index, (first, second) in enumerate(itertools.pairwise(body)):
            tail, head = first.split()[-1], second.split()[0]
            if f"{tail} {head}" in flow or f"{tail}\n{head}" in flow or tail + head not in flow:
                continue  # the source has a space (or a line) here, or the lines are not neighbours there
            whole = next((word for word in words if tail + head in word), tail + head)
            if width_em(whole) > line_em * LINE_FILL or (tail[-1] in URL_BREAKS and any(c.isascii() for c in whole)) \
                    or token_break(tail[-1], head[0]):
                report.long_word.append(f"{tail} | {head}")
                continued.add(index + 1)
            else:
                report.mid_word.append(f"{tail} | {head}")
        for index, line in enumerate(body):
            if line[0] in CLOSING and index not in continued:
                report.bad_start.append(line[:30])
            if line[-1] in OPENING:
                report.bad_end.append(line[-30:])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("source_dir", type=Path)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = check(args.pdf, args.source_dir)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"lines checked: {report.lines}")
        print(f"mid-word breaks: {len(report.mid_word)}  forbidden line starts: {len(report.bad_start)}  "
              f"forbidden line ends: {len(report.bad_end)}  (breaks in long words, at brackets and separators: "
              f"{len(report.long_word)})")
        for label, items in (("mid-word", report.mid_word), ("start", report.bad_start), ("end", report.bad_end)):
            for item in items[:10]:
                print(f"  {label}: {item}")
    return 1 if report.mid_word or report.bad_start or report.bad_end else 0


if __name__ == "__main__":
    sys.exit(main())
