"""`jebon preview` and `jebon build --watch`: the served pages are the EPUB's, only the book is served,
broken edits show in the page, the watcher sees changes, and a real browser reloads with the bundled fonts."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from lxml import etree

from jebon import build, fonts, resources
from jebon.errors import UsageError
from jebon.preview import PreviewServer, safe_name
from jebon.watch import Rebuild, Watcher, WatchSet, book_inputs, watch_build

from .conftest import FEATURES, ROOT

T = TypeVar("T")
X = "{http://www.w3.org/1999/xhtml}"
FAST = 0.05  # the watchers' poll interval in these tests


def wait_for(check: Callable[[], T | None], timeout: float = 20.0, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET with the path sent exactly as given (no client-side normalisation of `..`)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture
def book(copy_book: Callable[[Path], Path]) -> Path:
    return copy_book(FEATURES)


@pytest.fixture
def server(book: Path) -> Iterator[PreviewServer]:
    preview = PreviewServer(book, port=0, interval=FAST)
    thread = threading.Thread(target=preview.serve_forever, daemon=True)
    thread.start()
    yield preview
    preview.close()
    thread.join(timeout=10)
    assert not thread.is_alive()


def version(server: PreviewServer) -> str:
    return get(server.port, "/_jebon/version")[2].decode()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new), "utf-8")


# -- what is served ---------------------------------------------------------------------------

def test_pages_are_the_epub_documents(server: PreviewServer, book: Path, tmp_path: Path) -> None:
    epub = zipfile.ZipFile(build(book, ["epub"], tmp_path / "out").outputs[0].path)
    chapters = sorted(n for n in epub.namelist() if re.fullmatch(r"EPUB/ch\d+\.xhtml", n))
    assert len(chapters) == 3
    for name in chapters:
        status, headers, body = get(server.port, "/" + name.removeprefix("EPUB/"))
        assert status == 200 and headers["Content-Type"].startswith("application/xhtml+xml")
        served, packed = etree.fromstring(body), etree.fromstring(epub.read(name))
        # The article itself is byte for byte the EPUB's; the preview only adds its bars and script.
        assert etree.tostring(served.find(f".//{X}section")) == etree.tostring(packed.find(f".//{X}section"))
        assert served.find(f".//{X}script").get("src") == "/_jebon/live.js"
        assert len(served.findall(f".//{X}nav[@class='jebon-preview top']")) == 1
        assert b"jebon-preview" not in epub.read(name) and b"live.js" not in epub.read(name)
    # the same stylesheet; the preview's @font-face rules name every bundled face (it serves them whole)
    served, packed = get(server.port, "/styles/epub.css")[2], epub.read("EPUB/styles/epub.css")
    start = b"/* jebon \xe2\x80\x94 EPUB stylesheet"
    assert served[served.index(start):] == packed[packed.index(start):]
    # Every image a page shows is served, with the type the EPUB gives it.
    page = etree.fromstring(get(server.port, "/ch01.xhtml")[2])
    sources = [img.get("src") for img in page.iter(f"{X}img")]
    assert sources
    for src in sources:
        status, headers, body = get(server.port, "/" + src)
        assert status == 200 and headers["Content-Type"].startswith("image/") and body == epub.read(f"EPUB/{src}")


def test_index_is_the_toc_and_pages_link_in_reading_order(server: PreviewServer) -> None:
    status, _, body = get(server.port, "/")
    assert status == 200
    index = etree.fromstring(body)
    toc = [a.get("href") for a in index.iterfind(f".//{X}nav[@id='toc']/{X}ol/{X}li/{X}a")]
    assert toc == ["ch01.xhtml", "ch02.xhtml", "ch03.xhtml"]

    def bar(name: str) -> tuple[str | None, str | None]:
        page = etree.fromstring(get(server.port, name)[2])
        links = {a.get("rel"): a.get("href") for a in page.find(f".//{X}nav[@class='jebon-preview top']").iter(f"{X}a")}
        return links.get("prev"), links.get("next")

    assert bar("/ch01.xhtml") == ("nav.xhtml", "ch02.xhtml")
    assert bar("/ch02.xhtml") == ("ch01.xhtml", "ch03.xhtml")
    assert bar("/ch03.xhtml") == ("ch02.xhtml", "colophon.xhtml")
    assert bar("/cover.xhtml") == (None, "title.xhtml")
    assert get(server.port, "/colophon.xhtml")[0] == 200


def test_an_articles_warnings_show_on_its_page_only(server: PreviewServer, book: Path) -> None:
    before = version(server)
    edit(book / "articles" / "c-third.md", "DTP는 약어입니다.", "DTP는 약어입니다. 𠀀")
    wait_for(lambda: version(server) != before, what="the re-render")
    page = get(server.port, "/ch03.xhtml")[2].decode()
    assert "U+20000) is in no bundled font" in page and "articles/c-third.md:19" in page
    assert "U+20000" not in get(server.port, "/ch01.xhtml")[2].decode()
    assert "&lt;script&gt; removed" in get(server.port, "/ch02.xhtml")[2].decode()  # a-first.md is the 2nd article


def test_bundled_fonts_are_served_whole_and_revalidated(server: PreviewServer) -> None:
    css = get(server.port, "/styles/epub.css")[2].decode()
    for face in fonts.FACES:
        name = f"{face.key}.{face.extension}"
        assert f'url("../fonts/{name}")' in css  # the names epub.css asks for…
        status, headers, body = get(server.port, f"/fonts/{name}")
        assert status == 200 and headers["Content-Type"] == face.media_type
        assert body == face.path.read_bytes()  # …are the bundled files
        again = get(server.port, f"/fonts/{name}", {"If-None-Match": headers["ETag"]})
        assert again[0] == 304 and again[2] == b""


@pytest.mark.parametrize("path", [
    "/../book.toml", "/..%2fbook.toml", "/%2e%2e/%2e%2e/etc/passwd", "/images/../../book.toml",
    "/fonts/..%2F..%2Fpyproject.toml", "/fonts/../../fonts/OFL.txt", "/_jebon/../book.toml",
    "/images/%5c..%5c..%5cbook.toml", "/ch01.xhtml%00.png", "/./book.toml",
    "/book.toml", "/articles/a-first.md", "/articles/img/dot.jpg", "//etc/passwd", "/etc/passwd",
    "/fonts/OFL.txt", "/fonts/JebonSerifKR-Regular.otf", "/styles/print.css", "/build/features.epub",
    "http://127.0.0.1/../book.toml",
])
def test_only_the_book_is_served(server: PreviewServer, book: Path, path: str) -> None:
    status, _, body = get(server.port, path)
    assert status in (403, 404), (path, status)
    assert b"[book]" not in body and b"root:" not in body and b"title" not in body


def test_path_names_with_dot_segments_are_refused() -> None:
    assert safe_name("/ch01.xhtml?x=1#y") == "ch01.xhtml"
    assert safe_name("/") == ""
    for raw in ("/../x", "/a/%2e%2e/x", "/a/./x", "/a\\..\\x", "/a%5cb", "/x%00"):
        assert safe_name(raw) is None, raw


def test_listens_on_loopback_only_and_refuses_other_host_names(server: PreviewServer) -> None:
    assert server.httpd.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}/"
    assert get(server.port, "/", {"Host": f"localhost:{server.port}"})[0] == 200
    # A page on another site that points its own name at 127.0.0.1 (DNS rebinding) gets nothing.
    assert get(server.port, "/", {"Host": f"attacker.example:{server.port}"})[0] == 403


def test_port_in_use_is_a_clear_error(book: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError) as info:
            PreviewServer(book, port=port)
    message = str(info.value)
    assert f"port {port}" in message and "--port" in message


def test_volume_out_of_range_and_missing_book_are_errors(book: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--volume 2: the book has volumes 1–1"):
        PreviewServer(book, port=0, volume=2)
    with pytest.raises(Exception, match="no such book folder"):
        PreviewServer(tmp_path / "nowhere", port=0)


# -- live reload and broken edits ----------------------------------------------------------------

def test_broken_front_matter_is_shown_in_the_page_then_recovers(server: PreviewServer, book: Path) -> None:
    first = version(server)
    article = book / "articles" / "a-first.md"
    good = article.read_text("utf-8")
    edit(article, "date: 2025-02-01", "date: 2025-02-01: 오후")  # line 3
    wait_for(lambda: version(server) != first, what="a new version after the broken edit")
    for page in ("/", "/ch02.xhtml", "/ch01.xhtml"):
        status, headers, body = get(server.port, page)
        text = body.decode()
        assert status == 500 and headers["Content-Type"].startswith("application/xhtml+xml")
        assert "articles/a-first.md:3" in text and "invalid YAML in front matter" in text, text
        assert "/_jebon/live.js" in text  # the error page reloads itself when the file is fixed
    assert get(server.port, "/styles/epub.css")[0] == 200
    broken = version(server)
    article.write_text(good, "utf-8")
    wait_for(lambda: version(server) != broken, what="a new version after the fix")
    status, _, body = get(server.port, "/ch02.xhtml")
    assert status == 200 and "두 번째로 오는 글" in body.decode()


def test_styles_and_fonts_are_watched_too(book: Path) -> None:
    watched = book_inputs(book, book / "out")
    assert resources.data_dir("styles") in watched.roots and resources.data_dir("fonts") in watched.roots
    snapshot = watched.snapshot()
    assert book.resolve() / "book.toml" in snapshot and book.resolve() / "articles" / "img" / "box.svg" in snapshot
    assert resources.data_dir("fonts") / fonts.FACES[0].file in snapshot
    (book / "build").mkdir()
    (book / "build" / "x.epub").write_bytes(b"x")
    (book / "out").mkdir()
    (book / "out" / "x.epub").write_bytes(b"x")
    assert not [p for p in watched.snapshot() if "build" in p.parts or "out" in p.parts]


def test_watcher_reports_each_change_once_and_ignores_noise(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("가")
    (tmp_path / "build").mkdir()
    watcher = Watcher(WatchSet((tmp_path,), (tmp_path / "build",)), FAST)
    stop = threading.Event()
    # Noise: outputs, hidden files, editor swap and backup files, Vim's write test.
    for name in ("build/x.epub", ".a.md.swp", "a.md~", "4913", ".#a.md", "a.md.swp"):
        (tmp_path / name).write_text("x")
    assert watcher.changes() == set()

    def save_in_steps() -> None:  # an editor's save: truncate, write, write again
        for text in ("", "가나", "가나다"):
            (tmp_path / "a.md").write_text(text)
            time.sleep(FAST / 5)

    threading.Thread(target=save_in_steps).start()
    assert watcher.wait(stop) == {tmp_path / "a.md"}
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    (tmp_path / "a.md").unlink()
    assert watcher.wait(stop) == {tmp_path / "img.png", tmp_path / "a.md"}
    threading.Timer(FAST * 4, stop.set).start()
    assert watcher.wait(stop) == set()  # nothing changed: returns only when stopped


def test_build_watch_rebuilds_once_per_change(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    results: list[Rebuild] = []
    stop = threading.Event()
    watcher = Watcher(book_inputs(book, out), FAST)
    thread = threading.Thread(target=watch_build, args=(watcher, lambda: build(book, ["epub"], out),
                                                         results.append, stop))
    thread.start()
    try:
        article = book / "articles" / "c-third.md"
        edit(article, "## 둘째 절", "## 둘째 절\n\n고쳐 쓴 문장이 새로 들어갔다.")
        wait_for(lambda: len(results) >= 1, what="the first rebuild")
        assert results[0].ok and results[0].changed == (article.resolve(),)
        epub = zipfile.ZipFile(out / f"{book.name}.epub")
        assert "고쳐 쓴 문장이 새로 들어갔다." in epub.read("EPUB/ch03.xhtml").decode()
        time.sleep(FAST * 6)  # six more polls: the build's own output must not trigger another build
        assert len(results) == 1
        (book / "book.toml").write_text("[book\n", "utf-8")
        wait_for(lambda: len(results) >= 2, what="the failed rebuild")
        assert not results[1].ok and "invalid TOML" in str(results[1].problems[0])
        assert thread.is_alive()  # a failed build does not end the watch
        shutil.copy(FEATURES / "book.toml", book / "book.toml")
        wait_for(lambda: len(results) >= 3, what="the rebuild after the fix")
        assert results[2].ok and len(results) == 3
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


# -- the command line ------------------------------------------------------------------------------

def _start(args: list[str], tmp_path: Path, name: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    stdout, stderr = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    proc = subprocess.Popen([sys.executable, "-m", "jebon", *args], stdout=stdout.open("wb"),
                            stderr=stderr.open("wb"), env=os.environ | {"COLUMNS": "200"})
    return proc, stdout, stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cli_preview_serves_until_interrupted(book: Path, tmp_path: Path, signum: int) -> None:
    proc, stdout, stderr = _start(["preview", str(book), "--port", "0"], tmp_path, "preview")
    try:
        url = wait_for(lambda: re.search(r"http://127\.0\.0\.1:\d+/", stdout.read_text()), what="the URL")[0]
        port = urlsplit(url).port
        assert port is not None and get(port, "/")[0] == 200
        # A second preview on the same port says which port and what to do.
        second = subprocess.run([sys.executable, "-m", "jebon", "preview", str(book), "--port", str(port)],
                                capture_output=True, text=True, timeout=60, env=os.environ | {"COLUMNS": "200"})
        assert second.returncode == 2 and f"port {port}" in second.stderr and "--port" in second.stderr
        edit(book / "articles" / "c-third.md", "## 둘째 절", "## 둘째 절 고침")
        wait_for(lambda: "reloaded" in stdout.read_text(), what="the reload message")
    finally:
        proc.send_signal(signum)
        proc.wait(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in stderr.read_text() and "preview stopped" in stderr.read_text()


def test_cli_build_watch_rebuilds_and_stops_cleanly(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc, stdout, stderr = _start(["build", str(book), "--out", str(out), "--watch"], tmp_path, "watch")
    try:
        wait_for(lambda: "watching" in stderr.read_text(), what="the first build")
        edit(book / "articles" / "c-third.md", "## 둘째 절", "## 둘째 절 고침")
        line = wait_for(lambda: re.search(r".*rebuilt.*", stdout.read_text()), what="the rebuild line")[0]
        assert "articles/c-third.md changed" in line and f"{book.name}.epub" in line
        (book / "book.toml").write_text("[book\n", "utf-8")
        wait_for(lambda: "build failed" in stderr.read_text(), what="the failure line")
        assert "book.toml:1: invalid TOML" in stderr.read_text()
        assert proc.poll() is None  # a failed rebuild does not end the watch
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in stderr.read_text()
    assert stdout.read_text().count("rebuilt") == 1


def test_cli_build_watch_refuses_json_and_a_missing_book(book: Path, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "jebon", "build", str(book), "--watch", "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--watch and --json" in result.stderr
    result = subprocess.run([sys.executable, "-m", "jebon", "build", str(tmp_path / "nowhere"), "--watch"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no such folder" in result.stderr  # a usage error, like any wrong argument


# -- a real browser ----------------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--remote-debugging-port=0"]


class Browser:
    """Headless Chromium driven over the Chrome DevTools Protocol (websocket-client)."""

    def __init__(self, profile: Path) -> None:
        import websocket

        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            if os.environ.get("JEBON_NEED_BROWSER"):  # .ci/run installs it: there, its absence is a failure
                pytest.fail("chromium is not installed (JEBON_NEED_BROWSER is set)")
            pytest.skip("the browser test needs Chromium, which PyPI does not carry: "
                        "apt-get install chromium (Debian) — .ci/run installs it")
        self.log = profile.with_suffix(".log")
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                         stdout=subprocess.DEVNULL, stderr=log)
        try:
            found = wait_for(lambda: re.search(r"DevTools listening on (ws://\S+)",
                                               self.log.read_text(errors="replace")),
                             timeout=60, what="Chromium's DevTools address")
            port = urlsplit(found[1]).port
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
                targets = json.load(response)
            page = next(t for t in targets if t["type"] == "page")
            self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        except BaseException:
            self.close()
            raise
        self._id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                assert "error" not in message, (method, message["error"])
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def text(self) -> str:
        """The page's text; empty while the page is being replaced (the preview reloads it after an
        edit, and Chromium refuses to evaluate in a page that is navigating away)."""
        try:
            return str(self.evaluate("document.body ? document.body.innerText : ''"))
        except AssertionError as error:
            if "navigated or closed" in str(error):
                return ""
            raise

    def fonts_of(self, selector: str) -> list[dict[str, Any]]:
        """The fonts Chromium actually drew the element's text with (not what the CSS asked for)."""
        root = self.call("DOM.getDocument", depth=-1)["root"]["nodeId"]
        node = self.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        assert node, f"no element matches {selector}"
        fonts: list[dict[str, Any]] = self.call("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
        return fonts

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    chromium = Browser(tmp_path / "chromium-profile")
    yield chromium
    chromium.close()


def test_browser_shows_the_bundled_fonts_and_reloads_on_edit(server: PreviewServer, book: Path,
                                                              browser: Browser) -> None:
    browser.call("Page.enable")
    browser.call("Page.navigate", url=server.url + "ch01.xhtml")
    wait_for(lambda: "앞머리 없이 제목으로 시작하는 글입니다" in browser.text(), what="the article in the browser")
    assert browser.evaluate("document.fonts.ready.then(() => document.fonts.status)") == "loaded"
    loaded = browser.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family + ' ' + "
                              "f.weight).sort()")
    assert '"Jebon Serif KR" 400' in loaded or "Jebon Serif KR 400" in loaded, loaded
    browser.call("DOM.enable")
    browser.call("CSS.enable")
    # The Korean body text is drawn with the bundled serif, the heading with the bundled sans: no
    # glyph comes from a system font (this machine has Noto CJK, which would look almost the same).
    for selector, family in ((".chapter-body > p", fonts.SERIF), ("h1", fonts.SANS)):
        used = browser.fonts_of(selector)
        assert used and all(f["familyName"] == family and f["isCustomFont"] for f in used), (selector, used)
        assert sum(f["glyphCount"] for f in used) >= 6
    browser.evaluate("window.jebonMarker = 1")
    assert browser.evaluate("document.documentElement.scrollHeight > innerHeight + 120")
    browser.evaluate("window.scrollTo(0, 120)")
    edit(book / "articles" / "b-second.md", "앞머리 없이 제목으로 시작하는 글입니다.",
         "방금 고쳐 쓴 첫 문장입니다.")
    wait_for(lambda: "방금 고쳐 쓴 첫 문장입니다" in browser.text(), what="the edited text after the reload")
    assert browser.evaluate("typeof window.jebonMarker") == "undefined"  # a reload, not a patch
    wait_for(lambda: browser.evaluate("scrollY") == 120, timeout=5, what="the scroll position kept")
    after = browser.text()
    assert "방금 고쳐 쓴 첫 문장입니다" in after and "앞머리 없이" not in after
    used = browser.fonts_of(".chapter-body > p")
    assert all(f["familyName"] == fonts.SERIF for f in used), used


def test_readme_and_docs_mention_preview() -> None:
    doc = (ROOT / "docs" / "preview.md").read_text("utf-8")
    assert "127.0.0.1" in doc and "--watch" in doc
