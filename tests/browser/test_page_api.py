"""The snippet's settings and page API in real Chromium, and what the server stored from them: early capture
through the inline stub, rumhouse.label / set / error / onVital / consent, data-exclude, hash routes,
data-debug and the sampling rate."""

from __future__ import annotations

import json

import pytest

from .helpers import assert_agrees, assert_final_beacons, leave, painted, q, rows, views, wait_for

pytestmark = pytest.mark.browser


def test_what_happens_before_rum_js_runs_is_caught_by_the_stub(rumhouse, site, page):
    page.goto(site.origin + "/early/")
    page.wait_for_function("window.done", timeout=10_000)
    page.wait_for_timeout(300)
    leave(page, site)

    (view,) = views(rumhouse, "/early/")
    pv = view["page_view_id"]
    assert_final_beacons(rumhouse, pv)
    assert (view["label"], view["custom"]) == ("early-page", {"plan": "pro"})
    errors = {r["kind"]: r for r in rows(rumhouse, "errors", pv)}
    assert set(errors) == {"error", "rejection"}
    assert "thrown while loading" in errors["error"]["message"] and errors["error"]["line"] > 0
    assert "rejected while loading" in errors["rejection"]["message"]
    calls = {
        (r["method"], r["endpoint"].split("/", 1)[1], r["status"]) for r in rows(rumhouse, "api_calls", pv)
    }
    assert calls == {
        ("GET", "api/early/:id", 200),
        ("POST", "api/early/:id", 200),
        ("GET", "api/early/xhr", 404),
    }
    slow = [r for r in rows(rumhouse, "api_calls", pv) if r["method"] == "GET" and r["status"] == 200]
    assert slow[0]["duration_ms"] >= 50  # measured by the stub from its start, not from when rum.js ran
    (measure,) = rows(rumhouse, "measures", pv)
    assert (measure["name"], measure["value"]) == ("boot", 5)
    # Every row carries the label set before rum.js ran.
    assert {r["label"] for r in rows(rumhouse, "errors", pv) + rows(rumhouse, "api_calls", pv)} == {
        "early-page"
    }
    assert not page.errors or all("while loading" in e for e in page.errors)


def test_labels_custom_dimensions_manual_errors_on_vital_and_consent(rumhouse, site, page):
    page.goto(site.origin + "/api-page/")
    page.wait_for_function("window.done", timeout=10_000)
    painted(page)
    # The flush at 1 s waited for consent (given at 1.5 s), then went.
    assert page.evaluate("window.sentBefore") == 0
    assert wait_for(lambda: page.evaluate("sent()") >= 1, timeout=5)
    seen = page.evaluate("JSON.stringify(window.seen)")
    leave(page, site)

    (view,) = views(rumhouse, "/api-page/")
    pv = view["page_view_id"]
    assert_final_beacons(rumhouse, pv)
    assert (view["label"], view["custom"]) == ("product", {"plan": "pro"})
    assert view["sample_rate"] == pytest.approx(0.999999)
    (error,) = rows(rumhouse, "errors", pv)
    assert error["kind"] == "manual" and error["message"].startswith("SyntaxError")
    # onVital saw what the beacons carried: the values stored are among those it was given.
    given = {v["n"]: v["v"] for v in json.loads(seen)}
    stored = {
        r["name"]: r["value"]
        for r in rumhouse.sql(f"SELECT name, value FROM rumhouse.vitals WHERE page_view_id = {q(pv)}")
    }
    assert given and all(stored[name] == value for name, value in given.items() if name in ("TTFB", "FCP"))


def test_refused_consent_sends_nothing(rumhouse, site, page):
    page.goto(site.origin + "/refused/")
    page.wait_for_function("window.done", timeout=10_000)
    assert page.evaluate("sent()") == 0  # a flush came and went: nothing was sent
    leave(page, site)
    page.wait_for_timeout(500)
    assert rumhouse.sql("SELECT count() AS n FROM rumhouse.page_views WHERE path = '/refused/'")[0]["n"] == 0


def test_excluded_paths_send_nothing(rumhouse, site, page):
    page.goto(site.origin + "/admin/secret")
    page.wait_for_function("window.done", timeout=10_000)
    page.wait_for_timeout(300)
    leave(page, site)
    # The route change to a path that is not excluded is measured; the excluded page view never is.
    (view,) = views(rumhouse, "/admin-done/")
    assert view["navigation_type"] == "soft"
    assert_final_beacons(rumhouse, view["page_view_id"])
    assert (
        rumhouse.sql("SELECT count() AS n FROM rumhouse.page_views WHERE path LIKE '/admin/%'")[0]["n"] == 0
    )
    assert rumhouse.sql("SELECT count() AS n FROM rumhouse.measures WHERE name = 'never'")[0]["n"] == 0


def test_hash_routes_are_page_views(rumhouse, site, page):
    page.goto(site.origin + "/hash/")
    painted(page)
    page.click("#users")
    page.wait_for_timeout(300)
    page.click("#cart")
    page.wait_for_timeout(300)
    leave(page, site)
    (load,) = views(rumhouse, "/hash/")
    (users,) = views(rumhouse, "/hash/users/:id")
    (cart,) = views(rumhouse, "/hash/cart")
    assert load["navigation_type"] == "navigate"
    assert users["navigation_type"] == cart["navigation_type"] == "soft"
    assert_final_beacons(rumhouse, load["page_view_id"], users["page_view_id"], cart["page_view_id"])
    # The router draws each route: the browser reports a soft navigation, and web-vitals its paints.
    got = {r["name"]: r["value"] for r in rows(rumhouse, "vitals", users["page_view_id"])}
    ref = site.reference("/hash/#/users/7").get("soft-navigation", {})
    assert {"FCP", "LCP"} <= set(got) <= {"FCP", "LCP", "CLS", "INP"}
    for name in ("FCP", "LCP"):
        assert abs(got[name] - ref[name]) <= max(5, 0.01 * ref[name]), (name, got, ref)


def test_debug_writes_every_beacon_to_the_console(rumhouse, site, page):
    logged = []
    page.on("console", lambda m: m.text.startswith("rumhouse") and logged.append(m))
    page.goto(site.origin + "/debug/")
    painted(page)
    page.wait_for_timeout(1500)  # the flush at 1 s
    leave(page, site)
    (view,) = views(rumhouse, "/debug/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    wait_for(lambda: len(logged) >= 1)
    assert logged and logged[0].type == "debug"


def test_the_npm_package_measures_as_the_tag_does(rumhouse, site, page):
    page.goto(site.origin + "/npm-app/")
    page.wait_for_function("window.ready")
    painted(page)
    assert page.evaluate("window.again")  # a second init() is the same page API, as a second tag
    page.evaluate("go()")
    page.wait_for_timeout(300)
    leave(page, site)
    (view,) = views(rumhouse, "/npm-app/")
    (route,) = views(rumhouse, "/npm-app/orders/:id")
    assert_final_beacons(rumhouse, view["page_view_id"], route["page_view_id"])
    assert (view["label"], view["release"], route["navigation_type"]) == ("npm", "npm-1", "soft")
    assert {"FCP", "LCP", "TTFB"} <= {r["name"] for r in rows(rumhouse, "vitals", view["page_view_id"])}
    assert_agrees(rumhouse, site, "/npm-app/", view)

    page.goto(site.origin + "/npm-iife/")
    painted(page)
    leave(page, site)
    (view,) = views(rumhouse, "/npm-iife/")
    assert view["label"] == "iife"
    assert_final_beacons(rumhouse, view["page_view_id"])
