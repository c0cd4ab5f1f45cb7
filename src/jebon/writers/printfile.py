"""The last pass over a volume's PDF (pikepdf): make the file meet the standard and the printer it
claims (docs/printing.md, "What each variant guarantees").

WeasyPrint writes each variant's labels but not all of its rules, and a volume assembled from pieces
needs its page boxes set from the final page order. Here, on the whole file:

- every variant: MediaBox and BleedBox from the TrimBox and the exact bleed (the CSS bleed is
  rounded, so the BleedBox could stick out of the MediaBox); no bleed on the spine edge when the
  profile asks (IngramSpark: top, bottom and outer edge only); images without /Interpolate;
  annotations printable (/F 4, which PDF/A asks for);
- print profiles and PDF/X: `/Trapped /False`;
- PDF/X-1a:2001: `GTS_PDFXVersion (PDF/X-1:2001)` with `GTS_PDFXConformance (PDF/X-1a:2001)`, no
  transparency groups and no opacity (what is left is refused, naming the page and the object), no
  annotations and so no actions, no keys newer than PDF 1.3 (the header is rewritten to 1.3 after
  saving: `pdf13_header`);
- PDF/A-2b: the XMP metadata says what the Info dictionary says;
- PDF/UA-1: content WeasyPrint leaves out of the structure tree (running heads, folios) marked as
  pagination artifacts, table header cells with /Scope, list items with an LBody, links with a
  /Contents description.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pikepdf

from ..errors import JebonError, Problem
from ..printing import PrintOptions

PT_PER_MM = 72 / 25.4
MARKS_ROOM_MM = 8.0
"""The crop marks' room outside the bleed (as `writers.pdf.MARKS_ROOM_MM`)."""
PRINT_FLAG = 4


def finish(pdf: pikepdf.Pdf, options: PrintOptions) -> None:
    """Apply every rule of `options`' variant and profile to `pdf` in place. Raise JebonError when
    the file cannot meet its variant (PDF/X-1a with transparency that could not be flattened)."""
    _boxes(pdf, options)
    _images(pdf)
    _annotations(pdf, remove=options.variant == "pdf/x-1a")
    if options.profile is not None or (options.variant or "").startswith("pdf/x"):
        pdf.docinfo[pikepdf.Name.Trapped] = pikepdf.Name("/False")
    if options.variant == "pdf/x-1a":
        _pdfx1a(pdf)
    if options.variant == "pdf/ua-1":
        _artifacts(pdf)
        _structure(pdf)
    if options.variant in ("pdf/a-2b", "pdf/x-4", "pdf/ua-1") and "/Metadata" in pdf.Root:
        _xmp_from_info(pdf)


def finish_bytes(data: bytes, options: PrintOptions,
                 first: Callable[[pikepdf.Pdf], None] | None = None) -> bytes:
    """`finish` on a PDF written in one piece (the single-call layout), after `first` (the fonts'
    embedding), saved as the assembly saves."""
    pdf = pikepdf.open(io.BytesIO(data))
    if first is not None:
        first(pdf)
    finish(pdf, options)
    buffer = io.BytesIO()
    streams = pikepdf.ObjectStreamMode.generate if pdf.pdf_version >= "1.5" else pikepdf.ObjectStreamMode.disable
    pdf.save(buffer, object_stream_mode=streams, deterministic_id=True, fix_metadata_version=False)
    out = settle_stream_ends(buffer.getvalue())
    return pdf13_header(out) if options.variant == "pdf/x-1a" else out


NOTE_TAG = "jebon-note"
"""The print HTML's element for a footnote (a custom element: inline, kept inside its paragraph)."""
UA_TAGS = {"ruby": "Ruby", "rt": "RT", NOTE_TAG: "Note"}


@contextmanager
def ua_tags(active: bool = True) -> Iterator[None]:
    """While WeasyPrint writes a tagged PDF: ruby as Ruby/RT (its base Span becomes RB after), and
    footnotes as Note. WeasyPrint maps an HTML tag name to a structure type in one function
    (`weasyprint.pdf.tags._get_pdf_tag`, which knows neither); tests/test_pdf.py checks the tags in
    a built PDF/UA file, so a WeasyPrint that stops calling it fails there."""
    if not active:
        yield
        return
    from weasyprint.pdf import tags

    original = tags._get_pdf_tag

    def mapped(tag: str | None) -> str:
        found = UA_TAGS.get(tag or "")
        return found if found is not None else str(original(tag))

    tags._get_pdf_tag = mapped
    try:
        yield
    finally:
        tags._get_pdf_tag = original


