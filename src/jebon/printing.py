"""Print settings: trim sizes, bleed, and the print-on-demand profiles, in one documented table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .config import PdfConfig
from .errors import Problem, UsageError

MM_PER_IN = 25.4

# Named trim sizes (width × height in mm).
TRIMS: dict[str, tuple[float, float]] = {
    "46": (128.0, 188.0),          # 46판 (사륙판)
    "sinkukpan": (152.0, 225.0),   # 신국판
    "a5": (148.0, 210.0),          # 국판 / A5
    "b5": (182.0, 257.0),
    "6x9in": (152.4, 228.6),       # US trade
}

VARIANTS = ("pdf/x-4", "pdf/x-1a", "pdf/a-2b", "pdf/ua-1")

# Margins as shares of the trim: head and foot of the height, gutter (binding side) and outer edge of
# the width (docs/printing.md). The PDF's page rules and the line-breaking pass both read them.
MARGIN_TOP, MARGIN_BOTTOM = 0.095, 0.115
MARGIN_INNER, MARGIN_OUTER = 0.145, 0.11
FURNITURE_ROOM_MM = 8.5
"""How far the running head and the folio reach from the text block into the head and foot margins
(their 4 mm padding and their line): a profile's clear zone is kept beyond them."""
COLORS = ("rgb", "cmyk")


@dataclass(frozen=True)
class Profile:
    """What one print-on-demand service asks of an interior PDF (see docs/printing.md)."""

    name: str
    bleed: str
    marks: bool
    bookmarks: bool
    variant: str | None
    color: str
    signature: int
    """The page count must be a multiple of this."""
    min_dpi: int
    trims: dict[str, tuple[float, float]]
    """The service's own measure of a named trim, where it differs from ours."""
    note: str
    spine_bleed: bool = True
    """False: bleed on the top, bottom and outer edge only, none on the spine (binding) edge."""
    min_margin_mm: float = 0.0
    """Everything printed (text, running heads, folios, images) stays this far inside the trim."""


# One table for every service; the numbers come from the services' public help pages.
PROFILES: dict[str, Profile] = {
    "kdp": Profile("kdp", bleed="0", marks=False, bookmarks=False, variant=None, color="rgb", signature=2,
                   min_dpi=300, trims={},
                   note="Amazon KDP: no crop marks, no bookmarks; bleed 0.125 in only when something bleeds "
                        "(jebon interiors never bleed), fonts embedded, images ≥ 300 dpi."),
    "lulu": Profile("lulu", bleed="0.125in", marks=False, bookmarks=True, variant=None, color="rgb", signature=2,
                    min_dpi=300, trims={},
                    note="Lulu: 0.125 in (3.18 mm) bleed on each side, no marks, fonts embedded, sRGB."),
    "ingramspark": Profile("ingramspark", bleed="0.125in", marks=False, bookmarks=False, variant="pdf/x-1a",
                           color="cmyk", signature=2, min_dpi=300, trims={}, spine_bleed=False,
                           min_margin_mm=0.5 * MM_PER_IN,
                           note="IngramSpark: PDF/X-1a:2001 with a CMYK output intent, 0.125 in bleed on the top, "
                                "bottom and outer edge (none on the spine edge), no marks, TrimBox set, even page "
                                "count, everything at least 0.5 in inside the trim."),
    "bookk": Profile("bookk", bleed="0", marks=False, bookmarks=True, variant=None, color="rgb", signature=2,
                     min_dpi=300, trims={"46": (127.0, 188.0)},
                     note="부크크 (Bookk): PDF at the trim size, no marks; its 46판 is 127×188 mm."),
}

_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|in|cm|pt)?\s*$")
_TRIM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(mm|in|cm)\s*$", re.IGNORECASE)
_FACTOR = {"mm": 1.0, "cm": 10.0, "in": MM_PER_IN, "pt": MM_PER_IN / 72}


def length_mm(text: str) -> float | None:
    """`3mm`, `0.125in`, `0` → millimetres; None if not a length."""
    m = _LENGTH.match(text)
    if not m:
        return None
    value = float(m.group(1))
    if m.group(2) is None and value != 0:
        return None
    return value * _FACTOR[m.group(2) or "mm"]


