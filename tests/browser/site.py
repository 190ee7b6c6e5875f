"""The test site: pages with controlled timing, served from their own origin, that load rum.js from the
rumhouse server under test and (in test pages only) Google's web-vitals as the reference.

Every page load reports what web-vitals measured to `POST /ref` on this site, so that a test can compare
it with what rumhouse stored. Each scenario has its own path, so its rows are found by path.
"""

from __future__ import annotations

import json
import random
import shutil
import struct
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
# The attribution build: the same values as the standard one, and the "why" behind each.
WEB_VITALS = ROOT / "snippet" / "node_modules" / "web-vitals" / "dist" / "web-vitals.attribution.iife.js"
ESBUILD = ROOT / "snippet" / "node_modules" / "esbuild"
TERSER = ROOT / "snippet" / "node_modules" / "terser"


def npm_ci() -> bool:
    """Installs the snippet's dev dependencies (esbuild, terser, web-vitals) from its lock file if they are
    missing; True when they are there."""
    if not (WEB_VITALS.exists() and ESBUILD.exists() and TERSER.exists()) and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=ROOT / "snippet",
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    # The npm package's files are built, not committed (scripts/test.sh builds them before the tests).
    if not (ROOT / "snippet" / "npm" / "dist" / "rumhouse.mjs").exists() and ESBUILD.exists():
        subprocess.run(["node", "build.mjs"], cwd=ROOT / "snippet", check=False)
    return WEB_VITALS.exists() and ESBUILD.exists() and TERSER.exists()


# Reports every web-vitals value of this page load, with its attribution, under the path the page was loaded
# at. Soft navigations are reported too (web-vitals' reportSoftNavs), under the path of the new route (with
# its hash route, if any: /hash/#/users/7).
REF_JS = """
(function () {
  var path = location.pathname;
  window.__ref = {};  // what web-vitals reported so far, for tests that wait on it
  var attribution = function (m) {
    var a = m.attribution || {}, s = a.longestScript;
    return {target: a.target || a.interactionTarget || a.largestShiftTarget, url: a.url, ttfb: a.timeToFirstByte,
      loadDelay: a.resourceLoadDelay, loadDuration: a.resourceLoadDuration, renderDelay: a.elementRenderDelay,
      inputDelay: a.inputDelay, processing: a.processingDuration, presentation: a.presentationDelay,
      type: a.interactionType, loadState: a.loadState, shiftValue: a.largestShiftValue, shiftTime: a.largestShiftTime,
      script: s ? [s.entry.sourceURL, s.entry.sourceFunctionName, s.entry.invoker, s.intersectingDuration] : null};
  };
  var post = function (m, a) {
    var u = m.navigationURL && new URL(m.navigationURL);  // a hash route (#/users/7) is part of the key
    navigator.sendBeacon('/ref', JSON.stringify({path: u ? u.pathname + (u.hash.indexOf('#/') ? '' : u.hash) : path,
      name: m.name, value: m.value, nt: m.navigationType, attribution: a}));
  };
  // Sending takes time; done inside web-vitals' callback it would delay whatever runs after it in the same
  // frame (after a back/forward-cache restore: web-vitals' own LCP, and rum.js). When the page is hidden
  // there may be no later task, so then it is sent at once.
  var send = function (m) {
    var a = attribution(m);
    window.__ref[m.name] = m.value;
    document.visibilityState === 'hidden' ? post(m, a) : setTimeout(function () { post(m, a) }, 0);
  };
  var opts = {reportSoftNavs: true};
  webVitals.onFCP(send, opts); webVitals.onLCP(send, opts); webVitals.onCLS(send, opts); webVitals.onINP(send, opts);
  webVitals.onTTFB(send, opts);
})();
"""


