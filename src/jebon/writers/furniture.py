"""Running heads and folios for pages assembled from separately laid-out chapters.

WeasyPrint draws margin boxes while it lays a document out, so a chapter laid out on its own cannot
know its page numbers. The chapters are laid out without them; here a three-page sample is laid out
with the volume's own page rules, the heads and folios are measured on it (box edge, baseline, font,
size, colour, alignment), and every assembled page gets the same text drawn at the same place,
shaped with HarfBuzz in the same bundled face. print.css stays the one definition of how they look."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import pikepdf
import uharfbuzz as hb

from .. import fonts

PX = 0.75
"""CSS px → PDF points."""
FONT_NAME = "/JbFurniture"


@dataclass(frozen=True)
class Slot:
    """One margin box as measured: where its line sits and how its text is set."""

    align: str
    """"left" or "right": which edge `x` is."""
    x: float
    baseline: float
    """In PDF points, in the page's own coordinates (from the bottom-left of the TrimBox)."""
    size: float
    face: fonts.Face
    color: str
    """PDF colour operator, e.g. `0.267 0.267 0.267 rg`."""
    limit: float
    """The text block's width: a longer head is cut to fit on one line."""


@dataclass(frozen=True)
class Furniture:
    """What goes on left and right pages: {"head": Slot, "folio": Slot} per side."""

    left: dict[str, Slot]
    right: dict[str, Slot]

    def dump(self) -> bytes:
        def side(slots: dict[str, Slot]) -> dict[str, dict[str, object]]:
            return {kind: {**asdict(slot), "face": slot.face.key} for kind, slot in slots.items()}

        return json.dumps({"left": side(self.left), "right": side(self.right)}).encode()

    @classmethod
    def load(cls, data: bytes) -> Furniture:
        faces = {face.key: face for face in fonts.FACES}

        def side(slots: dict[str, dict[str, Any]]) -> dict[str, Slot]:
            return {kind: Slot(**{**slot, "face": faces[slot["face"]]}) for kind, slot in slots.items()}

        raw = json.loads(data)
        return cls(left=side(raw["left"]), right=side(raw["right"]))


def measure(pages: list[Any]) -> Furniture:
    """Read the margin boxes of a laid-out sample's chapter pages: an opener, a left, a right page."""
    sides: list[dict[str, Slot]] = []
    for page in pages[1:3]:
        box = page._page_box
        height_pt = page.height * PX
        slots: dict[str, Slot] = {}
        for child in box.children:
            keyword = getattr(child, "at_keyword", None)
            if keyword is None:
                continue
            text = _first_text(child)
            if text is None:
                continue
            style = text.style
            face = _face_of(style)
            align = "right" if keyword.endswith("right") else "left"
            x_px = text.position_x + (text.width if align == "right" else 0.0)
            baseline_px = text.position_y + text.baseline
            # WeasyPrint draws a page in the trim's coordinates (the MediaBox reaches past them into
            # the bleed and the marks' room): the box positions are already where the text goes.
            slot = Slot(
                align=align, x=x_px * PX, baseline=height_pt - baseline_px * PX,
                size=float(style["font_size"]) * PX, face=face, color=_color(style["color"]),
                limit=box.width * PX,
            )
            slots["folio" if keyword.startswith("@bottom") else "head"] = slot
        sides.append(slots)
    if len(sides) != 2 or set(sides[0]) != {"head", "folio"} or set(sides[1]) != {"head", "folio"}:
        raise RuntimeError("could not measure the running heads and folios of the page rules")
    return Furniture(left=sides[0], right=sides[1])


def _first_text(box: Any) -> Any:
    stack = [box]
    while stack:
        current = stack.pop(0)
        if type(current).__name__ == "TextBox" and current.text.strip():
            return current
        stack[0:0] = list(getattr(current, "children", []))
    return None


def _face_of(style: Any) -> fonts.Face:
    families = list(style["font_family"])
    weight = 700 if int(style["font_weight"]) >= 600 else 400
    for family in families:
        for face in fonts.FACES:
            if face.family == family and face.weight == weight:
                return face
    raise RuntimeError(f"running heads use {families}, which is not a bundled face")


