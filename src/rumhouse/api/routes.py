"""The read operations under /api/v1/: one table of endpoints, each a query type, a row type and a
function that answers a `Table` from the store and the filters; `read_operation` makes each an
`Operation` (api/operation.py), which does what every route does (token, types, errors, format).

A request goes: token (401) -> query types (400) -> site in the token's scope (403) -> filters (400)
-> query -> JSON or CSV.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import QueryParams

from rumhouse.api import attribution, backend, events, hosts, navigation, vitals, websockets
from rumhouse.api.access import ApiError
from rumhouse.api.answer_types import (
    ApiCallRow,
    AttributionRow,
    CompareRow,
    CruxRow,
    EndpointRow,
    ErrorRow,
    HistogramRow,
    HostPointRow,
    HostRow,
    IndexCandidateRow,
    MeasureRow,
    NavigationRow,
    NPlusOneRow,
    PageRow,
    PoolRow,
    ReleaseRow,
    ResourceRow,
    ServerTimingRow,
    SiteRow,
    SlowCallRow,
    SpanSeriesRow,
    SplitRow,
    StatementRow,
    SummaryRow,
    TimeseriesRow,
    TracedCallRow,
    TraceSpanRow,
    WebSocketRow,
    WebSocketServerRow,
)
from rumhouse.api.filters import parse_filters
from rumhouse.api.operation import Call, Operation
from rumhouse.api.query_types import (
    AttributionQuery,
    CompareQuery,
    EndpointsQuery,
    HostSeriesQuery,
    LimitQuery,
    MetricQuery,
    NavigationQuery,
    NPlusOneQuery,
    ResourcesQuery,
    SpanSeriesQuery,
    SplitQuery,
    StatementsQuery,
    TableQuery,
    TimeseriesQuery,
    TracedCallsQuery,
    TraceQuery,
)
from rumhouse.api.runtime import ApiRuntime
from rumhouse.api.table import TABLE_EXPORTS, Table, table_of
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store


@dataclass(frozen=True)
class Endpoint:
    path: str
    name: str  # names the export file, and the OpenAPI operation
    summary: str
    handler: Callable[[Store, Filters, QueryParams], Table]
    query: type
    row: type


ENDPOINTS = (
    Endpoint(
        "/server/endpoints",
        "server-endpoints",
        "Backend endpoints from OpenTelemetry server spans, per service, method and route: requests, per"
        " second, errors and error rate, mean and p50/p75/p95/p99 in ms (1 ms resolution), the slowest"
        " request's trace, and the trend against the window just before",
        backend.endpoints,
        EndpointsQuery,
        EndpointRow,
    ),
    Endpoint(
        "/server/timeseries",
        "server-timeseries",
        "Server spans over time in 1, 5, 15 or 60-minute buckets (empty ones as zero requests): requests,"
        " errors, error rate, mean and percentiles; of one service, method or route if asked",
        backend.server_series,
        SpanSeriesQuery,
        SpanSeriesRow,
    ),
    Endpoint(
        "/database/statements",
        "database-statements",
        "Database statements from OpenTelemetry client spans (db.query.summary, or the text with literals"
        " replaced by ?) per system, database and service: calls, total time and its share of request"
        " time, calls over slow_ms, the slowest call's trace, p50/p75/p95/p99 in ms",
        backend.statements,
        StatementsQuery,
        StatementRow,
    ),
    Endpoint(
        "/database/timeseries",
        "database-timeseries",
        "Database spans over time in 1, 5, 15 or 60-minute buckets: calls, errors, mean and percentiles;"
        " of one service, system or statement if asked",
        backend.database_series,
        SpanSeriesQuery,
        SpanSeriesRow,
    ),
    Endpoint(
        "/database/n-plus-one",
        "database-n-plus-one",
        "N+1 queries: a statement run min_runs (default 5) or more times inside one request, per statement:"
        " requests affected, most and average runs, time, route, an example trace",
        backend.n_plus_one,
        NPlusOneQuery,
        NPlusOneRow,
    ),
    Endpoint(
        "/database/slow-calls",
        "database-slow-calls",
        "The slow-query list: each database call over slow_ms (default 100), slowest first, with its"
        " statement (without its values), trace id and the route of the request it ran in",
        backend.slow_calls,
        StatementsQuery,
        SlowCallRow,
    ),
    Endpoint(
        "/database/pools",
        "database-pools",
        "Database connection pools from the db.client.connection.* metrics, per service and pool: maximum,"
        " connections in use (peak, average, last), use as a share of the maximum, the share of observations"
        " at 90% or more, peak pending requests",
        backend.pools,
        TableQuery,
        PoolRow,
    ),
    Endpoint(
        "/database/index-candidates",
        "database-index-candidates",
        "Columns that slow statements (over slow_ms) filter, join or sort on, per table, with the slow calls"
        " and the time they cost: where an index may help",
        backend.index_candidates,
        StatementsQuery,
        IndexCandidateRow,
    ),
    Endpoint(
        "/api-calls/traced",
        "api-calls-traced",
        "The page's slowest fetch/XHR calls with a trace id (data-trace-origins, or Server-Timing), each with"
        " what its backend trace holds: spans, services, the server span's route and duration",
        backend.traced_calls,
        TracedCallsQuery,
        TracedCallRow,
    ),
    Endpoint(
        "/hosts",
        "hosts",
        "Hosts from OpenTelemetry host and process metrics (system.cpu.utilization, system.memory.*,"
        " process.*): CPU and memory use last, mean and highest in the window, memory used, the process's"
        " CPU and memory",
        hosts.hosts,
        TableQuery,
        HostRow,
    ),
    Endpoint(
        "/hosts/timeseries",
        "hosts-timeseries",
        "One host's CPU and memory over time: every point as sent (10 s by default), or per bucket",
        hosts.host_series,
        HostSeriesQuery,
        HostPointRow,
    ),
    Endpoint(
        "/websockets",
        "websockets",
        "The page's WebSocket connections per endpoint (the WebSocket add-on, rum-ws.js): connections,"
        " opened, never opened, open when the page was left, abnormal closes, time to open and lifetime"
        " p50/p95, messages and bytes in and out, throughput, close codes",
        websockets.endpoints,
        LimitQuery,
        WebSocketRow,
    ),
    Endpoint(
        "/websockets/servers",
        "websockets-servers",
        "Connections servers hold, from the gauge websocket.connections (OTLP), per host: last, mean,"
        " highest in the window",
        websockets.servers,
        TableQuery,
        WebSocketServerRow,
    ),
    Endpoint(
        "/trace",
        "trace",
        "One trace's spans as a waterfall (depth first, start and duration in ms), and where its time went:"
        " database_ms, outbound_ms, application_ms",
        backend.trace,
        TraceQuery,
        TraceSpanRow,
    ),
    Endpoint(
        "/vitals/summary",
        "vitals-summary",
        "p50, p75, p95, p99, sample count and good / needs-improvement / poor shares per metric",
        vitals.summary,
        TableQuery,
        SummaryRow,
    ),
    Endpoint(
        "/vitals/timeseries",
        "vitals-timeseries",
        "One percentile per metric per time bucket, with the samples of each bucket",
        vitals.timeseries,
        TimeseriesQuery,
        TimeseriesRow,
    ),
    Endpoint(
        "/vitals/split", "vitals-split", "A metric split by one dimension", vitals.split, SplitQuery, SplitRow
    ),
    Endpoint(
        "/vitals/compare",
        "vitals-compare",
        "Two periods (a_from/a_to vs b_from/b_to, default: the window before vs the window) or two"
        " releases (release_a vs release_b), per metric, with sample counts",
        vitals.compare,
        CompareQuery,
        CompareRow,
    ),
    Endpoint(
        "/releases",
        "releases",
        "The releases seen in the window, in the order they appeared: first and last seen, page views",
        vitals.releases,
        LimitQuery,
        ReleaseRow,
    ),
    Endpoint(
        "/vitals/crux",
        "vitals-crux",
        "p75 per metric as the Chrome UX Report would count it (Chrome on desktop and Android, the 28 days"
        " ending with the window) beside every page view's, with notes on what makes them differ",
        vitals.crux_view,
        TableQuery,
        CruxRow,
    ),
    Endpoint(
        "/measures",
        "measures",
        "The page's custom measures (rumhouse.measure) per name: count, page views, mean, p50/p75/p95",
        events.measures,
        LimitQuery,
        MeasureRow,
    ),
    Endpoint(
        "/server-timing",
        "server-timing",
        "The documents' Server-Timing entries per path and name: page views, p50/p75/p95 of the duration (ms)",
        events.server_timing,
        LimitQuery,
        ServerTimingRow,
    ),
    Endpoint(
        "/vitals/histogram",
        "vitals-histogram",
        "How one metric's values spread: 40 fixed bins with count, share and rating band; the thresholds and"
        " samples beside them",
        vitals.histogram,
        MetricQuery,
        HistogramRow,
    ),
    Endpoint(
        "/vitals/attribution",
        "vitals-attribution",
        "Why a metric is what it is: its samples grouped by the element, the LCP image, the script, the"
        " event type or the loading state (by=), with each group's share, p75 and the p75 of each part",
        attribution.attribution,
        AttributionQuery,
        AttributionRow,
    ),
    Endpoint(
        "/pages",
        "pages",
        "Paths ranked by impact: page views x how far p75 is over the good threshold",
        vitals.pages,
        MetricQuery,
        PageRow,
    ),
    Endpoint(
        "/navigation",
        "navigation",
        "Navigation breakdown (DNS, connect, TLS, server, download, render, load) as percentiles, overall"
        " or per value of a dimension (by=path)",
        navigation.breakdown,
        NavigationQuery,
        NavigationRow,
    ),
    Endpoint(
        "/errors",
        "errors",
        "Errors grouped by fingerprint: occurrences, page views affected, first and last seen, a sample"
        " stack",
        events.errors,
        LimitQuery,
        ErrorRow,
    ),
    Endpoint(
        "/api-calls",
        "api-calls",
        "fetch/XHR endpoints seen by browsers: calls, p50/p95/p99 duration, error rate",
        events.api_calls,
        LimitQuery,
        ApiCallRow,
    ),
    Endpoint(
        "/resources",
        "resources",
        "Resources by type or by host (third-party flag): bytes, duration, cache-hit rate",
        events.resources,
        ResourcesQuery,
        ResourceRow,
    ),
)


def resolve_site(call: Call) -> str:
    """The site asked for, or the token's only site; 403 for a site outside the token's scope."""
    site = call.query.site
    if not site:
        if len(call.who.sites) == 1:
            return call.who.sites[0]
        raise ApiError(400, "bad_request", "site is required")
    call.reader_of(site)
    return site


def read_operation(runtime: ApiRuntime, endpoint: Endpoint) -> Operation:
    def answer(call: Call) -> Table:
        site = resolve_site(call)
        filters = parse_filters(call.params, site)
        table = endpoint.handler(runtime.store, filters, call.params)
        table.filters = filters.describe()
        call.audit(site=site)
        return table

    return Operation(
        "GET",
        endpoint.path,
        endpoint.name,
        endpoint.summary,
        answer,
        endpoint.query,
        answer=table_of(endpoint.row),
        exports=TABLE_EXPORTS,
        errors=(400, 503),
    )


def sites_operation(runtime: ApiRuntime) -> Operation:
    def sites(call: Call) -> Table:
        who = call.who
        rows = [
            {"site": key, "name": getattr(site, "name", key) or key}
            for key, site in runtime.sites.by_key.items()
            if who.may_read(key)
        ]
        # A scoped token also reads sites that are not (or no longer) in the config file; a token of
        # every site, the sites whose data the store holds (the daily page-view rollup: a few rows).
        known = {row["site"] for row in rows}
        others = list(who.sites)
        if who.unscoped:
            held = runtime.store.query(
                "SELECT DISTINCT site FROM rumhouse.page_views_daily ORDER BY site", readonly=True
            ).rows
            others = [str(site) for (site,) in held]
        rows += [{"site": key, "name": key} for key in others if key not in known]
        return Table(["site", "name"], rows, "config", {"role": who.role})

    return Operation(
        "GET",
        "/sites",
        "sites",
        "Sites this token may read",
        sites,
        answer=table_of(SiteRow),
        exports=TABLE_EXPORTS,
    )


def read_operations(runtime: ApiRuntime) -> list[Operation]:
    return [read_operation(runtime, e) for e in ENDPOINTS] + [sites_operation(runtime)]
