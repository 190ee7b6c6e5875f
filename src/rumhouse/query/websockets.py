"""WebSockets: the page's sockets (rumhouse.websockets, from the WebSocket add-on), and the connections a
server says it holds, from a gauge (or up-down counter) named `websocket.connections` that the backend
sends over OTLP (docs/snippet.md "WebSockets"; points of one collection share their time, so a host's
series of one moment, per route or worker, are added up).
"""

from __future__ import annotations

from rumhouse.query.filters import Filters
from rumhouse.query.hosts import HOST

CONNECTIONS_METRIC = "websocket.connections"
# A close that is neither normal (1000) nor the page going away (1001); 1005 (no code given) counts as
# normal, as browsers report it for a server that closed without one.
ABNORMAL = "close_code IS NOT NULL AND close_code NOT IN (1000, 1001, 1005)"

ENDPOINT_COLUMNS = (
    "endpoint",
    "connections",
    "page_views",
    "opened",
    "never_opened",
    "open_at_exit",
    "abnormal_closes",
    "connect_p50_ms",
    "connect_p95_ms",
    "lifetime_p50_ms",
    "lifetime_p95_ms",
    "messages_in",
    "messages_out",
    "bytes_in",
    "bytes_out",
    "bytes_in_per_second",
    "bytes_out_per_second",
    "close_codes",
)


def endpoints_sql(f: Filters) -> str:
    """Per endpoint, the columns of ENDPOINT_COLUMNS (percentiles exact; per second: over the time the
    sockets were open). Parameter: limit."""
    connected = "sumIf(lifetime_ms - open_ms, open_ms IS NOT NULL) / 1000"
    return (
        "SELECT endpoint, count(), uniqExact(page_view_id), count(open_ms),"
        " countIf(open_ms IS NULL AND close_code IS NOT NULL), countIf(close_code IS NULL),"
        f" countIf({ABNORMAL}),"
        " quantileExactInclusiveIf(0.5)(open_ms, open_ms IS NOT NULL),"
        " quantileExactInclusiveIf(0.95)(open_ms, open_ms IS NOT NULL),"
        " quantileExactInclusive(0.5)(lifetime_ms), quantileExactInclusive(0.95)(lifetime_ms),"
        " sum(messages_in), sum(messages_out), sum(bytes_in), sum(bytes_out),"
        f" if({connected} > 0, sum(bytes_in) / ({connected}), NULL),"
        f" if({connected} > 0, sum(bytes_out) / ({connected}), NULL),"
        " sumMapIf(map(toString(assumeNotNull(close_code)), toUInt64(1)), close_code IS NOT NULL)"
        f" FROM rumhouse.websockets WHERE {f.raw_where()}"
        " GROUP BY endpoint ORDER BY count() DESC, endpoint LIMIT {limit:UInt32}"
    )


def connection_points_sql(f: Filters) -> str:
    """One row per host and point in time: t, connections (the host's series of that moment, added)."""
    where = f.span_where("TimeUnix") + f" AND MetricName = '{CONNECTIONS_METRIC}'"
    points = " UNION ALL ".join(
        f"SELECT {HOST} AS host, TimeUnix AS t, Value AS value FROM rumhouse.{table} WHERE {where}"
        for table in ("otel_metrics_gauge", "otel_metrics_sum")
    )
    return f"SELECT host, t, sum(value) AS connections FROM ({points}) GROUP BY host, t"


def servers_sql(f: Filters) -> str:
    """Per host: the last, mean and highest connections in the window, points, last seen."""
    return (
        "SELECT host, argMax(connections, t), avg(connections), max(connections), count(), max(t)"
        f" FROM ({connection_points_sql(f)}) GROUP BY host ORDER BY host"
    )