def _color(color: Any) -> str:
    coordinates = [float(c) for c in color.coordinates]
    if color.space == "device-cmyk":
        return "{:.4g} {:.4g} {:.4g} {:.4g} k".format(*coordinates)
    r, g, b = (float(c) for c in color.to("srgb").coordinates)
    return f"{r:.4g} {g:.4g} {b:.4g} rg"


@cache
def _hb_font(face: fonts.Face) -> tuple[hb.Font, int]:
    hb_face = hb.Face(hb.Blob.from_file_path(str(face.path)))
    return hb.Font(hb_face), hb_face.upem


def shape(face: fonts.Face, text: str) -> list[tuple[int, int, str]]:
    """(glyph id, advance in font units, the characters it stands for)."""
    font, _ = _hb_font(face)
    buf = hb.Buffer()
    buf.add_codepoints([ord(c) for c in text])
    buf.guess_segment_properties()
    hb.shape(font, buf)
    clusters = sorted({info.cluster for info in buf.glyph_infos})
    out: list[tuple[int, int, str]] = []
    seen: set[int] = set()
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        chars = ""
        if info.cluster not in seen:  # the first glyph of a cluster stands for its characters
            seen.add(info.cluster)
            end = next((c for c in clusters if c > info.cluster), len(text))
            chars = text[info.cluster:end]
        out.append((info.codepoint, pos.x_advance, chars))
    return out


def shape_runs(face: fonts.Face, text: str) -> list[tuple[fonts.Face, int, int, str]]:
    """(face, glyph id, advance in that face's units, characters) for `text` set in `face`, each run
    of characters `face` lacks in the first fallback face that has them (the bold one for bold)."""
    covered = fonts.coverage(face.path)
    runs: list[tuple[fonts.Face, str]] = []
    for char in text:
        chosen = face
        if ord(char) not in covered and fonts.needs_glyph(char):
            chosen = next((f for f in _fallbacks(face.weight) if ord(char) in fonts.coverage(f.path)), face)
        if runs and runs[-1][0] is chosen:
            runs[-1] = (chosen, runs[-1][1] + char)
        else:
            runs.append((chosen, char))
    return [(run_face, gid, advance, chars) for run_face, run in runs for gid, advance, chars in shape(run_face, run)]


def _fallbacks(weight: int) -> list[fonts.Face]:
    """The fallback faces in order, each family once: its face of `weight` if it has one."""
    chosen: dict[str, fonts.Face] = {}
    for face in fonts.FALLBACK_FACES:
        if face.family not in chosen or face.weight == weight:
            chosen[face.family] = face
    return list(chosen.values())


