"""rumhouse's own tables as the write path fills them: each table's columns, in the order rows are
built and inserted. They must match clickhouse/ (a test checks every table's columns against them)."""

from __future__ import annotations

from typing import Literal, get_args

# Values some columns take: the beacon format accepts exactly these (ingest/schema.py), the API and
# budgets check against them. Vital names in the order the API and dashboard show them.
VitalName = Literal["LCP", "INP", "CLS", "FCP", "TTFB", "FID", "TTI", "TBT"]
VITAL_NAMES: tuple[str, ...] = get_args(VitalName)
ResourceType = Literal["script", "css", "img", "font", "fetch", "other"]
RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceType)
NavigationType = Literal["navigate", "reload", "back_forward", "prerender", "restore", "soft"]
NAVIGATION_TYPES = frozenset(get_args(NavigationType))

# The published Core Web Vitals thresholds (web.dev), one place for the API, the budgets and the
# rollups' good and poor counts (store/migrations.py writes them into the schema): name -> (good at or
# under, poor over). TTI has no published threshold.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "LCP": (2500, 4000),
    "INP": (200, 500),
    "CLS": (0.1, 0.25),
    "FCP": (1800, 3000),
    "TTFB": (800, 1800),
    "FID": (100, 300),
}


def threshold_sql(which: int, default: str) -> str:
    """multiIf(name = 'LCP', 2500, ...): the good (0) or poor (1) limit of the row's metric, `default`
    for a metric without one. Built from the constants above only, never from input."""
    cases = ", ".join(f"name = '{name}', {limits[which]}" for name, limits in THRESHOLDS.items())
    return f"multiIf({cases}, {default})"


# The page view's dimensions, copied onto every event row so that queries need no join.
DIMENSIONS = (
    "site",
    "page_view_id",
    "host",
    "path",
    "browser",
    "os",
    "device_type",
    "country",
    "connection_type",
    "release",
    "navigation_type",
)

# The dimensions a question can filter or split by: API name -> column of the raw tables. The rollups
# store the API name in their `dimension` column, one row per dimension (clickhouse/0001_page_views.sql).
DIMENSION_COLUMNS = {
    "path": "path",
    "browser": "browser",
    "os": "os",
    "device": "device_type",
    "country": "country",
    "connection": "connection_type",
    "release": "release",
}

# A vital's own columns: its value and the attribution behind it (clickhouse/0012_vital_attribution.sql).
VITAL_FIELDS = (
    "name",
    "value",
    "attribution",
    "event_type",
    "load_state",
    "ttfb_ms",
    "load_delay_ms",
    "load_duration_ms",
    "render_delay_ms",
    "resource_url",
    "input_delay_ms",
    "processing_ms",
    "presentation_ms",
    "script_url",
    "script_function",
    "script_invoker",
    "script_ms",
    "shift_value",
    "shift_time_ms",
)

# What the page says about itself, at the end of the page view's row and of every event row
# (clickhouse/0013_labels.sql).
PAGE_LABELS = ("label", "custom")

COLUMNS: dict[str, tuple[str, ...]] = {
    "page_views": (
        "time",
        *DIMENSIONS,
        "query",
        "referrer_host",
        "browser_version",
        "redirect_ms",
        "dns_ms",
        "connect_ms",
        "tls_ms",
        "server_ms",
        "download_ms",
        "render_ms",
        "load_ms",
        "transfer_size",
        "server_timing",
        "rtt",
        "downlink",
        "save_data",
        "device_memory",
        "cpu_cores",
        "viewport_width",
        "viewport_height",
        *PAGE_LABELS,
        "sample_rate",
        "trace_id",
    ),
    "vitals": ("time", *DIMENSIONS, *VITAL_FIELDS, *PAGE_LABELS),
    "vital_updates": ("time", *DIMENSIONS, *VITAL_FIELDS, "seq", "final", "received", *PAGE_LABELS),
    "errors": (
        "time",
        *DIMENSIONS,
        "kind",
        "message",
        "source",
        "line",
        "col",
        "stack",
        "count",
        *PAGE_LABELS,
    ),
    "api_calls": (
        "time",
        *DIMENSIONS,
        "method",
        "endpoint",
        "status",
        "duration_ms",
        *PAGE_LABELS,
        "trace_id",
        "server_timing",
    ),
    "resources": (
        "time",
        *DIMENSIONS,
        "type",
        "resource_host",
        "third_party",
        "count",
        "transfer_bytes",
        "encoded_bytes",
        "decoded_bytes",
        "cache_hits",
        "duration_total_ms",
        "duration_max_ms",
        "slowest_url",
        *PAGE_LABELS,
    ),
    "measures": ("time", *DIMENSIONS, "name", "value", "tags", *PAGE_LABELS),
    "websockets": (
        "time",
        *DIMENSIONS,
        "endpoint",
        "open_ms",
        "lifetime_ms",
        "close_code",
        "messages_in",
        "messages_out",
        "bytes_in",
        "bytes_out",
        *PAGE_LABELS,
    ),
    "beacons": ("time", "site", "page_view_id", "seq", "last", "events"),
}
# OpenTelemetry, in the columns of the Collector's ClickHouse exporter (clickhouse/0014_otel.sql); rows are
# built by otlp/spans.py and otlp/metrics.py.
_OTEL_METRIC = (
    "ResourceAttributes",
    "ResourceSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "ScopeDroppedAttrCount",
    "ScopeSchemaUrl",
    "ServiceName",
    "MetricName",
    "MetricDescription",
    "MetricUnit",
    "Attributes",
    "StartTimeUnix",
    "TimeUnix",
)
_OTEL_EXEMPLARS = (
    "Exemplars.FilteredAttributes",
    "Exemplars.TimeUnix",
    "Exemplars.Value",
    "Exemplars.SpanId",
    "Exemplars.TraceId",
)
COLUMNS |= {
    "otel_traces": (
        "Timestamp",
        "TraceId",
        "SpanId",
        "ParentSpanId",
        "TraceState",
        "SpanName",
        "SpanKind",
        "ServiceName",
        "ResourceAttributes",
        "ScopeName",
        "ScopeVersion",
        "SpanAttributes",
        "Duration",
        "StatusCode",
        "StatusMessage",
        "Events.Timestamp",
        "Events.Name",
        "Events.Attributes",
        "Links.TraceId",
        "Links.SpanId",
        "Links.TraceState",
        "Links.Attributes",
    ),
    "otel_metrics_gauge": (*_OTEL_METRIC, "Value", "Flags", *_OTEL_EXEMPLARS),
    "otel_metrics_sum": (
        *_OTEL_METRIC,
        "Value",
        "Flags",
        *_OTEL_EXEMPLARS,
        "AggregationTemporality",
        "IsMonotonic",
    ),
    "otel_metrics_histogram": (
        *_OTEL_METRIC,
        "Count",
        "Sum",
        "BucketCounts",
        "ExplicitBounds",
        *_OTEL_EXEMPLARS,
        "Flags",
        "Min",
        "Max",
        "AggregationTemporality",
    ),
}
# The time column of each table (partitions, retention): `time` but for the OpenTelemetry tables.
TIME_COLUMNS = {"otel_traces": "Timestamp"} | {t: "TimeUnix" for t in COLUMNS if t.startswith("otel_metrics")}
TABLES = tuple(COLUMNS)
# Tables whose rows are the visitor's events; `beacons` is our own delivery bookkeeping.
EVENT_TABLES = tuple(t for t in TABLES if t != "beacons")
