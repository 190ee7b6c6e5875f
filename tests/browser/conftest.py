"""Fixtures for the real-browser tests of rum.js: a real rumhouse server (uvicorn, embedded chDB, a fresh
data folder), the test site, and Debian's Chromium driven by Playwright.

The server and the site are package-scoped (freed when these tests end); Playwright is the run's one
instance (`playwright` in tests/conftest.py), shared with tests/browser_dashboard.

Under CI=true a missing Chromium (or web-vitals) fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import pytest

from support.chromium import CHROMIUM, launch
from support.server import RumhouseServer

from .helpers import unavailable
from .pages import PAGES
from .site import Site, npm_ci

# A normal desktop Chrome: rumhouse drops HeadlessChrome as a bot. Set for the whole browser too, since
# Playwright's per-context override does not reach beacons sent while a page unloads.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)
# What the snippet's pages add to the common launch arguments: a desktop user agent, and
# navigator.webdriver = false (AutomationControlled off), since rumhouse drops automation as bots.
PAGE_ARGS = (f"--user-agent={USER_AGENT}", "--disable-blink-features=AutomationControlled")


class Rumhouse(RumhouseServer):
    """The suite's real server (tests/support/server.py), with what the browser tests read of it."""

    @property
    def origin(self) -> str:
        return self.url

    def metrics_text(self) -> str:
        return self.client.get("/metrics").text


@pytest.fixture(scope="package")
def rumhouse(tmp_path_factory):
    """The browser suite's server. When the suite is done, whichever tests ran and in whatever order,
    what they delivered is checked as a whole: every page view's final beacon arrived, and nothing
    was dropped."""
    server = Rumhouse(
        tmp_path_factory.mktemp("browser") / "data",
        RUMHOUSE_FLUSH_INTERVAL="0.1",
        RUMHOUSE_SETTLE_INTERVAL="0.2",
    ).start()
    yield server
    try:
        check_nothing_lost(server)
    finally:
        server.close()


def check_nothing_lost(server: Rumhouse) -> None:
    lost = server.sql(
        "SELECT count() AS views, countIf(page_view_id NOT IN"
        " (SELECT page_view_id FROM rumhouse.beacons WHERE last = 1)) AS lost FROM rumhouse.page_views"
    )[0]
    assert lost["lost"] == 0, lost
    drops = [
        line
        for line in server.metrics_text().splitlines()
        if line.startswith("rumhouse_beacons_dropped_total") and not line.endswith(" 0.0")
    ]
    assert not drops, drops


@pytest.fixture(scope="package")
def site(rumhouse):
    # web-vitals is a devDependency of the snippet, loaded by the test pages only.
    if not npm_ci():
        unavailable("web-vitals is not installed: run `npm ci` in snippet/")
    with Site(PAGES, rumhouse.origin) as s:
        yield s


@pytest.fixture(scope="session")
def browser(playwright):
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing")
    # Playwright turns the back/forward cache off by default; real browsers have it on.
    b = launch(playwright, *PAGE_ARGS, ignore_default_args=["--disable-back-forward-cache"])
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
