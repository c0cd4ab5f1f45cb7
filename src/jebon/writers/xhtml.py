"""Building and serialising the XHTML documents of an EPUB (front matter, chapters, nav)."""

from __future__ import annotations

import unicodedata

from lxml import etree

from ..render import EPUB_TYPE, NSMAP, XHTML_NS


def E(tag: str, attrs: dict[str, str] | None = None, text: str | None = None,
      *children: etree._Element) -> etree._Element:
    """An XHTML element; `epub:type` may be given as the key "epub:type"."""
    el = etree.Element(f"{{{XHTML_NS}}}{tag}")
    for key, value in (attrs or {}).items():
        el.set(EPUB_TYPE if key == "epub:type" else key, value)
    if text is not None:
        el.text = text
    for child in children:
        el.append(child)
    return el


def document(title: str, lang: str, body: list[etree._Element], *, css: str = "styles/epub.css",
             body_type: str | None = None, body_class: str | None = None) -> bytes:
    """A complete XHTML5 content document."""
    root = etree.Element(f"{{{XHTML_NS}}}html", nsmap=NSMAP)  # type: ignore[arg-type]
    root.set("lang", lang)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    head = etree.SubElement(root, f"{{{XHTML_NS}}}head")
    etree.SubElement(head, f"{{{XHTML_NS}}}meta", {"charset": "utf-8"})
    etree.SubElement(head, f"{{{XHTML_NS}}}title").text = title
    etree.SubElement(head, f"{{{XHTML_NS}}}link", {"rel": "stylesheet", "type": "text/css", "href": css})
    body_el = etree.SubElement(root, f"{{{XHTML_NS}}}body")
    if body_type:
        body_el.set(EPUB_TYPE, body_type)
    if body_class:
        body_el.set("class", body_class)
    for child in body:
        body_el.append(child)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>")


def fragment(xml: str) -> etree._Element:
    """Parse a serialized XHTML element (as made by the renderer)."""
    return etree.fromstring(xml)


ASIDE_LABEL = "곁글"
"""What an unlabelled <aside> is called to assistive technology ("곁글 1", "곁글 2" …)."""


def label_landmarks(root: etree._Element) -> etree._Element:
    """Give every <aside> of a content document an accessible name, as ARIA asks of landmarks of
    the same kind on one page: its own label if it has one, else its first heading, else a
    numbered "곁글 N". Returns `root`, changed in place."""
    for number, aside in enumerate(root.iter(f"{{{XHTML_NS}}}aside"), 1):
        if aside.get("aria-label") or aside.get("aria-labelledby"):
            continue
        heading = next(aside.iter(*(f"{{{XHTML_NS}}}h{level}" for level in range(1, 7))), None)
        text = "".join(str(t) for t in heading.itertext()).strip() if heading is not None else ""
        if heading is not None and text and heading.get("id"):
            aside.set("aria-labelledby", str(heading.get("id")))
        else:
            aside.set("aria-label", f"{ASIDE_LABEL} {number}")
    return root


PHONE_PAGE = 20.0
"""The width of a phone's page in em of body text (a 360 px screen less epub.css's 5% margins,
at the usual 16 px)."""
SETTINGS = (("", 0.85, 1.4), ("table-wide", 0.75, 0.5))
"""How epub.css sets a table (class, font size in body em, the cells' left and right padding in
the table's em), from the roomiest down; a table fitting none of them is `table-very-wide`."""


def _width(word: str) -> float:
    """A word's width in em: wide (Hangul, Hanja, fullwidth) characters 1, others about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in word)


def column_widths(table: etree._Element) -> list[float]:
    """Each column's longest word (Korean words are kept whole), in the table's em."""
    columns: dict[int, float] = {}
    for row in table.iter(f"{{{XHTML_NS}}}tr"):
        at = 0
        for cell in row:
            if etree.QName(cell).localname not in ("th", "td"):
                continue
            span = cell.get("colspan") or "1"
            step = max(1, int(span)) if span.isdigit() else 1
            if step == 1:
                words = "".join(str(t) for t in cell.itertext()).split()
                columns[at] = max(columns.get(at, 0.0), max((_width(w) for w in words), default=0.0))
            at += step
    return [columns[at] for at in sorted(columns)]


def table_setting(table: etree._Element) -> str:
    """The class that lets the table fit a phone's page with its words whole ("" when the usual
    setting does), or `table-very-wide` when none does (its cells may then break inside words)."""
    widths = column_widths(table)
    for name, size, padding in SETTINGS:
        if sum(widths) + padding * len(widths) <= PHONE_PAGE / size:
            return name
    return "table-very-wide"


def mark_wide_tables(root: etree._Element) -> etree._Element:
    """Class each table that cannot fit a phone's page in the usual setting (epub.css sets those
    smaller, and lets the cells of a very wide one break words). Returns `root`."""
    for table in root.iter(f"{{{XHTML_NS}}}table"):
        setting = table_setting(table)
        if setting:
            table.set("class", " ".join(filter(None, ((table.get("class") or ""), setting))))
    return root