class Drawer:
    """Draws heads and folios onto pages of one PDF, through one font dictionary per face used."""

    def __init__(self, pdf: pikepdf.Pdf, furniture: Furniture) -> None:
        self.pdf = pdf
        self.furniture = furniture
        self.used: dict[fonts.Face, tuple[dict[int, float], dict[int, str]]] = {}
        self.fonts: dict[fonts.Face, pikepdf.Object] = {}

    def draw(self, page: pikepdf.Page, number: int, head: str | None) -> None:
        """`number` is the 1-based page number (odd = right page); `head` None leaves it out."""
        side = self.furniture.right if number % 2 else self.furniture.left
        ops: list[str] = []
        names: dict[fonts.Face, str] = {}
        for kind, text in (("head", head), ("folio", str(number))):
            if not text:
                continue
            ops.append(self._text(side[kind], text, names))
        if not ops:
            return
        resources = page.obj.get("/Resources")
        if resources is None:
            resources = page.obj.Resources = pikepdf.Dictionary()
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        for face, name in names.items():
            resources.Font[name] = self._font(face)
        page.contents_add(self.pdf.make_stream(b"q"), prepend=True)
        page.contents_add(self.pdf.make_stream(("Q\n" + "\n".join(ops) + "\n").encode()))

    def _text(self, slot: Slot, text: str, names: dict[fonts.Face, str]) -> str:
        """The operators that draw `text` in `slot`: one line, cut with an ellipsis when too long;
        characters the slot's face lacks in the fallback face that has them (as the layout does)."""
        glyphs = shape_runs(slot.face, " ".join(text.split()))
        width = sum(advance * slot.size / _hb_font(face)[1] for face, _, advance, _ in glyphs)
        if width > slot.limit:
            ellipsis = shape_runs(slot.face, "…")
            room = slot.limit - sum(a * slot.size / _hb_font(f)[1] for f, _, a, _ in ellipsis)
            kept: list[tuple[fonts.Face, int, int, str]] = []
            total = 0.0
            for glyph in glyphs:
                total += glyph[2] * slot.size / _hb_font(glyph[0])[1]
                if total > room:
                    break
                kept.append(glyph)
            glyphs = kept + ellipsis
            width = sum(advance * slot.size / _hb_font(face)[1] for face, _, advance, _ in glyphs)
        ops: list[str] = []
        current: fonts.Face | None = None
        parts: list[str] = []
        hex_run = ""

        def flush() -> None:
            nonlocal hex_run
            if hex_run:
                parts.append(f"<{hex_run}>")
                hex_run = ""
            if parts:
                ops.append(f"[{' '.join(parts)}] TJ")
                parts.clear()

        for face, gid, advance, chars in glyphs:
            if face is not current:
                flush()
                name = names.setdefault(face, f"{FONT_NAME}{fonts.FACES.index(face)}")
                ops.append(f"{name} {slot.size:.4g} Tf")
                current = face
            font, upem = _hb_font(face)
            widths, unicode_map = self.used.setdefault(face, ({}, {}))
            units = advance * 1000 / upem
            widths.setdefault(gid, font.get_glyph_h_advance(gid) * 1000 / upem)  # the glyph's own width
            if chars:
                unicode_map.setdefault(gid, chars)
            hex_run += f"{gid:04x}"
            if abs(widths[gid] - units) > 0.01:  # the glyph's advance differs from its width (kerning)
                parts.append(f"<{hex_run}> {widths[gid] - units:.3f}")
                hex_run = ""
        flush()
        x = slot.x - width if slot.align == "right" else slot.x
        return f"q {slot.color} BT 1 0 0 1 {x:.3f} {slot.baseline:.3f} Tm {' '.join(ops)} ET Q"

    def _font(self, face: fonts.Face) -> pikepdf.Object:
        if face not in self.fonts:
            self.fonts[face] = self.pdf.make_indirect(pikepdf.Dictionary())
        return self.fonts[face]

    def finish(self) -> None:
        """Fill in the font dictionaries (after every page is drawn: widths and Unicode of all glyphs
        used). Their programs are empty: `assemble.merge_fonts` cuts the one program per face."""
        for face, ref in self.fonts.items():
            widths, unicode_map = self.used[face]
            font, upem = _hb_font(face)
            extents = font.get_font_extents("ltr")
            scale = 1000 / upem
            descriptor = self.pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name(_base_name(face)), Flags=4,
                FontBBox=pikepdf.Array([0, round(extents.descender * scale), 1000,
                                        round(extents.ascender * scale)]),
                ItalicAngle=0, Ascent=round(extents.ascender * scale), Descent=round(extents.descender * scale),
                CapHeight=round(extents.ascender * scale), StemV=80,
                FontFile3=self.pdf.make_indirect(pikepdf.Stream(self.pdf, b"", Subtype=pikepdf.Name.OpenType)),
            ))
            from .pdffonts import pdf_widths, to_unicode_stream

            cid_font = self.pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType0, BaseFont=pikepdf.Name(_base_name(face)),
                CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"),
                                                 Ordering=pikepdf.String("Identity"), Supplement=0),
                CIDToGIDMap=pikepdf.Name.Identity, W=pdf_widths(widths), FontDescriptor=descriptor,
            ))
            encoded = {gid: text.encode("utf-16-be").hex().encode() for gid, text in unicode_map.items()}
            ref.Type = pikepdf.Name.Font
            ref.Subtype = pikepdf.Name.Type0
            ref.BaseFont = pikepdf.Name(_base_name(face))
            ref.Encoding = pikepdf.Name("/Identity-H")
            ref.DescendantFonts = pikepdf.Array([cid_font])
            ref.ToUnicode = self.pdf.make_indirect(to_unicode_stream(self.pdf, encoded))


def _base_name(face: fonts.Face) -> str:
    return "/JEBONF+" + face.ps_name
