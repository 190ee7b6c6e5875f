"""The backend, from OpenTelemetry spans (rumhouse.otel_traces): server endpoints per service, method and
route (requests, rate, errors, percentiles in ms), and database statements (calls, time, percentiles, the
slow ones with an example trace), over time; N+1 patterns, index candidates and one trace's waterfall.
Endpoints, statements and series read the span rollups (query/span_rollups.py: 1 ms resolution, exact
windows); the rest reads the spans.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import QueryParams

from rumhouse.api.common import (
    LEVELS,
    float_param,
    int_param,
    iso_time,
    no_page_dimensions,
    percentile_fields,
    rows,
)
from rumhouse.api.filters import ParamError
from rumhouse.api.table import Table
from rumhouse.query import database, trace_links
from rumhouse.query.filters import Filters
from rumhouse.query.indexes import candidates
from rumhouse.query.span_rollups import DATABASE, SERVER, SpanSource, merged, span_parts
from rumhouse.store.base import Store

PERCENTILE_COLUMNS = ["p50", "p75", "p95", "p99"]


def _previous(f: Filters) -> Filters:
    """The window of the same length just before: what a trend compares with."""
    return f.with_(start=f.start - (f.end - f.start), end=f.start, range="custom")


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or not before else now / before - 1


def endpoints(store: Store, f: Filters, q: QueryParams) -> Table:
    """Server spans per service, method and route: requests, per second, errors, mean and percentiles
    (1 ms resolution, from the rollups), the slowest request's trace, and the trend: requests and p95 of
    the window of the same length just before."""
    no_page_dimensions(f)
    limit = int_param(q, "limit", 100, 1, 1000)
    service = q.get("service")
    where = {"service": "service"} if service else {}
    # This window and the one before (period 0 and 1) in one query: the trend costs no second round.
    now_parts, now_times = span_parts(SERVER, f, where, tag="p")
    before_parts, before_times = span_parts(SERVER, _previous(f), where, tag="q")
    parts = f"SELECT *, 0 AS period FROM ({now_parts}) UNION ALL SELECT *, 1 AS period FROM ({before_parts})"
    sql = merged(parts, ["period", *SERVER.keys], LEVELS)
    params = {**now_times, **before_times, "service": service or ""}
    found, before = [], {}
    for period, *row in rows(store, sql, f, params):
        if period:
            before[tuple(row[:3])] = (int(row[3]), row[-1][2])  # requests, p95
        else:
            found.append(row)
    found.sort(key=lambda r: (-r[3], r[0], r[2], r[1]))
    found = found[:limit]
    seconds = max((f.end - f.start).total_seconds(), 1.0)
    out = []
    for svc, method, route, n, errors, total, slowest, qs in found:
        earlier_n, earlier_p95 = before.get((svc, method, route), (0, None))
        fields = percentile_fields(qs)
        out.append(
            {
                "service": svc,
                "method": method,
                "route": route,
                "requests": int(n),
                "per_second": int(n) / seconds,
                "errors": int(errors),
                "error_rate": int(errors) / int(n),
                "mean": total / int(n),
                **fields,
                "slowest_trace_id": slowest,
                "previous_requests": earlier_n,
                "previous_p95": earlier_p95,
                "p95_change": _change(fields["p95"], earlier_p95),
            }
        )
    columns = ["service", "method", "route", "requests", "per_second", "errors", "error_rate", "mean"]
    columns += [*PERCENTILE_COLUMNS, "slowest_trace_id", "previous_requests", "previous_p95", "p95_change"]
    return Table(columns, out, "rollup", {"service": service} if service else {})


def statements(store: Store, f: Filters, q: QueryParams) -> Table:
    """Database statements (db.query.summary, or the statement with its literals replaced by ?) per system,
    database and service: calls, time and its share of that service's server spans' time, percentiles, the calls over
    `slow_ms` (whole ms, default 100), and the slowest call's trace."""
    no_page_dimensions(f)
    limit = int_param(q, "limit", 100, 1, 1000)
    slow = int_param(q, "slow_ms", 100, 0, 3_600_000)
    parts, times = span_parts(DATABASE, f, {})
    slow_calls = {"slow_calls": "arraySum(mapValues(mapFilter((k, v) -> k > {slow:UInt32}, h_)))"}
    sql = (
        "SELECT system, namespace, query, service, n, dsum, slow_calls, slowest, qs"
        f" FROM ({merged(parts, list(DATABASE.keys), LEVELS, slow_calls)}) ORDER BY dsum DESC, query"
        " LIMIT {limit:UInt32}"
    )
    found = rows(store, sql, f, {**times, "limit": limit, "slow": slow})
    server_parts, server_times = span_parts(SERVER, f, {})
    server_ms = dict(
        rows(store, f"SELECT service, sum(dsum) FROM ({server_parts}) GROUP BY service", f, server_times)
    )
    out = [
        {
            "system": system,
            "namespace": namespace,
            "statement": query,
            "service": service,
            "calls": int(n),
            "total_ms": total,
            "share_of_request_time": total / server_ms[service] if server_ms.get(service) else None,
            "slow_calls": int(slow_calls),
            "slowest_trace_id": trace_id,
            **percentile_fields(qs),
        }
        for system, namespace, query, service, n, total, slow_calls, trace_id, qs in found
    ]
    columns = ["system", "namespace", "statement", "service", "calls", "total_ms", "share_of_request_time"]
    columns += ["slow_calls", "slowest_trace_id", *PERCENTILE_COLUMNS]
    return Table(columns, out, "rollup", {"slow_ms": slow})


