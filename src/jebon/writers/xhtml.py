"""Building and serialising the XHTML documents of an EPUB (front matter, chapters, nav)."""

from __future__ import annotations

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
