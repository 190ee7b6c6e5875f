"""The rows of the reading routes' tables, as types: what the OpenAPI document shows for each route
(tests/conftest.py checks every answer the suite gets against it). Percentiles are null when there are
no samples; shares (good, needs_improvement, poor) are null for a metric without thresholds."""

from __future__ import annotations

from typing import Literal

import msgspec

Number = float | None


class _Stats(msgspec.Struct, kw_only=True):
    samples: int
    p50: Number
    p75: Number
    p95: Number
    p99: Number
    good: Number  # share at or under the good threshold
    needs_improvement: Number
    poor: Number  # share over the poor threshold


class SummaryRow(_Stats, kw_only=True):
    metric: str
    unit: Literal["ms", "score"]
    p75_ci_low: Number  # the 95% confidence interval of p75 (order statistics; query/confidence.py)
    p75_ci_high: Number
    enough: bool  # samples enough to judge (30 or more); fewer: shown, but not to be trusted
    rating: Literal["good", "needs-improvement", "poor"] | None  # of p75
    good_threshold: Number
    poor_threshold: Number


class TimeseriesRow(msgspec.Struct):
    time: str  # start of the bucket, ISO 8601 UTC; every bucket of the window, empty ones with 0 samples
    metric: str
    samples: int
    value: Number  # the percentile asked for; null for an empty bucket
    ci_low: Number  # its 95% confidence interval (order statistics)
    ci_high: Number
    enough: bool  # 30 samples or more


class ReleaseRow(msgspec.Struct, kw_only=True):
    release: str
    first_seen: str  # the first page view of it in the window
    last_seen: str
    page_views: int


class CruxRow(msgspec.Struct, kw_only=True):
    metric: str
    all_samples: int  # every page view measured
    all_p75: Number
    all_rating: str | None
    crux_samples: int  # the page views the Chrome UX Report would count (Chrome on desktop and Android)
    crux_p75: Number
    crux_rating: str | None
    difference: Number  # crux_p75 / all_p75 - 1


class MeasureRow(msgspec.Struct, kw_only=True):
    name: str  # as the page named it in rumhouse.measure
    count: int
    page_views: int
    mean: float
    p50: float
    p75: float
    p95: float


class ServerTimingRow(msgspec.Struct, kw_only=True):
    path: str
    entry: str  # the Server-Timing entry's name (db, cache, app, ...)
    page_views: int  # documents that had it
    p50: float  # ms
    p75: float
    p95: float


class HistogramRow(msgspec.Struct, kw_only=True):
    low: float  # the bin's lower edge (ms, or the CLS score)
    high: Number  # its upper edge; null for the last bin, which takes every value above its lower edge
    count: float  # samples in it (from the rollups: read from the t-digest, so not a whole number)
    share: Number  # of all the samples
    rating: str | None  # good, needs-improvement or poor: the band of the bin's middle


class SplitRow(_Stats, kw_only=True):
    value: str  # the dimension's value


class PageRow(_Stats, kw_only=True):
    path: str
    page_views: int
    threshold: Number  # the metric's good threshold
    excess: Number  # how far p75 is over it, as a share of it
    impact: Number  # page views x excess


class AttributionRow(msgspec.Struct, kw_only=True):
    key: str  # the element, URL, script, event type or loading state ('' when the browser named none)
    samples: int
    share: Number  # of the metric's samples in the window
    p75: Number
    ttfb_p75: Number
    load_delay_p75: Number
    load_duration_p75: Number
    render_delay_p75: Number
    input_delay_p75: Number
    processing_p75: Number
    presentation_p75: Number
    script_p75: Number
    shift_p75: Number


class EndpointRow(msgspec.Struct, kw_only=True):
    service: str
    method: str
    route: str  # http.route ('' when the span had none)
    requests: int
    per_second: float
    errors: int  # error status or HTTP 5xx
    error_rate: float
    mean: float  # ms
    p50: Number  # ms, 1 ms resolution
    p75: Number
    p95: Number
    p99: Number
    slowest_trace_id: str
    previous_requests: int  # in the window of the same length just before
    previous_p95: Number
    p95_change: Number  # p95 / previous_p95 - 1; null without a previous p95


class StatementRow(msgspec.Struct, kw_only=True):
    system: str  # db.system.name: postgresql, mysql, sqlite, ...
    namespace: str  # db.namespace: the database
    statement: str  # db.query.summary, or the statement with its literals replaced by ?
    service: str  # the service that ran it
    calls: int
    total_ms: float
    share_of_request_time: Number  # total_ms / the service's server spans' total time in the window
    slow_calls: int  # over slow_ms
    slowest_trace_id: str
    p50: Number  # ms
    p75: Number
    p95: Number
    p99: Number


class SpanSeriesRow(msgspec.Struct, kw_only=True):
    time: str  # start of the bucket, ISO 8601 UTC
    count: int  # spans (requests or calls); 0 for an empty bucket
    per_second: float
    errors: int
    error_rate: Number  # null for an empty bucket
    mean: Number  # ms
    p50: Number  # ms, 1 ms resolution
    p75: Number
    p95: Number
    p99: Number


class NPlusOneRow(msgspec.Struct, kw_only=True):
    system: str
    statement: str
    route: str  # the route of the requests where it happened (the most frequent)
    requests: int  # requests (traces) where it ran min_runs times or more
    max_runs: int
    avg_runs: float
    total_ms: float  # the time of those runs
    share_of_request_time: Number  # total_ms / the time of the requests where it happened
    example_trace_id: str