BUCKET_MINUTES = (1, 5, 15, 60)
MAX_POINTS = 50_000


def _bucket(f: Filters, q: QueryParams) -> int:
    """Minutes per point: as asked (1, 5, 15 or 60), else the smallest giving at most 500 points."""
    given = q.get("bucket")
    if given is not None:
        if given not in {str(b) for b in BUCKET_MINUTES}:
            raise ParamError(f"bucket must be one of {', '.join(map(str, BUCKET_MINUTES))} (minutes)")
        minutes = int(given)
    else:
        span = (f.end - f.start).total_seconds() / 60
        minutes = next((b for b in BUCKET_MINUTES if span / b <= 500), BUCKET_MINUTES[-1])
    if (f.end - f.start).total_seconds() / 60 / minutes > MAX_POINTS:
        raise ParamError(f"over {MAX_POINTS} points: choose a larger bucket or a shorter window")
    return minutes


def _series(store: Store, f: Filters, q: QueryParams, source: SpanSource, keys: tuple[str, ...]) -> Table:
    return series_table(store, f, q, keys, lambda where, hourly: span_parts(source, f, where, hourly=hourly))


def series_table(
    store: Store,
    f: Filters,
    q: QueryParams,
    keys: tuple[str, ...],
    parts_of: Callable[[dict[str, str], bool], tuple[str, dict[str, str]]],
) -> Table:
    """Rows of the span-rollup shape (`parts_of(where, hourly)`) per time bucket, zero-filled: the keys
    in `keys` that the query names narrow them."""
    no_page_dimensions(f)
    minutes = _bucket(f, q)
    chosen = {k: q[k] for k in keys if q.get(k) is not None}
    parts, times = parts_of({k: f"k_{k}" for k in chosen}, minutes % 60 == 0)
    step = minutes * 60
    bucketed = f"SELECT *, intDiv(toUnixTimestamp(t), {step}) * {step} AS b FROM ({parts})"
    params = {**times, **{f"k_{k}": v for k, v in chosen.items()}}
    found = {int(b): (int(n), int(e), total, qs) for b, n, e, total, _, qs in rows(
        store, merged(bucketed, ["b"], LEVELS), f, params
    )}  # fmt: skip
    first = int(f.start.timestamp()) // step * step
    out = []
    for b in range(first, int(f.end.timestamp()), step):
        n, errors, total, qs = found.get(b, (0, 0, 0.0, None))
        out.append(
            {
                "time": datetime.fromtimestamp(b, UTC).isoformat(),
                "count": n,
                "per_second": n / step,
                "errors": errors,
                "error_rate": errors / n if n else None,
                "mean": total / n if n else None,
                **percentile_fields(qs),
            }
        )
    columns = ["time", "count", "per_second", "errors", "error_rate", "mean", *PERCENTILE_COLUMNS]
    return Table(columns, out, "rollup", {**chosen, "bucket_minutes": minutes})


def server_series(store: Store, f: Filters, q: QueryParams) -> Table:
    """Server spans over time, one point per bucket (1, 5, 15 or 60 minutes; empty buckets as zero
    requests): requests, per second, errors, mean and percentiles; optionally of one service, method,
    route."""
    return _series(store, f, q, SERVER, ("service", "method", "route"))


def database_series(store: Store, f: Filters, q: QueryParams) -> Table:
    """Database spans over time, as server_series; optionally of one service, system, statement."""
    return _series(store, f, q, DATABASE, ("service", "system", "query"))


