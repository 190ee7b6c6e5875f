"""A target over a time window: its value and the number of samples behind it.

Percentiles are exact (`quantileExactInclusive`, numpy's default definition), read from the raw
tables: budgets and alerts judge small windows and single releases, which the hourly rollups cannot
always answer. Every user value reaches ClickHouse as a query parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rumhouse.ai.prices import PriceTable
from rumhouse.budgets.targets import BACKEND, DEPENDENCIES, HOSTS, OPERATIONS, STATS, Target
from rumhouse.query import ai, dependencies
from rumhouse.query.database import pools_sql
from rumhouse.query.filters import Filters
from rumhouse.query.hosts import samples_sql
from rumhouse.query.websockets import connection_points_sql
from rumhouse.store.base import Store


@dataclass(frozen=True)
class Measurement:
    value: float | None  # None when there are no samples
    samples: int
    bucket: int | None = None  # epoch seconds of the period start, for per-period answers


def glob_to_like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _stat_sql(t: Target, column: str) -> str:
    if t.stat == "max":
        return f"max({column})"
    level = STATS[t.stat]
    return f"avg({column})" if level is None else f"quantileExactInclusive({level})({column})"


def _conditions(t: Target, f: Filters) -> str:
    where = f.raw_where()
    if t.path:
        where += " AND path LIKE {m_path:String}"
    if t.endpoint:
        # "/api/*" is about the path of the called URL; anything else matches host/path as stored.
        column = (
            "if(position(endpoint, '/') > 0, substring(endpoint, position(endpoint, '/')), '/')"
            if t.endpoint.startswith("/")
            else "endpoint"
        )
        where += f" AND {column} LIKE {{m_endpoint:String}}"
    return where


# What a rule judged per endpoint groups by (alerts/config.py, `each = "endpoint"`): a server span's
# service, method and route; a page's API call's endpoint (host/path, ids replaced at ingest).
SERVER_ENDPOINT = "concat(ServiceName, ' ', http_method, ' ', http_route)"
# ... and per operation (`each = "operation"`): service, name and model.
OPERATION = (
    "concat(ServiceName, ' ', operation_name, if(operation_model != '', concat(' ', operation_model), ''))"
)


def target_sql(t: Target, f: Filters, bucket_seconds: int | None = None, *, each: bool = False) -> str:
    b = "intDiv(toUnixTimestamp({col}), {{m_bucket:UInt32}}) * {{m_bucket:UInt32}}" if bucket_seconds else "0"
    if each:
        b = SERVER_ENDPOINT if t.metric in BACKEND else "endpoint"
    if t.metric in DEPENDENCIES:
        # One row per call, from client spans and the page's calls to other hosts; each: per dependency.
        which = " WHERE dependency LIKE {m_endpoint:String}" if t.endpoint else ""
        key = "dependency" if each else b.format(col="at")
        select = (
            "avg(failed), count()"
            if t.metric == "dependency_error_rate"
            else f"{_stat_sql(t, 'duration_ms')}, count()"
        )
        return f"SELECT {key} AS b, {select} FROM ({dependencies.calls_sql(f)}){which} GROUP BY b ORDER BY b"
    if t.metric in OPERATIONS:
        where = f.span_where() + " AND operation_name != ''"
        key = OPERATION if each else b.format(col="Timestamp")
        if t.metric == "operation_failures_in_a_row":
            # Per operation, in time order: the failures after its last success. The largest of them.
            runs = (
                f"SELECT {key} AS b, arraySort(x -> x.1, groupArray((Timestamp, StatusCode = 'Error'))) AS seq,"
                " length(seq) - arrayLastIndex(x -> x.2 = 0, seq) AS trailing"
                f" FROM rumhouse.otel_traces WHERE {where} GROUP BY b, {OPERATION}"
            )
            return f"SELECT b, max(trailing), sum(length(seq)) FROM ({runs}) GROUP BY b ORDER BY b"
        select = (
            "avg(StatusCode = 'Error'), count()"
            if t.metric == "operation_error_rate"
            else "sum(operation_cost_usd), count(operation_cost_usd)"
        )
        return f"SELECT {key} AS b, {select} FROM rumhouse.otel_traces WHERE {where} GROUP BY b ORDER BY b"
    if t.metric in ("ai_duration", "ai_error_rate"):
        where = f.span_where() + " AND gen_ai_operation != ''"
        select = (
            "avg(StatusCode = 'Error'), count()"
            if t.metric == "ai_error_rate"
            else f"{_stat_sql(t, 'duration_ms')}, count()"
        )
        return (
            f"SELECT {b.format(col='Timestamp')} AS b, {select} FROM rumhouse.otel_traces WHERE {where}"
            " GROUP BY b ORDER BY b"
        )
    if t.metric == "websocket_connections":
        key = "host" if each else b.format(col="t")
        return (
            f"SELECT {key} AS b, {_stat_sql(t, 'connections')}, count() FROM ({connection_points_sql(f)})"
            " GROUP BY b ORDER BY b"
        )
    if t.metric in HOSTS:
        column = "cpu" if t.metric == "host_cpu" else "memory"
        key = "host" if each else b.format(col="t")
        return (
            f"SELECT {key} AS b, {_stat_sql(t, column)}, count({column}) FROM ({samples_sql(f)})"
            f" WHERE {column} IS NOT NULL GROUP BY b ORDER BY b"
        )
    if t.metric == "db_pool_usage":
        per_pool = pools_sql(f, b.format(col="t"))
        return f"SELECT b, max(peak_use), sum(observations) FROM ({per_pool}) GROUP BY b ORDER BY b"
    if t.metric in BACKEND:
        where = f.span_where() + (
            " AND db_system != ''" if t.metric == "db_duration" else " AND SpanKind = 'Server'"
        )
        if t.endpoint:
            where += " AND http_route LIKE {m_endpoint:String}"
        select = (
            "avg(is_error), count()"
            if t.metric == "server_error_rate"
            else f"{_stat_sql(t, 'duration_ms')}, count()"
        )
        return (
            f"SELECT {b.format(col='Timestamp')} AS b, {select} FROM rumhouse.otel_traces WHERE {where}"
            " GROUP BY b ORDER BY b"
        )
    where = _conditions(t, f)
    if t.metric == "api_duration":
        select, table = f"{_stat_sql(t, 'duration_ms')}, count()", "rumhouse.api_calls"
    elif t.metric == "api_error_rate":
        select, table = "countIf(status = 0 OR status >= 400) / count(), count()", "rumhouse.api_calls"
    elif t.metric == "error_rate":
        errors = f"SELECT page_view_id FROM rumhouse.errors WHERE {f.raw_where()}"
        select = f"countIf(page_view_id IN ({errors})) / count(), count()"
        table = "rumhouse.page_views"
    elif t.metric == "resource_bytes":
        per_view = (
            f"SELECT page_view_id, min(time) AS first_time, sum(transfer_bytes) AS bytes"
            f" FROM rumhouse.resources WHERE {where} AND type = {{m_type:String}} GROUP BY page_view_id"
        )
        return (
            f"SELECT {b.format(col='first_time')} AS b, {_stat_sql(t, 'bytes')}, count() FROM ({per_view})"
            " GROUP BY b ORDER BY b"
        )
    else:
        select, table = f"{_stat_sql(t, 'value')}, count()", "rumhouse.vitals"
        where += " AND name = {m_name:String}"
    return f"SELECT {b.format(col='time')} AS b, {select} FROM {table} WHERE {where} GROUP BY b ORDER BY b"


def _params(t: Target, f: Filters, bucket_seconds: int | None) -> dict:
    params: dict[str, Any] = {**f.params(), "m_name": t.metric, "m_type": t.resource_type}
    if t.path:
        params["m_path"] = glob_to_like(t.path)
    if t.endpoint:
        params["m_endpoint"] = glob_to_like(t.endpoint)
    if bucket_seconds:
        params["m_bucket"] = int(bucket_seconds)
    return params


def _value(raw) -> float | None:
    if raw is None:
        return None
    value = float(raw)
    return None if math.isnan(value) else value  # NaN: no samples


def _ai_cost(
    store: Store, f: Filters, bucket_seconds: int | None, prices: PriceTable | None
) -> list[Measurement]:
    """Estimated cost per bucket: each model's tokens at its price (unpriced models count nothing)."""
    prices = prices or PriceTable()
    bucket = (
        f"intDiv(toUnixTimestamp(Timestamp), {int(bucket_seconds)}) * {int(bucket_seconds)}"
        if bucket_seconds
        else "0"
    )
    found: dict[int, list[float]] = {}
    for b, model, calls, input_tokens, output_tokens, cached in store.query(
        ai.tokens_sql(f, bucket), f.params(), readonly=True
    ).rows:
        entry = found.setdefault(int(b), [0.0, 0])
        entry[0] += prices.cost(model, int(input_tokens), int(output_tokens), int(cached)) or 0.0
        entry[1] += int(calls)
    return [Measurement(cost, int(calls), b) for b, (cost, calls) in sorted(found.items())]


