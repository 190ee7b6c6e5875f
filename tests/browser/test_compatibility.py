"""Old snippets keep working: rum.js as rumhouse 0.1 served it (tests/fixtures/rum-0.1.js, still cached in
visitors' browsers for weeks) sends to this server, and every row lands with the values it measured."""

from __future__ import annotations

import pytest

from .helpers import assert_agrees, assert_final_beacons, leave, painted, q, rows, views

pytestmark = pytest.mark.browser


def test_the_0_1_snippet_against_this_server(rumhouse, site, page):
    page.goto(site.origin + "/old-snippet/")
    page.wait_for_function("window.done", timeout=10_000)
    painted(page)
    page.click("#b")
    page.wait_for_function("document.getElementById('b').textContent == 'Done'")
    page.wait_for_timeout(1500)  # web-vitals handles Event Timing entries when idle
    leave(page, site)

    (view,) = views(rumhouse, "/old-snippet/")
    pv = view["page_view_id"]
    assert_final_beacons(rumhouse, pv)
    # The navigation breakdown came as phases, not raw times.
    assert view["server_ms"] is not None and view["load_ms"] > 0
    vitals = {
        r["name"]: r
        for r in rumhouse.sql(
            f"SELECT name, value, attribution, event_type FROM rumhouse.vitals WHERE page_view_id = {q(pv)}"
        )
    }
    assert {"TTFB", "FCP", "LCP", "CLS", "INP", "FID"} <= set(vitals)
    # 0.1 sent INP's attribution as "click button#b" and FID's as the event: stored as element and event type.
    assert vitals["INP"]["attribution"] == "button#b"
    assert vitals["INP"]["event_type"] in ("pointerdown", "pointerup", "mousedown", "click")
    assert (
        vitals["FID"]["event_type"] in ("pointerdown", "mousedown", "click")
        and vitals["FID"]["attribution"] == ""
    )
    assert_agrees(rumhouse, site, "/old-snippet/", view)
    (call,) = rows(rumhouse, "api_calls", pv)
    assert call["endpoint"].endswith("/api/items/:id")
    (error,) = rows(rumhouse, "errors", pv)
    assert "old boom" in error["message"]
    kinds = {(r["type"], r["third_party"]) for r in rows(rumhouse, "resources", pv)}
    assert ("img", 0) in kinds and ("script", 0) in kinds
