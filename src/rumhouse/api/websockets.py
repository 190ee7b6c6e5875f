"""WebSockets (query/websockets.py): the page's sockets per endpoint (opened, failed, time to open,
lifetime, close codes, messages and bytes, throughput), and the connections servers hold (a gauge)."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from rumhouse.api.common import int_param, iso_time, no_page_dimensions, rows
from rumhouse.api.table import Table
from rumhouse.query import websockets as ws_sql
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store

SERVER_COLUMNS = ("host", "connections_last", "connections_mean", "connections_max", "points", "last_seen")


def endpoints(store: Store, f: Filters, q: QueryParams) -> Table:
    limit = int_param(q, "limit", 100, 1, 1000)
    out = []
    for row in rows(store, ws_sql.endpoints_sql(f), f, {"limit": limit}):
        entry = dict(zip(ws_sql.ENDPOINT_COLUMNS, row, strict=True))
        for key in ("connections", "page_views", "opened", "never_opened", "open_at_exit", "abnormal_closes"):
            entry[key] = int(entry[key])
        for key in ("messages_in", "messages_out", "bytes_in", "bytes_out"):
            entry[key] = int(entry[key])
        if not entry["opened"]:  # no socket opened: no time to open
            entry["connect_p50_ms"] = entry["connect_p95_ms"] = None
        entry["close_codes"] = {str(k): int(v) for k, v in entry["close_codes"].items()}
        out.append(entry)
    return Table(list(ws_sql.ENDPOINT_COLUMNS), out, "raw")


def servers(store: Store, f: Filters, q: QueryParams) -> Table:
    no_page_dimensions(f, "server metrics")
    out = [
        {
            "host": host,
            "connections_last": last,
            "connections_mean": mean,
            "connections_max": most,
            "points": int(points),
            "last_seen": iso_time(seen),
        }
        for host, last, mean, most, points, seen in rows(store, ws_sql.servers_sql(f), f)
    ]
    return Table(list(SERVER_COLUMNS), out, "raw", {"metric": ws_sql.CONNECTIONS_METRIC})
