"""`jebon preview`: the book's EPUB documents, CSS and fonts served on 127.0.0.1, reloaded on every change."""

from __future__ import annotations

import errno
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from . import config as config_mod
from . import fonts
from .errors import Diagnostics, JebonError, Problem, UsageError, log
from .images import Asset
from .model import edition
from .render import XHTML_NS
from .watch import INTERVAL, Watcher, book_inputs
from .writers.epub import DOC, EpubBuilder, stylesheet
from .writers.xhtml import E, document

HOST = "127.0.0.1"
"""The only address the preview listens on: the book is never served to the network."""
PREFIX = "_jebon/"
"""The preview's own files (live-reload script, its CSS, the version); never a name in an EPUB."""
CSS_NAME = EpubBuilder.css_name

_LIVE_JS = """\
// jebon preview: reload this page when the book changes (polls the server's version).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="jebon-preview-version"]');
  var version = meta ? meta.getAttribute("content") : "";
  function poll() {
    fetch("/_jebon/version", { cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (now) {
        if (now.trim() !== version) { location.reload(); } else { setTimeout(poll, 400); }
      }, function () { setTimeout(poll, 1000); });  // server stopped or restarting: keep trying
  }
  setTimeout(poll, 400);
})();
"""

_PREVIEW_CSS = """\
/* jebon preview only (never in the EPUB): a reader-like column and the navigation bar. */
html { background: #fbfaf7; }
body, body.cover-page { max-width: 36em; margin: 0 auto; padding: 0 1.5em 3em; }
nav.jebon-preview { font-family: "Jebon Sans KR", sans-serif; font-size: 0.8rem; line-height: 1.5;
  display: flex; justify-content: space-between; gap: 1em; padding: 0.8em 0; color: #555;
  border-bottom: 1px solid #ddd; text-indent: 0; }
nav.jebon-preview.bottom { border-bottom: none; border-top: 1px solid #ddd; margin-top: 3em; }
nav.jebon-preview a { color: #b03a2e; text-decoration: none; }
nav.jebon-preview .prev, nav.jebon-preview .next { flex: 1; }
nav.jebon-preview .next { text-align: right; }
nav.jebon-preview .up { text-align: center; }
.jebon-warnings { font-family: "Jebon Sans KR", sans-serif; font-size: 0.8rem; color: #7a5a00;
  background: #fff8e1; border: 1px solid #f0d98a; padding: 0.5em 1em; margin: 1em 0; text-align: left; }
.jebon-warnings p { text-indent: 0; margin: 0.3em 0; font-weight: 700; }
.jebon-warnings ul { margin: 0.3em 0; }
.jebon-warnings li, .jebon-errors li { margin: 0.4em 0; text-indent: 0; }
.jebon-errors { font-family: "Jebon Sans KR", sans-serif; margin: 2em 0; text-align: left; }
.jebon-errors h1 { color: #b03a2e; font-size: 1.3em; }
.jebon-errors code { font-family: "Jebon Sans KR", monospace; font-weight: 700; }
.jebon-errors .hint { color: #555; }
.jebon-errors p { text-indent: 0; }
"""


@dataclass(frozen=True)
class Resource:
    """One response body and its media type."""

    data: bytes
    media_type: str


