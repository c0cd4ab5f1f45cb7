"""Korean line-breaking rules as data: `|` marks every position where a line may break."""

from __future__ import annotations

import pytest

from jebon.typography.breaks import NOTE_MARK, allowed_breaks, runs, token_break


def parse(marked: str) -> tuple[str, set[int]]:
    text, positions = "", set()
    for char in marked:
        if char == "|":
            positions.add(len(text))
        else:
            text += char
    return text, positions


WORD_CASES = [
    "을지로 |3가역 |4번 |출구로 |올라오면",
    "기온은 |영하 |7℃였는데, |셔터를",
    "가격은 |5,000원, |₩12,000, |$100이다.",
    "무게는 |30%, |3kg, |80g/㎡이다.",
    "그는 |“책은 |묶은 |것”이라고 |했다.",
    "괄호 |( 안쪽 )은 |떨어지지 |않는다.",
    "말줄임표 |……와 |줄표 |——도 |한 |덩어리.",
    f"각주{NOTE_MARK} |다음",
    "｢낫표｣와 |「홑낫표」, |『겹낫표』",
    "한국출판문화산업진흥원에서",
    "진달내ᄭᅩᆺ을 |읽는다",
    "internationalization과 |https://example.com/a/b",
]

SYLLABLE_CASES = [
    "을|지|로 |3가|역 |4번 |출|구|로",
    "기|온|은 |영|하 |7℃였|는|데, |셔|터|를",
    "가|격|은 |5,000원|이|다. |₩12,000",
    "그|는 |“책|은 |묶|은 |것”이|라|고",
    "寧|邊|의 |六|疊|房",
    "말|줄|임|표……와 |줄|표——도",
    f"각|주{NOTE_MARK} |다|음",
    "진|달|내|ᄭᅩᆺ|을",
    "1,200부|를 |찍|었|다.",
]


@pytest.mark.parametrize("marked", WORD_CASES)
def test_word_mode(marked: str) -> None:
    text, expected = parse(marked)
    assert allowed_breaks(text, "word") == expected


@pytest.mark.parametrize("marked", SYLLABLE_CASES)
def test_syllable_mode(marked: str) -> None:
    text, expected = parse(marked)
    assert allowed_breaks(text, "syllable") == expected


@pytest.mark.parametrize("mode", ["word", "syllable"])
@pytest.mark.parametrize("text", ["“(「『", ")」』”.,?!·:;", "…… —— ₩ 5 %"])
def test_no_line_starts_with_closing_or_ends_with_opening(mode: str, text: str) -> None:
    from jebon.typography.rules import CLOSING, OPENING

    source = f"가나 {text} 다라 ({text}) 마바"
    for i in allowed_breaks(source, mode):
        assert source[i] not in CLOSING
        j = i - 1
        while j >= 0 and source[j].isspace():
            j -= 1
        assert source[j] not in OPENING


def test_runs() -> None:
    assert runs("책을 읽는다.", "word") == [(0, 2), (3, 7)]


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="word or syllable"):
        allowed_breaks("가", "letter")


@pytest.mark.parametrize(("before", "after", "allowed"), [
    ("법", "(", True),  # 표기법|(camelCase)
    (")", "(", True),  # (2^53-1)|(9007…)
    (" ", "(", False),  # a space is a break of its own
    ("(", "(", False),  # an opening bracket never ends a line
    ("/", "e", True),  # https://|example.com
    (".", "j", True),  # Node.|js
    ("-", "x", True),  # data-|x
    (".", "1", False),  # 3.|14
    ("-", "1", False),  # 2026-|12
    ("/", "2", True),  # /2026/ in a path
    ("가", "나", False),  # a word is never split here
    ("a", "b", False),
    ("D", "%", True),  # …%ED|%9B… in a percent-encoded URL
    ("%", "E", False),
])
def test_token_breaks_split_no_word(before: str, after: str, allowed: bool) -> None:
    assert token_break(before, after) is allowed
