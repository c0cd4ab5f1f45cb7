"""Build the bundled Jebon Serif/Sans KR fonts (Korean subsets of Noto CJK KR) plus OFL.txt and README.md."""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uharfbuzz as hb  # type: ignore[import-untyped,unused-ignore]
from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped,unused-ignore]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC_DIR = Path("/usr/share/fonts/opentype/noto")
DEFAULT_OUT_DIR = REPO_ROOT / "fonts"
DEFAULT_LICENSE_SRC = Path("/usr/share/doc/fonts-noto-cjk/copyright")
DEBIAN_PACKAGE = "fonts-noto-cjk"
EXPECTED_KSX1001_HANJA = 4888

# Unicode blocks kept whole (intersected with what the source face actually maps).
RANGES: tuple[tuple[str, int, int], ...] = (
    ("Basic Latin", 0x0020, 0x007E),
    ("Latin-1 Supplement", 0x00A0, 0x00FF),
    ("Latin Extended-A", 0x0100, 0x017F),
    ("Hangul Jamo", 0x1100, 0x11FF),
    ("General Punctuation", 0x2000, 0x206F),
    ("Currency Symbols", 0x20A0, 0x20CF),
    ("Letterlike Symbols", 0x2100, 0x214F),
    ("Number Forms", 0x2150, 0x218F),
    ("Arrows", 0x2190, 0x21FF),
    ("Mathematical Operators", 0x2200, 0x22FF),
    ("Enclosed Alphanumerics", 0x2460, 0x24FF),
    ("Geometric Shapes", 0x25A0, 0x25FF),
    ("Miscellaneous Symbols", 0x2600, 0x26FF),
    ("CJK Symbols and Punctuation", 0x3000, 0x303F),
    ("Hangul Compatibility Jamo", 0x3130, 0x318F),
    ("Enclosed CJK Letters and Months", 0x3200, 0x32FF),
    ("CJK Compatibility", 0x3300, 0x33FF),
    ("Hangul Jamo Extended-A", 0xA960, 0xA97F),
    ("Hangul Syllables", 0xAC00, 0xD7A3),
    ("Hangul Jamo Extended-B", 0xD7B0, 0xD7FF),
    ("Halfwidth and Fullwidth Forms", 0xFF00, 0xFFEF),
)

# Shaping checks: each must shape identically (mapped glyph ids, clusters, positions) with the subset and
# with the original face, and without .notdef.
SHAPE_TESTS: tuple[str, ...] = (
    "ᄭᅩᆺ",
    "진달내ᄭᅩᆺ",
    "ᄒᆞᆫ글 ᄀᆞᄅᆞᆷ ᄫᅵ ᅀᅵ ᄠᅢ",
    "ꥹᅡ ᄀힰ ᄀᆢퟋ",
    "寧邊 六疊房 ①②③ ｢｣ 「」 “ ” 12℃ 30% ₩5,000 ……",
    "“한국어” ‘작은따옴표’ 『책』 《잡지》 〈글〉 【알림】 、。 ㉠ ㈜ ㎏ ㎞ ㎡ № Ⅰ Ⅱ ■□▲△○●◎★☆※ € £ ¥ $",
    "Café naïve Œuvre Ōsaka Đà — fi ffi",
)
OLD_HANGUL_TESTS: tuple[str, ...] = ("ᄭᅩᆺ", "ᄒᆞᆫ", "ᄫᅵ", "ꥹᅡ")
VERTICAL_TESTS: tuple[str, ...] = ("「한국」『잡지』、。…", "〈글〉《책》（괄호）—")


@dataclass(frozen=True)
class FaceSpec:
    """One output font and the source face it is cut from."""

    out_file: str
    src_file: str
    src_family: str
    family: str
    style: str
    weight: int

    @property
    def ps_name(self) -> str:
        return f"{self.family.replace(' ', '')}-{self.style}"

    @property
    def full_name(self) -> str:
        return self.family if self.style == "Regular" else f"{self.family} {self.style}"


def _face(family: str, style: str, weight: int) -> FaceSpec:
    kind = family.split()[1]  # "Serif" or "Sans"
    return FaceSpec(
        out_file=f"Jebon{kind}KR-{style}.otf",
        src_file=f"Noto{kind}CJK-{style}.ttc",
        src_family=f"Noto {kind} CJK KR",
        family=family,
        style=style,
        weight=weight,
    )


FACES: tuple[FaceSpec, ...] = (
    _face("Jebon Serif KR", "Regular", 400),
    _face("Jebon Serif KR", "Bold", 700),
    _face("Jebon Sans KR", "Regular", 400),
    _face("Jebon Sans KR", "Bold", 700),
)


