"""Markdown → safe, well-formed XHTML: sanitising, links, images, footnotes, headings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from jebon.api import load_book
from jebon.errors import Diagnostics, JebonError
from jebon.images import clean_svg, sniff
from jebon.render import RenderedVolume, render_volume

X = "{http://www.w3.org/1999/xhtml}"


def render(tmp_path: Path, files: dict[str, str], extra: dict[str, bytes] | None = None, toml: str = ""
           ) -> tuple[RenderedVolume, Diagnostics]:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "책"\n' + toml, encoding="utf-8")
    folder = tmp_path / "articles"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in (extra or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    diag = Diagnostics()
    book = load_book(tmp_path, diag)
    return render_volume(book, book.volumes[0], diag), diag


def tree(volume: RenderedVolume, index: int = 0) -> etree._Element:
    return etree.fromstring(volume.chapters[index].html)


def test_dangerous_html_is_removed_with_file_and_line(tmp_path: Path) -> None:
    text = ("# 제목\n\n첫 줄\n\n<script>alert(1)</script>\n\n<p onclick=\"x()\">글</p>\n\n"
            "<iframe src=\"https://example.com\"></iframe>\n\n[링크](javascript:alert(1))\n\n<form><input></form>\n")
    volume, diag = render(tmp_path, {"a.md": text})
    html = volume.chapters[0].html
    for bad in ("<script", "onclick", "<iframe", "javascript:", "<form", "<input"):
        assert bad not in html
    messages = [str(p) for p in diag.warnings]
    assert any("a.md:5:" in m and "<script>" in m for m in messages)
    assert any("a.md:7:" in m and "onclick" in m for m in messages)
    assert any("a.md:9:" in m and "<iframe>" in m for m in messages)
    assert any("a.md:13:" in m and "<form>" in m for m in messages)


def test_safe_inline_html_is_kept(tmp_path: Path) -> None:
    volume, diag = render(tmp_path, {"a.md": "# 제목\n\n<kbd>Ctrl</kbd>과 <small>작게</small>, H<sub>2</sub>O\n"})
    root = tree(volume)
    assert root.find(f".//{X}kbd").text == "Ctrl"
    assert root.find(f".//{X}small") is not None and not diag.warnings


@pytest.mark.parametrize("snippet", ["<img src=https://example.com/x.png alt=그림>", "a & b < c", "<신 설>",
                                     "<p>열린 문단", "</div>",
                                     "<!-- 주석 -->", "{{#include other.md}}", "```\n닫히지 않은 코드",
                                     "<b><i>엇갈린</b></i>", "제어\x01문자",
                                     "<ul style={\n  {\n    color: 'pink'\n  }\n}>\n<li>JSX</li>\n</ul>"])
def test_output_is_well_formed_whatever_the_input(tmp_path: Path, snippet: str) -> None:
    volume, _ = render(tmp_path, {"a.md": f"# 제목\n\n{snippet}\n\n끝.\n"})
    html = volume.chapters[0].html
    etree.fromstring(html)  # raises if not well-formed
    assert "끝." in html
    if snippet == "<신 설>":
        assert "&lt;신 설&gt;" in html


def test_links_between_articles(tmp_path: Path) -> None:
    volume, diag = render(tmp_path, {
        "01-a.md": "# 가\n\n[다음 글](02-b.md), [절](02-b.md#둘째), [없는 절](02-b.md#없음), "
                   "[웹](https://example.com), [없는 글](nope.md)\n",
        "02-b.md": "# 나\n\n## 둘째\n\n본문\n",
    })
    hrefs = [a.get("href") for a in tree(volume).iter(f"{X}a")]
    assert hrefs == ["ch02.xhtml", "ch02.xhtml#sec-1", "ch02.xhtml", "https://example.com"]  # ASCII ids
    text = "".join(tree(volume).itertext())
    assert "없는 글" in text
    messages = " ".join(str(p) for p in diag.warnings)
    assert "01-a.md:3" in messages and "nope.md" in messages and "#없음" in messages


@pytest.mark.parametrize("target, words", [
    ("![밖](../../etc/hostname)", "outside the book folder"), ("![밖](file:///etc/hostname)", "file on this computer"),
    ("![밖](/../../etc/hostname)", "outside the book folder"), ("![링크](escape.png)", "outside the book folder"),
    ("![밖](/etc/hostname)", "not found in the book folder"),
])
def test_images_leaving_the_book_are_refused(tmp_path: Path, target: str, words: str) -> None:
    """An image is read: one outside the book folder (or on this computer) stops the build; a
    site-root path is looked up in the book folder only."""
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "escape.png").symlink_to("/etc/hostname")
    with pytest.raises(JebonError) as info:
        render(tmp_path, {"a.md": f"# 제목\n\n줄 하나\n\n{target}\n"})
    message = str(info.value)
    assert "a.md:5:" in message and words in message


def test_site_root_paths_are_the_book_folders(tmp_path: Path) -> None:
    """Markdown from a website names its images and pages from the site's root (`/assets/…`): with
    the site's folders copied into the book folder, they resolve there."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buffer, format="PNG")
    volume, diag = render(tmp_path, {
        "01-a.md": "# 가\n\n![저장소 만들기](/assets/images/repo.png)\n\n[다음 글](/articles/02-b.md)을 보세요.\n",
        "02-b.md": "# 나\n\n본문\n",
    }, {"assets/images/repo.png": buffer.getvalue()})
    assert [a.name.split("/")[-1][:5] for a in volume.assets] == ["repo-"]
    assert [a.get("href") for a in tree(volume).iter(f"{X}a")] == ["ch02.xhtml"]
    assert not diag.warnings