def trim_mm(text: str, profile: Profile | None = None) -> tuple[float, float] | None:
    """A named trim (`46`, `a5`, …) or `WIDTHxHEIGHT` with a unit (`130x200mm`, `5.5x8.5in`)."""
    key = text.strip().lower()
    if profile is not None and key in profile.trims:
        return profile.trims[key]
    if key in TRIMS:
        return TRIMS[key]
    m = _TRIM.match(text)
    if not m:
        return None
    factor = _FACTOR[m.group(3).lower()]
    width, height = float(m.group(1)) * factor, float(m.group(2)) * factor
    if not (50 <= width <= 500 and 50 <= height <= 700):
        return None
    return width, height


@dataclass(frozen=True)
class PrintOptions:
    """The resolved print settings of one build (book.toml `[pdf]`, then the profile, then CLI flags)."""

    trim: str = "46"
    width_mm: float = 128.0
    height_mm: float = 188.0
    bleed_mm: float = 0.0
    marks: bool = False
    variant: str | None = None
    bookmarks: bool = True
    color: str = "rgb"
    profile: str | None = None
    toc_depth: int = 2
    font_size_pt: float = 10.0
    spine_bleed: bool = True
    """False: no bleed on the spine edge (the left edge of a recto, the right edge of a verso)."""

    @property
    def margins_mm(self) -> tuple[float, float, float, float]:
        """(head, foot, gutter, outer): the shares of the trim, widened where the profile keeps a
        clear zone inside the trim that running heads, folios or text would enter."""
        top, bottom = self.height_mm * MARGIN_TOP, self.height_mm * MARGIN_BOTTOM
        inner, outer = self.width_mm * MARGIN_INNER, self.width_mm * MARGIN_OUTER
        clear = self.min_margin_mm
        if clear:
            top, bottom = max(top, clear + FURNITURE_ROOM_MM), max(bottom, clear + FURNITURE_ROOM_MM)
            inner, outer = max(inner, clear), max(outer, clear)
        return top, bottom, inner, outer

    @property
    def text_width_mm(self) -> float:
        _, _, inner, outer = self.margins_mm
        return self.width_mm - inner - outer

    @property
    def line_em(self) -> float:
        """How many ems of body text fit on a line of the text block."""
        return self.text_width_mm / (self.font_size_pt * MM_PER_IN / 72)

    @property
    def signature(self) -> int:
        return PROFILES[self.profile].signature if self.profile else 2

    @property
    def min_dpi(self) -> int:
        return PROFILES[self.profile].min_dpi if self.profile else 150

    @property
    def min_margin_mm(self) -> float:
        return PROFILES[self.profile].min_margin_mm if self.profile else 0.0



