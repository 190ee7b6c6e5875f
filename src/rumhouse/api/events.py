"""Errors by fingerprint, API endpoints seen by browsers, and resources by type or host."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from rumhouse.api.common import (
    choose_source,
    int_param,
    percentile_fields,
    raw_quantiles,
    rollup_quantiles,
    rows,
)
from rumhouse.api.filters import ParamError
from rumhouse.api.table import Table
from rumhouse.api.thresholds import PERCENTILES
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store

PCT = [f"p{p}" for p in PERCENTILES]


def errors(store: Store, f: Filters, q: QueryParams) -> Table:
    limit = int_param(q, "limit", 100, 1, 1000)
    # The errors rollups (clickhouse/0003_errors.sql) keep no page dimensions: a filtered question reads the rows.
    source = choose_source(q, f.hour_aligned and not f.dims)
    if source == "rollup":
        sql = (
            "SELECT toString(fingerprint), any(kind), any(message), any(source), sum(occurrences) AS n,"
            " uniqCombinedMerge(12)(page_views) AS views, toString(toTimeZone(min(first_seen), 'UTC')),"
            " toString(toTimeZone(max(last_seen), 'UTC')), argMaxMerge(sample_stack), topKMerge(3)(top_paths)"
            f" FROM {f.rollup_source('errors', 'site = {site:String}')}"
            " GROUP BY fingerprint ORDER BY views DESC, n DESC, fingerprint LIMIT {limit:UInt32}"
        )
    else:
        sql = (
            "SELECT toString(fingerprint), any(kind), any(message), any(source), sum(count) AS occurrences,"
            " uniqExact(page_view_id) AS page_views, toString(toTimeZone(min(time), 'UTC')),"
            " toString(toTimeZone(max(time), 'UTC')), argMax(stack, time), topK(3)(path)"
            f" FROM rumhouse.errors WHERE {f.raw_where()}"
            " GROUP BY fingerprint ORDER BY page_views DESC, occurrences DESC, fingerprint LIMIT {limit:UInt32}"
        )
    columns = [
        "fingerprint",
        "kind",
        "message",
        "source",
        "occurrences",
        "page_views",
        "first_seen",
        "last_seen",
        "sample_stack",
        "top_paths",
    ]
    out = [dict(zip(columns, row, strict=True)) for row in rows(store, sql, f, {"limit": limit})]
    for row in out:
        row["top_paths"] = " ".join(row["top_paths"])
        for key in ("first_seen", "last_seen"):
            row[key] = row[key].replace(" ", "T") + "Z"
    return Table(columns, out, source)


def api_calls(store: Store, f: Filters, q: QueryParams) -> Table:
    limit = int_param(q, "limit", 100, 1, 1000)
    source = choose_source(q, f.hour_aligned and not f.dims)
    if source == "rollup":
        # A sketch of page view ids (clickhouse/0004_api_calls.sql): exact for small counts, about 1.6% off past that.
        sql = (
            f"SELECT endpoint, method, sum(calls) AS n, sum(failed), uniqCombinedMerge(12)(page_views),"
            f" {rollup_quantiles('duration')} FROM {f.rollup_source('api_calls', 'site = {site:String}')}"
            " GROUP BY endpoint, method ORDER BY n DESC, endpoint, method LIMIT {limit:UInt32}"
        )
    else:
        sql = (
            f"SELECT endpoint, method, count() AS n, countIf(status = 0 OR status >= 400),"
            f" uniqExact(page_view_id), {raw_quantiles('duration_ms')} FROM rumhouse.api_calls"
            f" WHERE {f.raw_where()} GROUP BY endpoint, method ORDER BY n DESC, endpoint, method"
            " LIMIT {limit:UInt32}"
        )
    out = []
    for endpoint, method, calls, failed, views, quantiles in rows(store, sql, f, {"limit": limit}):
        if source == "rollup" and calls and not views:
            # Hours that an early 0.1.0 install rolled up before the sketch have no page-view state (docs/api.md):
            # unknown, not zero.
            views = None
        out.append(
            {
                "endpoint": endpoint,
                "method": method,
                "calls": calls,
                "page_views": views,
                "failed": failed,
                "error_rate": failed / calls if calls else None,
                "samples": calls,
                **percentile_fields(quantiles),
            }
        )
    columns = ["endpoint", "method", "calls", "page_views", "failed", "error_rate", "samples", *PCT]
    return Table(columns, out, source)


def resources(store: Store, f: Filters, q: QueryParams) -> Table:
    by = q.get("by", "type")
    if by not in ("type", "host"):
        raise ParamError("by must be type or host")
    third_party = q.get("third_party")
    if third_party not in (None, "0", "1"):
        raise ParamError("third_party must be 0 or 1")
    limit = int_param(q, "limit", 100, 1, 1000)
    source = choose_source(q, f.hour_aligned and not f.dims)
    keys = "type" if by == "type" else "resource_host, third_party"
    only = " AND third_party = {third_party:UInt8}" if third_party is not None else ""
    if source == "rollup":
        views, table = "sum(page_views)", f.rollup_source("resources", "site = {site:String}" + only)
    else:
        views, table = "count()", f"rumhouse.resources WHERE {f.raw_where()}{only}"
    sql = (
        f"SELECT {keys}, sum(count) AS n, {views}, sum(transfer_bytes) AS bytes, sum(decoded_bytes),"
        f" sum(cache_hits), sum(duration_total_ms), max(duration_max_ms) FROM {table}"
        f" GROUP BY {keys} ORDER BY bytes DESC, n DESC, {keys} LIMIT {{limit:UInt32}}"
    )
    out = []
    for row in rows(store, sql, f, {"limit": limit, "third_party": int(third_party or 0)}):
        head = {"type": row[0]} if by == "type" else {"host": row[0], "third_party": row[1]}
        n, page_views, transfer, decoded, hits, total, longest = row[-7:]
        out.append(
            {
                **head,
                "count": n,
                "page_views": page_views,
                "transfer_bytes": transfer,
                "decoded_bytes": decoded,
                "cache_hit_rate": hits / n if n else None,
                "avg_duration_ms": total / n if n else None,
                "max_duration_ms": longest,
            }
        )
    key_columns = ["type"] if by == "type" else ["host", "third_party"]
    columns = [
        *key_columns,
        "count",
        "page_views",
        "transfer_bytes",
        "decoded_bytes",
        "cache_hit_rate",
        "avg_duration_ms",
        "max_duration_ms",
    ]
    return Table(columns, out, source, {"by": by})


def measures(store: Store, f: Filters, q: QueryParams) -> Table:
    """The page's custom measures (rumhouse.measure) per name: calls, page views, mean and percentiles of
    the values (exact, from the rows)."""
    limit = int_param(q, "limit", 100, 1, 1000)
    sql = (
        "SELECT name, count(), uniqExact(page_view_id), avg(value), quantilesExactInclusive(0.5, 0.75, 0.95)(value)"
        f" FROM rumhouse.measures WHERE {f.raw_where()} GROUP BY name ORDER BY count() DESC, name"
        " LIMIT {limit:UInt32}"
    )
    out = [
        {
            "name": name,
            "count": int(n),
            "page_views": int(views),
            "mean": mean,
            "p50": qs[0],
            "p75": qs[1],
            "p95": qs[2],
        }
        for name, n, views, mean, qs in rows(store, sql, f, {"limit": limit})
    ]
    return Table(["name", "count", "page_views", "mean", "p50", "p75", "p95"], out, "raw")


def server_timing(store: Store, f: Filters, q: QueryParams) -> Table:
    """The documents' Server-Timing entries per path and entry name (db, cache, app, ...): page views that
    had it, and the percentiles of its duration in ms (exact, from the rows)."""
    limit = int_param(q, "limit", 100, 1, 1000)
    sql = (
        "SELECT path, entry, count(), quantilesExactInclusive(0.5, 0.75, 0.95)(toFloat64(ms))"
        f" FROM rumhouse.page_views ARRAY JOIN mapKeys(server_timing) AS entry, mapValues(server_timing) AS ms"
        f" WHERE {f.raw_where()} GROUP BY path, entry ORDER BY count() DESC, path, entry LIMIT {{limit:UInt32}}"
    )
    out = [
        {"path": path, "entry": entry, "page_views": int(n), "p50": qs[0], "p75": qs[1], "p95": qs[2]}
        for path, entry, n, qs in rows(store, sql, f, {"limit": limit})
    ]
    return Table(["path", "entry", "page_views", "p50", "p75", "p95"], out, "raw")