@pytest.mark.parametrize("target, words", [
    ("/notices/", "a path on a website"), ("/docs/x#설치", "a path on a website"),
    ("/etc/passwd", "a path on a website"), ("../../etc/passwd", "outside the book folder"),
    ("file:///etc/passwd", "file on this computer"), ("<a href='file:///C:/문서/초안.md'>", "file on this computer"),
])
def test_links_that_cannot_be_followed_become_text(tmp_path: Path, target: str, words: str) -> None:
    """A link reads nothing: a site-root link from a web page (`/notices/`), one that leaves the
    book folder or one to a file on this computer becomes its text with a warning at its line, and
    the book builds (a real 298-article book stopped at its first `/notices/`)."""
    link = f"{target}공지</a>" if target.startswith("<a") else f"[공지 사항]({target})"
    volume, diag = render(tmp_path, {"a.md": f"# 제목\n\n줄 하나\n\n사이트의 {link}를 보세요.\n"})
    root = tree(volume)
    assert root.find(f".//{X}a") is None
    assert "사이트의 공지" in "".join(root.itertext())
    assert not diag.errors
    assert any("a.md:5:" in str(p) and words in str(p) and "becomes text" in str(p) for p in diag.warnings), \
        [str(p) for p in diag.warnings]


def test_footnotes_and_reference_labels_do_not_collide(tmp_path: Path) -> None:
    volume, _ = render(tmp_path, {
        "01.md": "# 가\n\n글[^1] [링크][r]\n\n[^1]: 첫 각주\n[r]: https://a.example\n",
        "02.md": "# 나\n\n글[^1] [링크][r]\n\n[^1]: 둘째 각주\n[r]: https://b.example\n",
    })
    first, second = tree(volume, 0), tree(volume, 1)
    assert "첫 각주" in "".join(first.itertext()) and "둘째 각주" not in "".join(first.itertext())
    assert [a.get("href") for a in first.iter(f"{X}a") if "example" in (a.get("href") or "")] == \
        ["https://a.example"]
    assert [a.get("href") for a in second.iter(f"{X}a") if "example" in (a.get("href") or "")] == \
        ["https://b.example"]
    noteref = first.find(f".//{X}a[@role='doc-noteref']")
    assert noteref is not None and noteref.get("{http://www.idpf.org/2007/ops}type") == "noteref"
    assert first.find(f".//{X}section[@role='doc-endnotes']") is not None


def test_headings_demoted_below_the_title(tmp_path: Path) -> None:
    volume, _ = render(tmp_path, {"a.md": "---\ntitle: 제목\n---\n# 큰 절\n\n## 작은 절\n\n본문\n"})
    root = tree(volume)
    assert root.find(f".//{X}h1").text == "제목"
    assert [h.text for h in root.iter(f"{X}h2")] == ["큰 절"]
    assert [(h.level, h.text) for h in volume.chapters[0].headings] == [(2, "큰 절"), (3, "작은 절")]


@pytest.mark.parametrize("markdown, levels, line", [
    ("### 셋\n\n##### 다섯\n\n### 셋 둘\n\n#### 넷\n", [2, 3, 2, 3], 4),
    ("# 하나\n\n### 셋\n\n#### 넷\n\n## 둘\n", [2, 3, 4, 3], 6),
    ("## 둘\n\n#### 넷\n\n##### 다섯\n\n#### 넷 둘\n\n### 셋\n", [2, 3, 4, 3, 3], 6),
])
def test_headings_never_skip_a_level(tmp_path: Path, markdown: str, levels: list[int], line: int) -> None:
    """h1 → h3 in the output confuses screen readers (DAISY Ace: heading levels skip) and leaves a
    hole in the contents: each heading is set one level below the heading it belongs under, with
    one warning for the article, at the first heading that skipped."""
    volume, diag = render(tmp_path, {"a.md": "---\ntitle: 제목\n---\n" + markdown})
    root = tree(volume)
    found = [int(etree.QName(h).localname[1]) for h in root.iter() if etree.QName(h).localname in
             ("h2", "h3", "h4", "h5", "h6")]
    assert found == levels
    assert [h.level for h in volume.chapters[0].headings] == [n for n in levels if n <= 3]
    (warning,) = diag.warnings
    assert f"a.md:{line}:" in str(warning) and "skips a level" in str(warning)


