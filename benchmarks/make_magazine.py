"""Generate a large, deterministic test magazine (Korean-like prose) for jebon's speed benchmarks.

Usage: python benchmarks/make_magazine.py --articles N --out DIR [--seed S]

The text is not Korean, but it is shaped like it: words (어절) are made of Hangul syllables drawn
with realistic jamo frequencies from a Zipf-weighted lexicon of stems, with the particle or ending
that fits the last syllable (은/는, 이/가, 을/를, 으로/로, …), sentences end in 다/니다/까, and the
prose carries what a magazine carries: commas, 「」 and “” quotes, parentheses, numbers with units
(3.5km, 120쪽, 2024년), Hanja words with their readings (in parentheses, or as ruby `{漢字|한자}`),
Latin words. Each article (~6–7 KB of Markdown) has front matter, ## and ### headings, paragraphs,
lists, a blockquote, footnotes, emphasis, links, one or two figures, and now and then a table or a
fenced code block.

Same seed → byte-identical files (given the same Pillow and zlib). Article i depends only on the seed
and i (links point only to earlier articles), so a 10-article magazine is the prefix of a 100-article
one. Every character is one the bundled fonts cover (benchmarks/tests check this).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import random
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

GENERATOR_VERSION = "1"
"""Bump when the output changes, so that benchmarks/run.py regenerates kept books."""

# ---------------------------------------------------------------------------------------------
# Hangul: syllable = 0xAC00 + (initial * 21 + medial) * 28 + final. Weights are rough frequencies
# of each jamo in running Korean text, enough to give a realistic spread of syllables (a large book
# uses a couple of thousand distinct ones, which is what font subsetting sees).

INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
INITIAL_WEIGHTS = (14, 1, 10, 11, 1, 8, 7, 6, 0.5, 10, 1.5, 22, 10, 0.5, 3, 1, 2, 1.5, 9)
MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
MEDIAL_WEIGHTS = (22, 6, 1.5, 0.1, 12, 4, 6, 0.5, 11, 2, 0.2, 1.5, 1, 9, 1, 0.1, 0.8, 1, 9, 2, 14)
FINALS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ", "ㅁ", "ㅂ",
          "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")
FINAL_WEIGHTS = (55, 7, 0.2, 0.05, 13, 0.1, 0.2, 0.5, 9, 0.3, 0.2, 0.2, 0.02, 0.02, 0.02, 0.1, 5, 2,
                 0.3, 1, 0.5, 8, 0.3, 0.2, 0.05, 0.1, 0.1, 0.2)

# Particles: (after a final consonant, after a vowel); the same form twice when it does not change.
PARTICLES = (
    ("은", "는", 14), ("이", "가", 12), ("을", "를", 16), ("의", "의", 8), ("에", "에", 9),
    ("에서", "에서", 6), ("으로", "로", 6), ("과", "와", 4), ("도", "도", 4), ("만", "만", 1.5),
    ("까지", "까지", 1.2), ("부터", "부터", 1), ("에게", "에게", 1), ("처럼", "처럼", 0.8),
    ("보다", "보다", 0.7), ("하고", "하고", 1.5), ("이라는", "라는", 1), ("이나", "나", 1),
)
CONNECTIVES = ("하고", "하며", "했지만", "하는", "한", "할", "해서", "하던", "하면", "되어", "되는", "하게",
               "했던", "하려고", "하니", "이고", "이며", "였고", "했고", "하듯")
ENDINGS = (("했다", "."), ("한다", "."), ("입니다", "."), ("였다", "."), ("있었다", "."), ("없었다", "."),
           ("된다", "."), ("했습니다", "."), ("이다", "."), ("하였다", "."), ("해 왔다", "."), ("하곤 했다", "."),
           ("일까", "?"), ("했을까", "?"), ("합니까", "?"), ("할까", "?"), ("인가", "?"),
           ("하자", "!"), ("이었다", "!"), ("하라", "!"))
ENDING_WEIGHTS = (20, 12, 8, 8, 5, 3, 5, 5, 6, 3, 2, 2, 2, 2, 1.5, 1.5, 1, 1, 1, 0.5)

# Hanja words with their readings: every character is in KS X 1001 (the fonts' 4,888 Hanja).
HANJA = (("出版", "출판"), ("印刷", "인쇄"), ("活字", "활자"), ("文化", "문화"), ("歷史", "역사"),
         ("時間", "시간"), ("世界", "세계"), ("社會", "사회"), ("自然", "자연"), ("冊", "책"),
         ("書店", "서점"), ("讀者", "독자"), ("新聞", "신문"), ("雜誌", "잡지"), ("編輯", "편집"),
         ("校正", "교정"), ("製本", "제본"), ("漢字", "한자"), ("記錄", "기록"), ("紙物", "지물"),
         ("工場", "공장"), ("技術", "기술"), ("市場", "시장"), ("人間", "인간"), ("生活", "생활"),
         ("文章", "문장"), ("言語", "언어"), ("家族", "가족"), ("都市", "도시"), ("風景", "풍경"))
LATIN = ("DTP", "PDF", "EPUB", "CMYK", "ISBN", "offset", "typography", "Gutenberg", "Unicode", "kerning",
         "layout", "proof", "Garamond", "Markdown", "CSS", "HTML", "letterpress", "serif", "workflow",
         "internationalization", "A5", "OpenType", "Linotype", "risograph")
UNITS = ("km", "쪽", "년", "월", "%", "mm", "kg", "원", "명", "부", "권", "℃", "cm", "시간", "분", "곳")
FAMILY_NAMES = "김이박최정강조윤장임한오서신권황안송류홍"

EXTERNAL = ("https://example.org/archive", "https://example.com/notes", "https://example.net/library",
            "https://example.org/press", "https://example.com/type")

SLUG_WORDS = ("alley", "paper", "ink", "press", "type", "proof", "bind", "fold", "plate", "sheet", "letter",
              "margin", "column", "spine", "cover", "quire", "gutter", "leading", "glyph", "stamp", "sort",
              "forme", "rule", "block")

PALETTE = ((243, 236, 220), (33, 30, 28), (196, 68, 45), (43, 62, 94), (122, 126, 132), (168, 172, 178),
           (84, 88, 95), (239, 229, 205), (90, 130, 96), (210, 170, 80), (150, 90, 60), (255, 255, 255),
           (60, 60, 60), (200, 200, 190), (120, 150, 180), (230, 200, 160))

CODE_SNIPPETS = {
    "css": ("@page {{ size: {w}mm {h}mm; margin: {m}mm; }}", "p {{ line-height: 1.{n}; text-indent: 1em; }}",
            "h2 {{ font-size: 1.{n}em; margin-top: {m}mm; }}", "/* {ko} */", "body {{ word-break: keep-all; }}",
            ".note {{ font-size: 0.{n}em; color: #{hex}; }}"),
    "python": ("def {name}(pages: int) -> int:", "    return pages * {n} + {m}", "# {ko}",
               "{name} = [{n}, {m}, {w}]", "for page in range({n}):", "    print(page, {name})",
               "if {name} > {m}:", "    {name} -= {n}"),
    "toml": ("[book]", 'title = "{ko}"', "pages = {w}", "[pdf]", 'trim = "{w}x{h}mm"', "bleed = \"{n}mm\"",
             "# {ko}"),
}


@dataclass(frozen=True)
class ArticleStub:
    """What other articles need to know about article i (before it is written)."""

    index: int
    file: str
    title: str


class Prose:
    """Korean-like words, sentences and paragraphs from one random stream and a shared lexicon."""

    def __init__(self, rng: random.Random, lexicon: Sequence[str], cumulative: Sequence[float]) -> None:
        self.rng = rng
        self.lexicon = lexicon
        self.cumulative = cumulative

    # -- words ------------------------------------------------------------------------------
    def stem(self) -> str:
        x = self.rng.random() * self.cumulative[-1]
        return self.lexicon[bisect.bisect_right(self.cumulative, x)]

    def particle(self, word: str) -> str:
        after_final, after_vowel, _ = self.rng.choices(PARTICLES, weights=[p[2] for p in PARTICLES])[0]
        return after_final if has_final(word) else after_vowel

    def number(self) -> str:
        unit = self.rng.choice(UNITS)
        if unit == "년":
            return f"{self.rng.randint(1890, 2025)}년"
        if unit == "월":
            return f"{self.rng.randint(1, 12)}월"
        if unit == "km":
            return f"{self.rng.randint(0, 40)}.{self.rng.randint(1, 9)}km"
        if unit == "원":
            return f"{self.rng.randint(1, 99) * 500:,}원"
        if unit == "℃":
            return f"{self.rng.randint(-12, 35)}℃"
        return f"{self.rng.randint(2, 480)}{unit}"

    def word(self) -> str:
        """One 어절: a stem with a particle or connective ending, sometimes a number, Hanja or Latin."""
        r = self.rng.random()
        if r < 0.04:
            number = self.number()
            return number + (self.particle(number) if "가" <= number[-1] <= "힣" and self.rng.random() < 0.6 else "")
        if r < 0.06:
            hanja, reading = self.rng.choice(HANJA)
            return f"{reading}({hanja}){self.particle(reading)}"
        if r < 0.065:
            hanja, _ = self.rng.choice(HANJA)
            return hanja + self.particle(hanja)
        if r < 0.07:  # ruby: the reading set over the Hanja
            hanja, reading = self.rng.choice(HANJA)
            return f"{{{hanja}|{reading}}}{self.particle(reading)}"
        if r < 0.085:
            latin = self.rng.choice(LATIN)
            return latin + self.rng.choice(("를", "가", "는", "로", "의", "와", ""))
        stem = self.stem()
        r = self.rng.random()
        if r < 0.62:
            return stem + self.particle(stem)
        if r < 0.80:
            return stem + self.rng.choice(CONNECTIVES)
        return stem

    def words(self, count: int) -> list[str]:
        return [self.word() for _ in range(count)]

    def phrase(self, low: int = 2, high: int = 4) -> str:
        """Bare stems, for titles, alt text, table cells and list items."""
        return " ".join(self.stem() for _ in range(self.rng.randint(low, high)))

    # -- sentences ---------------------------------------------------------------------------
    def sentence(self, *, emphasis: bool = False) -> str:
        count = self.rng.randint(5, 14)
        parts = self.words(count - 1)
        ending, mark = self.rng.choices(ENDINGS, weights=ENDING_WEIGHTS)[0]
        parts.append(self.stem() + ending)
        for i in range(len(parts) - 1):
            if self.rng.random() < 0.09 and parts[i][-1] not in ")":
                parts[i] += ","
        r = self.rng.random()
        if r < 0.12 and count > 5:  # a quoted span
            start = self.rng.randint(0, count - 4)
            end = start + self.rng.randint(1, 3)
            opening, closing = self.rng.choice((("「", "」"), ("“", "”"), ("‘", "’"), ('"', '"')))
            parts[start] = opening + parts[start].rstrip(",")
            parts[end] = parts[end].rstrip(",") + closing + self.rng.choice(("라고", "는", "이라는", ""))
        elif r < 0.20:  # a parenthesis after a word
            at = self.rng.randrange(len(parts) - 1)
            inside = self.rng.choice((self.phrase(1, 3), self.number(), self.rng.choice(LATIN),
                                      self.rng.choice(HANJA)[0]))
            parts[at] = parts[at].rstrip(",") + f" ({inside})"
        if emphasis:
            at = self.rng.randrange(len(parts) - 1)
            stars = "*" if self.rng.random() < 0.6 else "**"
            word = parts[at].rstrip(",")
            if not any(c in word for c in "()「」“”‘’\"*"):
                parts[at] = f"{stars}{word}{stars}" + ("," if parts[at].endswith(",") else "")
        return " ".join(parts) + mark

    def paragraph(self, low: int = 3, high: int = 7) -> str:
        count = self.rng.randint(low, high)
        emphasis_at = self.rng.randrange(count) if self.rng.random() < 0.35 else -1
        return " ".join(self.sentence(emphasis=i == emphasis_at) for i in range(count))


def has_final(word: str) -> bool:
    """Whether the last character of `word` is a Hangul syllable with a final consonant (받침)."""
    last = word[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    return last in "冊字本場間術物族市"  # Hanja read with a final consonant, roughly; Latin: no


def syllable(rng: random.Random) -> str:
    i = rng.choices(range(19), weights=INITIAL_WEIGHTS)[0]
    m = rng.choices(range(21), weights=MEDIAL_WEIGHTS)[0]
    f = rng.choices(range(28), weights=FINAL_WEIGHTS)[0]
    return chr(0xAC00 + (i * 21 + m) * 28 + f)


def make_lexicon(seed: int, size: int = 6000) -> tuple[list[str], list[float]]:
    """`size` distinct stems of 1–4 syllables (mostly 2) and their cumulative Zipf weights."""
    rng = random.Random(f"{seed}:lexicon")
    seen: set[str] = set()
    stems: list[str] = []
    while len(stems) < size:
        length = rng.choices((1, 2, 3, 4), weights=(18, 55, 21, 6))[0]
        stem = "".join(syllable(rng) for _ in range(length))
        if stem not in seen:
            seen.add(stem)
            stems.append(stem)
    cumulative = list(itertools.accumulate(1.0 / (rank + 8) ** 0.9 for rank in range(size)))
    return stems, cumulative


# ---------------------------------------------------------------------------------------------
# Articles


def stub(seed: int, index: int, prose: Prose) -> ArticleStub:
    rng = random.Random(f"{seed}:stub:{index}")
    slug = "-".join(rng.sample(SLUG_WORDS, 2))
    prose.rng = rng
    title = prose.phrase(2, 4)
    if rng.random() < 0.3:
        first, second = prose.stem(), prose.stem()
        title = f"{first}{'과' if has_final(first) else '와'} {second}"
    return ArticleStub(index, f"{index:03d}-{slug}.md", title)


def article_date(index: int) -> dt.date:
    """Monthly issues from January 2001: article 1 → 2001-01-15."""
    year, month = divmod(index - 1, 12)
    return dt.date(2001 + year, month + 1, 15)


def table(prose: Prose) -> list[str]:
    rng = prose.rng
    columns = rng.randint(3, 5)
    head = [prose.phrase(1, 2) for _ in range(columns)]
    align = ["---"] + [rng.choice(("---:", ":---:", "---")) for _ in range(columns - 1)]
    rows = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    for _ in range(rng.randint(3, 7)):
        cells = [prose.phrase(1, 2)] + [rng.choice((prose.number(), str(rng.randint(1, 9999)), prose.stem()))
                                         for _ in range(columns - 1)]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def code_block(prose: Prose) -> list[str]:
    rng = prose.rng
    language = rng.choice(sorted(CODE_SNIPPETS))
    lines = [f"```{language}"]
    for _ in range(rng.randint(4, 10)):
        template = rng.choice(CODE_SNIPPETS[language])
        lines.append(template.format(w=rng.randint(100, 200), h=rng.randint(150, 260), m=rng.randint(5, 30),
                                     n=rng.randint(1, 9), hex=f"{rng.randrange(0x1000000):06x}",
                                     name=rng.choice(("pages", "sheets", "quires", "leading", "folds")),
                                     ko=prose.phrase(2, 4)))
    lines.append("```")
    return lines


def bullet_list(prose: Prose, numbered: bool) -> list[str]:
    rng = prose.rng
    items = []
    for n in range(1, rng.randint(3, 6) + 1):
        text = prose.sentence() if rng.random() < 0.5 else prose.phrase(2, 5)
        items.append(f"{n}. {text}" if numbered else f"- {text}")
    return items


def blockquote(prose: Prose) -> list[str]:
    return ["> " + prose.paragraph(1, 3)]


def figure(prose: Prose, name: str) -> list[str]:
    alt = prose.phrase(3, 7)
    caption = prose.phrase(2, 5) + "."
    return [f'![{alt}](images/{name} "{caption}")']


def write_article(seed: int, article: ArticleStub, earlier: Sequence[ArticleStub], prose: Prose,
                  images: Path) -> str:
    """The Markdown of one article; its figures are drawn into `images`."""
    rng = random.Random(f"{seed}:article:{article.index}")
    prose.rng = rng
    target = rng.randint(4900, 6700)  # bytes of Markdown
    i = article.index
    tags = sorted({prose.stem() for _ in range(rng.randint(2, 4))})
    front = ["---", f'title: "{article.title}"']
    if rng.random() < 0.5:
        front.append(f'subtitle: "{prose.phrase(2, 5)}"')
    front += [f"date: {article_date(i).isoformat()}", f'author: "{author(seed, i % 5)}"',
              f"tags: [{', '.join(tags)}]", "---", ""]

    # The extra blocks this article carries, spread over its sections.
    extras: list[list[str]] = [bullet_list(prose, False), bullet_list(prose, True), blockquote(prose)]
    for k in range(1, rng.choice((1, 1, 2)) + 1):
        name = f"{i:03d}-{k}.png"
        draw_image(random.Random(f"{seed}:image:{i}:{k}"), images / name)
        extras.append(figure(prose, name))
    if i % 4 == 0:
        extras.append(table(prose))
    if i % 7 == 3:
        extras.append(code_block(prose))
    rng.shuffle(extras)

    sections = rng.randint(3, 5)
    body: list[list[str]] = [[prose.paragraph()]]
    notes = rng.randint(1, 3)
    budget = target - len("\n".join(front).encode()) - 180 * notes
    per_section = budget // (sections + 1)
    for s in range(sections):
        body.append([f"## {prose.phrase(1, 4)}"])
        section_bytes = 0
        while section_bytes < per_section * 0.6 or (not extras and section_bytes < per_section):
            paragraph = prose.paragraph()
            body.append([paragraph])
            section_bytes += len(paragraph.encode())
            if extras and rng.random() < 0.5:
                block = extras.pop()
                body.append(block)
                section_bytes += len("\n".join(block).encode())
        if rng.random() < 0.35 and s > 0:
            body.append([f"### {prose.phrase(1, 3)}"])
            body.append([prose.paragraph()])
        while extras and s == sections - 1:
            body.append(extras.pop())
            body.append([prose.paragraph(2, 4)])

    # Links: one to an earlier article, one outside; footnote references after sentences.
    paragraphs = [n for n, block in enumerate(body) if len(block) == 1 and not block[0].startswith(("#", "!", ">"))]
    if earlier:
        other = earlier[rng.randrange(len(earlier))]
        n = rng.choice(paragraphs[1:] or paragraphs)
        particle = "을" if has_final(other.title) else "를"
        body[n] = [body[n][0] + f" 자세한 이야기는 [{other.title}]({other.file}){particle} 보라."]
    n = rng.choice(paragraphs)
    word = prose.stem()
    body[n] = [body[n][0] + f" [{word}]({rng.choice(EXTERNAL)}/{i:03d}){prose.particle(word)} 참고했다."]
    for label, n in enumerate(sorted(rng.sample(paragraphs, min(notes, len(paragraphs)))), start=1):
        body[n] = [body[n][0] + f"[^{label}]"]
    definitions = [f"[^{label}]: {prose.paragraph(1, 2)}" for label in range(1, min(notes, len(paragraphs)) + 1)]

    blocks = ["\n".join(block) for block in body] + definitions
    return "\n".join(front) + "\n" + "\n\n".join(blocks) + "\n"


def author(seed: int, n: int) -> str:
    rng = random.Random(f"{seed}:author:{n}")
    return rng.choice(FAMILY_NAMES) + syllable(rng) + syllable(rng)


# ---------------------------------------------------------------------------------------------
# Images: palette PNGs large enough to print at ≥ 150 dpi in the text column, a few KB each.


def draw_image(rng: random.Random, path: Path, size: tuple[int, int] | None = None) -> None:
    width, height = size or rng.choice(((1000, 640), (1100, 700), (960, 720), (800, 1000)))
    image = Image.new("P", (width, height), 0)
    image.putpalette([v for color in PALETTE for v in color])
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(6, 14)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randint(40, width // 2), y0 + rng.randint(40, height // 2)
        color = rng.randrange(1, len(PALETTE))
        shape = rng.choice(("rect", "ellipse", "line", "polygon"))
        if shape == "rect":
            draw.rectangle((x0, y0, x1, y1), fill=color)
        elif shape == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=color, outline=1)
        elif shape == "line":
            draw.line((x0, y0, x1, y1), fill=color, width=rng.randint(2, 12))
        else:
            draw.polygon([(rng.randrange(width), rng.randrange(height)) for _ in range(rng.randint(3, 6))],
                         fill=color)
    step = rng.randint(24, 60)  # a ruled grid, like a proof sheet
    for x in range(0, width, step):
        draw.line((x, 0, x, height), fill=5)
    image.save(path, format="PNG")


# ---------------------------------------------------------------------------------------------


BOOK_TOML = """\
[book]
title = "{title}"
subtitle = "jebon 속도 측정용 합본, {count}편"
author = "{author}"
language = "ko"
publisher = "벤치마크서가"
date = "2026-01-01"
description = "jebon의 빌드 속도를 재려고 생성한 가상의 월간 잡지 {count}편. 글은 한국어처럼 보이는 무작위 문장이다."
tags = [{tags}]
cover = "cover.png"

