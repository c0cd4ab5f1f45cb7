"""Random Markdown with Korean text, HTML fragments and control characters always gives a
well-formed EPUB that epubcheck accepts (a bounded number of examples: epubcheck starts a JVM)."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from jebon import build
from jebon.errors import JebonError

from .conftest import epubcheck_json

PIECES = ["가나다", "한국어 문장이다. ", "漢字", "진달내ᄭᅩᆺ", "\n\n", "\n", "# 제목\n", "## 절\n", "- 항목\n",
          "1. 하나\n", "> 인용\n", "**굵게**", "*기울임*", "`코드`", "```\n코드\n```\n",
          "| 가 | 나 |\n|---|---|\n| 1 | 2 |\n",
          "[^1]", "\n[^1]: 각주\n", "[링크](https://example.com)", "[글](b.md)", "<b>", "</i>", "<script>x</script>",
          "<span onclick=\"x\">y</span>", "<신 설>", "&", "&amp;", "<", ">", "\x00", "\x07", "\ufffe", "{漢字|한자}",
          "...", "\"따옴표\"", "<!-- 주석 -->", "<div>", "</div>", "<table><tr><td>칸", "![그림](https://x.invalid/a.png)"]


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: each example runs a JVM
@example(first=[">", "가나다", "[링크](https://example.com)", "\n[^1]: 각주\n"], second=["[^1]", "<a href='#x'>y</a>"])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=60), st.lists(st.sampled_from(PIECES), max_size=30))
def test_random_books_pass_epubcheck(first: list[str], second: list[str]) -> None:
    # found by this test: a footnote defined but never referenced left a link to a missing fragment
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        (book / "articles").mkdir(parents=True)
        (book / "book.toml").write_text('[book]\ntitle = "무작위 책"\nauthor = "가설"\n', encoding="utf-8")
        (book / "articles" / "a.md").write_text("---\ntitle: 첫 글\n---\n" + "".join(first) + "\n끝\n",
                                                encoding="utf-8")
        (book / "articles" / "b.md").write_text("---\ntitle: 둘째 글\n---\n" + "".join(second) + "\n끝\n",
                                                encoding="utf-8")
        try:
            report = build(book, ["epub"], Path(tmp) / "out")
        except JebonError as exc:  # only a clear, located error is acceptable instead of a book
            assert all(p.path is not None for p in exc.problems), exc
            return
        path = report.outputs[0].path
        with zipfile.ZipFile(path) as epub:
            for name in epub.namelist():
                if name.endswith((".xhtml", ".opf", ".ncx")):
                    etree.fromstring(epub.read(name))
        result = epubcheck_json(path)
        checker = result["checker"]
        assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0), result["messages"]  # type: ignore[index]
