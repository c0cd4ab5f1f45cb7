"""Hanja ruby: `{漢字|한자}` in Markdown becomes <ruby>漢字<rp>(</rp><rt>한자</rt><rp>)</rp></ruby>."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

RUBY_RE = r"\{([^{}|\n]+)\|([^{}|\n]+)\}"


class _RubyProcessor(InlineProcessor):  # type: ignore[misc]
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[ET.Element, int, int]:
        ruby = ET.Element("ruby")
        ruby.text = m.group(1).strip()
        open_paren = ET.SubElement(ruby, "rp")
        open_paren.text = "("
        annotation = ET.SubElement(ruby, "rt")
        annotation.text = m.group(2).strip()
        close_paren = ET.SubElement(ruby, "rp")
        close_paren.text = ")"
        return ruby, m.start(0), m.end(0)


class RubyExtension(Extension):  # type: ignore[misc]
    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(_RubyProcessor(RUBY_RE, md), "jebon-ruby", 175)