def test_image_type_from_bytes_and_figure(tmp_path: Path) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buffer, format="PNG")
    png = buffer.getvalue()
    volume, diag = render(tmp_path, {"a.md": "# 제목\n\n![점](img/dot.jpg \"설명\")\n\n![](img/dot.jpg)\n"},
                          {"articles/img/dot.jpg": png})
    (asset,) = volume.assets
    assert asset.media_type == "image/png" and asset.name.endswith(".png")
    figure = tree(volume).find(f".//{X}figure")
    assert figure.find(f"{X}figcaption").text == "설명"
    assert any("no alt text" in str(p) for p in diag.warnings)


def test_unreadable_and_oversized_images_are_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from PIL import Image

    from jebon import images

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30)).save(buffer, format="PNG")
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    with pytest.raises(JebonError) as info:
        render(tmp_path, {"a.md": "# 제목\n\n![큰](big.png)\n\n![깨진](broken.png)\n"},
               {"articles/big.png": buffer.getvalue(), "articles/broken.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 20})
    message = str(info.value)
    assert "a.md:3:" in message and "40×30 pixels is too large" in message
    assert "a.md:5:" in message and "cannot be read" in message


def test_epub_scales_huge_images_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import zipfile

    from PIL import Image

    from jebon import build

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 100, 50)).save(buffer, format="PNG")
    monkeypatch.setattr("jebon.images.SCREEN_MAX_PIXELS", 30_000)
    render(tmp_path, {"a.md": "# 제목\n\n![그림](big.png)\n"}, {"articles/big.png": buffer.getvalue()})
    path = build(tmp_path, ["epub"], tmp_path / "out").outputs[0].path
    with zipfile.ZipFile(path) as book:
        (name,) = [n for n in book.namelist() if "/big-" in n]
        width, height = Image.open(io.BytesIO(book.read(name))).size
    assert width * height <= 30_000 and abs(width / height - 4 / 3) < 0.02


def test_missing_and_remote_images(tmp_path: Path) -> None:
    with pytest.raises(JebonError) as info:
        render(tmp_path, {"a.md": "# 제목\n\n줄\n\n![없음](nothing.png)\n"})
    assert "a.md:5" in str(info.value) and "not found" in str(info.value)


def test_an_empty_image_file_is_named_as_empty(tmp_path: Path) -> None:
    with pytest.raises(JebonError) as info:
        render(tmp_path, {"a.md": "# 제목\n\n줄\n\n![빈 그림](empty.png)\n"}, {"articles/empty.png": b""})
    assert "a.md:5" in str(info.value) and "empty (0 bytes)" in str(info.value)


def test_remote_image_becomes_alt_text(tmp_path: Path) -> None:
    volume, diag = render(tmp_path, {"a.md": "# 제목\n\n![원격 그림](https://example.com/a.png)\n"})
    assert "원격 그림" in "".join(tree(volume).itertext())
    assert tree(volume).find(f".//{X}img") is None
    assert any("not fetched" in str(p) for p in diag.warnings)


def test_svg_made_self_contained() -> None:
    svg = (b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
           b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [<!ENTITY c "#123456">'
           b'<!ENTITY secret SYSTEM "file:///etc/hostname">]>\n'
           b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="&c;" onload="x()"/>'
           b'<text>&secret;</text><script>alert(1)</script></svg>')
    assert sniff(svg) == "image/svg+xml"
    data, removed = clean_svg(svg)
    assert b"DOCTYPE" not in data and b"#123456" in data and b"script" not in data and b"onload" not in data
    assert len(removed) == 3 and b"<text/>" in data


def test_svg_ids_made_unique_and_valid_names() -> None:
    """Drawing programs repeat ids and use any words as ids; EPUB wants unique XML names. The first
    of a repeated id keeps it (references find the first), a renamed id takes its references along."""
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           b'<linearGradient id="it\'s"/><linearGradient id="9lives"/><g id="a"><text id="a">a</text></g>'
           b'<rect id="a" fill="url(#it\'s)" stroke="url(\'#9lives\')"/><rect id="a-2"/><use xlink:href="#a"/>'
           b'<use href="#it\'s"/><rect fill="#123"/></svg>')
    data, removed = clean_svg(svg)
    root = etree.fromstring(data)
    ids = [el.get("id") for el in root.iter() if el.get("id") is not None]
    assert len(ids) == len(set(ids)) == 6 and ids[2] == "a" and "a-2" in ids
    assert all(re.fullmatch(r"[A-Za-z_][\w.-]*", ident) for ident in ids)
    named = {el.get("id"): el for el in root.iter()}
    fill, stroke = root[3].get("fill"), root[3].get("stroke")
    assert fill == f"url(#{ids[0]})" and stroke == f"url(#{ids[1]})" and ids[0] != "it's"
    assert root[6].get("href") == f"#{ids[0]}" and named[ids[0]].tag.endswith("linearGradient")
    assert root[5].get("{http://www.w3.org/1999/xlink}href") == "#a" and root[7].get("fill") == "#123"
    assert removed == []


