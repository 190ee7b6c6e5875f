"""Metrics over a page view's whole life, as web-vitals and the Chrome UX Report count them: a tab hidden
and shown again, a page opened in a background tab, a route change made by a click handler."""

from __future__ import annotations

import pytest

from .helpers import assert_agrees, assert_final_beacons, leave, painted, q, views, vitals, wait_for

pytestmark = pytest.mark.browser


def test_hidden_and_shown_again_the_final_values_are_stored(rumhouse, site, page):
    page.goto(site.origin + "/return/")
    page.wait_for_function("document.getElementById('first')", polling=100)
    painted(page)
    page.wait_for_timeout(200)
    page.evaluate("setHidden(true)")  # the visitor switches tabs: CLS so far is reported
    page.wait_for_timeout(300)
    page.evaluate("setHidden(false)")  # and comes back
    page.click("#b1")
    page.wait_for_timeout(700)  # a shift within 500 ms of an input would be expected; this one is not
    page.evaluate("insert('second', 180)")
    page.wait_for_timeout(1200)  # web-vitals handles Event Timing entries when idle
    page.evaluate("setHidden(true)")
    page.wait_for_timeout(300)
    page.evaluate("setHidden(false)")
    page.click("#b2")
    page.wait_for_timeout(1500)
    leave(page, site)

    (view,) = views(rumhouse, "/return/")
    pv = view["page_view_id"]
    assert_final_beacons(rumhouse, pv)
    # What was reported at each hide waited in vital_updates; the final values are in vitals, once each.
    reports = rumhouse.sql(
        f"SELECT name, count() AS n FROM rumhouse.vital_updates WHERE page_view_id = {q(pv)} AND settled = 0 "
        "GROUP BY name ORDER BY name"
    )
    assert {r["name"]: r["n"] for r in reports} == {"CLS": 3, "INP": 2}
    got = wait_for(lambda: (v := vitals(rumhouse, pv)) and {"CLS", "INP"} <= set(v) and v)
    # The second shift (180 px after the return) is the largest window, the second click (400 ms) the
    # slowest interaction: the first hide's values (CLS 0.0225, INP about 120) are not what is stored. That
    # shift moves the first block (0-36 px) and the content (36-396 px) down by 180 px in a 1280x720
    # viewport: impact region 0-576 px, distance 180 px.
    assert got["CLS"]["value"] == pytest.approx((576 / 720) * (180 / 1280), abs=0.001)
    assert got["INP"]["value"] >= 400
    assert got["INP"]["attribution"] == "#b2"
    assert_agrees(rumhouse, site, "/return/", view)


def test_a_page_opened_in_a_background_tab_has_no_cls_or_paints(rumhouse, site, page):
    page.goto(site.origin + "/background/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    page.evaluate("setHidden(false)")  # the visitor opens the tab
    page.evaluate("insert('late', 180)")
    page.wait_for_timeout(500)
    leave(page, site)

    (view,) = views(rumhouse, "/background/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    got = vitals(rumhouse, view["page_view_id"])
    # The first paint happened while hidden: no FCP, no LCP, and (as web-vitals, which reports CLS only
    # after FCP) no CLS, though a shift followed.
    assert "TTFB" in got
    assert not {"CLS", "FCP", "LCP"} & set(got)
    ref = site.reference("/background/")["navigate"]
    assert "CLS" not in ref and "FCP" not in ref
    assert_agrees(rumhouse, site, "/background/", view)


def test_the_click_that_changes_the_route_is_the_old_routes_interaction(rumhouse, site, page):
    page.goto(site.origin + "/spa-click/")
    painted(page)
    page.click("#go")
    page.wait_for_function("document.getElementById('buy').style.display == 'block'")
    page.wait_for_timeout(600)
    page.click("#buy")
    page.wait_for_function("document.getElementById('buy').textContent == 'Bought'")
    page.wait_for_timeout(1200)
    # Each interaction's latency as the browser measured it, in the order they happened.
    go, buy = [page.evaluate(f"latencies[Object.keys(latencies)[{i}]]") for i in (0, 1)]
    leave(page, site)

    (first,) = views(rumhouse, "/spa-click/")
    (second,) = views(rumhouse, "/spa-click/product")
    assert second["navigation_type"] == "soft"
    assert_final_beacons(rumhouse, first["page_view_id"], second["page_view_id"])
    old = wait_for(lambda: vitals(rumhouse, first["page_view_id"]).get("INP"))
    new = wait_for(lambda: vitals(rumhouse, second["page_view_id"]).get("INP"))
    # The product click (150 ms of work after the route changed) belongs to the page it was made on; the
    # new route's INP is its own click only.
    assert go >= 150 and old["value"] == round(go)
    assert old["attribution"] == "#go"
    assert new["value"] == round(buy) and new["attribution"] == "#buy"
