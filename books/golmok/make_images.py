"""Regenerate the cover and PNG illustrations of the 골목의 활자 sample book."""

from __future__ import annotations

import math
import random
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "articles" / "images"
REPO = HERE.parent.parent

PAPER = (243, 236, 220)
IVORY = (239, 229, 205)
INK = (33, 30, 28)
VERMILION = (196, 68, 45)
INDIGO = (43, 62, 94)
LEAD = (122, 126, 132)
LEAD_LIGHT = (168, 172, 178)
LEAD_DARK = (84, 88, 95)

Point = tuple[float, float]

COVER_TITLE = "골목의 활자"
COVER_SUBTITLE = "을지로 인쇄 골목에서 보낸 열네 달"
COVER_AUTHOR = "한여울 지음"
COVER_PUBLISHER = "모루서가"

# Preferred fonts for the cover text, in order: the project's own serif,
# then the system Noto Serif CJK (face 1 of the collection is the KR face).
COVER_FONTS: tuple[tuple[Path, int], ...] = (
    (REPO / "fonts" / "JebonSerifKR-Bold.otf", 0),
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"), 1),
)


def ascii_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Return Pillow's bundled font, which only needs to draw ASCII digits."""
    return ImageFont.load_default(size)


def save_png(image: Image.Image, name: str, colors: int = 64) -> Path:
    """Quantize an RGB image to a small palette and save it as PNG."""
    path = IMAGES / name
    small = image.convert("RGB").quantize(
        colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    small.save(path, format="PNG", optimize=True)
    return path


def oblique(origin: Point, u: float, v: float, depth_angle: float = 35.0) -> Point:
    """Map (u, v) on a horizontal face to the picture plane (cavalier projection)."""
    rad = math.radians(depth_angle)
    return (origin[0] + u + v * 0.8 * math.cos(rad), origin[1] - v * 0.8 * math.sin(rad))


def draw_sort(draw: ImageDraw.ImageDraw, origin: Point, width: float, depth: float, height: float) -> None:
    """Draw one blank lead sort whose front-top-left corner is at origin."""
    ox, oy = origin
    top = [
        oblique(origin, 0, 0),
        oblique(origin, width, 0),
        oblique(origin, width, depth),
        oblique(origin, 0, depth),
    ]
    front = [(ox, oy), (ox + width, oy), (ox + width, oy + height), (ox, oy + height)]
    right_top = oblique(origin, width, depth)
    side = [(ox + width, oy), right_top, (right_top[0], right_top[1] + height), (ox + width, oy + height)]
    draw.polygon(side, fill=LEAD_DARK, outline=INK)
    draw.polygon(front, fill=LEAD, outline=INK)
    draw.polygon(top, fill=LEAD_LIGHT, outline=INK)
    # The nick: a groove across the front of the shank.
    nick_y = oy + height * 0.72
    draw.rectangle((ox + 1, nick_y, ox + width - 1, nick_y + max(4.0, height * 0.035)), fill=LEAD_DARK)


def glyph_strokes() -> list[tuple[float, float, float, float]]:
    """Return a mirrored '가' as rectangles (u0, v0, u1, v1) in a unit square."""
    strokes = [
        # Mirrored ㅏ on the left: a vertical stem with a short bar pointing left.
        (0.14, 0.08, 0.24, 0.92),
        (0.04, 0.47, 0.14, 0.56),
        # Mirrored ㄱ on the right: top bar running right, stem down the left side.
        (0.38, 0.74, 0.86, 0.83),
        (0.38, 0.18, 0.48, 0.83),
    ]
    # v grows away from the viewer, so the top of the glyph is the far edge.
    return strokes


def make_type_block() -> Path:
    """Draw a large sort with its raised, mirrored face beside a line of sorts."""
    width, height = 1200, 800
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 640, width, height), fill=IVORY)

    origin = (230.0, 236.0)
    body, tall = 250.0, 400.0
    draw_sort(draw, origin, body, body, tall)
    # Shoulder is drawn; now the raised face, first its shadow, then the face.
    for lift, colour in ((0.0, LEAD_DARK), (14.0, INK)):
        for u0, v0, u1, v1 in glyph_strokes():
            corners = [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
            pts = [oblique(origin, 16 + u * (body - 32), 16 + v * (body - 32)) for (u, v) in corners]
            draw.polygon([(x, y - lift) for (x, y) in pts], fill=colour)

    # A justified line of smaller sorts of varied set widths, as in a composing stick.
    rng = random.Random(20250215)
    x = 700.0
    base_y = 520.0
    while x < 1110:
        set_width = rng.choice((34.0, 34.0, 40.0, 46.0, 22.0))
        draw_sort(draw, (x, base_y), set_width, 44.0, 120.0)
        if set_width > 30:
            cx = x + set_width / 2 + 11
            draw.rectangle((cx - set_width * 0.25, base_y - 15, cx + set_width * 0.25, base_y - 9), fill=INK)
        x += set_width
    # The steel rule of the composing stick under the line.
    draw.rectangle((680, 640, 1170, 652), fill=LEAD_DARK, outline=INK)
    return save_png(image, "type-block.png")


def make_signature_fold() -> Path:
    """Draw the imposition of a 16-page signature with its three folds."""
    width, height = 1300, 720
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    font = ascii_font(40)
    small = ascii_font(30)

    # Outer forme of a 16-page sheet: top row printed upside down.
    top_row = (5, 12, 9, 8)
    bottom_row = (4, 13, 16, 1)
    left, top, cell_w, cell_h = 60.0, 90.0, 160.0, 240.0
    for row, numbers in enumerate((top_row, bottom_row)):
        for col, number in enumerate(numbers):
            x0 = left + col * cell_w
            y0 = top + row * cell_h
            fill = (250, 246, 236) if (row + col) % 2 == 0 else (246, 240, 226)
            draw.rectangle((x0, y0, x0 + cell_w, y0 + cell_h), fill=fill, outline=INK, width=2)
            for line in range(5):
                ly = y0 + 50 + line * 30
                draw.line((x0 + 28, ly, x0 + cell_w - 28, ly), fill=LEAD_LIGHT, width=6)
            label = Image.new("RGBA", (80, 56), (0, 0, 0, 0))
            ImageDraw.Draw(label).text((40, 28), str(number), font=font, fill=INK, anchor="mm")
            if row == 0:
                label = label.rotate(180)
            image.paste(label, (int(x0 + cell_w / 2 - 40), int(y0 + cell_h - 66)), label)

    def dashed(p0: Point, p1: Point, colour: tuple[int, int, int]) -> None:
        """Draw a dashed fold line."""
        length = math.dist(p0, p1)
        steps = int(length // 22)
        for i in range(steps):
            a = i / steps
            b = min(1.0, a + 0.6 / steps)
            draw.line(
                (
                    p0[0] + (p1[0] - p0[0]) * a,
                    p0[1] + (p1[1] - p0[1]) * a,
                    p0[0] + (p1[0] - p0[0]) * b,
                    p0[1] + (p1[1] - p0[1]) * b,
                ),
                fill=colour,
                width=5,
            )

    def badge(center: Point, text: str) -> None:
        """Draw a numbered circle marking the order of a fold."""
        r = 26
        draw.ellipse((center[0] - r, center[1] - r, center[0] + r, center[1] + r), fill=VERMILION)
        draw.text(center, text, font=small, fill=PAPER, anchor="mm")

    right = left + 4 * cell_w
    bottom = top + 2 * cell_h
    dashed((left + 2 * cell_w, top - 30), (left + 2 * cell_w, bottom + 30), VERMILION)
    badge((left + 2 * cell_w, top - 52), "1")
    dashed((left - 30, top + cell_h), (right + 30, top + cell_h), VERMILION)
    badge((right + 52, top + cell_h), "2")
    dashed((left + cell_w, top - 30), (left + cell_w, bottom + 30), INDIGO)
    badge((left + cell_w, bottom + 52), "3")

    # Arrow to the folded signature.
    ay = top + cell_h
    draw.line((right + 110, ay, right + 230, ay), fill=INK, width=6)
    draw.polygon([(right + 250, ay), (right + 222, ay - 18), (right + 222, ay + 18)], fill=INK)

    # The folded signature: a stack of leaves, slightly fanned.
    sx, sy, sw, sh = right + 290.0, top + 60.0, 200.0, 300.0
    for i in range(7, -1, -1):
        off = i * 6
        shade = 236 - i * 5
        draw.rectangle(
            (sx + off, sy + off * 0.4, sx + sw + off, sy + sh + off * 0.4),
            fill=(shade + 12, shade + 7, shade - 6),
            outline=INK,
            width=2,
        )
    draw.line((sx, sy, sx, sy + sh), fill=INK, width=8)
    draw.text((sx + sw / 2, sy + sh / 2), "1", font=font, fill=INK, anchor="mm")
    draw.text((sx + sw / 2 + 30, sy + sh + 70), "16", font=small, fill=INDIGO, anchor="mm")
    return save_png(image, "signature-fold.png", colors=48)


def make_paper_texture() -> Path:
    """Draw four paper swatches with fibres; saved as PNG under a .jpg name."""
    width, height = 1000, 640
    image = Image.new("RGB", (width, height), (214, 208, 196))
    draw = ImageDraw.Draw(image)
    rng = random.Random(20250315)
    papers = (
        ((250, 249, 244), (226, 226, 222), 260, 14),  # white woodfree
        ((244, 233, 207), (222, 208, 178), 260, 14),  # ivory woodfree
        ((222, 216, 200), (176, 168, 150), 520, 10),  # newsprint
        ((238, 230, 212), (196, 184, 160), 150, 70),  # hanji, long fibres
    )
    margin, gap = 40, 24
    sw = (width - 2 * margin - 3 * gap) / 4
    for i, (base, fibre, count, length) in enumerate(papers):
        x0 = margin + i * (sw + gap)
        y0, y1 = 50.0, height - 50.0
        draw.rectangle((x0 + 8, y0 + 8, x0 + sw + 8, y1 + 8), fill=(190, 183, 170))
        draw.rectangle((x0, y0, x0 + sw, y1), fill=base)
        for _ in range(count):
            fx = rng.uniform(x0 + 6, x0 + sw - 6)
            fy = rng.uniform(y0 + 6, y1 - 6)
            angle = rng.uniform(-0.5, 0.5) + (math.pi / 2 if i == 3 and rng.random() < 0.5 else 0.0)
            seg = rng.uniform(length * 0.4, length)
            pts = [(fx, fy)]
            for _ in range(3):
                angle += rng.uniform(-0.35, 0.35)
                nx = min(max(pts[-1][0] + math.cos(angle) * seg / 3, x0 + 2), x0 + sw - 2)
                ny = min(max(pts[-1][1] + math.sin(angle) * seg / 3, y0 + 2), y1 - 2)
                pts.append((nx, ny))
            draw.line(pts, fill=fibre, width=2 if i == 3 else 1)
    return save_png(image, "paper-texture.jpg", colors=32)


def make_glyph_plate() -> Path:
    """Draw a phototypesetting glass glyph plate with a magnified cell."""
    width, height = 1100, 700
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    rng = random.Random(20250615)
    px0, py0, px1, py1 = 50, 90, 700, 610
    draw.rounded_rectangle((px0 + 10, py0 + 10, px1 + 10, py1 + 10), radius=18, fill=(200, 192, 176))
    draw.rounded_rectangle((px0, py0, px1, py1), radius=18, fill=(38, 44, 52), outline=INK, width=4)
    cols, rows = 22, 16
    cw = (px1 - px0 - 40) / cols
    ch = (py1 - py0 - 40) / rows

    def glyph(box: tuple[float, float, float, float], colour: tuple[int, int, int], seed: int) -> None:
        """Draw an abstract Hangul-like glyph: a consonant, a vowel, maybe a final."""
        g = random.Random(seed)
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        t = max(1.0, w * 0.09)
        has_final = g.random() < 0.5
        mid = y0 + h * (0.58 if has_final else 1.0)
        # Initial consonant on the left.
        kind = g.randrange(3)
        cx1 = x0 + w * 0.55
        if kind == 0:
            draw.rectangle((x0, y0 + h * 0.08, cx1, y0 + h * 0.08 + t), fill=colour)
            draw.rectangle((cx1 - t, y0 + h * 0.08, cx1, mid - h * 0.08), fill=colour)
        elif kind == 1:
            draw.ellipse(
                (x0 + w * 0.04, y0 + h * 0.1, cx1, mid - h * 0.1), outline=colour, width=max(1, round(t))
            )
        else:
            draw.rectangle((x0, y0 + h * 0.08, cx1, mid - h * 0.08), outline=colour, width=max(1, round(t)))
        # Vertical vowel on the right.
        vx = x0 + w * 0.8
        draw.rectangle((vx, y0 + h * 0.02, vx + t, mid - h * 0.02), fill=colour)
        draw.rectangle((vx + t, y0 + (mid - y0) * 0.45, x1, y0 + (mid - y0) * 0.45 + t), fill=colour)
        if has_final:
            draw.rectangle((x0 + w * 0.1, y1 - h * 0.3, x1 - w * 0.1, y1 - h * 0.3 + t), fill=colour)
            draw.rectangle((x1 - w * 0.1 - t, y1 - h * 0.3, x1 - w * 0.1, y1 - h * 0.02), fill=colour)

    for r in range(rows):
        for c in range(cols):
            x = px0 + 20 + c * cw
            y = py0 + 20 + r * ch
            glyph(
                (x + cw * 0.22, y + ch * 0.2, x + cw * 0.78, y + ch * 0.8),
                (226, 222, 210),
                rng.randrange(10**6),
            )

    # The magnified cell and the lens that looks at it.
    target_c, target_r = 15, 6
    tx = px0 + 20 + target_c * cw
    ty = py0 + 20 + target_r * ch
    draw.rectangle((tx, ty, tx + cw, ty + ch), outline=VERMILION, width=3)
    lx, ly, lr = 900.0, 350.0, 170.0
    draw.line((tx + cw, ty, lx - lr * 0.7, ly - lr * 0.7), fill=VERMILION, width=3)
    draw.line((tx + cw, ty + ch, lx - lr * 0.7, ly + lr * 0.7), fill=VERMILION, width=3)
    draw.ellipse((lx - lr - 12, ly - lr - 12, lx + lr + 12, ly + lr + 12), fill=INK)
    draw.ellipse((lx - lr, ly - lr, lx + lr, ly + lr), fill=(38, 44, 52))
    glyph((lx - lr * 0.5, ly - lr * 0.5, lx + lr * 0.5, ly + lr * 0.5), (240, 236, 224), 1966)
    return save_png(image, "glyph-plate.png", colors=32)


def cover_font(size: int) -> ImageFont.FreeTypeFont | None:
    """Return the first available font whose cmap covers all cover text, at the given size."""
    needed = {ord(ch) for ch in COVER_TITLE + COVER_SUBTITLE + COVER_AUTHOR + COVER_PUBLISHER} - {ord(" ")}
    for path, index in COVER_FONTS:
        if not path.exists():
            continue
        cmap = TTFont(path, fontNumber=index, lazy=True).getBestCmap() or {}
        if needed <= cmap.keys():
            return ImageFont.truetype(str(path), size=size, index=index)
    return None


def make_cover() -> Path:
    """Draw the cover: a type case of compartments above the title block."""
    width, height = 1600, 2400
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    rng = random.Random(20260301)

    # The type case: an irregular grid of compartments, as in a case of sorts.
    x0, y0, x1, y1 = 140, 160, 1460, 1420
    draw.rectangle((x0 - 24, y0 - 24, x1 + 24, y1 + 24), fill=(96, 72, 52))
    draw.rectangle((x0, y0, x1, y1), fill=(226, 214, 190))
    rows = 9
    row_h = (y1 - y0) / rows
    inks = (INK, VERMILION, INDIGO, LEAD, LEAD_DARK)
    for r in range(rows):
        ry = y0 + r * row_h
        x = float(x0)
        while x < x1 - 1:
            cell = rng.choice((60.0, 90.0, 90.0, 120.0, 150.0, 180.0))
            cell = min(cell, x1 - x)
            if x1 - (x + cell) < 60:
                cell = x1 - x
            draw.rectangle((x, ry, x + cell, ry + row_h), outline=(96, 72, 52), width=8)
            roll = rng.random()
            inset = 18
            if roll < 0.32:
                colour = rng.choice(inks)
                sw = rng.uniform(0.35, 0.8) * (cell - 2 * inset)
                sh = rng.uniform(0.45, 0.85) * (row_h - 2 * inset)
                sx = x + inset + rng.uniform(0, cell - 2 * inset - sw)
                sy = ry + row_h - inset - sh
                draw.rectangle((sx, sy, sx + sw, sy + sh), fill=colour)
            elif roll < 0.45:
                for k in range(rng.randrange(2, 6)):
                    bx = x + inset + k * 16
                    if bx + 12 > x + cell - inset:
                        break
                    draw.rectangle((bx, ry + row_h * 0.45, bx + 12, ry + row_h - inset), fill=LEAD_LIGHT)
            x += cell

    # A single vermilion seal square, as on a colophon stamp.
    draw.rectangle((1310, 1830, 1460, 1980), fill=VERMILION)
    draw.rectangle((1326, 1846, 1444, 1964), outline=PAPER, width=6)

    title_font = cover_font(230)
    if title_font is not None:
        sub_font = cover_font(62)
        small_font = cover_font(54)
        assert sub_font is not None and small_font is not None
        draw.text((140, 1530), COVER_TITLE, font=title_font, fill=INK, anchor="la")
        draw.text((146, 1860), COVER_SUBTITLE, font=sub_font, fill=INDIGO, anchor="la")
        draw.line((146, 2010, 1460, 2010), fill=INK, width=4)
        draw.text((146, 2060), COVER_AUTHOR, font=small_font, fill=INK, anchor="la")
        draw.text((1460, 2060), COVER_PUBLISHER, font=small_font, fill=INK, anchor="ra")
    else:
        # No Korean font: keep the cover purely graphic with title bars in place of text.
        for i, w in enumerate((980, 620)):
            draw.rectangle(
                (140, 1540 + i * 200, 140 + w, 1540 + i * 200 + 120), fill=INK if i == 0 else INDIGO
            )
        draw.line((146, 2010, 1460, 2010), fill=INK, width=4)

    path = HERE / "cover.png"
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, format="PNG", optimize=True
    )
    return path


def main() -> None:
    """Regenerate every generated image of the sample book."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    for path in (
        make_type_block(),
        make_signature_fold(),
        make_paper_texture(),
        make_glyph_plate(),
        make_cover(),
    ):
        print(f"{path.relative_to(HERE)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