def png(width: int, height: int, noise: bool = False) -> bytes:
    """A PNG made here, so the test site needs no files: a solid colour, or noise. Chromium leaves images
    with little data per displayed pixel out of LCP, so the largest-image test needs noise."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(
        b"\x00" + (random.Random(y).randbytes(3 * width) if noise else bytes((200, 60, 60)) * width)
        for y in range(height)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


@dataclass
class Page:
    body: str
    head: str = ""
    delay_ms: int = 0  # before the response starts (a slow server)
    headers: dict[str, str] = field(default_factory=dict)
    reference: bool = True  # load web-vitals and report its values
    snippet: bool = True
    flush_s: float | None = None  # data-flush
    attrs: str = 'data-site="demo" data-release="test-1"'  # of the snippet's script tag
    first: str = ""  # in the head before any other script (before web-vitals too)


def render(page: Page, rum_origin: str, port: int) -> bytes:
    parts = [
        '<!doctype html><html><head><meta charset="utf-8"><title>rumhouse test</title><link rel="icon" href="data:,">'
    ]
    parts.append(page.first)
    if page.reference:
        parts.append('<script src="/web-vitals.js"></script><script src="/ref.js"></script>')
    if page.snippet:
        flush = f' data-flush="{page.flush_s}"' if page.flush_s is not None else ""
        parts.append(f'<script src="{rum_origin}/rum.js" {page.attrs}{flush} defer></script>')
    parts.append(page.head)
    parts.append("</head><body>")
    parts.append(page.body)
    parts.append("</body></html>")
    return "".join(parts).replace("{port}", str(port)).replace("{rum}", rum_origin).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A page closed or left while loading resets its connections: not an error of the site.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Site:
    """A threaded HTTP server for the test pages. `pages` maps a path to a Page; `scripts` a path to the
    JavaScript served there (cacheable, as a site's own scripts are)."""

    def __init__(
        self, pages: dict[str, Page], rum_origin: str, scripts: dict[str, str] | None = None
    ) -> None:
        self.pages = pages
        self.scripts = scripts if scripts is not None else {}
        self.rum_origin = rum_origin
        self.refs: list[dict] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def reply(
                self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if self.path == "/ref":
                    with site.lock:
                        site.refs.append(json.loads(data))
                    self.reply(204, b"", "text/plain")
                else:
                    status = int(parse_qs(urlsplit(self.path).query).get("status", ["200"])[0])
                    self.reply(status, b"{}", "application/json")

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                delay = int(q.get("delay", 0))
                if url.path in site.pages:
                    page = site.pages[url.path]
                    time.sleep((page.delay_ms or delay) / 1000)
                    self.reply(
                        200,
                        render(page, site.rum_origin, site.port),
                        "text/html; charset=utf-8",
                        page.headers,
                    )
                    return
                time.sleep(delay / 1000)
                if url.path in site.scripts:
                    self.reply(
                        200,
                        site.scripts[url.path].encode(),
                        "text/javascript",
                        {"Cache-Control": "max-age=600"},
                    )
                elif url.path == "/web-vitals.js":
                    self.reply(200, WEB_VITALS.read_bytes(), "text/javascript")
                elif url.path == "/rum.js":  # for benchmarks; the tests load it from the rumhouse server
                    self.reply(
                        200,
                        (ROOT / "src" / "rumhouse" / "static" / "rum.js").read_bytes(),
                        "text/javascript",
                        {"Cache-Control": "max-age=600"},
                    )
                elif url.path == "/rum-0.1.js":  # the snippet as rumhouse 0.1 served it (cached in browsers)
                    body = (ROOT / "tests" / "fixtures" / "rum-0.1.js").read_bytes()
                    self.reply(200, body, "text/javascript")
                elif url.path.startswith("/npm/"):  # the npm package as built (snippet/npm/dist)
                    name = url.path.rsplit("/", 1)[1]
                    self.reply(
                        200, (ROOT / "snippet" / "npm" / "dist" / name).read_bytes(), "text/javascript"
                    )
                elif url.path == "/ref.js":
                    self.reply(200, REF_JS.encode(), "text/javascript")
                elif url.path.startswith("/img/"):
                    w, h = int(q.get("w", 10)), int(q.get("h", 10))
                    self.reply(200, png(w, h, "noise" in q), "image/png", {"Cache-Control": "max-age=600"})
                elif url.path.startswith("/api/"):
                    status = int(q.get("status", 200))
                    self.reply(status, b'{"ok": true}', "application/json")
                elif url.path.startswith("/asset/"):
                    ext = url.path.rsplit(".", 1)[-1]
                    body, ctype = {
                        "js": (b"window.__assets = (window.__assets || 0) + 1;", "text/javascript"),
                        "css": (b"body { color: #222 }", "text/css"),
                        "woff2": (b"\0" * 512, "font/woff2"),
                    }.get(ext, (b"x" * 100, "application/octet-stream"))
                    self.reply(200, body, ctype, {"Cache-Control": "max-age=600"})
                elif url.path == "/blank":
                    self.reply(200, b"<!doctype html><title>blank</title><p>elsewhere</p>", "text/html")
                else:
                    self.reply(404, b"not found", "text/plain")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def attribution(self, path: str) -> dict[str, dict[str, dict]]:
        """web-vitals' attribution of each metric's last report at `path`, by navigation type then metric."""
        out: dict[str, dict[str, dict]] = {}
        with self.lock:
            for ref in self.refs:
                if ref["path"] == path:
                    out.setdefault(ref["nt"], {})[ref["name"]] = ref.get("attribution") or {}
        return out

    def reference(self, path: str) -> dict[str, dict[str, float]]:
        """web-vitals' values for one page load at `path`, by navigation type then metric (the last
        report of each metric wins, as web-vitals reports a metric again when it changes)."""
        out: dict[str, dict[str, float]] = {}
        with self.lock:
            for ref in self.refs:
                if ref["path"] == path:
                    out.setdefault(ref["nt"], {})[ref["name"]] = ref["value"]
        return out
