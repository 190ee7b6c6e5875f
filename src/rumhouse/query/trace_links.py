"""From the page to its backend: the calls and page views whose trace id (rum.js: a traceparent the call
carried, or one its response or the document named in Server-Timing) finds spans in otel_traces."""

from __future__ import annotations

from rumhouse.query.filters import Filters

# A backend's spans start after the page started the call, and a trace ends within minutes: the spans of
# the window, with an hour on either side, hold them.
_MARGIN = "INTERVAL 1 HOUR"


def traced_calls_sql(f: Filters, endpoint: bool) -> str:
    """The slowest calls with a trace id ({endpoint:String} only, when `endpoint`), each with how many
    spans, and which services, its trace has in otel_traces, and its server span's route and duration."""
    where = f.raw_where() + " AND trace_id != ''" + (" AND endpoint = {endpoint:String}" if endpoint else "")
    calls = (
        "SELECT time, page_view_id, path, method, endpoint, status, duration_ms, trace_id, server_timing"
        f" FROM rumhouse.api_calls WHERE {where} ORDER BY duration_ms DESC, time LIMIT {{limit:UInt32}}"
    )
    spans = (
        "SELECT TraceId, count() AS spans, groupUniqArray(ServiceName) AS services,"
        # The first server span: the one the call reached (later ones are the backend's own calls).
        " argMinIf(http_route, Timestamp, SpanKind = 'Server') AS route,"
        " argMinIf(duration_ms, Timestamp, SpanKind = 'Server') AS server_ms FROM rumhouse.otel_traces"
        f" WHERE site = {{site:String}} AND Timestamp >= {{start:DateTime64(3, 'UTC')}} - {_MARGIN}"
        f" AND Timestamp < {{end:DateTime64(3, 'UTC')}} + {_MARGIN}"
        f" AND TraceId IN (SELECT trace_id FROM ({calls})) GROUP BY TraceId"
    )
    return (
        "SELECT c.time, c.page_view_id, c.path, c.method, c.endpoint, c.status, c.duration_ms, c.trace_id,"
        " c.server_timing, s.spans, s.services, s.route, s.server_ms"
        f" FROM ({calls}) AS c LEFT JOIN ({spans}) AS s ON s.TraceId = c.trace_id"
        " ORDER BY c.duration_ms DESC, c.time"
    )
