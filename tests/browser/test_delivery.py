"""Delivery: the final beacon of every page view arrives however the visitor leaves, and the snippet never
breaks a page (nor sends anything) where it cannot or should not measure."""

from __future__ import annotations

import pytest

from .helpers import assert_agrees, assert_final_beacons, painted, rows, views, vitals

pytestmark = pytest.mark.browser


def test_leaving_by_navigation(rumhouse, site, page):
    page.goto(site.origin + "/leave/")
    painted(page)
    page.evaluate("rumhouse.measure('before_leaving', 42, {how: 'link'})")
    # Followed by script, not clicked: web-vitals handles interactions when idle, so one that unloads the
    # page at once is missing from its INP (not from ours), and the values could not be compared.
    page.evaluate("document.getElementById('away').click()")
    page.wait_for_url("**/blank")

    (view,) = views(rumhouse, "/leave/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    (measure,) = rows(rumhouse, "measures", view["page_view_id"])
    assert (measure["name"], measure["value"], measure["tags"]) == ("before_leaving", 42, {"how": "link"})
    assert_agrees(rumhouse, site, "/leave/", view)


def test_closing_the_tab(rumhouse, site, context):
    page = context.new_page()
    page.goto(site.origin + "/close/")
    painted(page)
    page.evaluate("rumhouse.measure('before_closing', 7)")
    page.close(run_before_unload=True)

    (view,) = views(rumhouse, "/close/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    (measure,) = rows(rumhouse, "measures", view["page_view_id"])
    assert (measure["name"], measure["value"]) == ("before_closing", 7)
    assert {"FCP", "LCP", "CLS", "TTFB"} <= set(vitals(rumhouse, view["page_view_id"]))
    assert_agrees(rumhouse, site, "/close/", view)


def test_back_forward_cache(rumhouse, site, page):
    page.goto(site.origin + "/bfcache/")
    painted(page)
    page.evaluate("document.getElementById('away').click()")  # see test_leaving_by_navigation
    page.wait_for_url("**/blank")
    page.go_back(wait_until="commit")  # a restored page has no load event
    # Restored from the cache, not reloaded. Polled by time: Playwright's default polling runs in animation
    # frames, where it would delay the frame callbacks that measure a restored page's paints.
    page.wait_for_function("window.restored", timeout=5000, polling=100)
    page.wait_for_timeout(300)
    page.goto(site.origin + "/blank")

    first, restored = views(rumhouse, "/bfcache/", count=2)
    assert first["navigation_type"] == "navigate" and restored["navigation_type"] == "restore"
    assert_final_beacons(rumhouse, first["page_view_id"], restored["page_view_id"])
    assert_agrees(rumhouse, site, "/bfcache/", first)
    # After a restore, web-vitals reports FCP and LCP as the first frame after it, and TTFB as 0.
    assert_agrees(rumhouse, site, "/bfcache/", restored)


def test_browser_without_what_it_needs(rumhouse, site, page):
    page.goto(site.origin + "/unsupported/")
    page.wait_for_function("window.done")
    page.goto(site.origin + "/blank")
    page.wait_for_timeout(500)
    assert not page.errors  # rumhouse.measure exists and does nothing
    assert not rumhouse.sql("SELECT 1 FROM rumhouse.page_views WHERE path = '/unsupported/'")


def test_sampled_out_or_misconfigured(rumhouse, site, page):
    for path in ("/sampled/", "/nosite/"):
        page.goto(site.origin + path)
        page.wait_for_function("window.done")
        page.goto(site.origin + "/blank")
    page.wait_for_timeout(500)
    assert not page.errors
    assert not rumhouse.sql("SELECT 1 FROM rumhouse.page_views WHERE path IN ('/sampled/', '/nosite/')")


def test_browser_with_fewer_entry_types(rumhouse, site, page):
    page.goto(site.origin + "/fewer/")
    painted(page)
    page.click("#b")
    page.wait_for_timeout(300)
    page.goto(site.origin + "/blank")

    (view,) = views(rumhouse, "/fewer/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    # Paint, navigation and resource timing only: no LCP, CLS, INP, FID or TTI, and nothing sent as 0.
    assert set(vitals(rumhouse, view["page_view_id"])) == {"FCP", "TTFB"}
    assert rumhouse.sql(
        f"SELECT count() AS n FROM rumhouse.resources WHERE page_view_id = '{view['page_view_id']}'"
    )[0]["n"]
    assert not page.errors
    assert_agrees(rumhouse, site, "/fewer/", view)


def test_data_endpoint(rumhouse, site, page):
    page.goto(site.origin + "/endpoint/")
    painted(page)
    page.goto(site.origin + "/blank")

    (view,) = views(rumhouse, "/endpoint/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    assert view["release"] == ""  # no data-release
    assert_agrees(rumhouse, site, "/endpoint/", view)