@dataclass(frozen=True)
class Site:
    """One rendering of the book, or the problems that stopped it. Immutable: a change makes a new one
    and the server swaps it whole, so a request never sees half a rendering."""

    version: str
    book_dir: Path
    files: Mapping[str, Resource] = field(default_factory=dict)
    """Page and file names as in the EPUB (`ch01.xhtml`, `styles/epub.css`, `images/…`) → bodies."""
    problems: tuple[Problem, ...] = ()
    """Errors: every page shows them instead of the book."""
    warnings: tuple[Problem, ...] = ()
    seconds: float = 0.0
    volumes: int = 0
    """How many volumes the book has (0 when it could not be read)."""
    cover: Callable[[], tuple[Asset, Resource]] | None = None
    """The cover image and page, made on first request (a generated cover takes a moment to draw)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _neighbours(names: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """Previous and next page of each page in `names` (the EPUB's reading order)."""
    return {name: (names[index - 1] if index else None, names[index + 1] if index + 1 < len(names) else None)
            for index, name in enumerate(names)}


def _bar(prev: tuple[str, str] | None, nxt: tuple[str, str] | None, position: str) -> etree._Element:
    """The preview's navigation bar: previous page · contents · next page."""
    bar = E("nav", {"class": f"jebon-preview {position}", "aria-label": "미리 보기 탐색"})
    bar.append(E("span", {"class": "prev"}, None, *([E("a", {"href": prev[0], "rel": "prev"}, f"← {prev[1]}")]
                                                   if prev else [])))
    bar.append(E("span", {"class": "up"}, None, E("a", {"href": "/"}, "차례")))
    bar.append(E("span", {"class": "next"}, None, *([E("a", {"href": nxt[0], "rel": "next"}, f"{nxt[1]} →")]
                                                   if nxt else [])))
    return bar


def inject(doc: bytes, version: str, prev: tuple[str, str] | None = None, nxt: tuple[str, str] | None = None,
           warnings: list[Problem] | None = None, book_dir: Path | None = None) -> bytes:
    """An EPUB content document with the preview's additions: the version, the live-reload script, the
    preview CSS and navigation bars (the EPUB itself never gets these)."""
    root = etree.fromstring(doc)
    head = root.find(f"{{{XHTML_NS}}}head")
    body = root.find(f"{{{XHTML_NS}}}body")
    assert head is not None and body is not None
    head.append(E("meta", {"name": "jebon-preview-version", "content": version}))
    head.append(E("link", {"rel": "stylesheet", "type": "text/css", "href": f"/{PREFIX}preview.css"}))
    head.append(E("script", {"src": f"/{PREFIX}live.js"}, ""))
    body.insert(0, _bar(prev, nxt, "top"))
    if warnings:
        box = E("aside", {"class": "jebon-warnings", "role": "note"}, None,
                E("p", None, f"경고 {len(warnings)}건 (EPUB에는 나오지 않습니다)"), E("ul"))
        for problem in warnings:
            box[-1].append(E("li", None, _relative(problem, book_dir)))
        body.append(box)
    body.append(_bar(prev, nxt, "bottom"))
    return etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>")


def _relative(problem: Problem, book_dir: Path | None) -> str:
    """A problem as text, its file named relative to the book folder when it is inside it."""
    if problem.path is not None and book_dir is not None:
        try:
            shown = problem.path.resolve().relative_to(book_dir.resolve())
        except ValueError:
            shown = problem.path
        where = f"{shown}:{problem.line}" if problem.line else str(shown)
        text = f"{where}: {problem.message}"
        return f"{text} ({problem.hint})" if problem.hint else text
    return str(problem)


def error_page(problems: tuple[Problem, ...], version: str, book_dir: Path) -> bytes:
    """What every page shows while the book cannot be rendered: each error with its file and line."""
    items = E("ul")
    for problem in problems:
        where = _relative(Problem("", problem.path, problem.line), book_dir).removesuffix(": ")
        li = E("li")
        if problem.path is not None:
            li.append(E("code", {"class": "where"}, where))
            li[-1].tail = " "
        li.append(E("span", {"class": "message"}, problem.message))
        if problem.hint:
            li.append(E("span", {"class": "hint"}, f" ({problem.hint})"))
        items.append(li)
    count = f"{len(problems)} error{'s' if len(problems) != 1 else ''}"
    section = E("section", {"class": "jebon-errors", "role": "alert"}, None,
                E("h1", None, f"The book cannot be shown: {count}"), items,
                E("p", None, "Fix the file and save it: this page reloads by itself."))
    doc = document("jebon preview: errors", "en", [section], css=CSS_NAME)
    return inject(doc, version)


def render_site(book_dir: Path | str, volume: int = 1, version: str = "0") -> Site:
    """Render one volume of the book into a Site: every page the EPUB has, as the EPUB writer makes it,
    plus the preview's additions. Problems become an error Site; this never raises for a broken book."""
    start = time.perf_counter()
    root = Path(book_dir)
    files: dict[str, Resource] = {f"{PREFIX}live.js": Resource(_LIVE_JS.encode(), "text/javascript; charset=utf-8"),
                                  f"{PREFIX}preview.css": Resource(_PREVIEW_CSS.encode(), "text/css; charset=utf-8")}
    diag = Diagnostics()
    volumes = 0
    try:
        from .api import load_book, render_checked  # the one place books are read and rendered

        book = load_book(root, diag)
        volumes = len(book.volumes)
        if not 1 <= volume <= volumes:
            raise UsageError(f"--volume {volume}: the book has volumes 1–{len(book.volumes)}")
        rendered = render_checked(book, book.volumes[volume - 1], diag)
        meta, series = edition(book, book.volumes[volume - 1])
        builder = EpubBuilder(book.config, rendered, meta=meta, series=series)
    except JebonError as exc:
        problems = tuple(exc.problems)
    except Exception as exc:  # a file that vanished mid-read, or a bug: shown, and the next save retries
        log.debug("preview render failed", exc_info=True)
        problems = (Problem(f"jebon failed: {type(exc).__name__}: {exc}",
                            hint="save the file again; if it persists, please report it"),)
    else:
        return _site(builder, files, version, root, diag, time.perf_counter() - start, volumes)
    if not any(p.severity == "error" for p in problems):  # a crash with only warnings collected so far
        problems += (Problem("the book could not be rendered"),)
    files[CSS_NAME] = Resource(stylesheet(), "text/css; charset=utf-8")
    page = Resource(error_page(problems, version, root), f"{DOC}; charset=utf-8")
    files[""] = page
    return Site(version, root, files, problems, tuple(diag.warnings), time.perf_counter() - start, volumes)


def _site(builder: EpubBuilder, files: dict[str, Resource], version: str, root: Path, diag: Diagnostics,
          seconds: float, volumes: int) -> Site:
    """A rendered volume's pages in the EPUB's reading order (cover, title page, series page, contents,
    articles, colophon); the contents page is also the index, at /."""
    chapters = builder.rendered.chapters
    titles = {"cover.xhtml": "표지", "title.xhtml": "속표지", "series.xhtml": "시리즈", "nav.xhtml": "차례",
              "colophon.xhtml": "판권"} | {c.file_name: c.article.title for c in chapters}
    spine = ["cover.xhtml", "title.xhtml", *(["series.xhtml"] if builder.series is not None else []), "nav.xhtml",
             *[c.file_name for c in chapters], "colophon.xhtml"]
    neighbours = _neighbours(spine)

    def page(name: str, doc: bytes, warnings: list[Problem] | None = None) -> Resource:
        prev, nxt = neighbours.get(name, (None, None))
        return Resource(inject(doc, version, (prev, titles[prev]) if prev else None,
                               (nxt, titles[nxt]) if nxt else None, warnings, root), f"{DOC}; charset=utf-8")

    files["nav.xhtml"] = files[""] = page("nav.xhtml", builder.nav())
    files["title.xhtml"] = page("title.xhtml", builder.title_page())
    if builder.series is not None:
        files["series.xhtml"] = page("series.xhtml", builder.series_page())
    for chapter in chapters:
        path = chapter.article.path.resolve()
        own = [p for p in diag.warnings if p.path is not None and p.path.resolve() == path]
        files[chapter.file_name] = page(chapter.file_name, builder.chapter_page(chapter), own)
    files["colophon.xhtml"] = page("colophon.xhtml", builder.colophon())
    files[CSS_NAME] = Resource(builder.stylesheet(), "text/css; charset=utf-8")
    for asset in builder.rendered.assets:
        files[asset.name] = Resource(asset.data, asset.media_type)
    lock = threading.Lock()
    made: list[tuple[Asset, Resource]] = []

    def cover() -> tuple[Asset, Resource]:
        with lock:
            if not made:
                asset = builder.cover_asset()
                made.append((asset, page("cover.xhtml", builder.cover_page(asset))))
            return made[0]

    return Site(version, root, files, (), tuple(diag.warnings), seconds, volumes, cover)


FONT_FILES = {f"fonts/{face.key}.{face.extension}": face for face in fonts.FACES}
"""The names epub.css's @font-face rules ask for → the bundled font files (served whole)."""


def safe_name(raw_path: str) -> str | None:
    """The file name a request asks for (`ch01.xhtml`, `images/x.png`, `` for the index), or None when it
    tries to leave the site: `..` or `.` segments (also percent-encoded), backslashes, NUL bytes."""
    name = unquote(urlsplit(raw_path).path)
    if "\\" in name or "\x00" in name or any(part in (".", "..") for part in name.split("/")):
        return None
    return name.lstrip("/")


class PreviewServer:
    """Serves one volume of a book on 127.0.0.1 and re-renders it when its files change.

    Only names the rendering made (pages, epub.css, the book's images) and the bundled fonts are
    served; a URL is never mapped onto the file system. `on_render(site, changed)` is called after
    every re-render (for the command line's messages)."""

    def __init__(self, book_dir: Path | str, *, port: int = 8000, volume: int = 1, interval: float = INTERVAL,
                 on_render: Callable[[Site, set[Path]], None] | None = None) -> None:
        self.book_dir = Path(book_dir)
        if not (self.book_dir / config_mod.CONFIG_NAME).is_file():
            config_mod.load(self.book_dir)  # raises the usual "no such book folder / book.toml not found"
        self.volume = volume
        self.on_render = on_render
        self._token = secrets.token_hex(4)  # a restarted server's pages reload too
        self._count = 0
        self._stop = threading.Event()
        self._watcher = Watcher(book_inputs(self.book_dir), interval)
        self.site = render_site(self.book_dir, volume, self._next_version())
        if self.site.volumes and not 1 <= volume <= self.site.volumes:
            raise UsageError(f"--volume {volume}: the book has volumes 1–{self.site.volumes}")
        try:
            self.httpd = _HTTPServer((HOST, port), _Handler, self)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"port {port} on {HOST} is already in use (another `jebon preview`?); "
                                 f"choose another port with --port, e.g. --port {port + 1}") from None
            if exc.errno == errno.EACCES:
                raise UsageError(f"port {port} needs special permission; choose a port above 1023 with --port")\
                    from None
            raise
        self.port: int = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self._watch, name="jebon-preview-watch", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def _next_version(self) -> str:
        self._count += 1
        return f"{self._token}-{self._count}"

    def _watch(self) -> None:
        while True:
            changed = self._watcher.wait(self._stop)
            if not changed:
                return
            site = render_site(self.book_dir, self.volume, self._next_version())
            self.site = site  # one assignment: requests see the old site or the new one, whole
            if self.on_render is not None:
                self.on_render(site, changed)

    def serve_forever(self) -> None:
        """Serve until close() (from another thread) or an interrupt (Ctrl-C, SIGTERM) in this thread."""
        self._thread.start()
        try:
            self.httpd.serve_forever(poll_interval=0.25)
        finally:
            self._stop.set()
            self.httpd.server_close()

    def close(self) -> None:
        """Stop serving and watching (call from another thread than serve_forever's)."""
        self._stop.set()
        self.httpd.shutdown()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def resource(self, name: str) -> tuple[Resource | Path | None, HTTPStatus]:
        """What `name` serves now: a body, a bundled font file, or nothing (404)."""
        site = self.site
        if name == f"{PREFIX}version":
            return Resource(site.version.encode(), "text/plain; charset=utf-8"), HTTPStatus.OK
        if name in FONT_FILES:
            return FONT_FILES[name].path, HTTPStatus.OK
        if not site.ok:
            if name == "" or name.endswith(".xhtml"):
                return site.files[""], HTTPStatus.INTERNAL_SERVER_ERROR
            found = site.files.get(name)
            return found, HTTPStatus.OK if found else HTTPStatus.NOT_FOUND
        if site.cover is not None and (name == "cover.xhtml" or name.startswith(EpubBuilder.cover_name + ".")):
            asset, cover_page = site.cover()
            if name == asset.name:
                return Resource(asset.data, asset.media_type), HTTPStatus.OK
            if name == "cover.xhtml":
                return cover_page, HTTPStatus.OK
            return None, HTTPStatus.NOT_FOUND
        found = site.files.get(name)
        return found, HTTPStatus.OK if found else HTTPStatus.NOT_FOUND


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 preview: PreviewServer) -> None:
        self.preview = preview
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that navigates away mid-download is not an error; anything else is logged, once.
        log.debug("preview request from %s failed", client_address, exc_info=True)