def settle_stream_ends(data: bytes) -> bytes:
    """No stream's data may end with a carriage return: written before the line feed that precedes
    `endstream`, it reads as a CR LF end-of-line, and strict validators (PDF/A's "Length equals the
    bytes before the EOL") count one byte less than /Length. Flate data ends with the Adler-32 of
    what it holds, any byte, so a volume's hundred streams often have one such. Those few streams
    get an ASCIIHex layer on top (its data ends with `>`); object streams, whose bytes qpdf makes at
    saving, are left out."""
    if b"\r\nendstream" not in data:
        return data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            raw = obj.read_raw_bytes()
            if not raw.endswith(b"\r"):
                continue
            filters = obj.get("/Filter")
            chain = list(filters) if isinstance(filters, pikepdf.Array) else [filters] if filters is not None else []
            parms = obj.get("/DecodeParms")
            parm_chain: list[Any] = (list(parms) if isinstance(parms, pikepdf.Array)
                                     else [parms] if parms is not None else [])
            if parm_chain:
                parm_chain = [None] * (len(chain) - len(parm_chain)) + parm_chain
            obj.write(raw.hex().encode("ascii") + b">", filter=pikepdf.Array([pikepdf.Name.ASCIIHexDecode, *chain]),
                      decode_parms=pikepdf.Array([None, *parm_chain]) if parm_chain else None)
        buffer = io.BytesIO()
        header = data[:8]
        # qpdf would otherwise decode the ASCIIHex layer and compress the stream again, as before;
        # every other stream keeps the bytes it has (compressed by WeasyPrint or the assembly)
        pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable, deterministic_id=True,
                 fix_metadata_version=False, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                 compress_streams=False)
        out = buffer.getvalue()
        return header + out[8:] if out[:8] != header and out.startswith(b"%PDF-1.") else out


def pdf13_header(data: bytes) -> bytes:
    """The saved file's header as %PDF-1.3 (same length: the cross-reference offsets hold)."""
    if not data.startswith(b"%PDF-1."):
        raise ValueError("not a PDF")
    return b"%PDF-1.3" + data[8:]


# -- boxes ---------------------------------------------------------------------------------------
def _num(value: float) -> Decimal | int:
    rounded = round(value, 4)
    return int(rounded) if rounded == int(rounded) else Decimal(str(rounded))


def _boxes(pdf: pikepdf.Pdf, options: PrintOptions) -> None:
    bleed = options.bleed_mm * PT_PER_MM
    room = bleed + (MARKS_ROOM_MM * PT_PER_MM if options.marks else 0.0)
    for index, page in enumerate(pdf.pages):
        obj = page.obj
        if "/TrimBox" not in obj:
            continue
        left, bottom, right, top = (float(v) for v in obj.TrimBox)
        media = [left - room, bottom - room, right + room, top + room]
        bleed_box = [left - bleed, bottom - bleed, right + bleed, top + bleed]
        if not options.spine_bleed:  # a recto's spine edge is its left one (page 1 is a recto)
            side = 0 if index % 2 == 0 else 2
            media[side] = bleed_box[side] = left if side == 0 else right
        obj.MediaBox = pikepdf.Array([_num(v) for v in media])
        obj.BleedBox = pikepdf.Array([_num(v) for v in bleed_box])
        obj.TrimBox = pikepdf.Array([_num(v) for v in (left, bottom, right, top)])
        for key in ("/CropBox", "/ArtBox"):
            if key in obj:
                del obj[key]


