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
                           color="cmyk", signature=2, min_dpi=300, trims={},
                           note="IngramSpark: PDF/X-1a:2001 with a CMYK output intent, 0.125 in bleed, no "
                                "marks, TrimBox set, even page count."),
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

    @property
    def text_width_mm(self) -> float:
        return self.width_mm * (1 - MARGIN_INNER - MARGIN_OUTER)

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
    )


def _pick(*values: object) -> object:
    """The first value that is set (not None)."""
    return next((v for v in values if v is not None), None)
