"""CMYK output for print: CSS and SVG colours to device-cmyk(), raster images to CMYK JPEG, through
the bundled GRACoL TR 006 profile (see styles/icc/README.md)."""

from __future__ import annotations

import io
import re
from functools import cache

from PIL import Image, ImageCms, ImageColor

from .resources import data_dir

PROFILE_NAME = "icc/GRACoL-TR006-TAC240.icc"

_HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_RGB = re.compile(r"rgba?\(\s*(\d+)\s*[, ]\s*(\d+)\s*[, ]\s*(\d+)\s*(?:[,/]\s*[\d.]+%?\s*)?\)")
_PROPS = r"(?:color|fill|stroke|stop-color|flood-color|lighting-color|background(?:-color)?|border(?:-[a-z-]+)?)"
_NAMED_IN_CSS = re.compile(rf"({_PROPS}\s*:[^;{{}}]*?)\b([a-zA-Z]+)\b(?=[^;{{}}]*(?:;|}}|$))")
_NAMED_ATTR = re.compile(r'\b(fill|stroke|stop-color|flood-color|lighting-color|color)="([a-zA-Z]+)"')


def profile_path() -> str:
    return str(data_dir("styles") / PROFILE_NAME)


@cache
def _transform() -> ImageCms.ImageCmsTransform:
    srgb = ImageCms.createProfile("sRGB")
    cmyk = ImageCms.getOpenProfile(profile_path())
    return ImageCms.buildTransform(srgb, cmyk, "RGB", "CMYK", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)


@cache
def cmyk_of(red: int, green: int, blue: int) -> tuple[float, float, float, float]:
    """sRGB → CMYK. Neutral greys and black go to the black ink alone (text stays sharp on press)."""
    if red == green == blue:
        return 0.0, 0.0, 0.0, round(1 - red / 255, 3)
    pixel = Image.new("RGB", (1, 1), (red, green, blue))
    converted = ImageCms.applyTransform(pixel, _transform())
    assert converted is not None
    c, m, y, k = converted.getpixel((0, 0))  # type: ignore[misc]
    return round(c / 255, 3), round(m / 255, 3), round(y / 255, 3), round(k / 255, 3)


def _device(rgb: tuple[int, ...]) -> str:
    c, m, y, k = cmyk_of(rgb[0], rgb[1], rgb[2])
    return f"device-cmyk({c:g} {m:g} {y:g} {k:g})"


def _named(name: str) -> str | None:
    if name.lower() in ("transparent", "none", "currentcolor", "inherit", "initial", "auto", "solid", "dotted",
                        "dashed", "double", "hidden"):
        return None
    try:
        return _device(ImageColor.getrgb(name))
    except ValueError:
        return None


def to_cmyk(text: str) -> str:
    """Rewrite every sRGB colour in CSS or SVG text as device-cmyk()."""
    text = _HEX.sub(lambda m: _device(ImageColor.getrgb(m.group())), text)
    text = _RGB.sub(lambda m: _device((int(m.group(1)), int(m.group(2)), int(m.group(3)))), text)
    text = _NAMED_ATTR.sub(lambda m: f'{m.group(1)}="{_named(m.group(2)) or m.group(2)}"', text)
    return _NAMED_IN_CSS.sub(lambda m: m.group(1) + (_named(m.group(2)) or m.group(2)), text)


def image_to_cmyk(data: bytes) -> bytes:
    """A raster image as a CMYK JPEG (transparency flattened on white paper)."""
    image: Image.Image = Image.open(io.BytesIO(data))
    if image.mode != "CMYK":
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        converted = ImageCms.applyTransform(paper, _transform())
        assert converted is not None
        image = converted
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, subsampling=0, optimize=True)
    return out.getvalue()