# -- images and annotations ----------------------------------------------------------------------
def _images(pdf: pikepdf.Pdf) -> None:
    """No /Interpolate anywhere (PDF/A forbids it being true; print preflight warns): absent means false."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
            for image in (obj, obj.get("/SMask")):
                if isinstance(image, pikepdf.Stream) and "/Interpolate" in image:
                    del image["/Interpolate"]


def _annotations(pdf: pikepdf.Pdf, *, remove: bool) -> None:
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        if remove:
            del page.obj["/Annots"]
            continue
        for annot in annots:
            annot.F = PRINT_FLAG


# -- PDF/X-1a:2001 -------------------------------------------------------------------------------
def _resources_of(obj: pikepdf.Object) -> pikepdf.Object | None:
    res = obj.get("/Resources")
    return res if isinstance(res, pikepdf.Dictionary) else None


def walk_resources(pdf: pikepdf.Pdf) -> Iterator[tuple[int, str, pikepdf.Object]]:
    """(1-based page, where, resource dictionary) for every page, form XObject, pattern and Type 3
    glyph procedure that can paint on it; each shared dictionary once, at the first page it is on."""
    seen: set[tuple[int, int]] = set()
    for number, page in enumerate(pdf.pages, 1):
        stack: list[tuple[str, pikepdf.Object]] = []
        res = _resources_of(page.obj)
        if res is not None:
            stack.append(("page", res))
        while stack:
            where, res = stack.pop()
            if res.is_indirect:
                if res.objgen in seen:
                    continue
                seen.add(res.objgen)
            yield number, where, res
            for name, xobject in (res.get("/XObject") or {}).items():
                inner = _resources_of(xobject) if xobject.get("/Subtype") == pikepdf.Name.Form else None
                if inner is not None:
                    stack.append((f"{where} › form {name}", inner))
            for name, pattern in (res.get("/Pattern") or {}).items():
                inner = _resources_of(pattern)
                if inner is not None:
                    stack.append((f"{where} › pattern {name}", inner))


def transparency(pdf: pikepdf.Pdf, *, groups: bool = True) -> list[str]:
    """Everything in the file that PDF/X-1a and PDF/A-1 call transparency, each with its page and
    object: opacity below 1, soft masks, blend modes other than Normal, and (with `groups`)
    transparency groups on pages and form XObjects."""
    found: list[str] = []
    for number, page in enumerate(pdf.pages, 1):
        group = page.obj.get("/Group")
        if groups and group is not None and group.get("/S") == pikepdf.Name.Transparency:
            found.append(f"page {number}: a transparency group on the page")
    for number, where, res in walk_resources(pdf):
        for name, state in (res.get("/ExtGState") or {}).items():
            for key, label in (("/CA", "stroke opacity"), ("/ca", "fill opacity")):
                if key in state and float(state[key]) < 1:
                    found.append(f"page {number}: {label} {float(state[key]):g} (ExtGState {name}, {where},"
                                 f" object {state.objgen[0] if state.is_indirect else res.objgen[0]})")
            mask = state.get("/SMask")
            if mask is not None and mask != pikepdf.Name("/None"):
                found.append(f"page {number}: a soft mask (ExtGState {name}, {where})")
            blend = state.get("/BM")
            if blend is not None and blend not in (pikepdf.Name.Normal, pikepdf.Name.Compatible):
                found.append(f"page {number}: blend mode {blend} (ExtGState {name}, {where})")
        for name, xobject in (res.get("/XObject") or {}).items():
            if xobject.get("/Subtype") == pikepdf.Name.Image and ("/SMask" in xobject or "/SMaskInData" in xobject):
                found.append(f"page {number}: image {name} has a soft mask (alpha channel), {where},"
                             f" object {xobject.objgen[0]}")
            group = xobject.get("/Group")
            if groups and group is not None and group.get("/S") == pikepdf.Name.Transparency:
                found.append(f"page {number}: form {name} is a transparency group ({where},"
                             f" object {xobject.objgen[0]})")
    return found


def _pdfx1a(pdf: pikepdf.Pdf) -> None:
    info = pdf.docinfo
    info[pikepdf.Name("/GTS_PDFXVersion")] = pikepdf.String("PDF/X-1:2001")
    info[pikepdf.Name("/GTS_PDFXConformance")] = pikepdf.String("PDF/X-1a:2001")
    # Transparency groups that paint nothing transparent are plain forms: drawn the same without the
    # group (WeasyPrint wraps every no-repeat background image and SVG text anchors in one).
    # ExtGStates that set an opacity of 1 are dropped to nothing (opacity keys are PDF 1.4).
    for page in pdf.pages:
        if "/Group" in page.obj:
            del page.obj["/Group"]
    for _, _, res in walk_resources(pdf):
        for xobject in (res.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Form and "/Group" in xobject:
                del xobject["/Group"]
        for state in (res.get("/ExtGState") or {}).values():
            for key in ("/CA", "/ca"):
                if key in state and float(state[key]) == 1:
                    del state[key]
            if "/AIS" in state and not bool(state.AIS):
                del state["/AIS"]
            if state.get("/SMask") == pikepdf.Name("/None"):
                del state["/SMask"]
            if state.get("/BM") in (pikepdf.Name.Normal, pikepdf.Name.Compatible):
                del state["/BM"]
    left = transparency(pdf)
    if left:
        raise JebonError([Problem(f"PDF/X-1a forbids transparency, and jebon could not flatten it: {item}",
                                  hint="remove the opacity from the image (or its alpha channel), or build "
                                       "--variant pdf/x-4, which allows transparency") for item in left[:10]])
    # Keys newer than PDF 1.3 that a PDF/X-1a:2001 file does without: its metadata is the Info
    # dictionary (XMP streams are PDF 1.4; pdfcpu's strict mode rejects one in a 1.3 file). /Lang
    # is kept: readers use it and 1.3 readers ignore it.
    for key in ("/Metadata", "/ViewerPreferences"):
        if key in pdf.Root:
            del pdf.Root[key]


# -- PDF/A and PDF/X-4: XMP = Info ---------------------------------------------------------------
def _xmp_from_info(pdf: pikepdf.Pdf) -> None:
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Info keys XMP has no place for (GTS_PDFX*, Trapped: below)
        meta.load_from_docinfo(pdf.docinfo, delete_missing=False, raise_failure=False)
        trapped = pdf.docinfo.get("/Trapped")
        if trapped is not None:
            meta["pdf:Trapped"] = "True" if trapped == pikepdf.Name("/True") else "False"


# -- PDF/UA-1 ------------------------------------------------------------------------------------
def _struct_kids(elem: pikepdf.Object) -> list[pikepdf.Object]:
    kids = elem.get("/K")
    if kids is None:
        return []
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    return [k for k in items if isinstance(k, pikepdf.Dictionary)]


def _elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    stack = _struct_kids(root)
    seen: set[tuple[int, int]] = set()
    while stack:
        elem = stack.pop()
        if elem.is_indirect:
            if elem.objgen in seen:
                continue
            seen.add(elem.objgen)
        if elem.get("/Type") not in (None, pikepdf.Name.StructElem):
            continue
        yield elem
        stack.extend(reversed(_struct_kids(elem)))


def _artifacts(pdf: pikepdf.Pdf) -> None:
    """Marked content that no element of the structure tree owns becomes a pagination artifact:
    WeasyPrint marks the running heads and folios (its margin boxes) but leaves them out of the
    tree, and PDF/UA wants such content marked as /Artifact."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    owned: set[tuple[int, int]] = set()  # (page object number, MCID) the tree reaches
    for elem in _elements(pdf):
        kids = elem.get("/K")
        items = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        on = elem.get("/Pg")
        for kid in items:
            if isinstance(kid, int) and on is not None:
                owned.add((on.objgen[0], int(kid)))
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == pikepdf.Name.MCR:
                where = kid.get("/Pg", on)
                if where is not None:
                    owned.add((where.objgen[0], int(kid.MCID)))
    for page in pdf.pages:
        number = int(page.obj.objgen[0])
        contents = page.obj.get("/Contents")
        parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
        for part in parts:
            # Only the marked-content openings change; every other byte stays as WeasyPrint wrote it.
            data = part.read_bytes()

            def artifact(match: re.Match[bytes], number: int = number) -> bytes:
                if (number, int(match.group(2))) in owned:
                    return match.group(0)
                return b"/Artifact <</Type /Pagination>> BDC"

            changed = _MCID_BDC.sub(artifact, data)
            if changed != data:
                part.write(changed)
    _prune_parent_tree(pdf, owned)