def n_plus_one(store: Store, f: Filters, q: QueryParams) -> Table:
    """N+1 queries: a statement shape run `min_runs` (default 5) or more times inside one request (one
    trace), per statement: the requests where it happened, how many runs (most, average), the time they
    took and their share of those requests' time, the route of those requests and one of their traces.
    Batch them, or join."""
    no_page_dimensions(f)
    limit = int_param(q, "limit", 50, 1, 1000)
    min_runs = int_param(q, "min_runs", 5, 2, 100_000)
    out = n_plus_one_rows(store, f, min_runs, limit)
    for row in out:
        request_ms = row.pop("request_ms")
        row["share_of_request_time"] = row["total_ms"] / request_ms if request_ms else None
    columns = ["system", "statement", "route", "requests", "max_runs", "avg_runs", "total_ms"]
    columns += ["share_of_request_time", "example_trace_id"]
    return Table(columns, out, "raw", {"min_runs": min_runs})


def slow_calls(store: Store, f: Filters, q: QueryParams) -> Table:
    """The slow-query list: each database call over `slow_ms` (default 100), slowest first, with its
    statement (without its values), trace id and the route of the request it ran in."""
    no_page_dimensions(f)
    limit = int_param(q, "limit", 100, 1, 1000)
    slow = float_param(q, "slow_ms", 100.0, 0.0, 3_600_000.0)
    out = [
        {
            "time": iso_time(at),
            "service": service,
            "system": system,
            "statement": statement,
            "duration_ms": duration,
            "trace_id": trace_id,
            "route": route or None,
        }
        for at, service, system, statement, duration, trace_id, route in rows(
            store, database.slow_calls_sql(f), f, {"slow": slow, "limit": limit}
        )
    ]
    columns = ["time", "service", "system", "statement", "duration_ms", "trace_id", "route"]
    return Table(columns, out, "raw", {"slow_ms": slow})


def pools(store: Store, f: Filters, q: QueryParams) -> Table:
    """Database connection pools from the db.client.connection.* metrics (and their older names), per
    service and pool: the maximum, connections in use (peak, average, last), use as a share of the maximum
    (peak, average), the share of observations at 90% or more, peak pending requests."""
    no_page_dimensions(f)
    return Table(list(database.POOL_COLUMNS), pool_rows(store, f), "raw")


def trace(store: Store, f: Filters, q: QueryParams) -> Table:
    """One trace's spans, as a waterfall: each span's start (ms after the trace's first span), duration,
    depth-first order with its depth, and what it is (route, statement). The extra says where the root's
    time went: in the database, in outbound calls, and in the application itself."""
    trace_id = (q.get("trace_id") or "").lower()
    if len(trace_id) != 32 or any(c not in "0123456789abcdef" for c in trace_id):
        raise ParamError("trace_id must be 32 hex digits")
    sql = (
        "SELECT SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, toUnixTimestamp64Nano(Timestamp), Duration,"
        " StatusCode, http_route, http_status, db_system, db_statement"
        " FROM rumhouse.otel_traces WHERE site = {site:String} AND TraceId = {trace_id:String}"
        " ORDER BY Timestamp, SpanId LIMIT 10000"
    )
    found = rows(store, sql, f, {"trace_id": trace_id})
    if not found:
        raise ParamError(f"no span of trace {trace_id} for site {f.site}")
    spans = {r[0]: r for r in found}
    children: dict[str, list[str]] = {}
    for r in found:
        parent = r[1] if r[1] in spans else ""
        children.setdefault(parent, []).append(r[0])
    first = min(r[5] for r in found)
    out: list[dict] = []

    def visit(span_id: str, depth: int) -> None:
        sid, parent, name, kind, service, start, duration, status, route, http_status, system, statement = (
            spans[span_id]
        )
        out.append(
            {
                "span_id": sid,
                "parent_span_id": parent,
                "depth": depth,
                "name": name,
                "kind": kind,
                "service": service,
                "start_ms": (start - first) / 1e6,
                "duration_ms": duration / 1e6,
                "status": status,
                "route": route,
                "http_status": int(http_status),
                "db_system": system,
                "db_statement": statement,
            }
        )
        for child in children.get(span_id, []):
            visit(child, depth + 1)

    for root in children.get("", []):
        visit(root, 0)
    roots = [s for s in out if s["depth"] == 0]
    total = sum(s["duration_ms"] for s in roots)
    database = sum(s["duration_ms"] for s in out if s["db_system"])
    outbound = sum(s["duration_ms"] for s in out if s["kind"] == "Client" and not s["db_system"])
    extra = {
        "trace_id": trace_id,
        "duration_ms": total,
        "database_ms": database,
        "outbound_ms": outbound,
        "application_ms": max(0.0, total - database - outbound),
    }
    columns = [
        "span_id",
        "parent_span_id",
        "depth",
        "name",
        "kind",
        "service",
        "start_ms",
        "duration_ms",
        "status",
    ]
    return Table([*columns, "route", "http_status", "db_system", "db_statement"], out, "raw", extra)


