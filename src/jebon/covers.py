"""A typographic cover image for books without one, drawn with the bundled fonts."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from .fonts import FACES

WIDTH, HEIGHT = 1600, 2400
PAPER = (244, 239, 228)
INK = (34, 38, 46)
ACCENT = (176, 58, 46)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break Korean by word (어절); a word wider than the line is broken by syllable."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if draw.textlength(current + char, font=font) > width and current:
                lines.append(current)
                current = ""
            current += char
    if current:
        lines.append(current)
    return lines


def _font(key: str, size: int) -> ImageFont.FreeTypeFont:
    face = next(f for f in FACES if f.key == key)
    return ImageFont.truetype(str(face.path), size)


def generate(title: str, subtitle: str | None, authors: tuple[str, ...], publisher: str | None,
             label: str | None = None) -> bytes:
    """A 1600×2400 PNG: title, subtitle, author and publisher on paper with a type-block motif;
    `label` (a series volume's "제2권") is set large in the accent colour."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    margin = 150
    # A band of type blocks: a quiet, recognisable motif that needs no artwork.
    block, gap = 56, 14
    for row in range(3):
        for col in range((WIDTH - 2 * margin) // (block + gap)):
            x = margin + col * (block + gap)
            y = 300 + row * (block + gap)
            shade = ACCENT if (row * 7 + col * 3) % 11 == 0 else INK
            draw.rectangle((x, y, x + block, y + block), fill=shade if (row + col) % 4 else None,
                           outline=shade, width=4)
    size = 150 if len(title) <= 12 else 120 if len(title) <= 24 else 96
    title_font = _font("serif-bold", size)
    y = 620
    if label:
        draw.text((margin, y - 40), label, font=_font("sans-bold", 110), fill=ACCENT)
        y += 150
    for line in _wrap(draw, title, title_font, WIDTH - 2 * margin):
        draw.text((margin, y), line, font=title_font, fill=INK)
        y += int(size * 1.3)
    if subtitle:
        sub_font = _font("sans-regular", 60)
        y += 40
        for line in _wrap(draw, subtitle, sub_font, WIDTH - 2 * margin):
            draw.text((margin, y), line, font=sub_font, fill=INK)
            y += 84
    draw.rectangle((margin, HEIGHT - 420, margin + 160, HEIGHT - 408), fill=ACCENT)
    author_font = _font("sans-bold", 64)
    draw.text((margin, HEIGHT - 370), " · ".join(authors) or "", font=author_font, fill=INK)
    if publisher:
        draw.text((margin, HEIGHT - 260), publisher, font=_font("sans-regular", 48), fill=INK)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