@dataclass(frozen=True)
class ExtraSpec:
    """A bundled face taken whole from another OFL font: the monospaced face (renamed, since its
    family name is a Reserved Font Name) and the fallback faces for symbols and emoji (as they are)."""

    out_file: str
    src: str
    """The source file, relative to its folder (`--extra-dir` for Debian's files, `--emoji-dir` for the npm package)."""
    origin: str
    """Where the source comes from, for fonts/README.md."""
    role: str
    """`mono` or `fallback`."""
    family: str
    style: str
    weight: int
    rename: bool = False
    """Give it the jebon family name (the source's name is reserved, or the font is changed)."""

    @property
    def ps_name(self) -> str:
        return f"{self.family.replace(' ', '')}-{self.style}"

    @property
    def full_name(self) -> str:
        return self.family if self.style == "Regular" else f"{self.family} {self.style}"


NANUM = "Debian `fonts-nanum-coding`"
NOTO_CORE = "Debian `fonts-noto-core`"
NOTO_EMOJI = "npm `@expo-google-fonts/noto-emoji` 0.4.7 (Google Fonts' static instances of Noto Emoji)"
EXTRA_FACES: tuple[ExtraSpec, ...] = (
    ExtraSpec("JebonMonoKR-Regular.ttf", "nanum/NanumGothicCoding.ttf", NANUM, "mono", "Jebon Mono KR",
              "Regular", 400, rename=True),
    ExtraSpec("JebonMonoKR-Bold.ttf", "nanum/NanumGothicCodingBold.ttf", NANUM, "mono", "Jebon Mono KR",
              "Bold", 700, rename=True),
    ExtraSpec("NotoSansMath-Regular.ttf", "noto/NotoSansMath-Regular.ttf", NOTO_CORE, "fallback",
              "Noto Sans Math", "Regular", 400),
    ExtraSpec("NotoSansSymbols2-Regular.ttf", "noto/NotoSansSymbols2-Regular.ttf", NOTO_CORE, "fallback",
              "Noto Sans Symbols2", "Regular", 400),
    ExtraSpec("NotoEmoji-Regular.ttf", "400Regular/NotoEmoji_400Regular.ttf", NOTO_EMOJI, "fallback",
              "Noto Emoji", "Regular", 400),
    ExtraSpec("NotoEmoji-Bold.ttf", "700Bold/NotoEmoji_700Bold.ttf", NOTO_EMOJI, "fallback",
              "Noto Emoji", "Bold", 700),
)
DEFAULT_EXTRA_DIR = Path("/usr/share/fonts/truetype")


