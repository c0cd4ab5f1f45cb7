"""Images: type from the bytes (not the extension), SVG made self-contained and script-free."""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
              "image/svg+xml": "svg"}


class ImageError(ValueError):
    """The file is not an image jebon can put in a book."""


@dataclass(frozen=True)
class Asset:
    """A file inside the book (`name` is its path in the EPUB's content folder)."""

    name: str
    media_type: str
    data: bytes
    source: Path | None = None


def sniff(data: bytes) -> str | None:
    """The media type of image bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!doctype svg")
            or head.startswith(b"<!--")) and b"<svg" in data[:65536].lower():
        return "image/svg+xml"
    return None


_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
"""Bit depths the PNG specification allows for each colour type."""
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""JPEG start-of-frame markers (every coding process; C4, C8 and CC are other segments)."""


def pixel_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG read from its header (no decoding), or None when the
    header is not one jebon can read (callers then ask Pillow)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        # The IHDR chunk, whole and as the PNG specification allows it (what Pillow checks on open).
        if len(data) < 33 or data[8:16] != b"\x00\x00\x00\x0dIHDR" \
                or zlib.crc32(data[12:29]).to_bytes(4, "big") != data[29:33] \
                or data[24] not in _PNG_DEPTHS.get(data[25], ()) or data[26:29] not in (b"\0\0\0", b"\0\0\1") \
                or data.find(b"IDAT", 33) < 0:
            return None
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        return (width, height) if width and height else None
    if not data.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:  # markers without a length
            at += 2
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if marker in _JPEG_FRAMES:
            if at + 2 + length > len(data) or length < 8:
                return None  # the frame header is cut off
            precision, components = data[at + 4], data[at + 9]
            if precision != 8 or components not in (1, 3, 4) or length != 8 + 3 * components:
                return None
            height = int.from_bytes(data[at + 5:at + 7], "big")
            width = int.from_bytes(data[at + 7:at + 9], "big")
            return (width, height) if width and height else None
        if length < 2:
            return None
        at += 2 + length
    return None


_EXTERNAL_ENTITY = re.compile(rb"<!ENTITY\s+%?\s*([A-Za-z_][\w.-]*)\s+(?:SYSTEM|PUBLIC)\b[^>]*>")


def clean_svg(data: bytes) -> tuple[bytes, list[str]]:
    """Expand internal entities, drop the DOCTYPE (external DTDs), external entities, scripts,
    event handlers and links to anything outside the file. Returns the new bytes and what was removed."""
    removed: list[str] = []
    for match in list(_EXTERNAL_ENTITY.finditer(data)):
        name = match.group(1)
        removed.append(f"external entity &{name.decode(errors='replace')};")
        data = data.replace(match.group(0), b"").replace(b"&" + name + b";", b"")
    # Only entities declared inside the file are expanded; nothing is loaded from disk or network.
    parser = etree.XMLParser(resolve_entities="internal",  # type: ignore[arg-type]  # lxml >= 5.0
                             load_dtd=False, no_network=True)
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError as exc:
        raise ImageError(f"the SVG is not well-formed XML: {exc}") from None
    root = tree.getroot()
    if etree.QName(root).localname != "svg":
        raise ImageError("the file is XML but its root element is not <svg>")
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        if local in ("script", "foreignObject"):
            removed.append(f"<{local}>")
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
            continue
        for attr in list(node.attrib):
            name = etree.QName(attr).localname
            value = node.attrib[attr]
            if name.lower().startswith("on"):
                removed.append(f"{name} attribute")
                del node.attrib[attr]
            elif name == "href" and not value.startswith("#") and not value.startswith("data:image/"):
                removed.append(f"link to {value[:60]}")
                del node.attrib[attr]
            elif _OUTSIDE_URL.search(value):  # a presentation attribute or a style attribute
                removed.append(f"{name}={value[:60]!r}")
                node.attrib[attr] = _OUTSIDE_URL.sub("none", value)
        if local == "style" and node.text:
            node.text = _inside_only(node.text, removed)
    _valid_unique_ids(root)
    _bundled_fonts_first(root)
    out = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return out, removed


_OUTSIDE_URL = re.compile(r"""url\(\s*(?!['"]?\s*(?:#|data:))[^)]*\)""", re.IGNORECASE)
"""A CSS `url()` that leaves the file (not `#id`, not `data:`)."""