def index_candidates(store: Store, f: Filters, q: QueryParams) -> Table:
    """Columns that slow statements (over `slow_ms`, default 100) filter, join or sort on, per table and
    column, with the slow calls and the time they cost: where an index may help (query/indexes.py)."""
    no_page_dimensions(f)
    limit = int_param(q, "limit", 50, 1, 1000)
    slow = float_param(q, "slow_ms", 100.0, 0.0, 3_600_000.0)
    out = index_candidate_rows(store, f, slow)[:limit]
    columns = ["system", "table", "column", "statements", "slow_calls", "slow_ms", "example"]
    return Table(columns, out, "raw", {"slow_ms": slow})


def traced_calls(store: Store, f: Filters, q: QueryParams) -> Table:
    """The page's slowest fetch/XHR calls that carry a trace id (of one endpoint, if asked), each with
    what its backend trace holds: spans, services, the server span's route and duration. Open one with
    /trace?trace_id=..."""
    limit = int_param(q, "limit", 50, 1, 1000)
    endpoint = q.get("endpoint")
    sql = trace_links.traced_calls_sql(f, bool(endpoint))
    out = []
    found = rows(store, sql, f, {"limit": limit, "endpoint": endpoint or ""})
    for at, page_view, path, method, call_endpoint, status, duration, trace_id, timing, *backend in found:
        spans, services, route, server_ms = backend
        out.append(
            {
                "time": iso_time(at),
                "page_view_id": page_view,
                "path": path,
                "method": method,
                "endpoint": call_endpoint,
                "status": int(status),
                "duration_ms": duration,
                "trace_id": trace_id,
                "server_timing": dict(timing),
                "backend_spans": int(spans or 0),
                "backend_services": sorted(services or []),
                "backend_route": route or None,
                "backend_ms": server_ms if spans else None,
            }
        )
    columns = ["time", "page_view_id", "path", "method", "endpoint", "status", "duration_ms", "trace_id"]
    columns += ["server_timing", "backend_spans", "backend_services", "backend_route", "backend_ms"]
    return Table(columns, out, "raw", {"endpoint": endpoint} if endpoint else {})


# What the routes and the suggestions (budgets/backend_suggestions.py) both read.


def pool_rows(store: Store, f: Filters) -> list[dict[str, Any]]:
    found = store.query(database.pools_sql(f), f.params(), readonly=True).rows
    out = []
    for row in found:
        entry = dict(zip(database.POOL_COLUMNS, row[1:], strict=True))
        entry["observations"] = int(entry["observations"])
        out.append(entry)
    return out


def n_plus_one_rows(store: Store, f: Filters, min_runs: int, limit: int) -> list[dict[str, Any]]:
    params = {**f.params(), "min_runs": min_runs, "limit": limit}
    return [
        {
            "system": system,
            "statement": statement,
            "route": route,
            "requests": int(requests),
            "max_runs": int(most),
            "avg_runs": average,
            "total_ms": total,
            "example_trace_id": trace_id,
            "request_ms": request_ms,
        }
        for system, statement, requests, most, average, total, route, trace_id, request_ms in store.query(
            database.n_plus_one_sql(f), params, readonly=True
        ).rows
    ]


def index_candidate_rows(store: Store, f: Filters, slow_ms: float) -> list[dict[str, Any]]:
    """Per system, table and column that slow statements (over `slow_ms`) filter, join or sort on: how
    many statements, their slow calls and the time those took, and one statement; most time first."""
    sql = database.slow_statements_sql(f)
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for system, statement, calls, total in store.query(
        sql, {**f.params(), "slow": slow_ms}, readonly=True
    ).rows:
        for table, column in candidates(statement):
            entry = found.setdefault(
                (system, table, column),
                {"system": system, "table": table, "column": column, "statements": 0, "slow_calls": 0,
                 "slow_ms": 0.0, "example": statement},
            )  # fmt: skip
            entry["statements"] += 1
            entry["slow_calls"] += int(calls)
            entry["slow_ms"] += total
    return sorted(found.values(), key=lambda e: (-e["slow_ms"], e["table"], e["column"]))