def test_svg_loads_nothing_from_outside() -> None:
    """A web page's SVG imports its site's web fonts (`@import url(https://fonts…)`,
    `@font-face { src: url(/font/…) }`): not in the book, and a reader must not fetch them."""
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://fonts.example.com/a.css);'
           b"@font-face{font-family:W;src:url(/font/w.woff2)}@font-face{font-family:D;src:url(data:font/woff2;"
           b"base64,AAAA)}rect{fill:url(#g)}circle{fill:url(https://x.example/p.svg#g)}</style>"
           b'<rect style="fill: url(https://x.example/q.svg#g); stroke: red" mask="url(/m.svg#m)"/></svg>')
    data, removed = clean_svg(svg)
    text = data.decode()
    assert "example" not in text and "/font/" not in text and "/m.svg" not in text
    assert "data:font/woff2" in text and "url(#g)" in text and "stroke: red" in text
    assert any("@import" in what and "@font-face /font/w.woff2" in what for what in removed)


def test_table_parts_outside_a_table_are_unwrapped(tmp_path: Path) -> None:
    """`<tbody>` let through as raw HTML (a code span the author left open) would make the chapter
    invalid XHTML; it is no table, so its text stays and the author hears of it."""
    volume, diag = render(tmp_path, {"a.md": "# 제목\n\n표에는 언제나 <tbody>가 있고</tbody> 칸은 <td>이렇다</td>.\n\n"
                                             "| 가 | 나 |\n|---|---|\n| 1 | 2 |\n"})
    root = tree(volume)
    assert "가 있고 칸은 이렇다." in "".join(root.itertext())
    for part in ("tbody", "td", "tr", "th", "thead"):
        for el in root.iter(f"{X}{part}"):
            assert any(up.tag == f"{X}table" for up in el.iterancestors()), part
    assert len(list(root.iter(f"{X}td"))) == 2
    assert sum("outside a table" in str(p) and "a.md:3" in str(p) for p in diag.warnings) == 2


_PIECES = [*"가나다 라\n#*_`[]()<>&;/\"'=-!|:한글漢字\x00\x07\ufffe", "<b>", "</i>", "<script>", "[^1]", "[^1]: 주",
           "\n\n", "```", "<a href=", "onclick=", "<table>", "<td>", "&amp;", "&#0;", "&#xD800;"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_PIECES), max_size=80))
def test_random_markdown_always_gives_well_formed_xhtml(tmp_path: Path, pieces: list[str]) -> None:
    body = "".join(pieces)
    for old in tmp_path.glob("**/*.md"):
        old.unlink()
    try:
        volume, _ = render(tmp_path, {"a.md": "---\ntitle: 제목\n---\n" + body + "\n본문\n"})
    except JebonError:
        return
    etree.fromstring(volume.chapters[0].html)


@pytest.mark.parametrize("fmt, options", [
    ("PNG", {}), ("PNG", {"optimize": True}), ("JPEG", {}), ("JPEG", {"progressive": True}),
    ("JPEG", {"exif": True}), ("JPEG", {"subsampling": 0}),
])
def test_image_size_from_the_header_matches_pillow(fmt: str, options: dict[str, object]) -> None:
    """The header reader that spares Pillow on every build agrees with Pillow; what it cannot read
    it leaves to Pillow (None)."""
    import io

    from PIL import Image

    from jebon.images import pixel_size

    if options.get("exif"):  # an APP1 segment before the frame header
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: the header still gives the stored size, as Pillow does
        options = {"exif": exif.tobytes()}
    for size in ((1, 1), (37, 1203), (2500, 19)):
        buffer = io.BytesIO()
        Image.new("P" if fmt == "PNG" and options else "RGB", size).save(buffer, format=fmt, **options)
        data = buffer.getvalue()
        assert pixel_size(data) == Image.open(io.BytesIO(data)).size == size
    assert pixel_size(b"\x89PNG\r\n\x1a\n" + b"\0" * 20) is None
    assert pixel_size(b"\xff\xd8\xff\xe0\x00\x10JFIF") is None  # cut before any frame
    assert pixel_size(b"GIF89a") is None


