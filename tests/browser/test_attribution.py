"""The "why" behind each metric, as stored in rumhouse.vitals' attribution columns, against what web-vitals'
attribution build reports for the same page load: the same elements, URLs, loading states and scripts,
and every part of a value within 1% or 5 ms."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .helpers import NAV_TYPES, assert_final_beacons, leave, painted, q, views, wait_for

pytestmark = pytest.mark.browser

COLUMNS = (
    "name, value, attribution, event_type, load_state, ttfb_ms, load_delay_ms, load_duration_ms, render_delay_ms,"
    " resource_url, input_delay_ms, processing_ms, presentation_ms, script_url, script_function, script_invoker,"
    " script_ms, shift_value, shift_time_ms"
)


def stored(rumhouse, pv: str) -> dict[str, dict]:
    rows = rumhouse.sql(f"SELECT {COLUMNS} FROM rumhouse.vitals WHERE page_view_id = {q(pv)}")
    return {r["name"]: r for r in rows}


def reference(site, path: str, view: dict, names: set[str]) -> dict[str, dict]:
    def ready():
        by_type = {NAV_TYPES.get(k, k): v for k, v in site.attribution(path).items()}
        refs = by_type.get(view["navigation_type"], {})
        return refs if names <= set(refs) else None

    refs = wait_for(ready, timeout=10)
    assert refs, f"{path}: web-vitals reported no attribution for {names}: {site.attribution(path)}"
    return refs


def near(ours, ref, tolerance: float = 5.0) -> bool:
    return ours is not None and abs(ours - ref) <= max(tolerance, 0.01 * abs(ref))


def no_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def test_lcp_parts_element_and_image(rumhouse, site, page):
    page.goto(site.origin + "/why/lcp/")
    painted(page)
    page.wait_for_timeout(300)
    leave(page, site)
    (view,) = views(rumhouse, "/why/lcp/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    ours = wait_for(lambda: stored(rumhouse, view["page_view_id"]).get("LCP"))
    ref = reference(site, "/why/lcp/", view, {"LCP"})["LCP"]
    assert ours["attribution"] == ref["target"] == "#hero"
    assert ours["resource_url"] == no_query(ref["url"]) and ours["resource_url"].endswith("/img/hero.png")
    parts = ("ttfb_ms", "ttfb"), ("load_delay_ms", "loadDelay"), ("load_duration_ms", "loadDuration")
    for column, key in (*parts, ("render_delay_ms", "renderDelay")):
        assert near(ours[column], ref[key]), (column, ours[column], ref[key])
    # The image is sent 700 ms after it is asked for: that is its load duration; the parts add up.
    assert ours["load_duration_ms"] >= 700
    total = ours["ttfb_ms"] + ours["load_delay_ms"] + ours["load_duration_ms"] + ours["render_delay_ms"]
    assert abs(total - ours["value"]) <= 3


def test_inp_phases_target_and_the_script_behind_it(rumhouse, site, page):
    page.goto(site.origin + "/why/inp/")
    painted(page)
    page.click("#slow")
    page.wait_for_function("document.getElementById('slow').textContent == 'Done'")
    page.wait_for_timeout(1500)  # web-vitals handles Event Timing entries when idle
    leave(page, site)
    (view,) = views(rumhouse, "/why/inp/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    ours = wait_for(lambda: stored(rumhouse, view["page_view_id"]).get("INP"))
    ref = reference(site, "/why/inp/", view, {"INP"})["INP"]
    assert ours["attribution"] == ref["target"] == "#slow"
    # web-vitals says pointer or keyboard; rumhouse keeps the event of the longest entry.
    assert ref["type"] == "pointer" and ours["event_type"] in (
        "pointerdown",
        "pointerup",
        "mousedown",
        "click",
    )
    assert ours["load_state"] == ref["loadState"] == "complete"
    for column, key in (
        ("input_delay_ms", "inputDelay"),
        ("processing_ms", "processing"),
        ("presentation_ms", "presentation"),
    ):
        assert near(ours[column], ref[key]), (column, ours[column], ref[key])
    # The handler blocks for 300 ms: that is the processing; the script is the page's own listener.
    assert ours["processing_ms"] >= 300
    url, function, invoker, duration = ref["script"]
    assert (ours["script_url"], ours["script_function"], ours["script_invoker"]) == (
        no_query(url),
        function,
        invoker,
    )
    assert ours["script_url"].endswith("/why/inp/") and "click" in ours["script_invoker"].lower()
    assert near(ours["script_ms"], duration) and ours["script_ms"] >= 300


def test_cls_largest_shift_element_value_and_time(rumhouse, site, page):
    page.goto(site.origin + "/why/cls/")
    page.wait_for_function("document.getElementById('small')", polling=100)
    page.wait_for_timeout(300)
    leave(page, site)
    (view,) = views(rumhouse, "/why/cls/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    ours = wait_for(lambda: stored(rumhouse, view["page_view_id"]).get("CLS"))
    ref = reference(site, "/why/cls/", view, {"CLS"})["CLS"]
    assert ours["attribution"] == ref["target"] == "#content"
    assert ours["shift_value"] == pytest.approx(ref["shiftValue"], abs=0.0001)
    assert near(ours["shift_time_ms"], ref["shiftTime"], 1)
    # The block goes in 300 ms after the page's scripts run, once the page has loaded.
    assert ours["shift_time_ms"] >= 300
    assert ours["load_state"] == ref["loadState"]


def test_fcp_time_to_first_byte_and_loading_state(rumhouse, site, page):
    page.goto(site.origin + "/why/slow/")
    painted(page)
    leave(page, site)
    (view,) = views(rumhouse, "/why/slow/")
    assert_final_beacons(rumhouse, view["page_view_id"])
    ours = wait_for(lambda: stored(rumhouse, view["page_view_id"]).get("FCP"))
    ref = reference(site, "/why/slow/", view, {"FCP"})["FCP"]
    assert near(ours["ttfb_ms"], ref["ttfb"]) and ours["ttfb_ms"] >= 600  # the server waits 600 ms
    assert ours["load_state"] == ref["loadState"]