_MCID_BDC = re.compile(rb"/(\w+)\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
"""A marked-content opening as WeasyPrint writes it: `/Span <</MCID 12>> BDC`."""


def _prune_parent_tree(pdf: pikepdf.Pdf, owned: set[tuple[int, int]]) -> None:
    """The parent tree no longer points MCIDs that became artifacts at elements outside the tree."""
    root = pdf.Root.StructTreeRoot
    tree = root.get("/ParentTree")
    if tree is None or "/Nums" not in tree:
        return
    nums = tree.Nums
    numbers = [int(page.obj.objgen[0]) for page in pdf.pages]
    for i in range(0, len(nums), 2):
        key, value = int(nums[i]), nums[i + 1]
        if key >= len(numbers) or not isinstance(value, pikepdf.Array):
            continue
        for mcid in range(len(value)):
            if (numbers[key], mcid) not in owned:
                value[mcid] = None


def _structure(pdf: pikepdf.Pdf) -> None:
    notes = 0
    for elem in list(_elements(pdf)):
        kind = elem.get("/S")
        if kind == pikepdf.Name.Ruby:  # base first, then the reading (the order they are read in)
            kids = _struct_kids(elem)
            for kid in kids:
                if kid.get("/S") == pikepdf.Name.Span:
                    kid.S = pikepdf.Name.RB
            if any(k.get("/S") == pikepdf.Name.RB for k in kids):
                elem.K = pikepdf.Array([k for k in kids if k.get("/S") == pikepdf.Name.RB]
                                       + [k for k in kids if k.get("/S") != pikepdf.Name.RB])
        elif kind == pikepdf.Name.Note and "/ID" not in elem:
            notes += 1
            elem.ID = pikepdf.String(f"note-{notes}")
        elif kind == pikepdf.Name.TH:
            attributes = elem.get("/A")
            if not isinstance(attributes, pikepdf.Dictionary):
                attributes = elem.A = pikepdf.Dictionary(O=pikepdf.Name.Table)
            if "/Scope" not in attributes:
                parent = elem.get("/P")
                row = parent.get("/P") if parent is not None else None
                in_body = row is not None and row.get("/S") == pikepdf.Name.TBody
                first = parent is not None and _struct_kids(parent)[:1] == [elem]
                attributes.Scope = pikepdf.Name.Row if in_body and first else pikepdf.Name.Column
        elif kind == pikepdf.Name.LI:
            kids = _struct_kids(elem)
            raw = elem.get("/K")
            if not kids and (raw is None or (isinstance(raw, pikepdf.Array) and len(raw) == 0)):
                _detach(elem)  # an empty item WeasyPrint leaves where a list continues on the next page
                continue
            if kids and not any(k.get("/S") == pikepdf.Name.LBody for k in kids):
                body_kids = [k for k in kids if k.get("/S") != pikepdf.Name.Lbl]
                body = pdf.make_indirect(pikepdf.Dictionary(
                    Type=pikepdf.Name.StructElem, S=pikepdf.Name.LBody, P=elem,
                    K=pikepdf.Array(body_kids)))
                if "/Pg" in elem:
                    body.Pg = elem.Pg
                for kid in body_kids:
                    kid.P = body
                elem.K = pikepdf.Array([k for k in kids if k.get("/S") == pikepdf.Name.Lbl] + [body])
        elif kind == pikepdf.Name.Link:
            for kid in _struct_kids(elem):
                annot = kid.get("/Obj") if kid.get("/Type") == pikepdf.Name.OBJR else None
                if annot is not None and "/Contents" not in annot:
                    annot.Contents = pikepdf.String(_link_description(annot))


def _detach(elem: pikepdf.Object) -> None:
    parent = elem.get("/P")
    if parent is None or not isinstance(parent.get("/K"), pikepdf.Array):
        return
    parent.K = pikepdf.Array([k for k in parent.K if not (isinstance(k, pikepdf.Dictionary) and k.is_indirect
                                                         and k.objgen == elem.objgen)])


def _link_description(annot: pikepdf.Object) -> str:
    action = annot.get("/A")
    if action is not None and action.get("/S") == pikepdf.Name.URI:
        return f"링크: {action.URI}"
    return "이 책 안의 다른 곳으로 가는 링크"