def test_image_headers_pillow_rejects_are_left_to_pillow() -> None:
    """What the header reader accepts, Pillow accepts too: a damaged header goes to Pillow, which
    refuses it (the article then gets "the image cannot be read")."""
    import io
    import zlib

    from PIL import Image

    from jebon.images import pixel_size

    png, jpeg = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (30, 20)).save(png, format="PNG")
    Image.new("RGB", (30, 20)).save(jpeg, format="JPEG")
    good_png, good_jpeg = png.getvalue(), jpeg.getvalue()
    assert pixel_size(good_png) == (30, 20) and pixel_size(good_jpeg) == (30, 20)

    def with_ihdr(depth: int, colour: int) -> bytes:
        body = b"IHDR" + good_png[16:24] + bytes([depth, colour, 0, 0, 0])
        return good_png[:12] + body + zlib.crc32(body).to_bytes(4, "big") + good_png[33:]

    frame = good_jpeg.index(b"\xff\xc0")
    broken = {
        "bad IHDR CRC": good_png[:29] + bytes(4) + good_png[33:],
        "bit depth 7": with_ihdr(7, 2),
        "palette of 16 bits": with_ihdr(16, 3),
        "nothing after IHDR": good_png[:33],
        "JPEG of 12-bit samples": good_jpeg[:frame + 4] + bytes([12]) + good_jpeg[frame + 5:],
        "JPEG with 7 components": good_jpeg[:frame + 9] + bytes([7]) + good_jpeg[frame + 10:],
        "JPEG cut in its frame header": good_jpeg[:frame + 7],
    }
    for name, data in broken.items():
        assert pixel_size(data) is None, name
        with pytest.raises(Exception):  # noqa: B017 (any of Pillow's refusals)
            Image.open(io.BytesIO(data)).load()


