"""rumhouse's own tables as the write path fills them: each table's columns, in the order rows are
built and inserted. They must match clickhouse/ (a test checks every table's columns against them)."""

from __future__ import annotations

from typing import Literal, get_args

# Values some columns take: the beacon format accepts exactly these (ingest/schema.py), the API and
# budgets check against them. Vital names in the order the API and dashboard show them.
VitalName = Literal["LCP", "INP", "CLS", "FCP", "TTFB", "FID", "TTI"]
VITAL_NAMES: tuple[str, ...] = get_args(VitalName)
ResourceType = Literal["script", "css", "img", "font", "fetch", "other"]
RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceType)
NavigationType = Literal["navigate", "reload", "back_forward", "prerender", "restore", "soft"]

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
    ),
    "vitals": ("time", *DIMENSIONS, "name", "value", "attribution"),
    "errors": ("time", *DIMENSIONS, "kind", "message", "source", "line", "col", "stack", "count"),
    "api_calls": ("time", *DIMENSIONS, "method", "endpoint", "status", "duration_ms"),
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
    ),
    "measures": ("time", *DIMENSIONS, "name", "value", "tags"),
    "beacons": ("time", "site", "page_view_id", "seq", "last", "events"),
}
TABLES = tuple(COLUMNS)
# Tables whose rows are the visitor's events; `beacons` is our own delivery bookkeeping.
EVENT_TABLES = tuple(t for t in TABLES if t != "beacons")
