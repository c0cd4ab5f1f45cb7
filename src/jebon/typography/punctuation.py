"""Punctuation normalisation, each rule switchable: ... → …, straight quotes → “ ” ‘ ’, -- → —,
no spaces around a middle dot between words. Code is never touched."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

SKIP = {"code", "kbd", "samp", "pre", "script", "style", "math", "svg"}
_OPEN_CONTEXT = set(" \t\n([{“‘「『〈《【—–-/") | {""}


@dataclass(frozen=True)
class Rules:
    ellipsis: bool = True
    quotes: bool = True
    dashes: bool = True
    middle_dot: bool = True


def normalise_text(text: str, rules: Rules, before: str = "") -> str:
    """Apply the rules to one run of text; `before` is the character that precedes it in the flow."""
    if rules.ellipsis:
        text = re.sub(r"(?<!\.)\.\.\.(?!\.)", "…", text)
    if rules.dashes:
        text = re.sub(r"(?<![-!])--(?![->])", "—", text)
    if rules.middle_dot:
        text = re.sub(r"(?<=\S)[ \t]+·[ \t]+(?=\S)", "·", text)
    if rules.quotes and ('"' in text or "'" in text):
        out = []
        prev = before
        for char in text:
            if char == '"':
                char = "“" if prev in _OPEN_CONTEXT or prev.isspace() else "”"
            elif char == "'":
                char = "‘" if prev in _OPEN_CONTEXT or prev.isspace() else "’"
            out.append(char)
            prev = char
        text = "".join(out)
    return text


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def normalise_tree(root: etree._Element, rules: Rules) -> None:
    """Normalise every text node under `root` in document order, skipping code."""
    if not any((rules.ellipsis, rules.quotes, rules.dashes, rules.middle_dot)):
        return
    last = ""

    def visit(el: etree._Element) -> None:
        nonlocal last
        skip = _local(el) in SKIP
        if el.text:
            if not skip:
                el.text = normalise_text(el.text, rules, last)
            last = el.text[-1]
        if not skip:
            for child in el:
                visit(child)
                if child.tail:
                    child.tail = normalise_text(child.tail, rules, last)
                    last = child.tail[-1]
        elif len(el):
            last = "x"

    visit(root)
