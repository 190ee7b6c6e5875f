"""Dependencies: what the backend's services and the site's pages call (docs/dependencies.md).

Two sources, one shape:
- client and producer spans, by calling service, dependency (peer_name) and kind, read through the span
  rollups (query/span_rollups.py, DEPENDENCY: hours + minutes + raw edges, 1 ms histograms);
- the page's fetch/XHR calls to another host than the page's own (api_calls), as the caller BROWSER,
  kind "http": rolled up into the same minutes and hours as they are stored (0022_page_dependencies.sql),
  and read from the raw rows only at the window's edges. A page call fails with status 0 (network error,
  CORS, abort) or >= 400, as a client span does with an error status.
"""

from __future__ import annotations

from rumhouse.query.filters import Filters
from rumhouse.query.span_rollups import DEPENDENCY, HISTOGRAM, raw_edges, span_parts

BROWSER = "browser"  # the caller of the page's own calls
# The host (with its port) of a stored endpoint (host/path), and the page's host without a port.
# clickhouse/0022_page_dependencies.sql rolls the calls up with the same expressions: change both.
CALLED_HOST = "splitByChar('/', endpoint)[1]"
OTHER_HOST = f"splitByChar(':', {CALLED_HOST})[1] != host AND {CALLED_HOST} != ''"
PAGE_FAILED = "status = 0 OR status >= 400"


def _page_part(f: Filters, where: dict[str, str], edges: list[str]) -> str:
    """The page's calls to other hosts at the window's raw `edges` (span_rollups.raw_edges), per dependency
    and minute, in the rows of span_parts."""
    keys = {"service": f"'{BROWSER}'", "dependency": CALLED_HOST, "kind": "'http'"}
    conditions = "".join(f" AND {keys[k]} = {{{param}:String}}" for k, param in where.items())
    return (
        f"SELECT '{BROWSER}' AS service, {CALLED_HOST} AS dependency, 'http' AS kind,"
        " toStartOfMinute(toDateTime(time, 'UTC')) AS t, count() AS n,"
        f" toUInt64(countIf({PAGE_FAILED})) AS errors, sum(toFloat64(duration_ms)) AS dsum,"
        f" {HISTOGRAM} AS durations, argMaxState(trace_id, toFloat64(duration_ms)) AS slowest"
        f" FROM rumhouse.api_calls WHERE site = {{site:String}} AND ({' OR '.join(edges)}) AND {OTHER_HOST}{conditions}"
        " GROUP BY dependency, t"
    )


def dependency_parts(
    f: Filters, where: dict[str, str], *, hourly: bool = True, tag: str = "p"
) -> tuple[str, dict[str, str]]:
    """Rows (service, dependency, kind, t, n, errors, dsum, durations, slowest) of the window from both
    sources; `where` as span_parts takes it (key -> parameter name)."""
    spans, params = span_parts(DEPENDENCY, f, where, hourly=hourly, tag=tag)
    edges = raw_edges(f, "time", hourly=hourly, tag=tag)
    return (f"{spans} UNION ALL {_page_part(f, where, edges)}" if edges else spans), params


def calls_sql(f: Filters) -> str:
    """Every call of the window, one row each (at, service, dependency, duration_ms, failed): what budgets
    and alerts judge over their short windows."""
    return (
        "SELECT toDateTime64(Timestamp, 3, 'UTC') AS at, toString(ServiceName) AS service,"
        " toString(peer_name) AS dependency, duration_ms, toUInt8(is_error) AS failed"
        f" FROM rumhouse.otel_traces WHERE {f.span_where()} AND peer_name != ''"
        f" UNION ALL SELECT time, '{BROWSER}', {CALLED_HOST}, toFloat64(duration_ms), toUInt8({PAGE_FAILED})"
        f" FROM rumhouse.api_calls WHERE {f.raw_where(dimensions=False)} AND {OTHER_HOST}"
    )


def shared_failures_sql(f: Filters) -> str:
    """Per dependency: the services whose failed requests (server spans with an error) have a failed call
    to it in their trace, how many such requests, and one of their traces. A service's own name as a
    dependency (another service calling it) does not explain its own failures. Parameters: min_services,
    limit."""
    failed = (
        "SELECT TraceId, ServiceName FROM rumhouse.otel_traces"
        f" WHERE {f.span_where()} AND SpanKind = 'Server' AND is_error"
    )
    calls = (
        "SELECT TraceId, peer_name, peer_kind FROM rumhouse.otel_traces"
        f" WHERE {f.span_where()} AND peer_name != '' AND is_error"
    )
    return (
        "SELECT c.peer_name, c.peer_kind, arraySort(groupUniqArray(toString(s.ServiceName))) AS services,"
        " uniqExact(s.TraceId, s.ServiceName) AS requests, count() AS failed_calls, any(s.TraceId)"
        f" FROM ({calls}) AS c INNER JOIN ({failed}) AS s ON c.TraceId = s.TraceId"
        " WHERE toString(c.peer_name) != toString(s.ServiceName)"
        " GROUP BY c.peer_name, c.peer_kind HAVING length(services) >= {min_services:UInt32}"
        " ORDER BY length(services) DESC, requests DESC, c.peer_name LIMIT {limit:UInt32}"
    )


def failed_requests_sql(f: Filters) -> str:
    """Failed server spans per service in the window."""
    return (
        "SELECT toString(ServiceName), count() FROM rumhouse.otel_traces"
        f" WHERE {f.span_where()} AND SpanKind = 'Server' AND is_error GROUP BY ServiceName"
    )


def requests_sql(f: Filters) -> str:
    """Server spans per service in the window."""
    return (
        "SELECT toString(ServiceName), count() FROM rumhouse.otel_traces"
        f" WHERE {f.span_where()} AND SpanKind = 'Server' GROUP BY ServiceName"
    )


def chatty_sql(f: Filters) -> str:
    """Per service and dependency (not a database: query/database.n_plus_one_sql has those), the requests
    (traces) that called it {min_runs:UInt32} or more times: how many, the most and average calls, the time
    those calls took, the requests' route and time (server spans), one trace."""
    where = f.span_where()
    return (
        "SELECT service, dependency, kind, count() AS requests, max(runs), avg(runs), sum(ms), anyHeavy(route),"
        " argMax(trace, runs), sum(request_ms) FROM ("
        "  SELECT toString(c.ServiceName) AS service, toString(c.peer_name) AS dependency,"
        "   toString(c.peer_kind) AS kind, c.TraceId AS trace, count() AS runs, sum(c.duration_ms) AS ms,"
        "   any(s.http_route) AS route, any(s.request_ms) AS request_ms"
        "  FROM (SELECT ServiceName, peer_name, peer_kind, TraceId, duration_ms FROM rumhouse.otel_traces"
        f"   WHERE {where} AND peer_name != '' AND peer_kind != 'database') AS c"
        "  LEFT JOIN (SELECT TraceId, ServiceName, any(http_route) AS http_route, sum(duration_ms) AS request_ms"
        f"   FROM rumhouse.otel_traces WHERE {where} AND SpanKind = 'Server' GROUP BY TraceId, ServiceName) AS s"
        "  ON s.TraceId = c.TraceId AND s.ServiceName = c.ServiceName"
        "  GROUP BY service, dependency, kind, trace HAVING runs >= {min_runs:UInt32})"
        " GROUP BY service, dependency, kind ORDER BY sum(ms) DESC, dependency LIMIT {limit:UInt32}"
    )
