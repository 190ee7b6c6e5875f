"""The page-view explorer over the seeded reading dataset: the page views behind a selection (a path and a
metric's poor bucket, a browser, an API endpoint, an error, a value range), and one page view's whole
record, each against the seeded rows themselves."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from rumhouse.tables import THRESHOLDS

# In the slow suite: the fast one is kept under two minutes (README).
pytestmark = pytest.mark.slow

WINDOW_DAYS = 7


def window(dataset) -> tuple[datetime, datetime, dict]:
    end = dataset.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(days=WINDOW_DAYS)
    return start, end, {"site": "demo", "from": start.isoformat(), "to": end.isoformat(), "limit": "1000"}


def seeded(dataset, start, end, **dims) -> dict[str, dict]:
    """The seeded page views of demo in the window with those dimensions, by id, with their vitals."""
    views = {
        v["page_view_id"]: {**v, "vitals": {}}
        for v in dataset.table("page_views")
        if v["site"] == "demo" and start <= v["time"] < end and all(v[k] == x for k, x in dims.items())
    }
    for row in dataset.table("vitals"):
        if row["page_view_id"] in views:
            views[row["page_view_id"]]["vitals"][row["name"]] = row["value"]
    return views


def test_the_page_views_behind_a_poor_bucket_worst_first(reading, dataset, demo_token):
    start, end, asked = window(dataset)
    rows = reading.api("/page-views", demo_token, path="/checkout", metric="LCP", rating="poor", **asked)[
        "rows"
    ]
    poor = THRESHOLDS["LCP"][1]
    expected = {
        pv: v["vitals"]["LCP"]
        for pv, v in seeded(dataset, start, end, path="/checkout").items()
        if v["vitals"].get("LCP", 0) > poor
    }
    assert len(expected) >= 5
    assert {r["page_view_id"]: r["lcp"] for r in rows} == expected
    assert [r["lcp"] for r in rows] == sorted(expected.values(), reverse=True)
    assert all(r["path"] == "/checkout" for r in rows)


def test_a_browser_a_range_an_endpoint_and_an_error(reading, dataset, demo_token):
    start, end, asked = window(dataset)
    views = seeded(dataset, start, end, browser="Firefox")
    rows = reading.api("/page-views", demo_token, browser="Firefox", metric="INP", min=200, max=300, **asked)[
        "rows"
    ]
    assert {r["page_view_id"] for r in rows} == {
        pv for pv, v in views.items() if 200 <= v["vitals"].get("INP", -1) <= 300
    }
    everything = seeded(dataset, start, end)
    call = dataset.table("api_calls")[0]
    # With a path too: under the limit of 1,000 rows.
    on_path = seeded(dataset, start, end, path="/checkout")
    rows = reading.api("/page-views", demo_token, endpoint=call["endpoint"], path="/checkout", **asked)[
        "rows"
    ]
    expected = {
        c["page_view_id"] for c in dataset.table("api_calls")
        if c["endpoint"] == call["endpoint"] and c["page_view_id"] in on_path
    }  # fmt: skip
    assert len(expected) >= 20 and {r["page_view_id"] for r in rows} == expected
    [error] = [e for e in reading.api("/errors", demo_token, **asked)["rows"] if "gtag" in e["message"]]
    rows = reading.api("/page-views", demo_token, error=error["fingerprint"], **asked)["rows"]
    assert {r["page_view_id"] for r in rows} == {
        e["page_view_id"] for e in dataset.table("errors")
        if "gtag" in e["message"] and e["page_view_id"] in everything
    }  # fmt: skip
    assert rows and len(rows) == error["page_views"]


def test_one_page_views_whole_record(reading, dataset, demo_token):
    start, end, _ = window(dataset)
    pv = next(
        e["page_view_id"] for e in dataset.table("errors")
        if e["page_view_id"] in seeded(dataset, start, end)
        and any(c["page_view_id"] == e["page_view_id"] for c in dataset.table("api_calls"))
    )  # fmt: skip
    answer = reading.client.get(f"/api/v1/page-views/{pv}", params={"site": "demo"}, headers=auth(demo_token))
    assert answer.status_code == 200, answer.text
    record = answer.json()
    [view] = [v for v in dataset.table("page_views") if v["page_view_id"] == pv]
    assert record["page_view"]["path"] == view["path"] and record["page_view"]["browser"] == view["browser"]
    assert record["page_view"]["dns_ms"] == view["dns_ms"]
    assert {v["name"]: v["value"] for v in record["vitals"]} == {
        v["name"]: v["value"] for v in dataset.table("vitals") if v["page_view_id"] == pv
    }
    calls = [c for c in dataset.table("api_calls") if c["page_view_id"] == pv]
    assert sorted((c["endpoint"], c["status"]) for c in record["api_calls"]) == sorted(
        (c["endpoint"], c["status"]) for c in calls
    )
    assert [e["message"] for e in record["errors"]] == [
        e["message"] for e in dataset.table("errors") if e["page_view_id"] == pv
    ]
    assert len(record["resources"]) == sum(1 for r in dataset.table("resources") if r["page_view_id"] == pv)
    assert datetime.fromisoformat(record["page_view"]["time"]) == pytest.approx(
        view["time"], abs=timedelta(milliseconds=1)
    )


def auth(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def test_refusals(reading, demo_token, shop_token):
    asked = {"site": "demo"}
    missing = reading.client.get("/api/v1/page-views/pv-none", params=asked, headers=auth(demo_token))
    assert missing.status_code == 404
    # A page view of another site is not found through a site the token reads, and not readable at all
    # through the site it is on.
    demo_view = "pv000000"
    other = reading.client.get(
        f"/api/v1/page-views/{demo_view}", params={"site": "shop"}, headers=auth(shop_token)
    )
    assert other.status_code == 404
    refused = reading.client.get(f"/api/v1/page-views/{demo_view}", params=asked, headers=auth(shop_token))
    assert refused.status_code == 403
    for params, words in (({"rating": "poor"}, "metric"), ({"metric": "LCP", "rating": "awful"}, "rating"),
                          ({"error": "12x"}, "fingerprint"), ({"metric": "XYZ"}, "metric")):  # fmt: skip
        answer = reading.client.get(
            "/api/v1/page-views", params={**asked, **params}, headers=auth(demo_token)
        )
        assert answer.status_code == 400 and words in answer.text, (params, answer.text)
