"""Every read route against figures computed here, in plain Python, from the seeded rows.

`source=raw` answers are exact (percentiles by linear interpolation between closest ranks), so they
must equal the Python figures; what the rollups answer is checked in test_rollups_agree.py.
"""

import csv
import io
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from rumhouse.tables import VITAL_NAMES
from support.reading_data import THRESHOLDS, quantile

LEVELS = {"p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}
COLUMN = {
    "path": "path",
    "browser": "browser",
    "os": "os",
    "device": "device_type",
    "country": "country",
    "connection": "connection_type",
    "release": "release",
}


def close(a, b, rel=1e-9):
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def window(doc) -> tuple[datetime, datetime]:
    f = doc["filters"]
    return datetime.fromisoformat(f["from"]), datetime.fromisoformat(f["to"])


def interval(values: list[float], p: float) -> tuple[float, float]:
    """The 95% interval of the p-th quantile from order statistics: the r-th and s-th smallest values,
    r = floor(np - 1.96 sqrt(np(1-p))), s = ceil(np + 1.96 sqrt(np(1-p))), within 1..n."""
    s, n = sorted(values), len(values)
    spread = 1.96 * math.sqrt(n * p * (1 - p))
    return s[max(1, math.floor(n * p - spread)) - 1], s[min(n, math.ceil(n * p + spread)) - 1]


def select(rows, doc, site="demo", **dims):
    start, end = window(doc)
    return [
        r
        for r in rows
        if r["site"] == site and start <= r["time"] < end and all(r[COLUMN[k]] == v for k, v in dims.items())
    ]


def check_stats(got: dict, values: list[float], metric: str | None = None):
    assert got["samples"] == len(values)
    for key, level in LEVELS.items():
        assert close(got[key], quantile(values, level)), (key, got[key], quantile(values, level))
    if metric in THRESHOLDS:
        good, poor = THRESHOLDS[metric]
        assert close(got["good"], sum(v <= good for v in values) / len(values))
        assert close(got["poor"], sum(v > poor for v in values) / len(values))
        assert close(got["needs_improvement"], sum(good < v <= poor for v in values) / len(values))


def test_windows_are_the_documented_ones(reading, demo_token):
    now = datetime.now(UTC)
    for name, hours in (("24h", 24), ("7d", 168), ("30d", 720)):
        start, end = window(reading.api("/vitals/summary", demo_token, range=name))
        assert end - start == timedelta(hours=hours)
        assert end.minute == end.second == 0 and timedelta(0) < end - now <= timedelta(hours=1)
    start, end = window(reading.api("/vitals/summary", demo_token, range="1h"))
    assert end - start == timedelta(hours=1) and abs(end - now) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"browser": "Chrome"},
        {"device": "mobile", "country": "DE"},
        {"range": "7d", "path": "/checkout"},
        {"range": "1h"},
        {"release": "v2", "connection": ""},
    ],
)
def test_vitals_summary(reading, demo_token, dataset, filters):
    doc = reading.api("/vitals/summary", demo_token, source="raw", **filters)
    dims = {k: v for k, v in filters.items() if k != "range"}
    chosen = select(dataset.table("vitals"), doc, **dims)
    by_metric = defaultdict(list)
    for r in chosen:
        by_metric[r["name"]].append(r["value"])
    assert {row["metric"] for row in doc["rows"]} == set(by_metric)
    assert len(chosen) > 0
    for row in doc["rows"]:
        check_stats(row, by_metric[row["metric"]], row["metric"])
        assert row["rating"] == _rating(row["metric"], quantile(by_metric[row["metric"]], 0.75))
        # The 95% interval of p75 from order statistics, exact from the raw rows.
        assert (row["p75_ci_low"], row["p75_ci_high"]) == interval(by_metric[row["metric"]], 0.75)
        assert row["enough"] == (len(by_metric[row["metric"]]) >= 30)


