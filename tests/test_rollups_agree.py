"""The hourly rollups answer what the raw tables answer: counts and shares exactly, percentiles within
the t-digest's error.

ClickHouse's t-digest (QuantileTDigest.h, epsilon = 0.01) bounds the error in rank, not in value: the
value it returns for p75 sits between the 74th and 76th percentile of the data. So each rollup
percentile is checked by its rank among the raw values: |rank - level| <= 0.01 + 1/n (one value of
slack for small groups, where one rank step is more than 1%).
"""

import os
import subprocess
import sys

import pytest

from support.folder_sql import folder_sql
from support.reading_data import rank

LEVELS = {"p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}
COUNTS = (
    "samples",
    "good",
    "needs_improvement",
    "poor",
    "page_views",
    "calls",
    "failed",
    "count",
    "transfer_bytes",
    "decoded_bytes",
    "cache_hit_rate",
    "avg_duration_ms",
    "max_duration_ms",
    "error_rate",
)


def both(reading, token, route, **params):
    rollup = reading.api(route, token, source="rollup", **params)
    raw = reading.api(route, token, source="raw", **params)
    assert rollup["source"] == "rollup" and raw["source"] == "raw"
    assert rollup["filters"] == raw["filters"]
    return rollup, raw


def values_of(dataset, doc, table, column, match):
    from datetime import datetime

    start, end = (datetime.fromisoformat(doc["filters"][k]) for k in ("from", "to"))
    return [
        r[column]
        for r in dataset.table(table)
        if r["site"] == "demo" and start <= r["time"] < end and match(r) and r[column] is not None
    ]


def check(rollup_row, raw_row, values=None, counts=COUNTS):
    for key in counts:
        if key in raw_row:
            if key in ("page_views",) and "endpoint" in raw_row:
                # The API-call rollup counts page views with uniq (an estimate, within 2%).
                assert abs(rollup_row[key] - raw_row[key]) <= 0.02 * raw_row[key] + 1
                continue
            assert rollup_row[key] == pytest.approx(raw_row[key], rel=1e-9), key
    if values is not None:
        for key, level in LEVELS.items():
            if key in raw_row and raw_row[key] is not None:
                error = abs(rank(values, rollup_row[key]) - level)
                assert error <= 0.01 + 1 / len(values), (key, level, rollup_row[key], raw_row[key], error)


@pytest.mark.parametrize(
    "filters", [{}, {"browser": "Chrome"}, {"range": "7d"}, {"range": "30d", "release": "v1"}]
)
def test_summary(reading, demo_token, dataset, filters):
    rollup, raw = both(reading, demo_token, "/vitals/summary", **filters)
    assert [r["metric"] for r in rollup["rows"]] == [r["metric"] for r in raw["rows"]]
    dims = {"browser": "browser", "release": "release"}
    for a, b in zip(rollup["rows"], raw["rows"], strict=True):
        values = values_of(
            dataset,
            raw,
            "vitals",
            "value",
            lambda r, b=b: (
                r["name"] == b["metric"] and all(r[dims[k]] == v for k, v in filters.items() if k in dims)
            ),
        )
        check(a, b, values)


def test_split(reading, demo_token, dataset):
    rollup, raw = both(reading, demo_token, "/vitals/split", by="device", metric="INP", range="7d")
    assert {r["value"] for r in rollup["rows"]} == {r["value"] for r in raw["rows"]}
    raw_rows = {r["value"]: r for r in raw["rows"]}
    for a in rollup["rows"]:
        values = values_of(
            dataset,
            raw,
            "vitals",
            "value",
            lambda r, a=a: r["name"] == "INP" and r["device_type"] == a["value"],
        )
        check(a, raw_rows[a["value"]], values)


def test_timeseries(reading, demo_token):
    rollup, raw = both(reading, demo_token, "/vitals/timeseries", metric="LCP", bucket=3600)
    assert [(r["time"], r["samples"]) for r in rollup["rows"]] == [
        (r["time"], r["samples"]) for r in raw["rows"]
    ]


def test_pages(reading, demo_token):
    rollup, raw = both(reading, demo_token, "/pages", metric="LCP", range="7d")
    raw_rows = {r["path"]: r for r in raw["rows"]}
    assert set(raw_rows) == {r["path"] for r in rollup["rows"]}
    for a in rollup["rows"]:
        check(a, raw_rows[a["path"]], counts=("page_views", "samples", "good", "poor"))


def test_navigation(reading, demo_token, dataset):
    rollup, raw = both(reading, demo_token, "/navigation", by="path")
    raw_rows = {(r["value"], r["phase"]): r for r in raw["rows"]}
    for a in rollup["rows"]:
        values = values_of(
            dataset, raw, "page_views", f"{a['phase']}_ms", lambda r, a=a: r["path"] == a["value"]
        )
        check(a, raw_rows[(a["value"], a["phase"])], values)


def test_api_calls(reading, demo_token, dataset):
    rollup, raw = both(reading, demo_token, "/api-calls", range="7d")
    raw_rows = {(r["endpoint"], r["method"]): r for r in raw["rows"]}
    for a in rollup["rows"]:
        values = values_of(
            dataset, raw, "api_calls", "duration_ms", lambda r, a=a: r["endpoint"] == a["endpoint"]
        )
        check(a, raw_rows[(a["endpoint"], a["method"])], values)


@pytest.mark.parametrize(
    ("path", "params", "key"),
    [
        ("/navigation", {"by": "path", "limit": "3"}, lambda r: r["value"]),
        ("/api-calls", {"limit": "3", "range": "7d"}, lambda r: (r["endpoint"], r["method"])),
    ],
    ids=["paths", "endpoints"],
)
def test_a_limit_keeps_the_same_keys_as_raw(reading, demo_token, path, params, key):
    # Ordered by count with a tie-break on the key, a limited rollup answer keeps the keys raw keeps.
    rollup, raw = both(reading, demo_token, path, **params)

    def ordered(rows):
        return list(dict.fromkeys(key(r) for r in rows))

    assert len(ordered(raw["rows"])) == 3  # more keys than that in the data set: the limit cuts
    assert ordered(rollup["rows"]) == ordered(raw["rows"])


@pytest.mark.parametrize("range_", ["24h", "7d"])
def test_errors(reading, demo_token, dataset, range_):
    rollup, raw = both(reading, demo_token, "/errors", range=range_)
    assert rollup["rows"], "the data set has errors in the window"
    by_key = {(r["kind"], r["message"], r["source"]): r for r in raw["rows"]}
    for a in rollup["rows"]:
        b = by_key.pop((a["kind"], a["message"], a["source"]))
        # Counts, page views (a sketch, exact at these sizes), times and the latest stack are exact.
        for key in ("fingerprint", "occurrences", "page_views", "first_seen", "last_seen", "sample_stack"):
            assert a[key] == b[key], key
        assert set(a["top_paths"].split()) <= {r["path"] for r in dataset.table("errors")}
    assert not by_key


@pytest.mark.parametrize("by", ["type", "host"])
def test_resources(reading, demo_token, by):
    rollup, raw = both(reading, demo_token, "/resources", by=by)
    assert rollup["rows"] == raw["rows"]


def test_auto_uses_the_rollup_only_when_it_can(reading, demo_token):
    assert reading.api("/vitals/summary", demo_token)["source"] == "rollup"
    assert reading.api("/vitals/summary", demo_token, browser="Chrome")["source"] == "rollup"
    assert reading.api("/vitals/summary", demo_token, browser="Chrome", os="iOS")["source"] == "raw"
    assert reading.api("/vitals/summary", demo_token, range="1h")["source"] == "raw"
    assert reading.api("/vitals/split", demo_token, by="os", os="iOS")["source"] == "rollup"
    assert reading.api("/vitals/timeseries", demo_token, range="7d")["source"] == "rollup"


def test_rollups_keep_a_year_and_raw_tables_a_month(tmp_path):
    # A fresh folder, migrated by the real command; system tables are read from the folder itself.
    env = {**os.environ, "RUMHOUSE_DATA_DIR": str(tmp_path / "data")}
    migrated = subprocess.run(
        [sys.executable, "-m", "rumhouse", "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr
    [tables] = folder_sql(
        tmp_path / "data", ["SELECT name, engine_full FROM system.tables WHERE database = 'rumhouse'"]
    )
    engines = {r["name"]: r["engine_full"] for r in tables}
    for base in ("vitals", "page_views", "api_calls", "resources", "errors"):
        for table in (f"{base}_hourly", f"{base}_daily"):
            assert "AggregatingMergeTree" in engines[table] and "toIntervalDay(365)" in engines[table]
    assert "toIntervalDay(30)" in engines["vitals"]


def test_the_daily_rollups_hold_what_the_hourly_ones_hold(reading, dataset):
    """Long windows read whole days from the daily tables (fed by views on the hourly ones)."""
    per_table = {
        "vitals": ("sum(samples)", len(dataset.table("vitals")) * 8),  # once per dimension, and once for all
        "page_views": ("sum(page_views)", len(dataset.table("page_views")) * 8),
        "api_calls": ("sum(calls)", len(dataset.table("api_calls"))),
        "resources": ("sum(count)", sum(r["count"] for r in dataset.table("resources"))),
    }
    for base, (total, expected) in per_table.items():
        daily = reading.scalar(f"SELECT {total} FROM rumhouse.{base}_daily")
        hourly = reading.scalar(f"SELECT {total} FROM rumhouse.{base}_hourly")
        assert daily == hourly == expected, base
    days = reading.scalar("SELECT uniqExact(day) FROM rumhouse.vitals_daily")
    assert 2 <= days <= 8


def test_thresholds_in_every_live_definition_match_the_api():
    """Every threshold list in the live schema (clickhouse/schema.sql, generated from the migrations) is
    the API's good or poor list: a migration that writes them again cannot drift from api/thresholds.py."""
    import re

    from rumhouse.api.thresholds import THRESHOLDS
    from rumhouse.store.migrations import migrations_dir

    schema = (migrations_dir() / "schema.sql").read_text()
    good = {name: g for name, (g, _) in THRESHOLDS.items()}
    poor = {name: p for name, (_, p) in THRESHOLDS.items()}
    lists = [
        {name: float(value) for name, value in re.findall(r"name = '(\w+)', ([\d.]+)", found)}
        for found in re.findall(r"multiIf\((name = '.*?)\)", schema)
    ]
    assert len(lists) >= 2  # good and poor, in the view that feeds the hourly vitals rollup
    for found in lists:
        assert found in (good, poor), found


# Page views per API endpoint are a uniqCombined(12) sketch in the rollups (clickhouse/0004_api_calls.sql).
SKETCH = """
import json, sys
from pathlib import Path
from starlette.datastructures import QueryParams
from rumhouse.api import events
from rumhouse.api.filters import parse_filters
from rumhouse.query.filters import Filters
from rumhouse.store import migrations
from rumhouse.store.embedded import EmbeddedStore
store = EmbeddedStore(Path(sys.argv[1]))
migrations.migrate(store)
INSERT = ("INSERT INTO rumhouse.api_calls (time, site, page_view_id, method, endpoint, status, duration_ms)"
          " SELECT now64(3) - toIntervalSecond(cityHash64(number, {salt:UInt32}) % 259200), 'demo',"
          " concat({prefix:String}, toString(intDiv(number, {calls:UInt32}))), 'GET', {endpoint:String}, 200,"
          " number % 100 FROM numbers({rows:UInt64})")
plan = json.loads(sys.argv[2])
for endpoint, views in plan["two_calls"].items():
    store.command(INSERT, {"salt": len(endpoint), "prefix": "a-", "calls": 2, "endpoint": endpoint, "rows": 2 * views})
for endpoint, views in plan["one_call"].items():
    store.command(INSERT, {"salt": 7, "prefix": "b-", "calls": 1, "endpoint": endpoint, "rows": views})
q = QueryParams({"range": "7d", "source": "rollup"})
table = events.api_calls(store, parse_filters(q, "demo"), q)
print(json.dumps({r["endpoint"]: [r["calls"], r["page_views"]] for r in table.rows}))
store.close()
"""


def test_api_call_page_views_from_the_rollup_sketch(tmp_path):
    """Page views per endpoint from the rollup: exact below a few hundred per hour, and within the
    error docs/api.md states (standard error 1.6%) for large counts."""
    import json
    import os
    import subprocess
    import sys

    from support.server import REPO

    # Endpoint e{k}: 500 * 2^(k/2) page views over the last 3 days with 2 calls each, and 1,000 more
    # page views with 1 call each.
    before = {f"e{k}": int(500 * 2 ** (k / 2)) for k in range(12)}
    after = {endpoint: 1000 for endpoint in before}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            SKETCH,
            str(tmp_path / "data"),
            json.dumps({"two_calls": before, "one_call": after}),
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert set(got) == set(before)
    errors = []
    for endpoint, views in before.items():
        calls, page_views = got[endpoint]
        assert calls == 2 * views + after[endpoint]  # exact
        expected = views + after[endpoint]
        errors.append((page_views - expected) / expected)
        assert abs(errors[-1]) <= 0.04, (endpoint, page_views, expected)
    assert (sum(e * e for e in errors) / len(errors)) ** 0.5 <= 0.02