@dataclass
class ExtraResult:
    spec: ExtraSpec
    src_path: Path
    data: bytes
    glyph_count: int
    codepoints: frozenset[int]
    copyright: str
    licence_url: str
    source_name: str
    """The source's PostScript name (name ID 6)."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def build_extra(spec: ExtraSpec, src_path: Path) -> ExtraResult:
    """The face as it is, or renamed (names only: glyphs, metrics and tables are the source's)."""
    raw = src_path.read_bytes()
    data = raw
    source = TTFont(io.BytesIO(raw), lazy=True)
    source_name = str(source["name"].getName(6, 3, 1, 0x409))
    source.close()
    if spec.rename:
        font = TTFont(io.BytesIO(raw), recalcTimestamp=False)
        name = font["name"]
        source_family = str(name.getName(1, 3, 1, 0x409))
        name.names = [rec for rec in name.names if (rec.platformID, rec.platEncID, rec.langID) == (3, 1, 0x409)]
        for required_id in (0, 13, 14):
            if name.getName(required_id, 3, 1, 0x409) is None:
                raise SystemExit(f"{spec.out_file}: source lacks name ID {required_id}")
        set_name(name, 1, spec.family)
        set_name(name, 2, spec.style)
        set_name(name, 3, f"{spec.ps_name};jebon")
        set_name(name, 4, spec.full_name)
        set_name(name, 6, spec.ps_name)
        for dropped in (16, 17, 21, 22):
            name.removeNames(nameID=dropped)
        set_name(name, 10, f"{spec.full_name} is {source_family} {spec.style}, renamed for the jebon project "
                           "(its family name is a Reserved Font Name); glyphs, metrics and hinting unchanged. "
                           "Modified Version under the SIL Open Font License 1.1.")
        name.names.sort(key=lambda rec: (rec.platformID, rec.platEncID, rec.langID, rec.nameID))
        out = io.BytesIO()
        font.save(out, reorderTables=True)
        data = out.getvalue()
    font = TTFont(io.BytesIO(data))
    font.ensureDecompiled()
    name = font["name"]
    if spec.rename and str(name.getName(1, 3, 1, 0x409)) != spec.family:
        raise SystemExit(f"{spec.out_file}: name ID 1 is not {spec.family!r}")
    if font["OS/2"].usWeightClass != spec.weight:
        raise SystemExit(f"{spec.out_file}: usWeightClass is {font['OS/2'].usWeightClass}, expected {spec.weight}")
    result = ExtraResult(spec=spec, src_path=src_path, data=data, glyph_count=int(font["maxp"].numGlyphs),
                         codepoints=frozenset(font.getBestCmap()), copyright=str(name.getName(0, 3, 1, 0x409)),
                         licence_url=str(name.getName(14, 3, 1, 0x409) or ""), source_name=source_name)
    font.close()
    return result


@dataclass
class BuildResult:
    """Facts about one built font, for the summary and README."""

    spec: FaceSpec
    src_path: Path
    face_index: int
    src_version: str
    data: bytes
    glyph_count: int
    codepoints: frozenset[int]
    missing: frozenset[int]
    copyright: str
    trademark: str
    gsub_features: list[str] = field(default_factory=list)
    gpos_features: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Character repertoire
# ---------------------------------------------------------------------------------------------------------


def ksx1001_repertoire() -> set[int]:
    """Every character of KS X 1001, found by decoding each EUC-KR double-byte sequence."""
    chars: set[int] = set()
    for lead in range(0xA1, 0xFF):
        for trail in range(0xA1, 0xFF):
            try:
                text = bytes((lead, trail)).decode("euc_kr")
            except UnicodeDecodeError:
                continue
            chars.update(ord(ch) for ch in text)
    return chars


def is_hanja(cp: int) -> bool:
    """True for CJK Unified Ideographs (incl. Extension A) and CJK Compatibility Ideographs."""
    return 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF


def ksx1001_hanja() -> set[int]:
    """The Hanja of KS X 1001 (4,888 code points, including the compatibility-ideograph duplicates)."""
    hanja = {cp for cp in ksx1001_repertoire() if is_hanja(cp)}
    if len(hanja) != EXPECTED_KSX1001_HANJA:
        raise SystemExit(f"expected {EXPECTED_KSX1001_HANJA} KS X 1001 Hanja, the euc_kr codec gave {len(hanja)}")
    return hanja


def required_codepoints() -> set[int]:
    """The wanted repertoire before intersecting with the source font."""
    wanted: set[int] = set()
    for _name, start, end in RANGES:
        wanted.update(range(start, end + 1))
    wanted |= ksx1001_repertoire()
    return wanted


# ---------------------------------------------------------------------------------------------------------
# Subsetting
# ---------------------------------------------------------------------------------------------------------


def find_face_index(ttc_path: Path, family: str) -> int:
    """Index of the face in a .ttc whose (Windows, English) family name is exactly `family`."""
    collection = TTCollection(str(ttc_path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getName(1, 3, 1, 0x409) is not None and str(font["name"].getName(1, 3, 1, 0x409)) == family:
                return index
    finally:
        collection.close()
    raise SystemExit(f"no face with family {family!r} in {ttc_path}")


def all_tags(tag_set: Any) -> None:
    """Make an hb subset tag set mean 'everything'."""
    tag_set.clear()
    tag_set.invert()


def plan_subset(face: Any, codepoints: Iterable[int], keep_hints: bool) -> Any:
    """An hb subset plan that keeps `codepoints`, every layout feature/script and every name record."""
    subset_input = hb.SubsetInput()
    subset_input.unicode_set.update(sorted(codepoints))
    all_tags(subset_input.layout_feature_tag_set)
    all_tags(subset_input.layout_script_tag_set)
    all_tags(subset_input.name_id_set)
    flags = hb.SubsetFlags.NOTDEF_OUTLINE
    if not keep_hints:
        flags |= hb.SubsetFlags.NO_HINTING
    subset_input.flags = flags
    return hb.SubsetPlan(face, subset_input)


def hb_map(mapping: Any) -> dict[int, int]:
    """Copy an hb Map into a plain dict."""
    return {int(key): int(value) for key, value in mapping.items()}


def set_name(name_table: Any, name_id: int, text: str) -> None:
    name_table.setName(text, name_id, 3, 1, 0x409)


def rename(data: bytes, spec: FaceSpec, src_version: str, keep_hints: bool) -> bytes:
    """Give the subset its own family name (OFL Modified Version) while keeping copyright and licence text."""
    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=True)
    name = font["name"]
    original_description = str(name.getName(10, 3, 1, 0x409) or "")
    original_version = str(name.getName(5, 3, 1, 0x409))
    # Drop every record except Windows/English (the rest are localized "Noto ..." names).
    name.names = [rec for rec in name.names if (rec.platformID, rec.platEncID, rec.langID) == (3, 1, 0x409)]
    for required_id in (0, 13, 14):
        if name.getName(required_id, 3, 1, 0x409) is None:
            raise SystemExit(f"{spec.out_file}: source lacks name ID {required_id}")
    set_name(name, 1, spec.family)
    set_name(name, 2, spec.style)
    set_name(name, 3, f"{src_version};JEBN;{spec.ps_name}")
    set_name(name, 4, spec.full_name)
    set_name(name, 5, f"{original_version};subset of {spec.src_family} {spec.style} by jebon")
    set_name(name, 6, spec.ps_name)
    hinting = "CFF hinting kept" if keep_hints else "CFF hinting removed"
    note = (
        f"{spec.family} {spec.style} is a subset of {spec.src_family} {spec.style} version {src_version} "
        "(Noto CJK / Source Han, Adobe and Google), cut for the jebon project: Latin, Korean Hangul "
        "(modern syllables and old-Hangul jamo), the KS X 1001 repertoire including its 4,888 Hanja, and "
        f"common punctuation and symbols; all OpenType layout features kept; {hinting}. "
        "Renamed Modified Version under the SIL Open Font License 1.1."
    )
    if original_description:
        note += f" Original credits: {original_description}"
    set_name(name, 10, note)
    name.names.sort(key=lambda rec: (rec.platformID, rec.platEncID, rec.langID, rec.nameID))

    os2 = font["OS/2"]
    head = font["head"]
    os2.usWeightClass = spec.weight
    if spec.style == "Bold":
        os2.fsSelection = (os2.fsSelection | 0x20) & ~0x41
        head.macStyle = (head.macStyle | 0x01) & ~0x02
    else:
        os2.fsSelection = (os2.fsSelection | 0x40) & ~0x21
        head.macStyle = head.macStyle & ~0x03

    cff = font["CFF "].cff
    old_ps = cff.fontNames[0]
    cff.fontNames = [spec.ps_name]
    top = cff.topDictIndex[0]
    cids_equal_gids(font)
    top.FullName = spec.full_name
    top.FamilyName = spec.family
    top.Weight = spec.style
    if hasattr(top, "FDArray"):
        for fd in top.FDArray:
            fd_name = str(getattr(fd, "FontName", ""))
            if fd_name.startswith(old_ps):
                fd.FontName = spec.ps_name + fd_name[len(old_ps) :]

    out = io.BytesIO()
    font.save(out, reorderTables=True)
    font.close()
    return out.getvalue()


def cids_equal_gids(font: Any) -> None:
    """Renumber a CID-keyed CFF so that every glyph's CID is its glyph id.

    The subsetter renumbers glyph ids but keeps each glyph's original CID. A PDF (and WeasyPrint)
    addresses the glyphs of a CIDFontType0 font by CID, with the glyph ids as codes: readers that
    follow the PDF specification (MuPDF, Ghostscript, Acrobat, print RIPs) then draw the glyph whose
    CID happens to be that number. Only the CFF table changes: the other tables index glyphs by id."""
    top = font["CFF "].cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return
    order = font.getGlyphOrder()
    names = [".notdef"] + [f"cid{gid:05d}" for gid in range(1, len(order))]
    rename_map = dict(zip(order, names, strict=True))
    strings = top.CharStrings
    strings.charStrings = {rename_map[name]: index for name, index in strings.charStrings.items()}
    top.charset = names
    font.setGlyphOrder(names)


def cid_mismatches(data: bytes) -> int:
    """How many glyphs of a CID-keyed CFF font have a CID other than their glyph id (0 for other fonts)."""
    font = TTFont(io.BytesIO(data))
    if "CFF " not in font or not hasattr(font["CFF "].cff.topDictIndex[0], "ROS"):
        return 0
    order = font["CFF "].cff.topDictIndex[0].charset
    return sum(1 for gid, name in enumerate(order) if gid and name != f"cid{gid:05d}")


def layout_tags(font: Any, table: str) -> tuple[list[str], list[str]]:
    """Feature tags and script tags of a GSUB/GPOS table."""
    if table not in font:
        return [], []
    tbl = font[table].table
    features = sorted({rec.FeatureTag for rec in tbl.FeatureList.FeatureRecord})
    scripts = sorted({rec.ScriptTag for rec in tbl.ScriptList.ScriptRecord})
    return features, scripts


def build_face(spec: FaceSpec, src_dir: Path, wanted: set[int], keep_hints: bool) -> BuildResult:
    src_path = src_dir / spec.src_file
    index = find_face_index(src_path, spec.src_family)
    face = hb.Face(hb.Blob.from_file_path(str(src_path)), index)
    available = {int(cp) for cp in face.unicodes}
    keep = wanted & available
    plan = plan_subset(face, keep, keep_hints)
    old_to_new = hb_map(plan.old_to_new_glyph_mapping)
    subset_face = plan.execute()
    raw = bytes(subset_face.blob.data)

    probe = TTFont(io.BytesIO(raw), lazy=True)
    src_version = f"{probe['head'].fontRevision:.3f}"
    probe.close()
    data = rename(raw, spec, src_version, keep_hints)

    verify(spec, data, face, old_to_new, keep)

    font = TTFont(io.BytesIO(data))
    gsub_features, gsub_scripts = layout_tags(font, "GSUB")
    gpos_features, gpos_scripts = layout_tags(font, "GPOS")
    glyph_count = int(font["maxp"].numGlyphs)
    copyright_notice = str(font["name"].getName(0, 3, 1, 0x409))
    trademark = str(font["name"].getName(7, 3, 1, 0x409) or "")
    font.close()
    return BuildResult(
        spec=spec,
        src_path=src_path,
        face_index=index,
        src_version=src_version,
        data=data,
        glyph_count=glyph_count,
        codepoints=frozenset(keep),
        missing=frozenset(wanted - available),
        copyright=copyright_notice,
        trademark=trademark,
        gsub_features=gsub_features,
        gpos_features=gpos_features,
        scripts=sorted(set(gsub_scripts) | set(gpos_scripts)),
    )


# ---------------------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------------------


def shape(font: Any, text: str, direction: str | None = None) -> list[tuple[int, int, int, int, int, int]]:
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.language = "ko"
    if direction is not None:
        buf.direction = direction
    hb.shape(font, buf)
    return [
        (info.codepoint, info.cluster, pos.x_advance, pos.y_advance, pos.x_offset, pos.y_offset)
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)
    ]


def fail(spec: FaceSpec, message: str) -> None:
    raise SystemExit(f"{spec.out_file}: verification failed: {message}")


def verify(spec: FaceSpec, data: bytes, src_face: Any, old_to_new: dict[int, int], keep: set[int]) -> None:
    """Check cmap, metrics and shaping of the subset against the original face."""
    src_font = hb.Font(src_face)
    sub_face = hb.Face(hb.Blob(data))
    sub_font = hb.Font(sub_face)

    # 1. Every kept code point maps, to the image of the original glyph, with the same advances.
    sub_unicodes = {int(cp) for cp in sub_face.unicodes}
    if sub_unicodes != keep:
        fail(spec, f"cmap differs: {len(keep - sub_unicodes)} missing, {len(sub_unicodes - keep)} extra")
    for cp in sorted(keep):
        old = src_font.get_nominal_glyph(cp)
        new = sub_font.get_nominal_glyph(cp)
        if old is None or new is None or old_to_new.get(old) != new or new == 0:
            fail(spec, f"U+{cp:04X} maps to {new}, expected {old_to_new.get(old or 0)}")
        if src_font.get_glyph_h_advance(old) != sub_font.get_glyph_h_advance(new):
            fail(spec, f"U+{cp:04X} horizontal advance differs")
        if src_font.get_glyph_v_advance(old) != sub_font.get_glyph_v_advance(new):
            fail(spec, f"U+{cp:04X} vertical advance differs")

    # 2. Shaping (horizontal and vertical) gives the same glyphs and positions as the original face.
    cases = [(text, None) for text in SHAPE_TESTS] + [(text, "ttb") for text in VERTICAL_TESTS]
    for text, direction in cases:
        want = [(old_to_new.get(g[0], -1), *g[1:]) for g in shape(src_font, text, direction)]
        got = shape(sub_font, text, direction)
        if any(g[0] == 0 for g in got):
            fail(spec, f".notdef when shaping {text!r}")
        if got != want:
            fail(spec, f"shaping {text!r} ({direction or 'ltr'}) differs: {got} != {want}")

    # 3. Old Hangul jamo sequences compose into one cluster.
    for text in OLD_HANGUL_TESTS:
        got = shape(sub_font, text)
        if len({g[1] for g in got}) != 1 or any(g[0] == 0 for g in got):
            fail(spec, f"old Hangul {text!r} did not compose: {got}")

    # 4. The file parses completely and carries the right names.
    font = TTFont(io.BytesIO(data))
    font.ensureDecompiled()
    name = font["name"]
    checks = {
        1: spec.family,
        2: spec.style,
        4: spec.full_name,
        6: spec.ps_name,
    }
    for name_id, expected in checks.items():
        if str(name.getName(name_id, 3, 1, 0x409)) != expected:
            fail(spec, f"name ID {name_id} is not {expected!r}")
    if font["OS/2"].usWeightClass != spec.weight:
        fail(spec, "usWeightClass")
    if font["CFF "].cff.fontNames != [spec.ps_name]:
        fail(spec, "CFF FontName")
    font.close()
    if mismatches := cid_mismatches(data):
        fail(spec, f"{mismatches} glyphs have a CID other than their glyph id")


# ---------------------------------------------------------------------------------------------------------
# Licence and README
# ---------------------------------------------------------------------------------------------------------


def ofl_text(license_src: Path, results: Sequence[BuildResult], extras: Sequence[ExtraResult] = ()) -> str:
    """The OFL 1.1 text from Debian's machine-readable copyright file, under the fonts' copyright line."""
    lines = license_src.read_text(encoding="utf-8").splitlines()
    # The stand-alone licence paragraph (not the "License:" field of a "Files:" paragraph).
    starts = [i for i, line in enumerate(lines) if line == "License: SIL-1.1" and (i == 0 or not lines[i - 1].strip())]
    if not starts:
        raise SystemExit(f"no stand-alone 'License: SIL-1.1' paragraph in {license_src}")
    body: list[str] = []
    for line in lines[starts[0] + 1 :]:
        if not line.startswith(" "):
            break
        text = line[1:]
        body.append("" if text == "." else text)
    if not any("SIL OPEN FONT LICENSE Version 1.1" in line for line in body):
        raise SystemExit(f"{license_src}: the SIL-1.1 paragraph is not the OFL 1.1 text")
    header: list[str] = []
    for family in dict.fromkeys(res.spec.src_family for res in results):
        notices = dict.fromkeys(res.copyright for res in results if res.spec.src_family == family)
        header.append(f"{family} (source of {family.replace('Noto', 'Jebon').replace(' CJK', '')}):")
        header += [f"  {notice}" for notice in notices]
    header += list(dict.fromkeys(res.trademark for res in results if res.trademark))
    for family in dict.fromkeys(extra.spec.family for extra in extras):
        members = [extra for extra in extras if extra.spec.family == family]
        source = ", ".join(extra.source_name for extra in members)
        header.append("")
        header.append(f"{family} ({'renamed from ' if members[0].spec.rename else 'unchanged: '}{source}):")
        header += [f"  {notice}" for notice in dict.fromkeys(extra.copyright for extra in members)]
        if members[0].spec.rename:
            header.append("  with Reserved Font Names " + ", ".join(extra.source_name for extra in members) + ".")
    header += [
        "",
        "The fonts in this folder are licensed under the SIL Open Font License, Version 1.1.",
        "Jebon Serif KR and Jebon Sans KR are Modified Versions (subsets, renamed) of Noto Serif CJK KR",
        "and Noto Sans CJK KR; Jebon Mono KR is NanumGothicCoding renamed (its names are reserved);",
        "Noto Sans Math, Noto Sans Symbols2 and Noto Emoji are the original files.",
        "",
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        "This license is copied below, and is also available with a FAQ at:",
        "https://openfontlicense.org",
        "",
        "",
    ]
    return "\n".join(header + body).rstrip() + "\n"


def package_version(package: str) -> str:
    try:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return result.stdout.strip() or "unknown"


def range_counts(codepoints: frozenset[int]) -> list[tuple[str, int, int, int]]:
    return [(name, start, end, sum(1 for cp in codepoints if start <= cp <= end)) for name, start, end in RANGES]


def fmt_ranges(cps: Sequence[int]) -> str:
    """Compact 'U+XXXX–U+YYYY' listing of code points."""
    parts: list[str] = []
    run_start = prev = -2
    for cp in [*sorted(cps), -10]:
        if cp == prev + 1:
            prev = cp
            continue
        if run_start >= 0:
            parts.append(f"U+{run_start:04X}" if run_start == prev else f"U+{run_start:04X}–U+{prev:04X}")
        run_start = prev = cp
    return ", ".join(parts)


def readme_text(results: Sequence[BuildResult], keep_hints: bool, extras: Sequence[ExtraResult] = ()) -> str:
    version = package_version(DEBIAN_PACKAGE)
    first = results[0]
    hanja = ksx1001_hanja()
    ksx = ksx1001_repertoire()
    hanja_kept = len(hanja & first.codepoints)
    ksx_outside_ranges = sorted(cp for cp in ksx if not is_hanja(cp) and not any(s <= cp <= e for _n, s, e in RANGES))
    ksx_missing = sorted(ksx - first.codepoints)
    lines: list[str] = [
        "# Bundled fonts",
        "",
        "Generated by `python scripts/make_fonts.py --emoji-dir DIR` (run from the repository root; other",
        "options `--src-dir`, `--extra-dir`, `--out-dir`, `--keep-hints`). Do not edit these files by hand:",
        "change the script and rerun it. The build is deterministic (same source fonts give byte-identical",
        "output). The sources: `apt-get install fonts-noto-cjk fonts-nanum-coding fonts-noto-core`, and",
        "`npm pack @expo-google-fonts/noto-emoji@0.4.7 && tar xzf expo-google-fonts-noto-emoji-0.4.7.tgz`",
        "(then `--emoji-dir package`).",
        "",
        "Body faces (serif for text, sans for headings and emphasis), cut from Noto CJK KR:",
        "",
        "| file | family / style | weight | glyphs | size (bytes) | sha256 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for res in results:
        lines.append(
            f"| `{res.spec.out_file}` | {res.spec.family} / {res.spec.style} | {res.spec.weight} | "
            f"{res.glyph_count:,} | {len(res.data):,} | `{res.sha256}` |"
        )
    lines += [
        "",
        "The monospaced face (code) and the fallback faces (symbols, mathematical operators and emoji that",
        "the body faces lack; jebon uses them for exactly those characters, in the PDF and in the EPUB):",
        "",
        "| file | role | family / style | weight | glyphs | code points | size (bytes) | sha256 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for extra in extras:
        lines.append(
            f"| `{extra.spec.out_file}` | {extra.spec.role} | {extra.spec.family} / {extra.spec.style} | "
            f"{extra.spec.weight} | {extra.glyph_count:,} | {len(extra.codepoints):,} | {len(extra.data):,} | "
            f"`{extra.sha256}` |"
        )
    lines += [
        "",
        "## Origin",
        "",
        "Each body face is a subset of one face of the Noto CJK fonts (Noto Serif CJK / Noto Sans CJK, the",
        "Google-branded release of Adobe's Source Han Serif / Source Han Sans, by Adobe and Google;",
        "upstream: https://github.com/notofonts/noto-cjk), as shipped by the Debian package",
        f"`{DEBIAN_PACKAGE}` version `{version}`.",
        "",
        "| file | source file | face index | source face | source version |",
        "| --- | --- | --- | --- | --- |",
    ]
    for res in results:
        lines.append(
            f"| `{res.spec.out_file}` | `{res.src_path}` | {res.face_index} | "
            f"{res.spec.src_family} {res.spec.style} | {res.src_version} |"
        )
    lines += [
        "",
        "| file | source | source file | licence URL in the font |",
        "| --- | --- | --- | --- |",
    ]
    for extra in extras:
        origin = extra.spec.origin
        if origin.startswith("Debian `"):
            origin += f" version `{package_version(origin.split('`')[1])}`"
        lines.append(f"| `{extra.spec.out_file}` | {origin} | `{extra.spec.src}` | {extra.licence_url} |")
    lines += [
        "",
        "## Licence",
        "",
        "SIL Open Font License 1.1; the full text, with the copyright notice, is in [OFL.txt](OFL.txt)",
        "(taken from the `License: SIL-1.1` paragraph of `/usr/share/doc/fonts-noto-cjk/copyright`).",
        "The fonts are Modified Versions and are renamed: family names `Jebon Serif KR` and",
        '`Jebon Sans KR` use neither "Noto" nor "Source" (Adobe\'s releases of the same design reserve',
        'the name "Source"). The original copyright (name ID 0), trademark (7), manufacturer (8),',
        "designer (9), URLs (11, 12) and licence (13, 14) name records are kept unchanged; name ID 10",
        "says that the font is a subset of Noto Serif/Sans CJK KR and keeps the original credits.",
        "Jebon Mono KR is NanumGothicCoding (Regular, Bold) with its names changed, because",
        "`NanumGothicCoding` and `NanumGothicCoding-Bold` are Reserved Font Names; every other table is",
        "the original. The Noto Sans Math, Noto Sans Symbols2 and Noto Emoji files are the originals",
        "(Noto reserves no font name). In the CJK faces every glyph's CID equals its glyph id (the script",
        "checks it): PDF readers that follow the specification look CIDFontType0 glyphs up by CID.",
        "",
        "## What was kept",
        "",
        "Code points: the union of the Unicode blocks below and the whole KS X 1001 repertoire (every",
        "valid EUC-KR double-byte sequence decoded with Python's `euc_kr` codec), intersected with the",
        "code points the source face maps. The counts are identical for all four fonts:",
        "",
        "| block | range | code points kept |",
        "| --- | --- | --- |",
    ]
    for block, start, end, count in range_counts(first.codepoints):
        lines.append(f"| {block} | U+{start:04X}–U+{end:04X} | {count:,} |")
    lines += [
        "",
        f"- KS X 1001 Hanja (CJK Unified + Compatibility Ideographs): {len(hanja):,} in the standard,",
        f"  {hanja_kept:,} kept.",
        "- KS X 1001 characters outside the blocks above and not Hanja (Greek, Cyrillic, kana, box",
        f"  drawing, ...): {len(ksx_outside_ranges):,}, all kept where the font has them.",
        f"- KS X 1001 characters the source face lacks: {len(ksx_missing)}"
        + (f" ({fmt_ranges(ksx_missing)}: {''.join(map(chr, ksx_missing))})." if ksx_missing else "."),
        "  No face of the Noto CJK collections maps them, so they are not in the subset either; note",
        "  U+223C `∼` (KS X 1001 0xA1AD, the tilde often used for ranges), U+2252 `≒` and U+25C8 `◈`.",
        f"- Total code points mapped: {len(first.codepoints):,}.",
        "",
        "Glyphs: the glyphs of those code points plus everything reachable through the layout features",
        "(glyph closure), so old-Hangul jamo sequences (e.g. `ᄭᅩᆺ`), vertical forms, proportional and",
        "half-width alternates and the `locl` forms for other CJK languages all still work.",
        "",
        "Layout: every OpenType feature and script of the source is kept.",
        "",
        f"- GSUB features: {', '.join(f'`{t}`' for t in first.gsub_features)}",
        f"- GPOS features: {', '.join(f'`{t}`' for t in first.gpos_features)}",
        f"- Scripts: {', '.join(f'`{t}`' for t in first.scripts)}",
        "",
        "Tables: CFF (CID-keyed outlines, all glyph outlines of kept glyphs intact), cmap, GSUB, GPOS,",
        "GDEF, BASE, VORG, vhea/vmtx (vertical metrics), hhea/hmtx, OS/2, head, maxp, name, post.",
        "CFF hinting is kept."
        if keep_hints
        else "CFF hinting (stems, hint masks, blue zones) is removed (~20% smaller); outlines are intact.",
        "",
        "Each build is checked by the script: every kept code point maps to the same glyph (renumbered)",
        "with the same horizontal and vertical advances as in the original face; sample text (old",
        "Hangul jamo sequences, Hanja, brackets, symbols; horizontal and vertical) shapes with",
        "HarfBuzz to exactly the same glyphs and positions as with the original face and without",
        "`.notdef`; old-Hangul jamo sequences compose into one cluster.",
        "",
        "## Not covered",
        "",
        "- Hanja outside KS X 1001 (e.g. the rest of CJK Unified Ideographs, Extension A and beyond,",
        "  the KS X 1002 / Unicode-only Korean Hanja): they will fall back to another font.",
        "- Emoji (colour emoji need a separate font), Dingbats, and the parts of Miscellaneous Symbols",
        "  that Noto CJK does not draw.",
        "- The KS X 1001 characters listed above that the source lacks (use a fallback font for them).",
        "- Latin Extended-B and Latin Extended Additional (e.g. Vietnamese), combining diacritics,",
        "  IPA, most of Greek and Cyrillic beyond the KS X 1001 letters, Arabic, Hebrew, Thai, etc.",
        "- Japanese kanji / Chinese hanzi not in KS X 1001; kana is kept only as far as KS X 1001",
        "  lists it (hiragana and katakana), plus locl alternates reached by closure.",
    ]
    missing_in_ranges = sorted(
        cp
        for cp in first.missing
        if any(s <= cp <= e for _n, s, e in RANGES) and unicodedata.category(chr(cp)) not in ("Cn", "Cs", "Co")
    )
    lines += [
        f"- Inside the listed blocks, {len(missing_in_ranges):,} assigned characters are not in the source",
        "  face and so not in the subset (mostly Miscellaneous Symbols, Arrows and Mathematical",
        "  Operators that Noto CJK does not draw).",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src-dir", type=Path, default=DEFAULT_SRC_DIR, help="folder with the Noto CJK .ttc files")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="where to write the fonts")
    parser.add_argument(
        "--license-src",
        type=Path,
        default=DEFAULT_LICENSE_SRC,
        help="Debian copyright file whose 'License: SIL-1.1' paragraph becomes OFL.txt",
    )
    parser.add_argument("--keep-hints", action="store_true", help="keep CFF hinting (about 20%% larger)")
    parser.add_argument("--extra-dir", type=Path, default=DEFAULT_EXTRA_DIR,
                        help="Debian's TrueType folder (fonts-nanum-coding, fonts-noto-core)")
    parser.add_argument("--emoji-dir", type=Path, required=True,
                        help="the unpacked npm package @expo-google-fonts/noto-emoji@0.4.7 (its `package` folder)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = required_codepoints()
    ksx1001_hanja()  # fail early if the codec disagrees with the expected count

    results: list[BuildResult] = []
    for spec in FACES:
        result = build_face(spec, args.src_dir, wanted, args.keep_hints)
        (out_dir / spec.out_file).write_bytes(result.data)
        results.append(result)
        print(
            f"{spec.out_file}: {len(result.data):,} bytes, {result.glyph_count:,} glyphs, "
            f"{len(result.codepoints):,} code points, sha256 {result.sha256}"
        )
    if len({res.codepoints for res in results}) != 1:
        raise SystemExit("the four faces ended up with different character sets")

    extras: list[ExtraResult] = []
    for extra in EXTRA_FACES:
        folder = args.emoji_dir if extra.origin == NOTO_EMOJI else args.extra_dir
        made = build_extra(extra, folder / extra.src)
        (out_dir / extra.out_file).write_bytes(made.data)
        extras.append(made)
        print(f"{extra.out_file}: {len(made.data):,} bytes, {made.glyph_count:,} glyphs, "
              f"{len(made.codepoints):,} code points, sha256 {made.sha256}")

    (out_dir / "OFL.txt").write_text(ofl_text(args.license_src, results, extras), encoding="utf-8")
    (out_dir / "README.md").write_text(readme_text(results, args.keep_hints, extras), encoding="utf-8")
    print(f"wrote {out_dir / 'OFL.txt'} and {out_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