def test_the_p75_interval_from_the_rollups_is_the_raw_one_within_the_digests_error(reading, demo_token):
    raw = {
        r["metric"]: r for r in reading.api("/vitals/summary", demo_token, range="7d", source="raw")["rows"]
    }
    rolled = reading.api("/vitals/summary", demo_token, range="7d", source="rollup")
    assert rolled["source"] == "rollup"
    for row in rolled["rows"]:
        exact = raw[row["metric"]]
        assert row["p75_ci_low"] <= row["p75"] <= row["p75_ci_high"]
        width = exact["p75_ci_high"] - exact["p75_ci_low"]
        for end in ("p75_ci_low", "p75_ci_high"):
            # A t-digest answers within about 1% of rank; the interval's ends move by a fraction of its width.
            assert row[end] == pytest.approx(exact[end], abs=max(width, 0.02 * abs(exact[end])) + 1e-3), (
                row["metric"],
                end,
            )


def _rating(metric, p75):
    if metric not in THRESHOLDS:
        return None
    good, poor = THRESHOLDS[metric]
    return "good" if p75 <= good else "poor" if p75 > poor else "needs-improvement"


def test_custom_window_from_to(reading, demo_token, dataset):
    start = dataset.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=10)
    end = start + timedelta(hours=5, minutes=30)
    doc = reading.api(
        "/vitals/summary",
        demo_token,
        source="raw",
        **{"from": start.isoformat(), "to": str(int(end.timestamp() * 1000))},
    )
    assert window(doc) == (start, end)
    lcp = [r["value"] for r in select(dataset.table("vitals"), doc) if r["name"] == "LCP"]
    check_stats(next(r for r in doc["rows"] if r["metric"] == "LCP"), lcp, "LCP")


