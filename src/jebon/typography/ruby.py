"""Hanja ruby: `{漢字|한자}` in Markdown becomes <ruby>漢字<rp>(</rp><rt>한자</rt><rp>)</rp></ruby>;
with `[typography] ruby = false`, the base with its reading in parentheses: 漢字(한자)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

RUBY_RE = r"\{([^{}|\n]+)\|([^{}|\n]+)\}"


class _RubyProcessor(InlineProcessor):  # type: ignore[misc]
    def __init__(self, pattern: str, md: Markdown, as_ruby: bool) -> None:
        super().__init__(pattern, md)
        self.as_ruby = as_ruby

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[ET.Element | str, int, int]:
        base, reading = m.group(1).strip(), m.group(2).strip()
        if not self.as_ruby:
            return f"{base}({reading})", m.start(0), m.end(0)
        ruby = ET.Element("ruby")
        ruby.text = base
        open_paren = ET.SubElement(ruby, "rp")
        open_paren.text = "("
        annotation = ET.SubElement(ruby, "rt")
        annotation.text = reading
        close_paren = ET.SubElement(ruby, "rp")
        close_paren.text = ")"
        return ruby, m.start(0), m.end(0)


class RubyExtension(Extension):  # type: ignore[misc]
    """`as_ruby=False` prints the base and its reading in parentheses instead of ruby (never the
    raw `{…|…}`)."""

    def __init__(self, as_ruby: bool = True) -> None:
        super().__init__()
        self.as_ruby = as_ruby

    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(_RubyProcessor(RUBY_RE, md, self.as_ruby), "jebon-ruby", 175)
