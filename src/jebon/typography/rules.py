"""Character classes for Korean line breaking (KLREQ, W3C "Requirements for Hangul Text Layout")."""

from __future__ import annotations

# May not start a line: closing brackets and quotes, stops and commas, ? ! · : ; and hyphens.
CLOSING = set(")]}〕〉》」』】〙〗〟’”｠»›" "、。，．,.:;?!‼⁇⁈⁉" "·・" "-‐‑–" "％%" "ー" "）］｝｣" "：；？！")
# May not end a line: opening brackets and quotes.
OPENING = set("([{〔〈《「『【〘〖〝‘“｟«‹（［｛｢")
# Runs that never break inside.
INSEPARABLE = set("…‥—―")
# Prefix symbols that stay with the number after them.
PREFIX = set("$₩￦€£¥￥#№+±−")
# Units and suffix symbols that stay with the number before them (single characters).
SUFFIX_SYMBOLS = set("%‰℃℉°′″㎜㎝㎞㎏㎎㎡㎥㎖㎗㎘㏄㎈㎉㎐㎑㎒㎓ℓ")


def is_hangul(char: str) -> bool:
    code = ord(char)
    return (0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F
            or 0xA960 <= code <= 0xA97F or 0xD7B0 <= code <= 0xD7FF)


def is_conjoining_jamo(char: str) -> bool:
    code = ord(char)
    return 0x1100 <= code <= 0x11FF or 0xA960 <= code <= 0xA97F or 0xD7B0 <= code <= 0xD7FF


def is_han(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or code >= 0x20000


def is_wide(char: str) -> bool:
    """Characters about one em wide in a Korean font (for width estimates)."""
    code = ord(char)
    return is_hangul(char) or is_han(char) or 0x3000 <= code <= 0x30FF or 0xFF00 <= code <= 0xFFEF \
        or 0x2460 <= code <= 0x24FF or 0x3200 <= code <= 0x33FF


def width_em(text: str) -> float:
    """Rough advance width in ems (Hangul and Hanja 1 em, Latin and digits about 0.55 em)."""
    return sum(0.0 if is_conjoining_jamo(c) and ord(c) >= 0x1160 else 1.0 if is_wide(c) else 0.55 for c in text)