def test_real_paths_match_realpath_with_links(tmp_path: Path) -> None:
    """The articles' real paths (what links between articles are matched against) are resolved one
    folder at a time; a linked folder and a linked file must come out as os.path.realpath has them."""
    import os

    from jebon.render import _real_paths

    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "sub" / "a.md").write_text("# a\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "b.md").symlink_to(tmp_path / "real" / "sub" / "a.md")
    paths = [tmp_path / "link" / "sub" / "a.md", tmp_path / "link" / "b.md", tmp_path / "real" / "sub" / "a.md",
             tmp_path / "link" / "sub" / ".." / "b.md", tmp_path / "link" / "sub" / ".." / "sub" / "a.md",
             tmp_path / "link" / "missing.md"]
    assert _real_paths(paths) == [os.path.realpath(p) for p in paths]
    assert len(set(_real_paths(paths[:5]))) == 1


def _shape(el: etree._Element) -> str:
    """Lists, quotes and code of a chapter body as a compact string: `ul(li(가 ul(li(나))))`."""
    parts = []
    for child in el:
        name = etree.QName(child).localname
        if name in ("ul", "ol", "li", "blockquote"):
            own = " ".join(" ".join(str(t) for t in _own(child)).split())
            inner = _shape(child)
            parts.append(f"{name}({' '.join(filter(None, (own, inner)))})")
        elif name == "pre":
            parts.append(f"pre({''.join(child.itertext())!r})")
        elif name == "p" and etree.QName(el).localname != "li":
            parts.append(f"p({' '.join(''.join(child.itertext()).split())})")
        elif name == "p":
            parts.append(" ".join("".join(child.itertext()).split()))
    return " ".join(parts)


def _own(el: etree._Element) -> list[str]:
    texts = [el.text or ""]
    for child in el:
        if etree.QName(child).localname not in ("ul", "ol", "li", "blockquote", "pre", "p"):
            texts.append("".join(child.itertext()))
        texts.append(child.tail or "")
    return texts


@pytest.mark.parametrize("markdown, shape", [
    # Typora, Obsidian and Notion nest by the item's content column: 2 spaces under "-", 3 under "1."
    ("- 위\n  - 아래\n    - 더 아래\n  - 다시 아래\n- 끝\n",
     "ul(li(위 ul(li(아래 ul(li(더 아래))) li(다시 아래))) li(끝))"),
    ("1. 첫째\n   - 세부\n   - 세부 둘\n2. 둘째\n", "ol(li(첫째 ul(li(세부) li(세부 둘))) li(둘째))"),
    ("* 넷 칸\n    * 예전처럼\n        * 여덟 칸\n", "ul(li(넷 칸 ul(li(예전처럼 ul(li(여덟 칸))))))"),
    # a list right after a paragraph line; "2." there is not a list (CommonMark), nor "- - -"
    ("준비물은 다음과 같다.\n- 하나\n- 둘\n", "p(준비물은 다음과 같다.) ul(li(하나) li(둘))"),
    ("그해 우승 팀은\n2. 순위로 밀렸다.\n", "p(그해 우승 팀은 2. 순위로 밀렸다.)"),
    ("- 가\n- - -\n- 나\n", "ul(li(가)) ul(li(나))"),
    ("- 항목\n\n  이어지는 문단\n  - 문단 뒤 목록\n- 형제\n",
     "ul(li(항목 이어지는 문단 ul(li(문단 뒤 목록))) li(형제))"),
    ("- 게으른\n줄도 항목이다\n- 다음\n", "ul(li(게으른 줄도 항목이다) li(다음))"),
    ("1) 괄호 번호\n2) 둘째\n", "ol(li(괄호 번호) li(둘째))"),
    ("> 인용 속\n> - 가\n>   - 나\n", "blockquote(p(인용 속) ul(li(가 ul(li(나)))))"),
    ("- 가\n  > 항목 속 인용\n- 나\n", "ul(li(가 blockquote(p(항목 속 인용))) li(나))"),
    # code is never rewritten: a fence in an item, fences and indented code outside lists
    ("- 설치\n  ```sh\n  pip install jebon\n    --upgrade\n  ```\n- 끝\n",
     "ul(li(설치 pre('pip install jebon\\n  --upgrade\\n')) li(끝))"),
    ("```\n  - 코드 속\n    - 목록\n```\n", "pre('  - 코드 속\\n    - 목록\\n')"),
    ("  ```\n  두 칸 들여쓴 펜스\n  ```\n", "pre('두 칸 들여쓴 펜스\\n')"),
    ("문단\n\n    - 들여쓴 코드\n      - 그대로\n", "p(문단) pre('- 들여쓴 코드\\n  - 그대로\\n')"),
])
def test_lists_are_read_as_commonmark_readers_do(tmp_path: Path, markdown: str, shape: str) -> None:
    volume, diag = render(tmp_path, {"a.md": "# 제목\n\n" + markdown})
    body = tree(volume).find(f".//{X}div[@class='chapter-body']")
    assert _shape(body) == shape
    assert not diag.warnings


def test_abbreviations_match_before_a_korean_particle(tmp_path: Path) -> None:
    """`*[EMS]: …` marks EMS in `EMS는`, `EMS로` (Python-Markdown's `\\b` never matched there), not
    inside a longer Latin word."""
    volume, _ = render(tmp_path, {"a.md": "# 제목\n\n*[EMS]: 국제 특급 우편\n*[한은]: 한국은행\n\n"
                                          "EMS는 빠르지만 EMS로 보내면 비싸다. EMSX나 XEMS는 다른 말이다. "
                                          "한은 발표와 한은행은 다르다.\n"})
    abbrs = [(a.text, a.get("title")) for a in tree(volume).iter(f"{X}abbr")]
    assert abbrs == [("EMS", "국제 특급 우편"), ("EMS", "국제 특급 우편"), ("한은", "한국은행")]


@pytest.mark.parametrize("setting", ["", "[typography]\nruby = false\n"])
def test_ruby_off_prints_the_base_with_its_reading(tmp_path: Path, setting: str) -> None:
    """`ruby = false` prints 郵遞局(우체국), never the raw `{郵遞局|우체국}`; code keeps it as written."""
    volume, _ = render(tmp_path, {"a.md": "# 제목\n\n{郵遞局|우체국}에 들렀다. `{a|b}`는 코드.\n"}, toml=setting)
    root = tree(volume)
    text = "".join(root.find(f".//{X}div[@class='chapter-body']/{X}p").itertext())
    if setting:
        assert root.find(f".//{X}ruby") is None
        assert text == "郵遞局(우체국)에 들렀다. {a|b}는 코드."
    else:
        assert root.find(f".//{X}ruby").text == "郵遞局"
        assert "{" not in text.replace("{a|b}", "")


@pytest.mark.parametrize("fence, language, title", [
    ("```js src/App.js active", "language-js", "src/App.js"),
    ("```rust,ignore,does_not_compile", "language-rust", None),
    ("```vue-html{1}", "language-vue-html", None), ("```js {2-3}", "language-js", None),
    ('```py title="hello.py"', "language-py", "hello.py"), ("~~~console", "language-console", None),
    ("```", None, None), ("```{ .toml }", "language-toml", None),
])
def test_fences_with_any_info_string_are_code(tmp_path: Path, fence: str, language: str | None,
                                              title: str | None) -> None:
    """CommonMark takes the info string's first word as the language; Python-Markdown saw no fence
    at all after `js src/App.js` or `rust,ignore` (React, Rust and Vue docs) and read the code as
    Markdown, dropping `<button>` as a form control. The file name is shown above the code."""
    close = fence[:3]
    volume, diag = render(tmp_path, {"a.md": f"# 제목\n\n예제:\n\n{fence}\n<button @click=\"count++\">\n"
                                              f"  {{{{ count }}}}\n</button>\n{close}\n\n끝.\n"})
    body = tree(volume).find(f".//{X}div[@class='chapter-body']")
    code = body.find(f"{X}pre/{X}code")
    assert code.text == '<button @click="count++">\n  {{ count }}\n</button>\n'
    assert code.get("class") == language
    label = body.find(f"{X}p[@class='code-title']")
    assert (label.text if label is not None else None) == title
    if label is not None:
        assert label.getnext().tag == f"{X}pre"
    assert not diag.warnings


def test_raw_html_from_web_pages(tmp_path: Path) -> None:
    """What web pages and GitHub READMEs write: a <div> checklist of <input type=checkbox> and
    <label> reads as a checklist (glyphs the bundled fonts have, named for screen readers), so do
    task lists; <details> prints open with its Markdown read; <figure> keeps its image and
    caption; <kbd> stays. Other form controls still go, with a warning at their line."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buffer, format="PNG")
    text = ("# 제목\n\n<div class=\"clearfix mb-2\">\n  <input type=\"checkbox\" id=\"c1\" value=\"checkbox\">\n"
            "  <label for=\"c1\">\n  라이선스가 있나요?\n  </label>\n</div>\n\n"
            "<p><input type=\"checkbox\" checked disabled> 원고 쓰기 <input type=radio checked> 예</p>\n\n"
            "- [x] 표지 고르기\n- [ ] 인쇄소 정하기\n\n"
            "<details>\n<summary>더 보기</summary>\n\n접혀 있던 **내용**입니다.\n\n</details>\n\n"
            "<figure>\n\n![골목 사진](img/a.png)\n\n<figcaption>골목 입구</figcaption>\n</figure>\n\n"
            "저장은 <kbd>Ctrl</kbd>+<kbd>S</kbd>.\n\n<form><input type=\"text\" name=\"q\"></form>\n\n"
            "<input type=\"text\">\n")
    volume, diag = render(tmp_path, {"a.md": text}, {"articles/img/a.png": buffer.getvalue()})
    body = tree(volume).find(f".//{X}div[@class='chapter-body']")
    boxes = [(b.text, b.get("aria-label")) for b in body.iter(f"{X}span") if "checkbox" in (b.get("class") or "")]
    assert boxes == [("□", "선택 안 됨"), ("▣", "선택됨"), ("◉", "선택됨"), ("▣", "선택됨"), ("□", "선택 안 됨")]
    checklist = body.find(f"{X}div[@class='clearfix mb-2']")
    assert " ".join("".join(checklist.itertext()).split()) == "□ 라이선스가 있나요?"
    assert [li.get("class") for li in body.iter(f"{X}li")] == ["task", "task"]
    assert "[x]" not in "".join(body.itertext())
    details = body.find(f"{X}details")
    assert details.get("open") == "open" and details.find(f"{X}summary").text == "더 보기"
    assert details.find(f"{X}p/{X}strong").text == "내용"
    figure = body.find(f"{X}figure")
    assert [etree.QName(c).localname for c in figure] == ["img", "figcaption"]
    assert figure.find(f"{X}figcaption").text == "골목 입구" and figure.find(f"{X}img").get("alt") == "골목 사진"
    assert [k.text for k in body.iter(f"{X}kbd")] == ["Ctrl", "S"]
    html = volume.chapters[0].html
    assert "<input" not in html and "<label" not in html and "<form" not in html
    messages = [str(p) for p in diag.warnings]
    assert len(messages) == 2, messages
    assert any("a.md:31:" in m and "<form>" in m for m in messages)
    assert any("a.md:33:" in m and "<input>" in m for m in messages)


def test_warnings_point_at_the_html_outside_code(tmp_path: Path) -> None:
    """A web page's example shows `<button>` in code before the page's own live `<button>`: the
    warning names the line of the one removed, not of the example."""
    button = '<button @click="open = true">열기</button>'
    text = (f"# 제목\n\n예제는 `<button>`으로 시작한다.\n\n```vue\n<template>\n  {button}\n</template>\n```\n\n"
            f"아래 단추를 눌러 보세요.\n\n<div class=\"demo\">\n  {button}\n</div>\n")
    volume, diag = render(tmp_path, {"a.md": text})
    (warning,) = diag.warnings
    assert "a.md:14:" in str(warning) and "<button>" in str(warning)
    assert tree(volume).find(f".//{X}pre/{X}code").text.startswith("<template>")


def test_links_whose_url_has_parentheses(tmp_path: Path) -> None:
    """Wikipedia-style URLs keep their parentheses (inline, autolink, reference, with a title), and a
    CommonMark `<…>` destination with spaces becomes a valid URL."""
    volume, diag = render(tmp_path, {"a.md": (
        "# 제목\n\n[활자 (인쇄)](https://ko.wikipedia.org/wiki/활자_(인쇄))와 <https://example.com/a_(b)>, [참고][r], "
        "[꺾쇠](<https://example.com/회의록 (봄).pdf>), [제목](https://example.com/x_(y) \"설명 (괄호)\").\n\n"
        "[r]: https://example.com/ref_(c)\n")})
    links = [(a.get("href"), a.get("title")) for a in tree(volume).iter(f"{X}a")]
    assert links == [("https://ko.wikipedia.org/wiki/활자_(인쇄)", None), ("https://example.com/a_(b)", None),
                     ("https://example.com/ref_(c)", None), ("https://example.com/회의록%20(봄).pdf", None),
                     ("https://example.com/x_(y)", "설명 (괄호)")]
    assert not diag.warnings


def test_code_in_quotes_mdx_heading_ids_and_inline_triple_backticks(tmp_path: Path) -> None:
    """mdBook quotes code (`> ```rust`): its `# ` lines were headings, two of them empty (an EPUB
    nav epubcheck refuses); MDX writes heading ids as `{/*id*/}`; ```` ```x``` ```` at the start of a
    line is inline code, not a fence that swallows the rest."""
    text = ("# 제목\n\n> ```rust\n> # #[derive(Debug)]\n> # struct Point {\n> #\n> fn main() {}\n> ```\n\n"
            "## 조건부로 반환하기 {/*conditionally-returning-jsx*/}\n\n```Dropping CustomSmartPointer```로 끝난다.\n\n"
            "## 다음 절\n")
    volume, diag = render(tmp_path, {"a.md": text})
    body = tree(volume).find(f".//{X}div[@class='chapter-body']")
    assert body.find(f"{X}blockquote/{X}pre/{X}code").text.startswith("# #[derive(Debug)]\n# struct Point {\n#\n")
    headings = [(h.get("id"), "".join(h.itertext())) for h in body.iter(f"{X}h2")]
    assert headings == [("conditionally-returning-jsx", "조건부로 반환하기"), ("sec-1", "다음 절")]
    assert body.find(f"{X}p/{X}code").text == "Dropping CustomSmartPointer"
    assert not diag.warnings


def test_html_that_xhtml_refuses_is_mended(tmp_path: Path) -> None:
    """What epubcheck refused in real books: `<wbr>` holding the text after it, `width="252px"`,
    one id three times (an example's `<div id="app">`), an empty heading; an `<img>` with no src is
    left out with a warning at its own line (not "remote image ''")."""
    text = ("# 제목\n\n<code>process.env<wbr>.NODE_ENV</code> 값.\n\n"
            "<img src=\"images/a.png\" width=\"252px\" height=\"50%\" alt=\"그림\">\n\n"
            "<div id=\"app\">하나</div>\n\n<div id=\"app\">둘</div>\n\n<h2></h2>\n\n"
            "<img id=\"13364974\"></img>\n\n<div class=\"demo\">\n  <li>하나</li>\n  <li>둘</li> 뒤\n</div>\n\n끝\n")
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    volume, diag = render(tmp_path, {"a.md": text}, {"articles/images/a.png": buffer.getvalue()})
    body = tree(volume).find(f".//{X}div[@class='chapter-body']")
    code = body.find(f"{X}p/{X}code")
    assert code.text == "process.env" and code[0].tag == f"{X}wbr" and code[0].tail == ".NODE_ENV" and not len(code[0])
    img = body.find(f".//{X}img")
    assert img.get("width") == "252" and img.get("height") is None
    assert [d.get("id") for d in body.iter(f"{X}div") if d.get("id")] == ["app", "app-2"]
    assert body.find(f"{X}h2") is None and len(body.findall(f".//{X}img")) == 1
    stray = body.find(f"{X}div[@class='demo']/{X}ul")
    assert [li.text for li in stray] == ["하나", "둘"] and stray.tail.strip() == "뒤"
    (warning,) = diag.warnings
    assert "a.md:13:" in str(warning) and "no source" in str(warning)


def test_link_warnings_name_the_links_own_line(tmp_path: Path) -> None:
    """`/learn` is looked for as a link (`](/learn)`), not as the start of `/learn/passing-props`."""
    _, diag = render(tmp_path, {"a.md": "# 제목\n\n[안내](/learn/passing-props)\n\n문단\n\n[배우기](/learn)\n"})
    lines = sorted((p.line, p.message.split("'")[1]) for p in diag.warnings)
    assert lines == [(3, "/learn/passing-props"), (7, "/learn")]


@pytest.mark.parametrize("first_line", ["# 반응성 기본 {#reactivity-fundamentals}", "# 반응성 기본 {/*reactivity*/}"])
def test_a_heading_id_is_not_part_of_the_title(tmp_path: Path, first_line: str) -> None:
    """`# 반응성 기본 {#id}` (VitePress) and `{/*id*/}` (MDX) as an article's first line: the title,
    contents entry, running head and bookmark read 반응성 기본."""
    volume, _ = render(tmp_path, {"a.md": f"{first_line}\n\n본문\n"})
    assert volume.chapters[0].article.title == "반응성 기본"
    assert tree(volume).find(f".//{X}h1").text == "반응성 기본"