def resolve(pdf: PdfConfig, epub_toc_depth: int, **cli: object) -> PrintOptions:
    """Defaults ← profile ← book.toml [pdf] ← command-line flags. Raise UsageError on bad flags
    (book.toml's values were checked when it was loaded)."""
    problems: list[str] = []
    profile_name = _pick(cli.get("profile"), pdf.profile)
    profile = None
    if profile_name is not None:
        profile = PROFILES.get(str(profile_name))
        if profile is None:
            problems.append(f"--profile {profile_name!r}: choose " + ", ".join(PROFILES))
    trim = str(_pick(cli.get("trim"), pdf.trim, "46"))
    size = trim_mm(trim, profile)
    if size is None:
        problems.append(f"--trim {trim!r}: use 46, sinkukpan, a5, b5, 6x9in or WIDTHxHEIGHT with mm/in")
        size = TRIMS["46"]
    bleed = str(_pick(cli.get("bleed"), pdf.bleed, profile.bleed if profile else None, "0"))
    bleed_mm = length_mm(bleed)
    if bleed_mm is None or bleed_mm > 10:
        problems.append(f"--bleed {bleed!r}: give a length up to 10 mm, e.g. 3mm or 0.125in")
        bleed_mm = 0.0
    variant = _pick(cli.get("variant"), pdf.variant, profile.variant if profile else None)
    if variant == "none":
        variant = None
    if variant is not None and variant not in VARIANTS:
        problems.append(f"--variant {variant!r}: choose " + ", ".join((*VARIANTS, "none")))
        variant = None
    color = str(_pick(cli.get("color"), pdf.color, profile.color if profile else None, "rgb"))
    if color not in COLORS:
        problems.append(f"--color {color!r}: choose rgb or cmyk")
        color = "rgb"
    if variant is not None and str(variant).startswith("pdf/x"):
        color = "cmyk"  # PDF/X here means a CMYK print file with a CMYK output intent
    if problems:
        raise UsageError([Problem(p) for p in problems])
    return PrintOptions(
        trim=trim, width_mm=size[0], height_mm=size[1], bleed_mm=round(bleed_mm, 3),
        marks=bool(_pick(cli.get("marks"), pdf.marks, profile.marks if profile else None, False)),
        variant=str(variant) if variant else None,
        bookmarks=bool(_pick(cli.get("bookmarks"), pdf.bookmarks, profile.bookmarks if profile else None, True)),
        color=color, profile=profile.name if profile else None,
        toc_depth=int(_pick(pdf.toc_depth, epub_toc_depth)),  # type: ignore[call-overload]
        font_size_pt=float(_pick(pdf.font_size, 10.0)),  # type: ignore[arg-type]
        spine_bleed=profile.spine_bleed if profile else True,
    )


def _pick(*values: object) -> object:
    """The first value that is set (not None)."""
    return next((v for v in values if v is not None), None)


# ---------------------------------------------------------------------------------------------
# Full-wrap paperback covers (docs/printing.md, "Covers": every figure there with its source)

IN = MM_PER_IN  # 1 in in mm, to write the services' inch figures as they publish them


@dataclass(frozen=True)
class CoverSpec:
    """What one print-on-demand service asks of a perfect-bound full-wrap cover."""

    bleed_mm: float
    """Bleed on each of the four outer edges of the wrap."""
    papers: dict[str, float]
    """Interior paper → thickness per page (mm); the spine is pages × this (+ `spine_extra_mm`)."""
    safety_mm: float
    """Text and other important elements stay this far inside the trim."""
    spine_margin_mm: float
    """Clear space between spine text and each spine fold (binding variance)."""
    spine_text_min_pages: int | None
    """The service's own rule: no spine text below this page count (None: no published rule)."""
    min_pages: int | None
    """Fewest interior pages the service binds as a paperback (None: unknown)."""
    barcode_mm: tuple[float, float]
    """(width, height) kept clear on the back panel for the ISBN barcode."""
    barcode_offset_mm: float
    """The barcode area's distance from the spine fold and from the bottom trim."""
    spine_extra_mm: float = 0.0
    """Added to the page thickness (Lulu's formula adds 0.06 in)."""


MIN_SPINE_TEXT_MM = 2.5
"""Whatever a service allows, jebon sets spine text only when the spine less its two margins leaves
at least this much (text about 6 pt high); below that a spine is left plain."""

