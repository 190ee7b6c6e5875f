"""Errors, unhandled rejections, API calls, resources and single-page-app route changes, as stored."""

from __future__ import annotations

import pytest

from .helpers import assert_agrees, assert_final_beacons, leave, painted, rows, views, vitals, wait_for

pytestmark = pytest.mark.browser


def run(page, site, path: str) -> None:
    page.goto(site.origin + path)
    page.wait_for_function("window.done", timeout=10_000)
    leave(page, site)


def test_thrown_error(rumhouse, site, page):
    run(page, site, "/error/")
    (view,) = views(rumhouse, "/error/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    (error,) = rows(rumhouse, "errors", view["page_view_id"])
    assert error["kind"] == "error"
    assert "boom from the test page" in error["message"]
    assert error["source"] == f"{site.origin}/error/"
    assert error["line"] > 0 and error["col"] > 0
    assert "boom" in error["stack"]
    assert error["count"] == 2  # thrown twice from the same place: one row, counted
    assert len(page.errors) == 2  # the page's own errors, and nothing from rum.js
    assert_agrees(rumhouse, site, "/error/", view)


def test_rejected_promise(rumhouse, site, page):
    run(page, site, "/rejection/")
    (view,) = views(rumhouse, "/rejection/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    (error,) = rows(rumhouse, "errors", view["page_view_id"])
    assert error["kind"] == "rejection"
    assert error["message"] == "Error: nope from the test page"
    assert error["count"] == 1
    assert_agrees(rumhouse, site, "/rejection/", view)


def test_slow_fetch_xhr_and_failed_call(rumhouse, site, page):
    run(page, site, "/fetch/")
    (view,) = views(rumhouse, "/fetch/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    calls = {c["endpoint"]: c for c in rows(rumhouse, "api_calls", view["page_view_id"])}
    host = site.origin.removeprefix("http://")
    assert set(calls) == {f"{host}/api/users/:id", f"{host}/api/orders", "127.0.0.1:9/nothing"}
    slow = calls[f"{host}/api/users/:id"]
    assert (slow["method"], slow["status"]) == ("GET", 200)
    assert 400 <= slow["duration_ms"] < 1500
    orders = calls[f"{host}/api/orders"]
    assert (orders["method"], orders["status"]) == ("POST", 404)
    assert calls["127.0.0.1:9/nothing"]["status"] == 0
    # rumhouse's own beacons are never reported as the page's API calls
    assert not [c for c in calls if "/beacon" in c]
    assert_agrees(rumhouse, site, "/fetch/", view)


def test_spa_route_change_starts_a_page_view(rumhouse, site, page):
    page.goto(site.origin + "/spa/")
    painted(page)
    page.click("#go")
    page.wait_for_function("window.done", timeout=10_000)
    page.wait_for_timeout(1200)  # let web-vitals handle the click (see test_click_handler_that_blocks)
    leave(page, site)

    (first,) = views(rumhouse, "/spa/")
    (second,) = views(rumhouse, "/spa/users/:id")
    assert first["page_view_id"] != second["page_view_id"]
    assert first["navigation_type"] == "navigate" and second["navigation_type"] == "soft"
    assert second["referrer_host"] == "127.0.0.1"
    assert_final_beacons(rumhouse, first["page_view_id"], second["page_view_id"])
    # What happened after the route change belongs to the new page view.
    assert not rows(rumhouse, "errors", first["page_view_id"])
    (error,) = rows(rumhouse, "errors", second["page_view_id"])
    assert "error on the new route" in error["message"]
    (call,) = rows(rumhouse, "api_calls", second["page_view_id"])
    assert call["endpoint"].endswith("/api/users/:id")
    (measure,) = rows(rumhouse, "measures", second["page_view_id"])
    assert (measure["name"], measure["value"], measure["tags"]) == ("route_render", 12.5, {"route": "user"})
    # With the Soft Navigations API (Chromium has it), a route change made by a click has its own first and
    # largest paint, measured from the click, as web-vitals reports them (reportSoftNavs); no server timing.
    soft = vitals(rumhouse, second["page_view_id"])
    assert {"FCP", "LCP"} <= set(soft) and "TTFB" not in soft
    ref = wait_for(lambda: site.reference("/spa/users/42").get("soft-navigation", {}).get("LCP") is not None)
    assert ref
    ref = site.reference("/spa/users/42")["soft-navigation"]
    for name in ("FCP", "LCP"):
        assert abs(soft[name]["value"] - ref[name]) <= max(5, 0.01 * ref[name]), (name, soft[name], ref[name])
    assert soft["LCP"]["attribution"] == site.attribution("/spa/users/42")["soft-navigation"]["LCP"]["target"]
    # web-vitals splits its values at the soft navigation too: the first page view agrees on all of them.
    assert_agrees(rumhouse, site, "/spa/", first)


def test_many_resources(rumhouse, site, page):
    page.goto(site.origin + "/resources/")
    painted(page)
    page.wait_for_timeout(200)
    leave(page, site)

    (view,) = views(rumhouse, "/resources/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    summary = rumhouse.sql(
        "SELECT type, resource_host, third_party, sum(count) AS n, sum(decoded_bytes) AS db,"
        " sum(transfer_bytes) AS tb, max(duration_max_ms) AS dm, argMax(slowest_url, duration_max_ms) AS su"
        f" FROM rumhouse.resources WHERE page_view_id = '{view['page_view_id']}'"
        " GROUP BY type, resource_host, third_party"
    )
    got = {(r["type"], r["resource_host"]): r for r in summary}
    # Hosts are stored as names without the port, as the page's own host is: the site, rum.js's server
    # (another port of the same machine) and the page row all say 127.0.0.1; localhost is another host.
    here, there = "127.0.0.1", "localhost"
    assert view["host"] == here
    counts = {key: r["n"] for key, r in got.items()}
    # 30 images here + a slow one (1.5 s: the slowest however loaded the machine is), 8 on another host; 3
    # stylesheets, 2 fonts; 5 scripts, web-vitals.js and ref.js from the site, and rum.js from the rumhouse server.
    assert counts == {
        ("img", here): 31,
        ("img", there): 8,
        ("css", here): 3,
        ("font", here): 2,
        ("script", here): 8,
    }
    third_party = {key: r["third_party"] for key, r in got.items()}
    assert third_party == {key: int(key[1] == there) for key in counts}
    assert got[("img", here)]["db"] > 0 and got[("img", here)]["tb"] > got[("img", here)]["db"]
    assert got[("img", here)]["dm"] >= 1500
    assert "/img/slow.png" in got[("img", here)]["su"]
    assert_agrees(rumhouse, site, "/resources/", view)


def test_more_resources_than_the_browser_buffers(rumhouse, site, page):
    page.goto(site.origin + "/overflow/")
    painted(page)
    page.wait_for_timeout(200)
    leave(page, site)

    (view,) = views(rumhouse, "/overflow/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    (images,) = rumhouse.sql(
        "SELECT sum(count) AS n FROM rumhouse.resources"
        f" WHERE page_view_id = '{view['page_view_id']}' AND type = 'img'"
    )
    # 300 images: those past the buffer's 250 entries are counted too, but for the few that arrive between
    # the buffer filling and the browser's resourcetimingbufferfull event (one on an idle machine).
    assert 290 <= images["n"] <= 300


def test_more_events_than_one_beacon_holds(rumhouse, site, page):
    page.goto(site.origin + "/many/")
    page.wait_for_function("window.done", timeout=20_000)
    page.wait_for_timeout(1500)  # the next periodic flush (data-flush=1) sends them
    leave(page, site)

    (view,) = views(rumhouse, "/many/")
    pv = view["page_view_id"]
    assert_final_beacons(rumhouse, pv)
    calls = rumhouse.sql(f"SELECT count() AS n FROM rumhouse.api_calls WHERE page_view_id = '{pv}'")[0]["n"]
    assert calls == 250
    # 250 calls of ~350 bytes each do not fit one 64 KiB beacon: they came split, and none was too large.
    beacons = rumhouse.sql(
        f"SELECT seq, events FROM rumhouse.beacons WHERE page_view_id = '{pv}' ORDER BY seq"
    )
    assert len(beacons) >= 3
    assert [b["seq"] for b in beacons] == list(range(len(beacons)))
    assert 'reason="too_large"} 0.0' in rumhouse.metrics_text()
    assert_agrees(rumhouse, site, "/many/", view)


def test_tag_pasted_twice(rumhouse, site, page):
    page.goto(site.origin + "/twice/")
    page.wait_for_function("window.done", timeout=10_000)
    assert page.evaluate("[window.fetched, window.xhrStatus]") == [True, 200]  # the wrapped calls still work
    leave(page, site)
    (view,) = views(rumhouse, "/twice/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    calls = rows(rumhouse, "api_calls", view["page_view_id"])
    assert sorted(c["endpoint"].split("/", 1)[1] for c in calls) == ["api/other", "api/things"]
    assert not page.errors
    assert_agrees(rumhouse, site, "/twice/", view)


def test_reload_with_resources_from_the_cache(rumhouse, site, page):
    page.goto(site.origin + "/cached/")
    painted(page)
    page.reload()
    painted(page)
    page.wait_for_timeout(200)
    leave(page, site)

    first, reloaded = views(rumhouse, "/cached/", count=2)
    assert (first["navigation_type"], reloaded["navigation_type"]) == ("navigate", "reload")
    assert_final_beacons(rumhouse, first["page_view_id"], reloaded["page_view_id"])

    def images(view):
        return rumhouse.sql(
            "SELECT sum(count) AS n, sum(cache_hits) AS hits, sum(transfer_bytes) AS tb FROM rumhouse.resources"
            f" WHERE page_view_id = '{view['page_view_id']}' AND type = 'img'"
        )[0]

    assert images(first) == {"n": 6, "hits": 0, "tb": images(first)["tb"]} and images(first)["tb"] > 0
    assert images(reloaded) == {"n": 6, "hits": 6, "tb": 0}
    assert_agrees(rumhouse, site, "/cached/", first)
    assert_agrees(rumhouse, site, "/cached/", reloaded)
