"""Fixtures for the real-browser tests of rum.js: a real rumhouse server (uvicorn, embedded chDB, a fresh
data folder per session), the test site, and Debian's Chromium driven by Playwright.

Under CI=true a missing Chromium (or web-vitals) fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .helpers import unavailable
from .pages import PAGES
from .site import ROOT, Site, npm_ci

CHROMIUM = os.environ.get("RUMHOUSE_TEST_CHROMIUM", "/usr/bin/chromium")
# A normal desktop Chrome: rumhouse drops HeadlessChrome as a bot. Set for the whole browser too, since
# Playwright's per-context override does not reach beacons sent while a page unloads.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)
CHROMIUM_ARGS = [
    f"--user-agent={USER_AGENT}",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # navigator.webdriver = false: rumhouse drops beacons from automation as bots.
    "--disable-blink-features=AutomationControlled",
]
ADMIN_TOKEN = "browser-tests-admin-token-0123456789"
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rumhouse:
    """A `rumhouse serve` process, and SQL against it through its API (what `rumhouse sql` does)."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
            RUMHOUSE_DATA_DIR=str(data_dir),
            RUMHOUSE_ADMIN_TOKEN=ADMIN_TOKEN,
            RUMHOUSE_FLUSH_INTERVAL="0.1",
        )
        env.pop("RUMHOUSE_CONFIG", None)
        env.pop("RUMHOUSE_CLICKHOUSE_URL", None)
        self.log = open(data_dir.parent / "rumhouse.log", "wb")  # noqa: SIM115
        cmd = [sys.executable, "-m", "rumhouse", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=self.origin, timeout=30)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rumhouse serve exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if self.http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("rumhouse serve did not become healthy in 60 s")
            time.sleep(0.2)

    def sql(self, query: str) -> list[dict]:
        r = self.http.post("/api/v1/sql", content=query, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert r.status_code == 200, r.text
        data = r.json()
        return [dict(zip(data["columns"], row)) for row in data["rows"]]

    def metrics(self) -> str:
        return self.http.get("/metrics").text

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def rumhouse(tmp_path_factory):
    server = Rumhouse(tmp_path_factory.mktemp("rumhouse") / "data")
    yield server
    server.close()


@pytest.fixture(scope="session")
def site(rumhouse):
    # web-vitals is a devDependency of the snippet, loaded by the test pages only.
    if not npm_ci():
        unavailable("web-vitals is not installed: run `npm ci` in snippet/")
    with Site(PAGES, rumhouse.origin) as s:
        yield s


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # Playwright turns the back/forward cache off by default; real browsers have it on.
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                               ignore_default_args=["--disable-back-forward-cache"])
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(user_agent=USER_AGENT, viewport={"width": 1280, "height": 720})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    p.errors = []  # uncaught errors of the pages, to tell ours from the test pages' own
    p.on("pageerror", lambda exc: p.errors.append(str(exc)))
    yield p