COVERS: dict[str, CoverSpec] = {
    # KDP "Paperback cover" help: white 0.002252 in/page, cream 0.0025, premium colour 0.002347; 0.125 in
    # bleed; spine text only for more than 79 pages, 0.0625 in clear of each fold; barcode 2 × 1.2 in.
    "kdp": CoverSpec(bleed_mm=0.125 * IN, papers={"white": 0.002252 * IN, "cream": 0.0025 * IN,
                                                    "color": 0.002347 * IN},
                     safety_mm=0.125 * IN, spine_margin_mm=0.0625 * IN, spine_text_min_pages=80, min_pages=24,
                     barcode_mm=(2 * IN, 1.2 * IN), barcode_offset_mm=0.25 * IN),
    # Lulu "How is spine width calculated": perfect bound = pages / 444 + 0.06 in, whatever the paper.
    "lulu": CoverSpec(bleed_mm=0.125 * IN, papers={"white": IN / 444, "cream": IN / 444}, spine_extra_mm=0.06 * IN,
                      safety_mm=0.5 * IN, spine_margin_mm=0.0625 * IN, spine_text_min_pages=80, min_pages=32,
                      barcode_mm=(2 * IN, 1.2 * IN), barcode_offset_mm=0.25 * IN),
    # IngramSpark publishes a template generator, not a formula: these are KDP's figures, which secondary
    # sources give for Ingram's 50 lb white and crème too (check the generated template; --spine overrides).
    "ingramspark": CoverSpec(bleed_mm=0.125 * IN, papers={"white": 0.002252 * IN, "cream": 0.0025 * IN},
                             safety_mm=0.25 * IN, spine_margin_mm=0.0625 * IN, spine_text_min_pages=None,
                             min_pages=18, barcode_mm=(2 * IN, 1.2 * IN), barcode_offset_mm=0.25 * IN),
    # 부크크 publishes no per-page figure that we found: 80 g/m² 모조지 (about 95 µm a leaf), the usual
    # Korean 3 mm bleed; compare with the template Bookk gives for your page count.
    "bookk": CoverSpec(bleed_mm=3.0, papers={"white": 0.0475, "cream": 0.0475}, safety_mm=5.0,
                       spine_margin_mm=1.5, spine_text_min_pages=None, min_pages=None,
                       barcode_mm=(2 * IN, 1.2 * IN), barcode_offset_mm=0.25 * IN),
}


@dataclass(frozen=True)
class CoverGeometry:
    """The measures of one full-wrap cover, in mm: bleed | back | spine | front | bleed."""

    profile: str
    paper: str
    pages: int
    trim_width: float
    trim_height: float
    bleed: float
    spine: float
    spine_text: bool
    """Whether the spine carries title and author (the service's rule and legibility both allow it)."""

    @property
    def width(self) -> float:
        return 2 * self.bleed + 2 * self.trim_width + self.spine

    @property
    def height(self) -> float:
        return 2 * self.bleed + self.trim_height

    @property
    def spine_left(self) -> float:
        """x of the spine's left fold (the back panel's right edge), from the media's left edge."""
        return self.bleed + self.trim_width

    @property
    def spine_right(self) -> float:
        return self.spine_left + self.spine

    @property
    def spec(self) -> CoverSpec:
        return COVERS[self.profile]

    def as_dict(self) -> dict[str, object]:
        return {"profile": self.profile, "paper": self.paper, "pages": self.pages,
                "trim_mm": [round(self.trim_width, 3), round(self.trim_height, 3)],
                "bleed_mm": round(self.bleed, 3), "spine_mm": round(self.spine, 3),
                "size_mm": [round(self.width, 3), round(self.height, 3)],
                "size_in": [round(self.width / IN, 4), round(self.height / IN, 4)],
                "spine_text": self.spine_text}


def spine_mm(profile: str, paper: str, pages: int) -> float:
    """Spine width from the interior's page count and the service's published paper thickness."""
    spec = COVERS[profile]
    return pages * spec.papers[paper] + spec.spine_extra_mm


def cover_geometry(profile: str, paper: str, pages: int, trim_width: float, trim_height: float,
                   spine: float | None = None) -> CoverGeometry:
    """The wrap for `pages` interior pages; `spine` (mm) overrides the computed spine width. Raise
    UsageError for an unknown profile or paper, or a page count below 1."""
    spec = COVERS.get(profile)
    if spec is None:
        raise UsageError(f"--profile {profile!r}: choose " + ", ".join(COVERS))
    if paper not in spec.papers:
        raise UsageError(f"--paper {paper!r}: {profile} offers " + ", ".join(spec.papers))
    if pages < 1:
        raise UsageError(f"--pages {pages}: give the interior's page count (1 or more)")
    width = spine_mm(profile, paper, pages) if spine is None else spine
    allowed = spec.spine_text_min_pages is None or pages >= spec.spine_text_min_pages
    legible = width - 2 * spec.spine_margin_mm >= MIN_SPINE_TEXT_MM
    return CoverGeometry(profile, paper, pages, trim_width, trim_height, spec.bleed_mm, width, allowed and legible)
