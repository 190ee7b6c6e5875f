"""Core Web Vitals answers: summary, time series, split by a dimension, pages by impact, comparisons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from rumhouse.api.common import (
    GOOD_SQL,
    POOR_SQL,
    choose_source,
    dimension_param,
    int_param,
    iso_time,
    metric_param,
    optional_metric_param,
    percentile_fields,
    raw_quantiles,
    rollup_quantiles,
    rows,
    shares,
)
from rumhouse.api.filters import ParamError, parse_time
from rumhouse.api.table import Table
from rumhouse.api.thresholds import METRICS, PERCENTILES, THRESHOLDS, UNITS, rating
from rumhouse.query import confidence
from rumhouse.query.filters import DIMENSIONS, Filters
from rumhouse.store.base import Store

STAT_COLUMNS = ["samples", *[f"p{p}" for p in PERCENTILES], "good", "needs_improvement", "poor"]
# Time-series buckets, seconds. Buckets of whole hours can be read from the hourly rollup.
BUCKETS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400)


def _stats_row(name: str, samples: int, quantiles, good: int, poor: int) -> dict:
    return {"samples": samples, **percentile_fields(quantiles), **shares(name, samples, good, poor)}


def _raw_stats() -> str:
    return (
        f"count() AS samples, {raw_quantiles('value')} AS q,"
        f" countIf({GOOD_SQL}) AS good, countIf({POOR_SQL}) AS poor"
    )


ROLLUP_STATS = f"sum(samples), {rollup_quantiles('quantiles')}, sum(good), sum(poor)"


def summary_rows(store: Store, f: Filters, source: str, ci: bool = False) -> dict[str, dict]:
    """Per metric: samples, percentiles, shares; with `ci`, the 95% interval of p75 and whether the samples
    are enough to judge (query/confidence.py)."""
    if source == "rollup":
        more = f", {confidence.rollup_sql('quantiles')}" if ci else ""
        sql = f"SELECT name, {ROLLUP_STATS}{more} FROM {f.rollup_source('vitals', f.rollup_dims())} GROUP BY name"
    else:
        more = f", {confidence.raw_sql('value', 0.75)}" if ci else ""
        sql = f"SELECT name, {_raw_stats()}{more} FROM rumhouse.vitals WHERE {f.raw_where()} GROUP BY name"
    out = {}
    for name, n, q, good, poor, *interval in rows(store, sql, f):
        out[name] = _stats_row(name, n, q, good, poor)
        if ci:
            out[name] |= _interval(source, interval[0], int(n), 0.75, "p75_")
    return out


def _interval(source: str, found, n: int, p: float, prefix: str = "") -> dict:
    """The interval's fields: [low, high] from the raw rows, or read from a rollup's grid of quantiles."""
    low, high = (found[0], found[1]) if source == "raw" else confidence.from_grid(found, n, p)
    return {f"{prefix}ci_low": low if n else None, f"{prefix}ci_high": high if n else None,
            "enough": n >= confidence.ENOUGH}  # fmt: skip


def summary(store: Store, f: Filters, q: QueryParams) -> Table:
    source = choose_source(q, f.rollup_ok)
    found = summary_rows(store, f, source, ci=True)
    out = []
    for name in METRICS:
        if name not in found:
            continue
        stats = found[name]
        good, poor = THRESHOLDS.get(name, (None, None))
        out.append(
            {
                "metric": name,
                "unit": UNITS[name],
                **stats,
                "rating": rating(name, stats["p75"]) if stats["p75"] is not None else None,
                "good_threshold": good,
                "poor_threshold": poor,
            }
        )
    columns = ["metric", "unit", *STAT_COLUMNS, "p75_ci_low", "p75_ci_high", "enough", "rating"]
    return Table([*columns, "good_threshold", "poor_threshold"], out, source)


def pick_bucket(f: Filters, q: QueryParams) -> int:
    if "bucket" in q:
        bucket = int_param(q, "bucket", 3600, 60, 86400)
        if bucket not in BUCKETS:
            raise ParamError(f"bucket must be one of {', '.join(map(str, BUCKETS))} (seconds)")
        return bucket
    seconds = (f.end - f.start).total_seconds()
    # About 30 to 170 points per chart.
    for limit, bucket in ((2 * 3600, 60), (12 * 3600, 300), (3 * 86400, 3600), (8 * 86400, 3 * 3600)):
        if seconds <= limit:
            return bucket
    return 6 * 3600


def timeseries(store: Store, f: Filters, q: QueryParams) -> Table:
    """The percentile asked for per bucket and metric, with its 95% interval: every bucket of the window,
    an empty one with 0 samples (a line across a gap would claim what nobody measured)."""
    metric = optional_metric_param(q)
    percentile = int_param(q, "percentile", 75, 50, 99)
    if percentile not in PERCENTILES:
        raise ParamError(f"percentile must be one of {', '.join(map(str, PERCENTILES))}")
    bucket = pick_bucket(f, q)
    source = choose_source(q, f.rollup_ok and bucket % 3600 == 0)
    index = PERCENTILES.index(percentile) + 1  # ClickHouse arrays count from 1
    level = percentile / 100
    metric_sql = " AND name = {metric:String}" if metric else ""
    # Buckets from the epoch, in UTC: whole minutes, hours and days fall where the window's do.
    if source == "rollup":
        sql = (
            "SELECT intDiv(toUnixTimestamp(hour), {bucket:UInt32}) * {bucket:UInt32} AS t, name, sum(samples),"
            f" {rollup_quantiles('quantiles')}[{index}], {confidence.rollup_sql('quantiles')}"
            f" FROM rumhouse.vitals_hourly WHERE {f.rollup_where()}{metric_sql} GROUP BY t, name"
        )
    else:
        sql = (
            "SELECT intDiv(toUnixTimestamp(time), {bucket:UInt32}) * {bucket:UInt32} AS t, name, count(),"
            f" {raw_quantiles('value')}[{index}], {confidence.raw_sql('value', level)}"
            f" FROM rumhouse.vitals WHERE {f.raw_where()}{metric_sql} GROUP BY t, name"
        )
    found = {
        (int(t), name): (int(n), v, interval)
        for t, name, n, v, interval in rows(store, sql, f, {"bucket": bucket, "metric": metric or ""})
    }
    names = [metric] if metric else [m for m in METRICS if any(name == m for _, name in found)]
    first = int(f.start.timestamp()) // bucket * bucket
    out = []
    for name in names:
        for t in range(first, int(f.end.timestamp()), bucket):
            n, v, interval = found.get((t, name), (0, None, None))
            out.append(
                {
                    "time": datetime.fromtimestamp(t, UTC).isoformat(),
                    "metric": name,
                    "samples": n,
                    "value": v if n else None,
                    **(
                        _interval(source, interval, n, level)
                        if n
                        else {"ci_low": None, "ci_high": None, "enough": False}
                    ),
                }
            )
    meta = {"bucket_seconds": bucket, "percentile": percentile}
    return Table(["time", "metric", "samples", "value", "ci_low", "ci_high", "enough"], out, source, meta)


def _iso(clickhouse_time: str) -> str:
    return datetime.fromisoformat(clickhouse_time).replace(tzinfo=UTC).isoformat()


def split(store: Store, f: Filters, q: QueryParams) -> Table:
    metric = metric_param(q)
    by = dimension_param(q)
    limit = int_param(q, "limit", 50, 1, 1000)
    source = choose_source(q, f.hour_aligned and set(f.dims) <= {by})
    if source == "rollup":
        where = f.rollup_dims(split_by=by) + " AND name = {metric:String}"
        sql = (
            f"SELECT dim_value AS v, {ROLLUP_STATS} FROM {f.rollup_source('vitals', where)}"
            " GROUP BY v ORDER BY 2 DESC, v LIMIT {limit:UInt32}"
        )
    else:
        sql = (
            f"SELECT {DIMENSIONS[by]} AS v, {_raw_stats()} FROM rumhouse.vitals"
            f" WHERE {f.raw_where()} AND name = {{metric:String}}"
            " GROUP BY v ORDER BY samples DESC, v LIMIT {limit:UInt32}"
        )
    found = rows(store, sql, f, {"metric": metric, "limit": limit})
    out = [{"value": v, **_stats_row(metric, n, qs, good, poor)} for v, n, qs, good, poor in found]
    return Table(["value", *STAT_COLUMNS], out, source, {"metric": metric, "by": by})


def pages(store: Store, f: Filters, q: QueryParams) -> Table:
    """Paths ranked by impact: page views x how far p75 is over the good threshold (relative)."""
    metric = metric_param(q)
    if metric not in THRESHOLDS:
        raise ParamError(f"{metric} has no threshold to rank pages against")
    limit = int_param(q, "limit", 50, 1, 1000)
    source = choose_source(q, f.hour_aligned and set(f.dims) <= {"path"})
    if source == "rollup":
        paths = f.rollup_dims(split_by="path")
        views_sql = (
            f"SELECT dim_value, sum(page_views) FROM {f.rollup_source('page_views', paths)}"
            " GROUP BY dim_value"
        )
        stats_sql = (
            f"SELECT dim_value, {ROLLUP_STATS}"
            f" FROM {f.rollup_source('vitals', paths + ' AND name = {metric:String}')} GROUP BY dim_value"
        )
    else:
        views_sql = f"SELECT path, count() FROM rumhouse.page_views WHERE {f.raw_where()} GROUP BY path"
        stats_sql = (
            f"SELECT path, {_raw_stats()} FROM rumhouse.vitals"
            f" WHERE {f.raw_where()} AND name = {{metric:String}} GROUP BY path"
        )
    views = dict(rows(store, views_sql, f))
    good_limit = THRESHOLDS[metric][0]
    out = []
    for path, n, qs, good, poor in rows(store, stats_sql, f, {"metric": metric}):
        stats = _stats_row(metric, n, qs, good, poor)
        page_views = int(views.get(path, 0))
        excess = max(0.0, (stats["p75"] - good_limit) / good_limit) if stats["p75"] is not None else 0.0
        out.append(
            {
                "path": path,
                "page_views": page_views,
                **stats,
                "threshold": good_limit,
                "excess": excess,
                "impact": page_views * excess,
            }
        )
    out.sort(key=lambda r: (-r["impact"], -r["page_views"], r["path"]))
    columns = ["path", "page_views", *STAT_COLUMNS, "threshold", "excess", "impact"]
    return Table(columns, out[:limit], source, {"metric": metric})


def compare(store: Store, f: Filters, q: QueryParams) -> Table:
    """Baseline (a) against current (b): two releases, two given periods, or the window before."""
    release_a, release_b = q.get("release_a"), q.get("release_b")
    if release_a is not None or release_b is not None:
        if not (release_a and release_b):
            raise ParamError("release_a and release_b go together")
        fa = f.with_(dims={**f.dims, "release": (release_a,)})
        fb = f.with_(dims={**f.dims, "release": (release_b,)})
        mode = "releases"
    elif any(k in q for k in ("a_from", "a_to", "b_from", "b_to")):
        try:
            fa = f.with_(
                start=parse_time("a_from", q["a_from"]), end=parse_time("a_to", q["a_to"]), range="custom"
            )
            fb = f.with_(
                start=parse_time("b_from", q["b_from"]), end=parse_time("b_to", q["b_to"]), range="custom"
            )
        except KeyError as missing:
            raise ParamError(f"{missing.args[0]} is missing: give a_from, a_to, b_from and b_to") from None
        if fa.end <= fa.start or fb.end <= fb.start:
            raise ParamError("each period must end after it starts")
        mode = "periods"
    else:
        fa, fb = f.with_(start=f.start - (f.end - f.start), end=f.start, range="custom"), f
        mode = "previous"
    source = choose_source(q, fa.rollup_ok and fb.rollup_ok)
    a, b = summary_rows(store, fa, source), summary_rows(store, fb, source)
    out = []
    for name in METRICS:
        if name not in a and name not in b:
            continue
        sa, sb = a.get(name, {}), b.get(name, {})
        row: dict[str, Any] = {"metric": name, "unit": UNITS[name]}
        for side, stats in (("a", sa), ("b", sb)):
            row[f"{side}_samples"] = stats.get("samples", 0)
            row.update({f"{side}_p{p}": stats.get(f"p{p}") for p in PERCENTILES})
            row[f"{side}_good"] = stats.get("good")
        pa, pb = row["a_p75"], row["b_p75"]
        row["p75_change"] = pb - pa if pa is not None and pb is not None else None
        row["p75_change_pct"] = (pb - pa) / pa * 100 if pa and pb is not None else None
        out.append(row)
    columns = ["metric", "unit"]
    for side in ("a", "b"):
        columns += [f"{side}_samples", *[f"{side}_p{p}" for p in PERCENTILES], f"{side}_good"]
    columns += ["p75_change", "p75_change_pct"]
    meta = {"mode": mode, "a": fa.describe(), "b": fb.describe()}
    return Table(columns, out, source, meta)


# Histogram bins per metric: width and count (values above the last bin are counted in it).
HISTOGRAM_BINS = {
    "LCP": (250.0, 40),
    "FCP": (250.0, 40),
    "TTFB": (100.0, 40),
    "INP": (25.0, 40),
    "FID": (10.0, 40),
    "CLS": (0.025, 40),
    "TTI": (500.0, 40),
    "TBT": (50.0, 40),
}


def _cdf(levels: tuple[float, ...], values: list[float], x: float) -> float:
    """The share of samples at or under x, from quantiles at `levels` (piecewise linear between them)."""
    if x < values[0]:
        return 0.0
    if x >= values[-1]:
        return 1.0
    for i in range(len(values) - 1):
        lo, hi = values[i], values[i + 1]
        if lo <= x < hi:
            return levels[i] + (levels[i + 1] - levels[i]) * (x - lo) / (hi - lo)
    return levels[-1]


def histogram(store: Store, f: Filters, q: QueryParams) -> Table:
    """How a metric's values spread: fixed bins (the last takes every value above it), each with its count,
    share and rating band (by its middle), and the thresholds beside them. From the raw rows exactly;
    from the rollups the counts are read from the t-digest (the share of samples under each edge)."""
    metric = metric_param(q)
    width, count = HISTOGRAM_BINS[metric]  # every metric the API takes has its bins (a test walks them)
    source = choose_source(q, f.rollup_ok)
    if source == "rollup":
        sql = (
            f"SELECT sum(samples), {confidence.rollup_sql('quantiles')}"
            f" FROM {f.rollup_source('vitals', f.rollup_dims())} WHERE name = {{metric:String}}"
        )
        [(n, grid)] = rows(store, sql, f, {"metric": metric})
        n = int(n)
        counts = [0.0] * count
        if n:
            levels, values = (0.0, *confidence.GRID, 1.0), [grid[0], *grid, grid[-1]]
            for i in range(count):
                hi = _cdf(levels, values, (i + 1) * width) if i < count - 1 else 1.0
                counts[i] = n * (hi - _cdf(levels, values, i * width))
    else:
        sql = (
            f"SELECT least(toUInt32(floor(value / {width})), {count - 1}) AS b, count() FROM rumhouse.vitals"
            f" WHERE {f.raw_where()} AND name = {{metric:String}} GROUP BY b"
        )
        found = {int(b): int(c) for b, c in rows(store, sql, f, {"metric": metric})}
        counts = [float(found.get(i, 0)) for i in range(count)]
        n = int(sum(counts))
    out = []
    for i, c in enumerate(counts):
        low = round(i * width, 6)
        out.append(
            {
                "low": low,
                "high": round((i + 1) * width, 6) if i < count - 1 else None,
                "count": round(c, 3),
                "share": c / n if n else None,
                "rating": rating(metric, low + width / 2),  # the band of most of the bin
            }
        )
    good, poor = THRESHOLDS.get(metric, (None, None))
    meta = {"metric": metric, "samples": n, "good_threshold": good, "poor_threshold": poor}
    return Table(["low", "high", "count", "share", "rating"], out, source, meta)


# The page views the Chrome UX Report counts: Chrome on desktop and Android (user-agents' families "Chrome"
# and "Chrome Mobile"; Chrome on iOS is "Chrome Mobile iOS", a WebKit browser CrUX leaves out, as it leaves
# out WebViews, Safari, Firefox and the others).
CRUX_BROWSERS = ("Chrome", "Chrome Mobile")
CRUX_DAYS = 28
CRUX_NOTES = (
    "CrUX counts Chrome on desktop and Android only: Safari, Firefox, Chrome on iOS and in-app browsers are"
    " in the whole population, not in CrUX.",
    "CrUX takes the 28 days before its day; this view too, ending with the window asked for.",
    "CrUX counts only users who opted in to usage statistics, and a page only past a traffic threshold;"
    " rumhouse counts every page view it measured (of the sample rate you set).",
    "Where the two differ, the browsers CrUX leaves out are faster or slower than Chrome on this site:"
    " the difference column says by how much at p75.",
)


def crux_view(store: Store, f: Filters, q: QueryParams) -> Table:
    """p75 per metric as the Chrome UX Report would count it (Chrome on desktop and Android, 28 days) beside
    the whole population's, and what makes them differ."""
    if "browser" in f.dims or "os" in f.dims:
        raise ParamError("the CrUX view chooses the browsers itself: leave browser and os out")
    f = f.with_(start=f.end - timedelta(days=CRUX_DAYS), range="custom")
    browsers = ", ".join(f"'{b}'" for b in CRUX_BROWSERS)
    # Both sides from one source: the rollups when no page filter is set, else the rows.
    source = "rollup" if f.rollup_ok and not f.dims else "raw"
    everyone = summary_rows(store, f, source)
    if source == "rollup":
        where = f"site = {{site:String}} AND dimension = 'browser' AND dim_value IN ({browsers})"
        sql = f"SELECT name, {ROLLUP_STATS} FROM {f.rollup_source('vitals', where)} GROUP BY name"
    else:
        sql = (
            f"SELECT name, {_raw_stats()} FROM rumhouse.vitals WHERE {f.raw_where()}"
            f" AND browser IN ({browsers}) GROUP BY name"
        )
    crux = {name: _stats_row(name, n, qs, good, poor) for name, n, qs, good, poor in rows(store, sql, f)}
    out = []
    for name in METRICS:
        if name not in everyone:
            continue
        a, c = everyone[name], crux.get(name)
        crux_p75 = c["p75"] if c else None
        out.append(
            {
                "metric": name,
                "all_samples": a["samples"],
                "all_p75": a["p75"],
                "all_rating": rating(name, a["p75"]) if a["p75"] is not None else None,
                "crux_samples": c["samples"] if c else 0,
                "crux_p75": crux_p75,
                "crux_rating": rating(name, crux_p75) if crux_p75 is not None else None,
                "difference": crux_p75 / a["p75"] - 1 if crux_p75 is not None and a["p75"] else None,
            }
        )
    columns = ["metric", "all_samples", "all_p75", "all_rating", "crux_samples", "crux_p75", "crux_rating"]
    return Table([*columns, "difference"], out, source,
                 {"notes": list(CRUX_NOTES), "browsers": list(CRUX_BROWSERS), "days": CRUX_DAYS,
                  "crux_from": f.start.isoformat(), "crux_to": f.end.isoformat()})  # fmt: skip


def releases(store: Store, f: Filters, q: QueryParams) -> Table:
    """The releases seen in the window, in the order they appeared: when each was first and last seen, and
    its page views (what the dashboard marks on its time axis)."""
    limit = int_param(q, "limit", 50, 1, 500)
    sql = (
        "SELECT release, min(time), max(time), count() FROM rumhouse.page_views"
        f" WHERE {f.raw_where()} AND release != '' GROUP BY release ORDER BY min(time) LIMIT {{limit:UInt32}}"
    )
    out = [
        {"release": r, "first_seen": iso_time(first), "last_seen": iso_time(last), "page_views": int(n)}
        for r, first, last, n in rows(store, sql, f, {"limit": limit})
    ]
    return Table(["release", "first_seen", "last_seen", "page_views"], out, "raw")
