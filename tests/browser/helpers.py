"""What the browser tests check, in terms a user of rumhouse would use: rows in the tables."""

from __future__ import annotations

import os
import time

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"

# web-vitals' names for navigation types, and ours.
NAV_TYPES = {
    "navigate": "navigate",
    "reload": "reload",
    "back-forward": "back_forward",
    "back-forward-cache": "restore",
    "prerender": "prerender",
    "soft-navigation": "soft",
}
COMPARED = ("FCP", "LCP", "CLS", "INP", "TTFB")


def unavailable(reason: str) -> None:
    """A missing browser or tool fails the browser tests under CI=true, and skips them elsewhere."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


def wait_for(fn, timeout: float = 15, interval: float = 0.2):
    """Calls `fn` until it returns something truthy (or stops raising AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = fn()
            if result:
                return result
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            return result
        time.sleep(interval)


def q(value: str) -> str:
    """A string literal for the tests' own constants."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def views(rumhouse, path: str, count: int = 1) -> list[dict]:
    """The page views stored for `path`, waiting until there are `count` of them."""
    sql = f"SELECT * FROM rumhouse.page_views WHERE path = {q(path)} ORDER BY time"
    rows = wait_for(lambda: (r := rumhouse.sql(sql)) and len(r) >= count and r)
    assert rows and len(rows) == count, f"{path}: expected {count} page view(s), got {rows}"
    return rows


def vitals(rumhouse, pv: str) -> dict[str, dict]:
    rows = rumhouse.sql(f"SELECT name, value, attribution FROM rumhouse.vitals WHERE page_view_id = {q(pv)}")
    out = {}
    for row in rows:
        assert row["name"] not in out, f"{row['name']} stored twice for {pv}"
        out[row["name"]] = row
    return out


def rows(rumhouse, table: str, pv: str, order: str = "time") -> list[dict]:
    return rumhouse.sql(f"SELECT * FROM rumhouse.{table} WHERE page_view_id = {q(pv)} ORDER BY {order}")


def final_beacon_arrived(rumhouse, pv: str) -> bool:
    sql = f"SELECT count() AS n FROM rumhouse.beacons WHERE page_view_id = {q(pv)} AND last = 1"
    return rumhouse.sql(sql)[0]["n"] == 1


def assert_final_beacons(rumhouse, *pvs: str) -> None:
    """Every page view's final beacon arrived, once (the server-side lost-beacon share is 0)."""
    for pv in pvs:
        assert wait_for(lambda pv=pv: final_beacon_arrived(rumhouse, pv)), (
            f"no final beacon for page view {pv}"
        )


def painted(page) -> None:
    """Waits for the page's load event and its first contentful paint, as seen by web-vitals too (on a
    loaded machine a page left at once might not have painted, or not have delivered the paint entry to
    the observers yet), and a little more for the largest paint's entries to be delivered."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "performance.getEntriesByName('first-contentful-paint').length"
        " && (!window.__ref || window.__ref.FCP !== undefined)",
        polling=50,
    )
    page.wait_for_timeout(100)


def leave(page, site) -> None:
    """Makes the page hidden and unloads it, as a visitor leaving it would."""
    page.goto(site.origin + "/blank")


def close_enough(name: str, ours: float, ref: float) -> bool:
    if name == "CLS":
        return abs(ours - ref) <= 0.001
    return abs(ours - ref) <= max(5.0, 0.01 * abs(ref))


def assert_agrees(rumhouse, site, path: str, view: dict) -> dict[str, float]:
    """rumhouse's stored FCP, LCP, CLS, INP and TTFB of one page view equal web-vitals' values for the same
    page load: the same metrics, within 1% or 5 ms (0.001 for CLS). Returns the reference values."""
    nt = view["navigation_type"]
    ours = {}

    def ready():
        refs = site.reference(path)
        by_type = {NAV_TYPES.get(k, k): v for k, v in refs.items()}.get(nt, {})
        ours.clear()
        ours.update(
            {k: v["value"] for k, v in vitals(rumhouse, view["page_view_id"]).items() if k in COMPARED}
        )
        return by_type if set(by_type) >= set(ours) and by_type else None

    wait_for(ready, timeout=10)
    ref = {NAV_TYPES.get(k, k): v for k, v in site.reference(path).items()}.get(nt, {})
    assert ref, f"{path}: web-vitals reported nothing for {nt}: {site.reference(path)}"
    ref = {k: v for k, v in ref.items() if k in COMPARED}
    assert set(ours) == set(ref), f"{path}: rumhouse has {sorted(ours)}, web-vitals {sorted(ref)}"
    for name, value in ref.items():
        assert close_enough(name, ours[name], value), (
            f"{path}: {name} rumhouse {ours[name]} web-vitals {value}"
        )
    return ref
