"""Markdown → safe, well-formed XHTML: sanitising, links, images, footnotes, headings."""

from __future__ import annotations

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


def render(tmp_path: Path, files: dict[str, str], extra: dict[str, bytes] | None = None
           ) -> tuple[RenderedVolume, Diagnostics]:
    (tmp_path / "book.toml").write_text('[book]\ntitle = "책"\n', encoding="utf-8")
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
                                     "<b><i>엇갈린</b></i>", "제어\x01문자"])
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


@pytest.mark.parametrize("target", ["[밖](../../etc/passwd)", "[밖](/etc/passwd)", "[밖](file:///etc/passwd)",
                                    "![밖](../../etc/hostname)", "![밖](file:///etc/hostname)",
                                    "![밖](/etc/hostname)", "![링크](escape.png)"])
def test_paths_leaving_the_book_are_refused(tmp_path: Path, target: str) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "escape.png").symlink_to("/etc/hostname")
    with pytest.raises(JebonError) as info:
        render(tmp_path, {"a.md": f"# 제목\n\n줄 하나\n\n{target}\n"})
    message = str(info.value)
    assert "a.md:5:" in message and ("outside the book folder" in message or "file on this computer" in message)


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
