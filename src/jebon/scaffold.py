"""`jebon new`: a book folder that builds at once (book.toml and two short articles)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .errors import JebonError

_BOOK_TOML = '''[book]
title = "{title}"
author = "지은이"
language = "ko"
date = {date}
description = "jebon으로 만든 새 책입니다."

[articles]
dir = "articles"
'''

_FIRST = '''---
title: 첫 번째 글
date: {date}
---

이 글은 `jebon new`가 만든 보기 글입니다. 이 파일을 고쳐 쓰거나 지우고, `articles` 폴더에 Markdown
파일을 더하세요. 파일 이름 순서가 곧 책의 순서입니다.

## 글을 쓰는 방법

- 글 맨 위의 `---` 사이에 제목(title)과 날짜(date)를 적습니다.
- 본문은 Markdown으로 씁니다. **굵게**, *강조*, 각주[^1]를 쓸 수 있습니다.

[^1]: 각주는 글의 끝에 모입니다.
'''

_SECOND = '''# 두 번째 글

앞머리(front matter) 없이 `#` 제목으로 시작해도 됩니다. [첫 번째 글](01-first.md)로 가는 링크는
책 안의 링크가 됩니다.

> 책은 한 권씩 묶이지만, 글은 한 편씩 쓰입니다.
'''


def scaffold(book_dir: Path, today: dt.date | None = None) -> list[Path]:
    """Create a new book in `book_dir`; refuse to overwrite anything."""
    today = today or dt.date.today()
    if (book_dir / "book.toml").exists():
        raise JebonError(f"{book_dir / 'book.toml'} already exists; choose an empty folder")
    articles = book_dir / "articles"
    files = {
        book_dir / "book.toml": _BOOK_TOML.format(title=book_dir.resolve().name, date=today.isoformat()),
        articles / "01-first.md": _FIRST.format(date=today.isoformat()),
        articles / "02-second.md": _SECOND,
    }
    for path in files:
        if path.exists():
            raise JebonError(f"{path} already exists; choose an empty folder")
    articles.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