class HostRow(msgspec.Struct, kw_only=True):
    host: str  # host.name, else service.instance.id, else the service
    cpu_last: Number  # busy share of the host's CPUs, 0 to 1
    cpu_mean: Number
    cpu_max: Number
    memory_last: Number  # used share of memory, 0 to 1
    memory_mean: Number
    memory_max: Number
    memory_used_bytes: Number
    process_cpu: Number  # the sending process's CPU share, last
    process_memory_bytes: Number  # its resident memory, last
    cpu_points: int
    memory_points: int
    last_seen: str


class HostPointRow(msgspec.Struct, kw_only=True):
    time: str
    cpu: Number  # mean busy share in the bucket (the point itself when bucket is 0)
    cpu_max: Number
    memory: Number
    memory_max: Number
    memory_used_bytes: Number
    process_cpu: Number
    process_memory_bytes: Number


class WebSocketRow(msgspec.Struct, kw_only=True):
    endpoint: str  # host/path of the socket's URL, ids templated
    connections: int  # sockets the pages created
    page_views: int
    opened: int
    never_opened: int  # closed before they opened (refused, unreachable)
    open_at_exit: int  # still open when the page was left
    abnormal_closes: int  # a close code other than 1000, 1001, 1005 (1006: the connection was lost)
    connect_p50_ms: Number  # from creation to open
    connect_p95_ms: Number
    lifetime_p50_ms: Number  # from creation to close (or the page's end)
    lifetime_p95_ms: Number
    messages_in: int
    messages_out: int
    bytes_in: int
    bytes_out: int
    bytes_in_per_second: Number  # over the time the sockets were open
    bytes_out_per_second: Number
    close_codes: dict[str, int]  # close code -> sockets


class WebSocketServerRow(msgspec.Struct, kw_only=True):
    host: str  # host.name, else service.instance.id, else the service
    connections_last: float  # the gauge websocket.connections, the host's series added up
    connections_mean: float
    connections_max: float
    points: int
    last_seen: str


class SlowCallRow(msgspec.Struct, kw_only=True):
    time: str  # when the call started
    service: str
    system: str
    statement: str  # db.query.summary, or the text with its literals replaced by ?
    duration_ms: float
    trace_id: str  # open it with /trace
    route: str | None  # the route of the request it ran in; null without a server span in the trace


class PoolRow(msgspec.Struct, kw_only=True):
    service: str
    pool: str  # db.client.connection.pool.name (or pool.name)
    max_connections: Number  # the largest maximum the window saw; null when the pool sends none
    peak_used: float  # connections in use
    avg_used: float
    last_used: float
    peak_use: Number  # peak_used / max_connections
    avg_use: Number
    saturated_share: Number  # share of observations with use at 90% or more
    peak_pending: float  # requests waiting for a connection
    observations: int


class TraceSpanRow(msgspec.Struct, kw_only=True):
    span_id: str
    parent_span_id: str
    depth: int  # 0 for a root; rows come depth first, children after their parent
    name: str
    kind: str
    service: str
    start_ms: float  # after the trace's first span started
    duration_ms: float
    status: str
    route: str
    http_status: int
    db_system: str
    db_statement: str


class IndexCandidateRow(msgspec.Struct, kw_only=True):
    system: str
    table: str
    column: str  # filtered, joined or sorted on by slow statements
    statements: int  # slow statement shapes that use it
    slow_calls: int
    slow_ms: float  # the time those calls took
    example: str  # the costliest statement that uses it


class CompareRow(msgspec.Struct, kw_only=True):
    metric: str
    unit: str
    a_samples: int
    a_p50: Number
    a_p75: Number
    a_p95: Number
    a_p99: Number
    a_good: Number
    b_samples: int
    b_p50: Number
    b_p75: Number
    b_p95: Number
    b_p99: Number
    b_good: Number
    p75_change: Number  # b's p75 - a's p75
    p75_change_pct: Number


class NavigationRow(msgspec.Struct, kw_only=True):
    value: str | None = None  # the dimension's value, with by=
    page_views: int
    phase: str  # dns, connect, tls, server, download, render, load
    samples: int
    p50: Number
    p75: Number
    p95: Number
    p99: Number


class ErrorRow(msgspec.Struct, kw_only=True):
    fingerprint: str
    kind: str
    message: str
    source: str
    occurrences: int
    page_views: int | None  # null: hours rolled up without a page-view state (docs/api.md)
    first_seen: str
    last_seen: str
    sample_stack: str
    top_paths: str  # up to three, space-separated


class ApiCallRow(msgspec.Struct, kw_only=True):
    endpoint: str
    method: str
    calls: int
    page_views: int | None
    failed: int
    error_rate: Number
    samples: int
    p50: Number
    p75: Number
    p95: Number
    p99: Number


class TracedCallRow(msgspec.Struct, kw_only=True):
    time: str
    page_view_id: str
    path: str  # the page's path
    method: str
    endpoint: str
    status: int
    duration_ms: float  # as the page saw it
    trace_id: str  # 32 hex digits: open it with /trace
    server_timing: dict[str, float]  # the response's Server-Timing entries, ms
    backend_spans: int  # spans of the trace in otel_traces; 0 when the backend sent none (yet)
    backend_services: list[str]
    backend_route: str | None  # http.route of the server span the call reached
    backend_ms: Number  # that server span's duration: the rest of duration_ms is network and queueing


class ResourceRow(msgspec.Struct, kw_only=True):
    type: str | None = None  # by=type
    host: str | None = None  # by=host
    third_party: int | None = None  # by=host: 1 for a third-party host
    count: int
    page_views: int
    transfer_bytes: int
    decoded_bytes: int
    cache_hit_rate: Number
    avg_duration_ms: Number
    max_duration_ms: Number


class SiteRow(msgspec.Struct):
    site: str
    name: str