def _inside_only(css: str, removed: list[str]) -> str:
    """The style sheet `css` without what loads files from outside the SVG: `@import` rules,
    `@font-face` rules with such a source (a web page's SVG loads its site's web fonts:
    `url(/font/PTMonoBold.woff2)`, which are not in the book) and any other `url()` leaving the
    file (replaced by `none`)."""
    import tinycss2

    dropped: list[str] = []
    kept: list[Any] = []
    for rule in tinycss2.parse_stylesheet(css):
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            dropped.append(f"@import {tinycss2.serialize(rule.prelude).strip()[:60]}")
        elif rule.type == "at-rule" and rule.lower_at_keyword == "font-face" \
                and (source := _OUTSIDE_URL.search(tinycss2.serialize(rule.content or []))):
            dropped.append("@font-face " + source.group(0)[4:-1].strip(" '\"")[:60])
        else:
            kept.append(rule)
    text = tinycss2.serialize(kept)
    if (outside := _OUTSIDE_URL.search(text)) is not None:
        dropped.append(f"url() in the style sheet ({outside.group(0)[:60]})")
        text = _OUTSIDE_URL.sub("none", text)
    if dropped:
        removed.append(f"style sheets and fonts loaded from outside the file ({', '.join(dropped)})")
    return text if dropped else css


_NCNAME = re.compile(r"[^\W\d][\w.\-]*")
"""An XML name without colons (what EPUB's validators require of an `id`), as far as Python
tells letters."""


def _valid_unique_ids(root: etree._Element) -> None:
    """Every `id` an XML name and unique, as EPUB requires (drawing programs repeat them: a Sketch
    export names every text after its words, `id="Apple"` twice, and uses any words,
    `id="here's-the-list"`). Of repeated ids the first keeps its name, which is the one references
    find, so nothing drawn changes; an id that is not a name gets one, and what points at it follows."""
    elements = [el for el in root.iter() if isinstance(el.tag, str) and el.get("id") is not None]
    taken = {str(el.get("id")) for el in elements}
    seen: set[str] = set()
    firsts: set[str] = set()
    renamed: dict[str, str] = {}
    for el in elements:
        ident = str(el.get("id"))
        first = ident not in firsts
        firsts.add(ident)
        base = ident if _NCNAME.fullmatch(ident) else "id-" + (re.sub(r"[^\w.\-]+", "-", ident).strip("-") or "x")
        new, n = base, 1
        while new in seen or (new != ident and new in taken):
            n += 1
            new = f"{base}-{n}"
        seen.add(new)
        if new != ident:
            el.set("id", new)
            if first:
                renamed[ident] = new  # an id that is not a name: what points at it follows
    if not renamed:
        return
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr, value in [(str(k), str(v)) for k, v in el.attrib.items()]:
            if etree.QName(attr).localname == "href" and value.startswith("#") and value[1:] in renamed:
                el.set(attr, "#" + renamed[value[1:]])
            elif "url(" in value:
                el.set(attr, _URL_REF.sub(lambda m: _renamed_ref(m, renamed), value))
        if etree.QName(el).localname == "style" and el.text and "url(" in el.text:
            el.text = _URL_REF.sub(lambda m: _renamed_ref(m, renamed), el.text)


_URL_REF = re.compile(r"""url\(\s*(['"]?)#(.+?)\1\s*\)""")


def _renamed_ref(match: re.Match[str], renamed: dict[str, str]) -> str:
    target = renamed.get(match.group(2))
    return f"url(#{target})" if target else match.group(0)


def _bundled_fonts_first(root: etree._Element) -> None:
    """Text in SVGs uses jebon's bundled Korean fonts where the renderer has them (the PDF), so that
    no system font is embedded; readers without them fall back to the SVG's own list."""

    def prefer(families: str) -> str:
        ours = "Jebon Serif KR" if re.search(r"(?<!sans-)serif|Myeongjo|명조|Batang", families) else "Jebon Sans KR"
        return families if "Jebon" in families else f"'{ours}', {families}"

    root.set("font-family", prefer(root.get("font-family") or "sans-serif"))
    for el in root.iter():
        if not isinstance(el.tag, str) or el is root:
            continue
        family = el.get("font-family")
        if family:
            el.set("font-family", prefer(family))
        style = el.get("style")
        if style and "font-family" in style:
            el.set("style", re.sub(r"font-family\s*:\s*([^;]+)", lambda m: "font-family: " + prefer(m.group(1)),
                                   style))


