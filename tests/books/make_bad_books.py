"""Write the broken and hostile test books, tests/books/bad-*/ (one folder per case)."""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOOD_TOML = '[book]\ntitle = "시험 책"\nauthor = "김시험"\n'
GOOD_ARTICLE = "---\ntitle: 멀쩡한 글\ndate: 2025-01-01\n---\n\n아무 문제 없는 글입니다.\n"

CASES: dict[str, dict[str, str | bytes]] = {
    # book.toml
    "bad-toml-syntax": {"book.toml": '[book]\ntitle = "시험 책\nauthor = "김시험"\n', "articles/01.md": GOOD_ARTICLE},
    "bad-toml-unknown-key": {"book.toml": GOOD_TOML + 'titel = "오타"\n', "articles/01.md": GOOD_ARTICLE},
    "bad-toml-type": {"book.toml": '[book]\ntitle = "시험 책"\nauthor = 42\ntags = "하나"\n',
                      "articles/01.md": GOOD_ARTICLE},
    "bad-toml-no-title": {"book.toml": '[book]\nauthor = "김시험"\n', "articles/01.md": GOOD_ARTICLE},
    "bad-toml-missing-path": {"book.toml": GOOD_TOML + 'cover = "없는-표지.png"\n', "articles/01.md": GOOD_ARTICLE},
    # front matter
    "bad-yaml": {"book.toml": GOOD_TOML, "articles/01.md": "---\ntitle: 글\ntags: [하나, 둘\n---\n\n본문\n"},
    "bad-frontmatter-list": {"book.toml": GOOD_TOML, "articles/01.md": "---\n- 제목\n- 날짜\n---\n\n본문\n"},
    "bad-frontmatter-types": {"book.toml": GOOD_TOML,
                              "articles/01.md": "---\ntitle: [목록]\ndate: 어제쯤\ntags: {a: 1}\n---\n\n본문\n"},
    "bad-frontmatter-unterminated": {"book.toml": GOOD_TOML, "articles/01.md": "---\ntitle: 글\n\n본문만 있다.\n"},
    # articles
    "bad-order-missing": {"book.toml": GOOD_TOML + '[articles]\norder = ["01.md", "02.md"]\n',
                          "articles/01.md": GOOD_ARTICLE},
    "bad-order-duplicate": {"book.toml": GOOD_TOML + '[articles]\norder = ["01.md", "01.md"]\n',
                            "articles/01.md": GOOD_ARTICLE},
    "bad-empty-article": {"book.toml": GOOD_TOML, "articles/01.md": GOOD_ARTICLE,
                          "articles/02.md": "---\ntitle: 빈 글\n---\n\n   \n"},
    "bad-no-articles": {"book.toml": GOOD_TOML, "articles/README.txt": "글이 없다\n"},
    # encodings
    "bad-cp949": {"book.toml": GOOD_TOML,
                  "articles/01.md": "# 옛 편집기\n\n완성형 한글로 저장한 글.\n".encode("cp949")},
    "bad-utf16": {"book.toml": GOOD_TOML, "articles/01.md": "# 유니코드\n\nUTF-16으로 저장한 글.\n".encode("utf-16")},
    # paths
    "bad-path-escape": {"book.toml": GOOD_TOML,
                        "articles/01.md": "# 글\n\n줄\n\n![비밀](../../../../etc/hostname)\n"},
    "bad-path-absolute": {"book.toml": GOOD_TOML, "articles/01.md": "# 글\n\n줄\n\n![비밀](/etc/hostname)\n"},
    "bad-file-url": {"book.toml": GOOD_TOML, "articles/01.md": "# 글\n\n줄\n\n![비밀](file:///etc/hostname)\n"},
    # made safe: each of these builds into a valid book
    "bad-hostile-html": {"book.toml": GOOD_TOML, "articles/01.md": (
        "# 위험한 글\n\n<script>alert('x')</script>\n\n<p onclick=\"steal()\" style=\"width: expression(alert(1))\">"
        "누르지 마세요</p>\n\n<iframe src=\"https://example.com\"></iframe>\n\n<object data=\"x.swf\"></object>\n\n"
        "<form action=\"/\"><input name=\"q\"></form>\n\n[나쁜 링크](javascript:alert(1))\n\n"
        "<a href=\"vbscript:x\">또 나쁜 링크</a> 그리고 <img src=\"https://example.com/x.png\" alt=\"그림\" "
        "onerror=\"steal()\">\n\n"
        "표에는 언제나 <tbody>가 있습니다</tbody>. 칸은 <td>이렇게</td> 씁니다.\n\n"
        "![웹 페이지에서 가져온 그림](drawing.svg)\n"),
        # a web page's drawing: repeated ids, an id that is no XML name, the site's web fonts
        "articles/drawing.svg": (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="120" '
            b'height="40"><defs><style>@import url(https://fonts.example.com/css?family=Open+Sans);'
            b"@font-face{font-family:'PT Mono';src:url(/font/PTMono.woff2) format('woff2')}"
            b"text{font-family:'PT Mono'}</style><linearGradient id=\"here's-a-fill\"><stop offset=\"0\"/>"
            b'</linearGradient></defs><g id="Apple"><text id="Apple" x="2" y="20">Apple</text></g>'
            b'<rect id="Apple" x="60" width="20" height="20" fill="url(#here\'s-a-fill)"/>'
            b'<use xlink:href="#Apple" x="80"/></svg>')},
    "bad-control-chars": {"book.toml": GOOD_TOML,
                          "articles/01.md": ("# 제어 문자\n\n널\x00문자와 벨\x07 소리, "
                                             "비문자\ufffe와 \uffff도 섞였다.\n")},
    "bad-markdown-chokers": {"book.toml": GOOD_TOML, "articles/01.md": (
        "# 까다로운 글\n\n{{#include other.md}}\n\n<!-- 숨은 주석 -->\n\n"
        "<신 설>과 <홍 길동> 같은 글자.\n\n"
        "a < b && c > d\n\n```\n닫히지 않은 코드 블록\n")},
    "bad-line-endings": {"book.toml": GOOD_TOML, "articles/01.md": (
        "\ufeff---\r\ntitle: 섞인 줄바꿈\r\n---\r\n\r\n윈도 줄바꿈과\n유닉스 줄바꿈과\r옛 맥 줄바꿈.\r\n")},
}


def main() -> None:
    for case, files in CASES.items():
        folder = HERE / case
        shutil.rmtree(folder, ignore_errors=True)
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_bytes(content.encode("utf-8"))
        (folder / "articles").mkdir(exist_ok=True)


if __name__ == "__main__":
    main()
