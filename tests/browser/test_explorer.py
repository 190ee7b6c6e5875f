"""From a slow page to its cause, in Chromium, end to end: a visitor loads a page whose largest paint is an
image the server sends after 700 ms (rum.js measures it); then, in rumhouse's dashboard, the page's path
opens the explorer, the explorer opens that very page view, and its record shows the attribution the
browser measured: the element, the image, the LCP parts. Screenshots at 1440 and 390 px."""

from __future__ import annotations

import pytest

from support.chromium import TALL
from support.server import ADMIN_TOKEN, REPO

from .conftest import USER_AGENT
from .helpers import leave, painted, q, views, wait_for
from .pages import PAGES

pytestmark = pytest.mark.browser

PATH = "/explore/lcp/"
ARTIFACTS = REPO / "test-artifacts" / "dashboard"


def test_from_the_slow_page_to_its_page_view_and_why(rumhouse, site, page, browser):
    site.pages[PATH] = PAGES["/lcp/"]
    page.goto(site.origin + PATH)
    painted(page)
    page.wait_for_timeout(300)
    leave(page, site)
    (view,) = views(rumhouse, PATH)
    lcp = wait_for(
        lambda: (
            (
                found := rumhouse.sql(
                    "SELECT value, attribution, resource_url, load_duration_ms FROM rumhouse.vitals"
                    f" WHERE page_view_id = {q(view['page_view_id'])} AND name = 'LCP'"
                )
            )
            and found[0]
        )
    )
    assert lcp and lcp["attribution"] == "#hero" and lcp["load_duration_ms"] >= 700

    context = browser.new_context(user_agent=USER_AGENT, viewport={"width": 1440, "height": TALL})
    try:
        board = context.new_page()
        problems: list[str] = []
        board.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        board.goto(f"{rumhouse.url}/?site=demo&range=1h&path={PATH}")
        board.fill("#token", ADMIN_TOKEN)
        board.click("#sign-in button[type=submit]")
        board.wait_for_selector("body[data-state='ready']", state="attached")
        # The path in the pages table opens the explorer: its page views, worst LCP first.
        board.click(f'[data-table=pages] button[data-explore=path][data-value="{PATH}"]')
        row = board.locator(f'#explorer [data-page-view="{view["page_view_id"]}"]')
        row.wait_for()
        # The page view opens whole: the LCP with what the browser said about it.
        row.click()
        why = board.locator("#page-view .why[data-metric=LCP]")
        why.wait_for()
        text = why.inner_text()
        assert "element #hero" in text and lcp["resource_url"] in text
        assert f"load {round(lcp['load_duration_ms'])} ms" in text
        assert board.locator("#page-view .record-summary").inner_text().startswith(PATH)
        assert (
            board.locator("#page-view [data-page-view-id]").get_attribute("data-page-view-id")
            == view["page_view_id"]
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        board.locator("#page-view").screenshot(path=str(ARTIFACTS / "10-page-view-1440.png"))
        board.set_viewport_size({"width": 390, "height": 900})
        board.locator("#page-view").screenshot(path=str(ARTIFACTS / "11-page-view-390.png"))
        assert problems == []
    finally:
        context.close()
