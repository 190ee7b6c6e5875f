"""The backend, from OpenTelemetry spans (rumhouse.otel_traces): server endpoints per service, method and
route (requests, rate, errors, percentiles in ms), and database statements (calls, time, percentiles, the
slow ones with an example trace). Exact percentiles over the raw spans; the rollups for long windows
come later (issue 15).
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from rumhouse.api.common import float_param, int_param, percentile_fields, raw_quantiles, rows
from rumhouse.api.filters import ParamError
from rumhouse.api.table import Table
from rumhouse.query.filters import Filters
from rumhouse.query.indexes import candidates
from rumhouse.store.base import Store

PERCENTILE_COLUMNS = ["p50", "p75", "p95", "p99"]


def _no_page_dimensions(f: Filters) -> None:
    if f.dims:
        raise ParamError("page dimensions (path, browser, ...) do not apply to spans")


def endpoints(store: Store, f: Filters, q: QueryParams) -> Table:
    """Server spans per service, method and route: requests, per second, errors, percentiles."""
    _no_page_dimensions(f)
    limit = int_param(q, "limit", 100, 1, 1000)
    service = q.get("service")
    where = (
        f.span_where()
        + " AND SpanKind = 'Server'"
        + (" AND ServiceName = {service:String}" if service else "")
    )
    sql = (
        f"SELECT ServiceName, http_method, http_route, count() AS n, sum(is_error), {raw_quantiles('duration_ms')}"
        f" FROM rumhouse.otel_traces WHERE {where}"
        " GROUP BY ServiceName, http_method, http_route ORDER BY n DESC, ServiceName, http_route"
        " LIMIT {limit:UInt32}"
    )
    seconds = max((f.end - f.start).total_seconds(), 1.0)
    out = [
        {
            "service": service_name,
            "method": method,
            "route": route,
            "requests": int(n),
            "per_second": int(n) / seconds,
            "errors": int(errors),
            "error_rate": int(errors) / int(n),
            **percentile_fields(qs),
        }
        for service_name, method, route, n, errors, qs in rows(
            store, sql, f, {"limit": limit, "service": service or ""}
        )
    ]
    columns = [
        "service",
        "method",
        "route",
        "requests",
        "per_second",
        "errors",
        "error_rate",
        *PERCENTILE_COLUMNS,
    ]
    return Table(columns, out, "raw", {"service": service} if service else {})


def statements(store: Store, f: Filters, q: QueryParams) -> Table:
    """Database statements (as stored: literals replaced by ?) per system: calls, time, percentiles,
    how many took longer than `slow_ms` (default 100), and one trace of the slowest call."""
    _no_page_dimensions(f)
    limit = int_param(q, "limit", 100, 1, 1000)
    slow = float_param(q, "slow_ms", 100.0, 0.0, 3_600_000.0)
    sql = (
        "SELECT db_system, db_statement, count() AS n, sum(duration_ms) AS total, countIf(duration_ms > {slow:Float64}),"
        f" argMax(TraceId, duration_ms), {raw_quantiles('duration_ms')}"
        f" FROM rumhouse.otel_traces WHERE {f.span_where()} AND db_system != ''"
        " GROUP BY db_system, db_statement ORDER BY total DESC, db_statement LIMIT {limit:UInt32}"
    )
    out = [
        {
            "system": system,
            "statement": statement,
            "calls": int(n),
            "total_ms": total,
            "slow_calls": int(slow_calls),
            "slowest_trace_id": trace_id,
            **percentile_fields(qs),
        }
        for system, statement, n, total, slow_calls, trace_id, qs in rows(
            store, sql, f, {"limit": limit, "slow": slow}
        )
    ]
    columns = [
        "system",
        "statement",
        "calls",
        "total_ms",
        "slow_calls",
        "slowest_trace_id",
        *PERCENTILE_COLUMNS,
    ]
    return Table(columns, out, "raw", {"slow_ms": slow})


def n_plus_one(store: Store, f: Filters, q: QueryParams) -> Table:
    """N+1 queries: a statement shape run `min_runs` (default 5) or more times inside one request (one
    trace), per statement: the requests where it happened, how many runs (most, average), the time they
    took, the route of those requests and one of their traces. Batch them, or join."""
    _no_page_dimensions(f)
    limit = int_param(q, "limit", 50, 1, 1000)
    min_runs = int_param(q, "min_runs", 5, 2, 100_000)
    where = f.span_where()
    sql = (
        "SELECT db_system, db_statement, count() AS requests, max(runs), avg(runs), sum(ms),"
        " anyHeavy(route), argMax(TraceId, runs) FROM ("
        "  SELECT d.db_system, d.db_statement, d.TraceId, count() AS runs, sum(d.duration_ms) AS ms,"
        "   any(s.http_route) AS route"
        f"  FROM (SELECT db_system, db_statement, TraceId, duration_ms FROM rumhouse.otel_traces WHERE {where}"
        "   AND db_system != '') AS d"
        f"  LEFT JOIN (SELECT TraceId, any(http_route) AS http_route FROM rumhouse.otel_traces WHERE {where}"
        "   AND SpanKind = 'Server' GROUP BY TraceId) AS s ON s.TraceId = d.TraceId"
        "  GROUP BY d.db_system, d.db_statement, d.TraceId HAVING runs >= {min_runs:UInt32})"
        " GROUP BY db_system, db_statement ORDER BY sum(ms) DESC, db_statement LIMIT {limit:UInt32}"
    )
    out = [
        {
            "system": system,
            "statement": statement,
            "route": route,
            "requests": int(requests),
            "max_runs": int(most),
            "avg_runs": average,
            "total_ms": total,
            "example_trace_id": trace_id,
        }
        for system, statement, requests, most, average, total, route, trace_id in rows(
            store, sql, f, {"limit": limit, "min_runs": min_runs}
        )
    ]
    columns = [
        "system",
        "statement",
        "route",
        "requests",
        "max_runs",
        "avg_runs",
        "total_ms",
        "example_trace_id",
    ]
    return Table(columns, out, "raw", {"min_runs": min_runs})


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
    _no_page_dimensions(f)
    limit = int_param(q, "limit", 50, 1, 1000)
    slow = float_param(q, "slow_ms", 100.0, 0.0, 3_600_000.0)
    sql = (
        "SELECT db_system, db_statement, count(), sum(duration_ms) FROM rumhouse.otel_traces"
        f" WHERE {f.span_where()} AND db_system != '' AND duration_ms > {{slow:Float64}}"
        " GROUP BY db_system, db_statement ORDER BY sum(duration_ms) DESC LIMIT 10000"
    )
    found: dict[tuple[str, str, str], dict] = {}
    for system, statement, calls, total in rows(store, sql, f, {"slow": slow}):
        for table, column in candidates(statement):
            entry = found.setdefault(
                (system, table, column),
                {
                    "system": system,
                    "table": table,
                    "column": column,
                    "statements": 0,
                    "slow_calls": 0,
                    "slow_ms": 0.0,
                    "example": statement,
                },
            )
            entry["statements"] += 1
            entry["slow_calls"] += int(calls)
            entry["slow_ms"] += total
    out = sorted(found.values(), key=lambda e: (-e["slow_ms"], e["table"], e["column"]))[:limit]
    columns = ["system", "table", "column", "statements", "slow_calls", "slow_ms", "example"]
    return Table(columns, out, "raw", {"slow_ms": slow})
