"""Database questions that the span rollups cannot answer: connection pools (from metrics) and N+1
patterns (one statement shape run many times inside one request), and the slow statements index
candidates are read from. The SQL only: api/backend.py runs it for the routes and the suggestions, and
budgets/measure.py for the `db_pool_usage` metric.

Connection pools, from OpenTelemetry's database client metrics (up-down counters, so each point is the
current value): `db.client.connection.count` by `db.client.connection.state` (used or idle),
`db.client.connection.max` and `db.client.connection.pending_requests`, per
`db.client.connection.pool.name`; and their older names (`db.client.connections.usage` by `state`,
`db.client.connections.max`, `db.client.connections.pending_requests`, per `pool.name`), which several
instrumentations still send. Use = connections in use / the pool's maximum (the largest the window saw).
"""

from __future__ import annotations

from rumhouse.query.filters import Filters

SATURATED = 0.9  # a pool at or over this share of its maximum is saturated

_USED = ("db.client.connection.count", "db.client.connections.usage")
_MAX = ("db.client.connection.max", "db.client.connections.max")
_PENDING = ("db.client.connection.pending_requests", "db.client.connections.pending_requests")
_NAMES = ", ".join(f"'{n}'" for n in (*_USED, *_MAX, *_PENDING))


def _attribute(new: str, old: str) -> str:
    return f"if(Attributes['{new}'] != '', Attributes['{new}'], Attributes['{old}'])"


_POINTS = (
    "SELECT ServiceName AS service, TimeUnix AS t, Value AS value,"
    f" {_attribute('db.client.connection.pool.name', 'pool.name')} AS pool,"
    f" multiIf(MetricName IN ({', '.join(repr(n) for n in _MAX)}), 'max',"
    f" MetricName IN ({', '.join(repr(n) for n in _PENDING)}), 'pending',"
    f" {_attribute('db.client.connection.state', 'state')} = 'used', 'used', 'idle') AS kind"
    " FROM rumhouse.{table}"
    " WHERE {where} AND MetricName IN (" + _NAMES + ")"
)


def pools_sql(f: Filters, bucket: str = "0") -> str:
    """Per service and pool: max_connections, peak/avg/last used, peak and average use, the share of
    observations at or over SATURATED, peak pending requests, observations (points of `used`); with a
    `bucket` expression on `t` (epoch seconds of a period), per period too, as column b."""
    where = f.span_where("TimeUnix")
    # Some SDKs send up-down counters as gauges: read both tables.
    points = " UNION ALL ".join(
        _POINTS.format(table=t, where=where) for t in ("otel_metrics_sum", "otel_metrics_gauge")
    )
    per_time = (
        f"SELECT service, pool, t, {bucket} AS b, sumIf(value, kind = 'used') AS used, maxIf(value, kind = 'max') AS cap,"
        " maxIf(value, kind = 'pending') AS pending, countIf(kind = 'used') AS has_used"
        f" FROM ({points}) GROUP BY service, pool, t, b"
    )
    per_pool = (
        "SELECT b, service, pool, max(cap) AS max_connections, maxIf(used, has_used > 0) AS peak_used,"
        " avgIf(used, has_used > 0) AS avg_used, argMaxIf(used, t, has_used > 0) AS last_used,"
        " groupArrayIf(used, has_used > 0) AS useds, max(pending) AS peak_pending,"
        f" countIf(has_used > 0) AS observations FROM ({per_time}) GROUP BY b, service, pool"
    )
    return (
        "SELECT b, service, pool, max_connections, peak_used, avg_used, last_used,"
        " if(max_connections > 0, peak_used / max_connections, NULL) AS peak_use,"
        " if(max_connections > 0, avg_used / max_connections, NULL) AS avg_use,"
        f" if(max_connections > 0, arrayCount(u -> u >= {SATURATED} * max_connections, useds) / observations, NULL)"
        " AS saturated_share, peak_pending, observations"
        f" FROM ({per_pool}) WHERE observations > 0 ORDER BY peak_use DESC, service, pool"
    )


POOL_COLUMNS = [
    "service",
    "pool",
    "max_connections",
    "peak_used",
    "avg_used",
    "last_used",
    "peak_use",
    "avg_use",
    "saturated_share",
    "peak_pending",
    "observations",
]


def n_plus_one_sql(f: Filters) -> str:
    """Per statement run {min_runs:UInt32} or more times inside one request (trace): the requests where
    it happened, the most and average runs, the time those runs took, the route of those requests (the
    most frequent), one trace, and the total time of those requests' server spans."""
    where = f.span_where()
    return (
        "SELECT db_system, db_query, count() AS requests, max(runs), avg(runs), sum(ms),"
        " anyHeavy(route), argMax(TraceId, runs), sum(request_ms) FROM ("
        "  SELECT d.db_system, d.db_query, d.TraceId, count() AS runs, sum(d.duration_ms) AS ms,"
        "   any(s.http_route) AS route, any(s.request_ms) AS request_ms"
        f"  FROM (SELECT db_system, db_query, TraceId, duration_ms FROM rumhouse.otel_traces WHERE {where}"
        "   AND db_system != '') AS d"
        "  LEFT JOIN (SELECT TraceId, any(http_route) AS http_route, sum(duration_ms) AS request_ms"
        f"   FROM rumhouse.otel_traces WHERE {where} AND SpanKind = 'Server' GROUP BY TraceId) AS s"
        "  ON s.TraceId = d.TraceId"
        "  GROUP BY d.db_system, d.db_query, d.TraceId HAVING runs >= {min_runs:UInt32})"
        " GROUP BY db_system, db_query ORDER BY sum(ms) DESC, db_query LIMIT {limit:UInt32}"
    )


def slow_statements_sql(f: Filters) -> str:
    """Per system and statement, the calls over {slow:Float64} ms: how many, and their time."""
    return (
        "SELECT db_system, db_statement, count(), sum(duration_ms) FROM rumhouse.otel_traces"
        f" WHERE {f.span_where()} AND db_system != '' AND duration_ms > {{slow:Float64}}"
        " GROUP BY db_system, db_statement ORDER BY sum(duration_ms) DESC LIMIT 10000"
    )


def slow_calls_sql(f: Filters) -> str:
    """The slowest database calls over {slow:Float64} ms, one row each: when, service, system, statement,
    ms, trace id, and the route of the request it ran in (the trace's first server span)."""
    calls = (
        "SELECT Timestamp, ServiceName, db_system, db_query, duration_ms, TraceId FROM rumhouse.otel_traces"
        f" WHERE {f.span_where()} AND db_system != '' AND Duration > {{slow:Float64}} * 1000000"
        " ORDER BY Duration DESC LIMIT {limit:UInt32}"
    )
    routes = (
        "SELECT TraceId, argMin(http_route, Timestamp) AS route FROM rumhouse.otel_traces"
        f" WHERE {f.span_where()} AND SpanKind = 'Server' AND TraceId IN (SELECT TraceId FROM ({calls}))"
        " GROUP BY TraceId"
    )
    return (
        "SELECT c.Timestamp, c.ServiceName, c.db_system, c.db_query, c.duration_ms, c.TraceId, r.route"
        f" FROM ({calls}) AS c LEFT JOIN ({routes}) AS r ON r.TraceId = c.TraceId"
        " ORDER BY c.duration_ms DESC, c.Timestamp"
    )