def test_timeseries(reading, demo_token, dataset):
    doc = reading.api(
        "/vitals/timeseries",
        demo_token,
        source="raw",
        metric="LCP",
        percentile=95,
        bucket=3600,
        browser="Safari",
    )
    buckets = defaultdict(list)
    for r in select(dataset.table("vitals"), doc, browser="Safari"):
        if r["name"] == "LCP":
            buckets[r["time"].replace(minute=0, second=0, microsecond=0)].append(r["value"])
    got = {datetime.fromisoformat(row["time"]): row for row in doc["rows"]}
    # Every hour of the window is there; those without samples say so, with no value.
    start, end = window(doc)
    assert sorted(got) == [
        start + timedelta(hours=h) for h in range(int((end - start).total_seconds()) // 3600)
    ]
    assert all(row["value"] is None and not row["enough"] for t, row in got.items() if t not in buckets)
    for t, values in buckets.items():
        assert got[t]["samples"] == len(values) and close(got[t]["value"], quantile(values, 0.95))
        low, high = interval(values, 0.95)
        assert (got[t]["ci_low"], got[t]["ci_high"]) == (low, high)
        assert got[t]["enough"] == (len(values) >= 30)
    assert doc["bucket_seconds"] == 3600 and doc["percentile"] == 95


def test_timeseries_of_every_metric_in_5_minute_buckets(reading, demo_token, dataset):
    doc = reading.api("/vitals/timeseries", demo_token, range="6h")
    assert doc["bucket_seconds"] == 300 and doc["source"] == "raw"
    buckets = defaultdict(list)
    for r in select(dataset.table("vitals"), doc):
        minute = r["time"].replace(second=0, microsecond=0)
        buckets[(minute - timedelta(minutes=minute.minute % 5), r["name"])].append(r["value"])
    got = {(datetime.fromisoformat(row["time"]), row["metric"]): row for row in doc["rows"] if row["samples"]}
    assert set(got) == set(buckets)
    # Each metric has every five-minute bucket of the window, from the one the window starts in.
    start, end = window(doc)
    first = int(start.timestamp()) // 300 * 300
    per_metric = len(range(first, int(end.timestamp()), 300))
    assert len(doc["rows"]) == len({m for _, m in buckets}) * per_metric
    for key, values in buckets.items():
        assert got[key]["samples"] == len(values) and close(got[key]["value"], quantile(values, 0.75))


@pytest.mark.parametrize(
    ("by", "metric", "filters"),
    [
        ("device", "LCP", {}),
        ("browser", "INP", {"country": "US"}),
        ("country", "CLS", {}),
        ("connection", "TTFB", {}),
        ("release", "FCP", {"range": "7d"}),
    ],
)
def test_split_by_one_dimension(reading, demo_token, dataset, by, metric, filters):
    doc = reading.api("/vitals/split", demo_token, source="raw", by=by, metric=metric, **filters)
    dims = {k: v for k, v in filters.items() if k != "range"}
    groups = defaultdict(list)
    for r in select(dataset.table("vitals"), doc, **dims):
        if r["name"] == metric:
            groups[r[COLUMN[by]]].append(r["value"])
    assert {row["value"] for row in doc["rows"]} == set(groups)
    for row in doc["rows"]:
        check_stats(row, groups[row["value"]], metric)
    assert [row["samples"] for row in doc["rows"]] == sorted(
        (row["samples"] for row in doc["rows"]), reverse=True
    )


def test_pages_by_impact(reading, demo_token, dataset):
    doc = reading.api("/pages", demo_token, source="raw", metric="LCP")
    views = defaultdict(int)
    for r in select(dataset.table("page_views"), doc):
        views[r["path"]] += 1
    lcp = defaultdict(list)
    for r in select(dataset.table("vitals"), doc):
        if r["name"] == "LCP":
            lcp[r["path"]].append(r["value"])
    expected = []
    for path, values in lcp.items():
        excess = max(0.0, (quantile(values, 0.75) - 2500) / 2500)
        expected.append((path, views[path] * excess))
    expected.sort(key=lambda e: -e[1])
    assert [row["path"] for row in doc["rows"]] == [p for p, _ in expected]
    for row, (path, impact) in zip(doc["rows"], expected, strict=True):
        assert close(row["impact"], impact) and row["page_views"] == views[path]
        check_stats(row, lcp[path], "LCP")


@pytest.mark.parametrize("by", [None, "path"])
def test_navigation_breakdown(reading, demo_token, dataset, by):
    params = {"by": by} if by else {}
    doc = reading.api("/navigation", demo_token, source="raw", **params)
    groups = defaultdict(list)
    for r in select(dataset.table("page_views"), doc):
        groups[r["path"] if by else ""].append(r)
    rows = {(row.get("value", ""), row["phase"]): row for row in doc["rows"]}
    assert len(rows) == len(groups) * 7
    for value, pvs in groups.items():
        for phase in ("dns", "connect", "tls", "server", "download", "render", "load"):
            row = rows[(value, phase)]
            values = [r[f"{phase}_ms"] for r in pvs if r[f"{phase}_ms"] is not None]
            assert row["page_views"] == len(pvs)
            check_stats(row, values)


def test_errors_by_fingerprint(reading, demo_token, dataset):
    doc = reading.api("/errors", demo_token, range="7d")
    groups = defaultdict(list)
    for r in select(dataset.table("errors"), doc):
        groups[(r["kind"], r["message"], r["source"])].append(r)
    got = {(row["kind"], row["message"], row["source"]): row for row in doc["rows"]}
    assert set(got) == set(groups)
    for key, rows in groups.items():
        row = got[key]
        assert row["occurrences"] == sum(r["count"] for r in rows)
        assert row["page_views"] == len({r["page_view_id"] for r in rows})
        first = min(r["time"] for r in rows)
        assert abs(datetime.fromisoformat(row["first_seen"]) - first) < timedelta(milliseconds=2)
        last = max(r["time"] for r in rows)
        assert abs(datetime.fromisoformat(row["last_seen"]) - last) < timedelta(milliseconds=2)
        assert row["sample_stack"] in {r["stack"] for r in rows}
    assert len({row["fingerprint"] for row in doc["rows"]}) == len(groups)


@pytest.mark.parametrize("filters", [{}, {"browser": "Edge"}])
def test_api_calls(reading, demo_token, dataset, filters):
    doc = reading.api("/api-calls", demo_token, source="raw", **filters)
    groups = defaultdict(list)
    for r in select(dataset.table("api_calls"), doc, **filters):
        groups[(r["endpoint"], r["method"])].append(r)
    got = {(row["endpoint"], row["method"]): row for row in doc["rows"]}
    assert set(got) == set(groups)
    for key, rows in groups.items():
        row = got[key]
        failed = sum(1 for r in rows if r["status"] == 0 or r["status"] >= 400)
        assert (
            row["calls"] == len(rows)
            and row["failed"] == failed
            and close(row["error_rate"], failed / len(rows))
        )
        assert row["page_views"] == len({r["page_view_id"] for r in rows})
        check_stats(row, [r["duration_ms"] for r in rows])


@pytest.mark.parametrize(("by", "extra"), [("type", {}), ("host", {}), ("host", {"third_party": "1"})])
def test_resources(reading, demo_token, dataset, by, extra):
    doc = reading.api("/resources", demo_token, source="raw", by=by, **extra)
    groups = defaultdict(list)
    for r in select(dataset.table("resources"), doc):
        if extra and r["third_party"] != 1:
            continue
        groups[r["type"] if by == "type" else r["resource_host"]].append(r)
    got = {row[by]: row for row in doc["rows"]}
    assert set(got) == set(groups)
    for key, rows in groups.items():
        row, n = got[key], sum(r["count"] for r in rows)
        assert row["count"] == n and row["page_views"] == len(rows)
        assert row["transfer_bytes"] == sum(r["transfer_bytes"] for r in rows)
        assert close(row["cache_hit_rate"], sum(r["cache_hits"] for r in rows) / n)
        assert close(row["avg_duration_ms"], sum(r["duration_total_ms"] for r in rows) / n)


def test_compare_two_releases(reading, demo_token, dataset):
    doc = reading.api("/vitals/compare", demo_token, source="raw", release_a="v1", release_b="v2")
    assert doc["mode"] == "releases"
    for row in doc["rows"]:
        for side, release in (("a", "v1"), ("b", "v2")):
            values = [
                r["value"]
                for r in select(dataset.table("vitals"), doc, release=release)
                if r["name"] == row["metric"]
            ]
            assert row[f"{side}_samples"] == len(values)
            assert close(row[f"{side}_p75"], quantile(values, 0.75))
        assert close(row["p75_change"], row["b_p75"] - row["a_p75"])


def test_compare_with_the_previous_window(reading, demo_token, dataset):
    doc = reading.api("/vitals/compare", demo_token, source="raw")
    a_start, a_end = datetime.fromisoformat(doc["a"]["from"]), datetime.fromisoformat(doc["a"]["to"])
    b_start, b_end = window(doc)
    assert a_end == b_start and a_end - a_start == b_end - b_start
    lcp = next(row for row in doc["rows"] if row["metric"] == "LCP")
    before = [
        r["value"]
        for r in dataset.table("vitals")
        if r["site"] == "demo" and r["name"] == "LCP" and a_start <= r["time"] < a_end
    ]
    assert lcp["a_samples"] == len(before) > 0
    assert close(lcp["a_p75"], quantile(before, 0.75))


ROUTES = [
    ("/vitals/summary", {}),
    ("/vitals/timeseries", {}),
    ("/vitals/split", {"by": "os"}),
    ("/pages", {}),
    ("/navigation", {"by": "path"}),
    ("/errors", {}),
    ("/api-calls", {}),
    ("/resources", {}),
    ("/vitals/compare", {}),
    ("/sites", {}),
]


@pytest.mark.parametrize(("path", "params"), ROUTES)
def test_csv_export_has_the_json_rows(reading, demo_token, path, params):
    doc = reading.api(path, demo_token, **params)
    text = reading.api(path, demo_token, format="csv", **params)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == doc["columns"]
    assert len(parsed) - 1 == len(doc["rows"]) > 0
    for line, row in zip(parsed[1:], doc["rows"], strict=True):
        for cell, column in zip(line, doc["columns"], strict=True):
            value = row[column]
            if value is None:
                assert cell == ""
            elif isinstance(value, float):
                assert math.isclose(float(cell), value, rel_tol=1e-12)
            else:
                assert cell == str(value)


@pytest.mark.parametrize(
    "params",
    [
        {"range": "2d"},
        {"from": "yesterday", "to": "now"},
        {"from": "2026-01-02"},
        {"metric": "XYZ"},
        {"format": "xml"},
        {"source": "rollup", "browser": "Chrome", "device": "mobile"},
        {"source": "magic"},
        {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
    ],
)
def test_bad_parameters_are_400_with_a_reason(reading, demo_token, params):
    response = reading.client.get(
        "/api/v1/vitals/split",
        params={"by": "browser", **params},
        headers={"authorization": f"Bearer {demo_token}"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request" and response.json()["message"]


def test_filter_values_are_parameters_not_sql(reading, demo_token):
    doc = reading.api("/vitals/summary", demo_token, source="raw", path="/' OR 1=1 --")
    assert doc["rows"] == []
    doc = reading.api("/vitals/summary", demo_token, path="x'); DROP TABLE rumhouse.vitals; --")
    assert doc["rows"] == []
    assert reading.scalar("SELECT count() FROM rumhouse.vitals") > 0


def test_parallel_requests_get_their_own_answers(reading, demo_token, shop_token):
    """The dashboard sends its requests at once; each must be answered with its own parameters (chDB
    keeps query parameters per connection, so the store serializes parameterized queries)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    expected = {
        (token, browser): reading.api("/vitals/summary", token, browser=browser)["rows"]
        for token in (demo_token, shop_token)
        for browser in ("Chrome", "Safari", "Firefox")
    }

    def ask(key):
        token, browser = key
        with httpx.Client(base_url=reading.url, timeout=30) as client:
            response = client.get(
                "/api/v1/vitals/summary",
                params={"browser": browser},
                headers={"authorization": f"Bearer {token}"},
            )
        return key, response.status_code, response.json().get("rows")

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(ask, list(expected) * 4))
    for key, status, rows in answers:
        assert status == 200 and rows == expected[key], key


def test_compare_two_given_periods(reading, demo_token, dataset):
    hour = dataset.now.replace(minute=0, second=0, microsecond=0)
    periods = {
        "a_from": hour - timedelta(hours=150),
        "a_to": hour - timedelta(hours=30),
        "b_from": hour - timedelta(hours=20),
        "b_to": hour,
    }
    doc = reading.api(
        "/vitals/compare",
        demo_token,
        source="raw",
        device="desktop",
        **{k: v.isoformat() for k, v in periods.items()},
    )
    assert doc["mode"] == "periods"
    for row in doc["rows"]:
        for side in ("a", "b"):
            start, end = periods[f"{side}_from"], periods[f"{side}_to"]
            values = [
                r["value"]
                for r in dataset.table("vitals")
                if r["site"] == "demo"
                and r["name"] == row["metric"]
                and r["device_type"] == "desktop"
                and start <= r["time"] < end
            ]
            assert row[f"{side}_samples"] == len(values) > 0
            for p in (50, 75, 95, 99):
                assert close(row[f"{side}_p{p}"], quantile(values, p / 100))
        assert close(row["p75_change_pct"], (row["b_p75"] - row["a_p75"]) / row["a_p75"] * 100)


def test_histogram_of_a_metric(reading, demo_token, dataset):
    doc = reading.api("/vitals/histogram", demo_token, metric="LCP", source="raw", range="7d")
    values = [r["value"] for r in select(dataset.table("vitals"), doc) if r["name"] == "LCP"]
    assert doc["samples"] == len(values) and len(doc["rows"]) == 40
    for i, row in enumerate(doc["rows"]):
        inside = [v for v in values if (v >= row["low"]) and (row["high"] is None or v < row["high"])]
        assert row["count"] == len(inside), row
        assert row["low"] == i * 250.0
    assert doc["rows"][-1]["high"] is None  # the last bin takes every value above 9,750 ms
    bands = [row["rating"] for row in doc["rows"]]
    assert (
        bands[:10] == ["good"] * 10
        and bands[10:16] == ["needs-improvement"] * 6
        and set(bands[16:]) == {"poor"}
    )
    assert (doc["good_threshold"], doc["poor_threshold"]) == (2500, 4000)
    # From the rollups, read from the t-digest: the same samples, the shares close.
    rolled = reading.api("/vitals/histogram", demo_token, metric="LCP", source="rollup", range="7d")
    assert rolled["samples"] == len(values)
    assert sum(r["count"] for r in rolled["rows"]) == pytest.approx(len(values))
    good = sum(r["share"] for r in rolled["rows"][:10])
    assert good == pytest.approx(sum(v < 2500 for v in values) / len(values), abs=0.02)


def test_the_crux_view_beside_every_page_view(reading, demo_token, dataset):
    # With a page filter the rows answer (exact); the window is the 28 days ending with the one asked for.
    doc = reading.api("/vitals/crux", demo_token, device="desktop")
    start, end = datetime.fromisoformat(doc["crux_from"]), datetime.fromisoformat(doc["crux_to"])
    assert end - start == timedelta(days=28) and end == window(doc)[1]
    crux_window = {"filters": {"from": doc["crux_from"], "to": doc["crux_to"]}}
    chosen = select(dataset.table("vitals"), crux_window, device="desktop")
    for row in doc["rows"]:
        every = [r["value"] for r in chosen if r["name"] == row["metric"]]
        chrome = [r["value"] for r in chosen if r["name"] == row["metric"] and r["browser"] == "Chrome"]
        assert (row["all_samples"], row["crux_samples"]) == (len(every), len(chrome))
        assert close(row["all_p75"], quantile(every, 0.75)) and close(row["crux_p75"], quantile(chrome, 0.75))
        assert close(row["difference"], quantile(chrome, 0.75) / quantile(every, 0.75) - 1)
    assert len(doc["notes"]) >= 3 and doc["browsers"] == ["Chrome", "Chrome Mobile"]
    # Without one, from the rollups: the same samples.
    rolled = reading.api("/vitals/crux", demo_token)
    assert rolled["source"] == "rollup"
    chosen = select(
        dataset.table("vitals"), {"filters": {"from": rolled["crux_from"], "to": rolled["crux_to"]}}
    )
    for row in rolled["rows"]:
        assert row["crux_samples"] == sum(
            1 for r in chosen if r["name"] == row["metric"] and r["browser"] == "Chrome"
        )
    refused = reading.client.get(
        "/api/v1/vitals/crux", params={"browser": "Chrome"}, headers={"authorization": f"Bearer {demo_token}"}
    )
    assert refused.status_code == 400 and "browser" in refused.text


def test_several_values_of_a_filter(reading, demo_token, dataset):
    both = ["Chrome", "Firefox"]
    raw = reading.api("/vitals/summary", demo_token, range="7d", source="raw", browser=both)
    assert raw["filters"]["browser"] == both
    chosen = [r for r in select(dataset.table("vitals"), raw) if r["browser"] in both]
    by_metric = defaultdict(list)
    for r in chosen:
        by_metric[r["name"]].append(r["value"])
    for row in raw["rows"]:
        check_stats(row, by_metric[row["metric"]], row["metric"])
    # The rollups answer several values of one dimension too: the same samples (their rows together).
    rolled = reading.api("/vitals/summary", demo_token, range="7d", source="rollup", browser=both)
    assert {r["metric"]: r["samples"] for r in rolled["rows"]} == {m: len(v) for m, v in by_metric.items()}
    # With another dimension too, the rows answer: any of the browsers, on that device.
    narrowed = reading.api("/vitals/summary", demo_token, range="7d", browser=both, device="mobile")
    assert narrowed["source"] == "raw"
    expected = sum(1 for r in chosen if r["device_type"] == "mobile" and r["name"] == "LCP")
    assert next(r for r in narrowed["rows"] if r["metric"] == "LCP")["samples"] == expected
    many = reading.client.get(
        "/api/v1/vitals/summary",
        params={"browser": [f"b{i}" for i in range(21)]},
        headers={"authorization": f"Bearer {demo_token}"},
    )
    assert many.status_code == 400 and "at most 20" in many.text


def test_releases_in_the_order_they_appeared(reading, demo_token, dataset):
    doc = reading.api("/releases", demo_token, range="7d")
    views = select(dataset.table("page_views"), doc)
    expected = {}
    for v in views:
        if v["release"]:
            first, last, n = expected.get(v["release"], (v["time"], v["time"], 0))
            expected[v["release"]] = (min(first, v["time"]), max(last, v["time"]), n + 1)
    assert [r["release"] for r in doc["rows"]] == sorted(expected, key=lambda r: expected[r][0])
    for row in doc["rows"]:
        first, last, n = expected[row["release"]]
        assert row["page_views"] == n
        assert abs(datetime.fromisoformat(row["first_seen"]) - first) < timedelta(milliseconds=1)
        assert abs(datetime.fromisoformat(row["last_seen"]) - last) < timedelta(milliseconds=1)


def test_every_metric_has_a_histogram(reading, demo_token):
    for metric in VITAL_NAMES:
        doc = reading.api("/vitals/histogram", demo_token, metric=metric, range="7d")
        assert len(doc["rows"]) == 40 and doc["metric"] == metric
