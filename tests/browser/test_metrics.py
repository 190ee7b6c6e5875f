"""Web Vitals measured by rum.js in real Chromium, as stored by a real rumhouse server, and compared with
Google's web-vitals library on the same page loads."""

from __future__ import annotations

import pytest

from .helpers import assert_agrees, assert_final_beacons, leave, painted, views, vitals, wait_for

pytestmark = pytest.mark.browser


def test_largest_image_after_a_known_delay(rumhouse, site, page):
    page.goto(site.origin + "/lcp/")
    painted(page)
    page.wait_for_timeout(300)
    leave(page, site)

    (view,) = views(rumhouse, "/lcp/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    got = vitals(rumhouse, view["page_view_id"])
    # The image is sent 700 ms after it is requested; it is the largest element.
    assert 700 <= got["LCP"]["value"] < 2500
    assert got["LCP"]["attribution"] == "#hero"
    assert got["FCP"]["value"] < got["LCP"]["value"]
    assert {"FCP", "LCP", "CLS", "TTFB"} <= set(got)
    assert "INP" not in got and "FID" not in got  # nobody interacted
    assert_agrees(rumhouse, site, "/lcp/", view)
    assert not page.errors


def test_layout_shift_of_known_size(rumhouse, site, page):
    page.goto(site.origin + "/cls/")
    page.wait_for_function("document.getElementById('small')", polling=100)
    page.wait_for_timeout(200)
    page.click("#grow")
    page.wait_for_timeout(1200)  # see test_click_handler_that_blocks
    leave(page, site)

    (view,) = views(rumhouse, "/cls/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    got = vitals(rumhouse, view["page_view_id"])
    # The largest session window is the first shift: impact fraction 1280x540 / 1280x720, distance
    # fraction 180 / 1280. The later shift is a smaller window; the one after the click does not count.
    expected = (540 / 720) * (180 / 1280)
    assert got["CLS"]["value"] == pytest.approx(expected, abs=0.001)
    assert got["CLS"]["attribution"] == "#content"
    assert_agrees(rumhouse, site, "/cls/", view)


def test_click_handler_that_blocks(rumhouse, site, page):
    page.goto(site.origin + "/inp/")
    painted(page)
    page.click("#slow")
    page.wait_for_function("document.getElementById('slow').textContent == 'Done'")
    page.click("#medium")
    page.press("#field", "a")
    # web-vitals handles Event Timing entries when idle (up to 1 s later); a page hidden before that
    # loses the interaction in web-vitals' report (not in ours), so give the reference time.
    page.wait_for_timeout(1500)
    leave(page, site)

    (view,) = views(rumhouse, "/inp/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    got = vitals(rumhouse, view["page_view_id"])
    # The handler blocks for 300 ms; the interaction lasts until the next paint after it.
    assert 300 <= got["INP"]["value"] < 600
    assert got["INP"]["attribution"] == "#slow"
    # FID is retired (web-vitals 6 and the Chrome UX Report dropped it): rum.js 0.2 no longer sends it.
    assert "FID" not in got
    assert_agrees(rumhouse, site, "/inp/", view)


def test_slow_server_response(rumhouse, site, page):
    page.goto(site.origin + "/slow/")
    painted(page)
    page.wait_for_timeout(100)
    leave(page, site)

    (view,) = views(rumhouse, "/slow/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    got = vitals(rumhouse, view["page_view_id"])
    assert 600 <= got["TTFB"]["value"] < 1500
    assert 600 <= view["server_ms"] < 1500
    assert view["load_ms"] >= view["server_ms"]
    assert view["server_timing"] == {"db": pytest.approx(123, abs=1), "cache": 5}
    assert view["navigation_type"] == "navigate"
    assert view["release"] == "test-1"
    assert view["transfer_size"] > 0
    assert_agrees(rumhouse, site, "/slow/", view)


def test_time_to_interactive_and_the_flush_timer(rumhouse, site, page):
    page.goto(site.origin + "/tti/")
    page.wait_for_function("window.lastTaskEnd", timeout=10_000)
    last_task_end = page.evaluate("window.lastTaskEnd")
    # data-flush=1: beacons go while the page is still open.
    (view,) = views(rumhouse, "/tti/")
    pv = view["page_view_id"]
    page.wait_for_timeout(5000 + 300)
    tti = wait_for(lambda: vitals(rumhouse, pv).get("TTI"), timeout=5)
    assert tti, "TTI was not sent while the page was open"
    assert last_task_end - 5 <= tti["value"] <= last_task_end + 50
    leave(page, site)
    assert_final_beacons(rumhouse, pv)
    beacons = rumhouse.sql(f"SELECT count() AS n FROM rumhouse.beacons WHERE page_view_id = '{pv}'")[0]["n"]
    assert beacons >= 3
    assert_agrees(rumhouse, site, "/tti/", view)


def test_inp_is_the_98th_percentile(rumhouse, site, page):
    page.goto(site.origin + "/interactions/")
    painted(page)
    for _ in range(60):
        page.click("#b")
    page.wait_for_function("document.getElementById('b').textContent == 'Clicked 60'")
    page.wait_for_timeout(1500)  # see test_click_handler_that_blocks
    # Every interaction's latency as the browser measured it (all last 45 ms or more, so none is under the
    # page's 16 ms threshold), longest first.
    latencies = sorted(page.evaluate("Object.values(latencies)"), reverse=True)
    count = page.evaluate("performance.interactionCount")
    leave(page, site)

    (view,) = views(rumhouse, "/interactions/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    inp = vitals(rumhouse, view["page_view_id"])["INP"]["value"]
    assert count == len(latencies) == 60
    # 60 interactions: the 98th percentile is the floor(60 / 50) = 1st index of the longest, i.e. the
    # second longest. The handlers block for 400 ms, 200 ms and 45 ms (58 times), so that is at least the
    # 200 ms one, and never the 400 ms one; which one it is depends on how busy the machine was.
    assert latencies[0] >= 400 and latencies[1] >= 200
    assert inp == round(latencies[1])
    assert_agrees(rumhouse, site, "/interactions/", view)