[articles]
dir = "articles"

[typography]
line_break = "word"
emphasis_marks = "em"
"""


def generate(count: int, out: Path, seed: int = 7) -> list[Path]:
    """Write a book with `count` articles into `out` (replacing what is there); return the article files."""
    if out.exists():
        shutil.rmtree(out)
    articles = out / "articles"
    images = articles / "images"
    images.mkdir(parents=True)
    lexicon, cumulative = make_lexicon(seed)
    prose = Prose(random.Random(seed), lexicon, cumulative)
    stubs = [stub(seed, i, prose) for i in range(1, count + 1)]
    prose.rng = random.Random(f"{seed}:book")
    tags = ", ".join(f'"{prose.stem()}"' for _ in range(5))
    (out / "book.toml").write_text(BOOK_TOML.format(title="활자 너머", count=count, author=author(seed, 0),
                                                    tags=tags), encoding="utf-8")
    draw_image(random.Random(f"{seed}:cover"), out / "cover.png", (1200, 1800))
    paths = []
    for n, article in enumerate(stubs):
        path = articles / article.file
        path.write_text(write_article(seed, article, stubs[:n], prose, images), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, required=True, help="number of articles")
    parser.add_argument("--out", type=Path, required=True, help="book folder to write (replaced)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be 1 or more")
    paths = generate(args.articles, args.out, args.seed)
    size = sum(p.stat().st_size for p in paths)
    pictures = len(list((args.out / "articles" / "images").iterdir()))
    print(f"{args.out}: {len(paths)} articles, {size / 1e6:.2f} MB of Markdown "
          f"({size / len(paths) / 1e3:.1f} KB each), {pictures} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