def make_asset(path: Path, data: bytes | None = None) -> tuple[Asset, list[str]]:
    """An image (read from `path`, or given as `data` named after `path`) as an Asset named by its
    content; raise ImageError if unusable."""
    if data is None:
        data = path.read_bytes()
    if not data:
        raise ImageError("the file is empty (0 bytes): copy the image again, or remove the line")
    media_type = sniff(data)
    if media_type is None:
        raise ImageError("not a PNG, JPEG, GIF, WebP or SVG image (type detected from the file's bytes)")
    removed: list[str] = []
    if media_type == "image/svg+xml":
        data, removed = clean_svg(data)
    else:
        _check_pixels(data)
    digest = hashlib.sha256(data).hexdigest()[:10]
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:40] or "image"
    name = f"images/{stem}-{digest}.{EXTENSIONS[media_type]}"
    return Asset(name=name, media_type=media_type, data=data, source=path), removed


MAX_PIXELS = 120_000_000
"""Images above this are refused: decoding them would take gigabytes of memory."""


def _check_pixels(data: bytes) -> None:
    size = pixel_size(data)  # PNG and JPEG: the header says it, without Pillow
    if size is not None:
        width, height = size
    else:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            raise ImageError(f"the image cannot be read: {exc}") from None
    if width * height > MAX_PIXELS:
        raise ImageError(f"{width}×{height} pixels is too large (the limit is {MAX_PIXELS // 1_000_000} megapixels)")


SCREEN_MAX_PIXELS = 3_840_000
"""The most pixels an image keeps in the EPUB: 1600×2400 (jebon's drawn cover), 4% under the
4-megapixel cap of Apple Books (images inside the book may not exceed it), well inside Kobo's,
Google Play's and KDP's limits. The PDF keeps every image as it is, for print."""
SCREEN_MAX_BYTES = 5 * 1024 * 1024
"""The largest image file in the EPUB: KDP's limit for an image inside a Kindle book."""


def fits_screen(asset: Asset, max_pixels: int | None = None, max_bytes: int | None = None) -> bool:
    """True when the EPUB takes the image as it is (told from its header, without decoding it)."""
    max_pixels = SCREEN_MAX_PIXELS if max_pixels is None else max_pixels
    max_bytes = SCREEN_MAX_BYTES if max_bytes is None else max_bytes
    if asset.media_type not in ("image/png", "image/jpeg"):
        return True
    size = pixel_size(asset.data)
    return size is not None and size[0] * size[1] <= max_pixels and len(asset.data) <= max_bytes


def fit_for_screen(asset: Asset, max_pixels: int | None = None, max_bytes: int | None = None) -> bytes:
    """The PNG or JPEG for the EPUB: the image itself when it is within `max_pixels` and
    `max_bytes`, otherwise scaled down (never up; aspect ratio kept) until it is. GIF (often
    animated), WebP and SVG are left as they are."""
    max_pixels = SCREEN_MAX_PIXELS if max_pixels is None else max_pixels
    max_bytes = SCREEN_MAX_BYTES if max_bytes is None else max_bytes
    if fits_screen(asset, max_pixels, max_bytes):
        return asset.data  # the common case, told by the header alone
    from PIL import Image

    with Image.open(io.BytesIO(asset.data)) as image:
        image.load()
        width, height = image.size
        if width * height <= max_pixels and len(asset.data) <= max_bytes:
            return asset.data
        scale = min(1.0, (max_pixels / (width * height)) ** 0.5)
        while True:
            target = max(1, int(width * scale)), max(1, int(height * scale))
            out = io.BytesIO()
            smaller = image.resize(target, Image.Resampling.LANCZOS)
            if asset.media_type == "image/jpeg":
                smaller.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
            else:
                smaller.save(out, format="PNG", optimize=True)
            data = out.getvalue()
            if len(data) <= max_bytes or target == (1, 1):
                return data
            scale *= 0.8  # too many bytes still: a fifth smaller each side, then try again


MAX_REMOTE_BYTES = 20 * 1024 * 1024
REMOTE_TIMEOUT = 10.0


def fetch_remote(url: str) -> bytes:
    """Download a remote image (only with --allow-remote): http(s) only, at most MAX_REMOTE_BYTES,
    REMOTE_TIMEOUT seconds for the connection and each read. Raise ImageError otherwise."""
    import urllib.request

    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ImageError("only http and https images can be fetched")
    request = urllib.request.Request(url, headers={"User-Agent": "jebon"})
    try:
        with urllib.request.urlopen(request, timeout=REMOTE_TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_REMOTE_BYTES:
                raise ImageError(f"larger than {MAX_REMOTE_BYTES // (1024 * 1024)} MB")
            data: bytes = response.read(MAX_REMOTE_BYTES + 1)
    except ImageError:
        raise
    except (OSError, ValueError) as exc:
        raise ImageError(f"could not be fetched: {exc}") from None
    if len(data) > MAX_REMOTE_BYTES:
        raise ImageError(f"larger than {MAX_REMOTE_BYTES // (1024 * 1024)} MB")
    return data