def measure(store: Store, t: Target, f: Filters, prices: PriceTable | None = None) -> Measurement:
    if t.metric == "ai_cost":
        [m] = _ai_cost(store, f, None, prices) or [Measurement(None, 0)]
        return Measurement(m.value, m.samples)
    rows = store.query(target_sql(t, f), _params(t, f, None), readonly=True).rows
    if not rows:
        return Measurement(None, 0)
    _, value, samples = rows[0]
    return Measurement(_value(value) if samples else None, int(samples))


def measure_each(store: Store, t: Target, f: Filters) -> dict[str, Measurement]:
    """The target per subject: per endpoint (server metrics: "service METHOD route"; API call metrics:
    host/path), host, operation or dependency."""
    rows = store.query(target_sql(t, f, each=True), _params(t, f, None), readonly=True).rows
    return {str(k): Measurement(_value(v) if n else None, int(n)) for k, v, n in rows}


def measure_buckets(
    store: Store, t: Target, f: Filters, bucket_seconds: int, prices: PriceTable | None = None
) -> list[Measurement]:
    if t.metric == "ai_cost":
        return _ai_cost(store, f, bucket_seconds, prices)
    rows = store.query(target_sql(t, f, bucket_seconds), _params(t, f, bucket_seconds), readonly=True).rows
    return [Measurement(_value(v), int(n), int(b)) for b, v, n in rows]