_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
}


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "jebon-preview"
    timeout = 30  # idle keep-alive connections are closed, so no thread waits forever

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("preview: " + format, *args)

    def _host_allowed(self) -> bool:
        """Only requests addressed to this server by its local name: a web page that points its own
        domain at 127.0.0.1 (DNS rebinding) cannot read the book."""
        host = self.headers.get("Host")
        if host is None:
            return True
        port = self.server.server_address[1]
        return host in (f"{HOST}:{port}", f"localhost:{port}", f"[::1]:{port}")

    def _respond(self, body: bool) -> None:
        name = safe_name(self.path)
        if not self._host_allowed() or name is None:
            self._send_plain(HTTPStatus.FORBIDDEN, "forbidden\n", body)
            return
        found, status = self.server.preview.resource(name)
        if found is None:
            self._send_plain(HTTPStatus.NOT_FOUND, "not found\n", body)
        elif isinstance(found, Path):
            self._send_file(found, body)
        else:
            self._send(status, found.data, found.media_type, body)

    def _send_plain(self, status: HTTPStatus, text: str, body: bool) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8", body)

    def _send(self, status: HTTPStatus, data: bytes, media_type: str, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for key, value in _SECURITY_HEADERS.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _send_file(self, path: Path, body: bool) -> None:
        """A bundled font, whole; revalidated by its ETag, so a reload does not download it again."""
        info = path.stat()
        etag = f'"{info.st_mtime_ns:x}-{info.st_size:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        media_type = next((face.media_type for face in fonts.FACES if face.path == path), "font/otf")
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(info.st_size))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("ETag", etag)
        for key, value in _SECURITY_HEADERS.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            with path.open("rb") as handle:
                shutil.copyfileobj(handle, self.wfile)
