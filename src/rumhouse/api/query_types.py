"""The query parameters of the reading routes, as types: what the OpenAPI document shows and what each
route's query is decoded into (400 when a value does not fit). `Filters.parse` (filters.py) then reads
the window and the dimensions from them."""

from __future__ import annotations

from typing import Literal

import msgspec

from rumhouse.tables import VitalName


class WindowQuery(msgspec.Struct, kw_only=True):
    """A site, a time window and page dimensions: what every reading route takes."""

    site: str | None = None  # may be left out when the token reads exactly one site
    range: Literal["1h", "6h", "24h", "7d", "30d"] | None = None  # ending now (1h, 6h) or at the next hour
    from_: str | None = msgspec.field(default=None, name="from")  # ISO 8601 or ms since epoch, with `to`
    to: str | None = None  # the window's end, exclusive
    path: str | None = None  # only page views with this path
    browser: str | None = None
    os: str | None = None
    device: str | None = None
    country: str | None = None
    connection: str | None = None
    release: str | None = None


class TableQuery(WindowQuery, kw_only=True):
    """A reading route that answers a table."""

    source: Literal["auto", "raw", "rollup"] = "auto"  # auto: the rollups when they can answer
    format: Literal["json", "csv"] = "json"


Dimension = Literal["path", "browser", "os", "device", "country", "connection", "release"]
Percentile = Literal[50, 75, 95, 99]


class LimitQuery(TableQuery, kw_only=True):
    limit: int | None = None  # most rows to return


class MetricQuery(LimitQuery, kw_only=True):
    metric: VitalName = "LCP"


class AttributionQuery(MetricQuery, kw_only=True):
    by: Literal["element", "url", "script", "invoker", "event", "load_state"] = "element"


class EndpointsQuery(LimitQuery, kw_only=True):
    service: str | None = None  # one service (default: all)


class StatementsQuery(LimitQuery, kw_only=True):
    slow_ms: int | None = None  # a call over this many ms is slow (default 100; whole ms)


class TracedCallsQuery(LimitQuery, kw_only=True):
    endpoint: str | None = None  # one endpoint, as /api-calls shows it (host/path)


class HostSeriesQuery(TableQuery, kw_only=True):
    host: str | None = None  # required: a host as /hosts names it
    bucket: int | None = None  # seconds per point; 0: every point as sent (default up to 6 hours)


class SpanSeriesQuery(TableQuery, kw_only=True):
    bucket: Literal["1", "5", "15", "60"] | None = None  # minutes per point (default: at most 500 points)
    service: str | None = None  # only this service
    method: str | None = None  # server series: only this HTTP method
    route: str | None = None  # server series: only this route
    system: str | None = None  # database series: only this system
    query: str | None = None  # database series: only this statement (as the statements route shows it)


class NPlusOneQuery(LimitQuery, kw_only=True):
    min_runs: int | None = None  # runs of one statement in one request that make it N+1 (default 5)


class TraceQuery(TableQuery, kw_only=True):
    # 32 hex digits; required, but checked by the handler, after the site: a token of another site
    # learns 403 and nothing about what it asked.
    trace_id: str | None = None


class SplitQuery(MetricQuery, kw_only=True):
    by: Dimension = "path"


class TimeseriesQuery(TableQuery, kw_only=True):
    metric: VitalName | None = None  # one metric (default: all)
    percentile: Percentile = 75
    bucket: int | None = None  # seconds (default: from the window)


class CompareQuery(TableQuery, kw_only=True):
    release_a: str | None = None  # baseline release
    release_b: str | None = None  # release to compare
    a_from: str | None = None  # baseline period
    a_to: str | None = None
    b_from: str | None = None  # compared period
    b_to: str | None = None


class NavigationQuery(LimitQuery, kw_only=True):
    by: Dimension | None = None  # overall, or per value of this dimension


class ResourcesQuery(LimitQuery, kw_only=True):
    by: Literal["type", "host"] = "type"
    third_party: Literal["0", "1"] | None = None  # 1: third-party hosts only; 0: first-party only
