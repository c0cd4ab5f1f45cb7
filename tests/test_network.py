"""No request leaves a build unless --allow-remote is given; then remote images are size- and time-limited."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

from jebon import build, images


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path.startswith("/big"):
            body = b"\x89PNG\r\n\x1a\n" + b"\0" * 4096
        else:
            buffer = io.BytesIO()
            Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, format="PNG")
            body = buffer.getvalue()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def remote_book(tmp_path: Path, base: str) -> Path:
    tmp_path.mkdir(parents=True)
    (tmp_path / "book.toml").write_text('[book]\ntitle = "원격 그림"\n', encoding="utf-8")
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.md").write_text(
        f"# 글\n\n![빨간 네모]({base}/red.png)\n\n![큰 그림]({base}/big.png)\n", encoding="utf-8")
    return tmp_path


def test_no_request_without_allow_remote(tmp_path: Path, server: str) -> None:
    book = remote_book(tmp_path / "book", server)
    report = build(book, ["epub", "pdf"], tmp_path / "out")
    assert _Handler.requests == []
    assert any("not fetched" in p.message and p.line == 3 for p in report.warnings)
    epub = zipfile.ZipFile(tmp_path / "out" / "book.epub")
    assert "빨간 네모" in epub.read("EPUB/ch01.xhtml").decode()
    assert not [n for n in epub.namelist() if n.startswith("EPUB/images/") and "cover" not in n]


def test_allow_remote_fetches_within_limits(tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_REMOTE_BYTES", 1024)
    book = remote_book(tmp_path / "book", server)
    report = build(book, ["epub"], tmp_path / "out", allow_remote=True)
    assert sorted(_Handler.requests) == ["/big.png", "/red.png"]
    epub = zipfile.ZipFile(tmp_path / "out" / "book.epub")
    fetched = [n for n in epub.namelist() if n.startswith("EPUB/images/") and "cover" not in n]
    assert len(fetched) == 1 and fetched[0].endswith(".png")
    assert any("larger than" in p.message for p in report.warnings)
