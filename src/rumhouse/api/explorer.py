"""The page-view explorer (query/explorer.py): from any selection to the page views behind it, and from a
page view to its whole record.

GET /page-views        the window's page views under the filters, narrowed by a metric's rating or range,
                       an API endpoint they called, an error they had; worst first for the metric asked
GET /page-views/{id}   one page view: its row (navigation breakdown, Server-Timing, context) and every
                       event it sent: vitals with their attribution, API calls (with trace ids), errors,
                       resources, measures, WebSockets
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from starlette.datastructures import QueryParams

from rumhouse.api.access import ApiError
from rumhouse.api.answer_types import Number
from rumhouse.api.common import float_param, int_param, iso_time, rows
from rumhouse.api.filters import ParamError
from rumhouse.api.operation import Call, Operation
from rumhouse.api.query_types import LimitQuery, WindowQuery
from rumhouse.api.routes import Endpoint, read_operation, resolve_site
from rumhouse.api.runtime import ApiRuntime
from rumhouse.api.table import Table
from rumhouse.query import explorer as sql
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store


class PageViewsQuery(LimitQuery, kw_only=True):
    metric: Literal["LCP", "INP", "CLS", "FCP", "TTFB"] | None = (
        None  # order by it (worst first), narrow by it
    )
    rating: Literal["good", "needs-improvement", "poor"] | None = None  # of `metric`
    min: float | None = None  # `metric` at least this (ms, or the CLS score)
    max: float | None = None  # `metric` at most this
    endpoint: str | None = (
        None  # page views that called this API endpoint (host/path, as /api-calls names it)
    )
    error: str | None = None  # page views that had this error (its fingerprint, as /errors gives it)


class PageViewListRow(msgspec.Struct, kw_only=True):
    page_view_id: str
    time: str
    path: str
    browser: str
    os: str
    device_type: str
    country: str
    release: str
    navigation_type: str
    label: str
    trace_id: str  # the document's backend trace, when the page named it
    lcp: Number  # null: not measured in this page view
    inp: Number
    cls: Number
    fcp: Number
    ttfb: Number


class PageViewRecord(msgspec.Struct, kw_only=True):
    page_view_id: str
    site: str
    page_view: dict[
        str, Any
    ]  # the page view's row: dimensions, navigation phases (ms), Server-Timing, context
    vitals: list[dict[str, Any]]  # with their attribution (LCP element and parts, INP target and phases, ...)
    api_calls: list[dict[str, Any]]  # with trace_id (open it with /trace) and Server-Timing
    errors: list[dict[str, Any]]
    resources: list[dict[str, Any]]  # per type and host, summed per beacon
    measures: list[dict[str, Any]]
    websockets: list[dict[str, Any]]


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if key == "time" or key.endswith("_time"):
            value = iso_time(value)
        elif isinstance(value, float) and value != value:  # NaN: not known
            value = None
        out[key] = value
    return out


def page_views(store: Store, f: Filters, q: QueryParams) -> Table:
    limit = int_param(q, "limit", 100, 1, 1000)
    metric = q.get("metric")
    conditions: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    if (q.get("rating") or q.get("min") or q.get("max")) and not metric:
        raise ParamError("rating, min and max need a metric")
    if metric:
        column = metric.lower()
        conditions.append(f"{column} IS NOT NULL")
        if q.get("rating"):
            conditions.append(sql.rating_sql(metric, q["rating"]))
        for name, op in (("min", ">="), ("max", "<=")):
            if q.get(name) is not None:
                params[f"m_{name}"] = float_param(q, name, 0.0, -1e12, 1e12)
                conditions.append(f"{column} {op} {{m_{name}:Float64}}")
    if q.get("endpoint"):
        conditions.append(sql.having_sql(f, "endpoint"))
        params["endpoint"] = q["endpoint"]
    if q.get("error"):
        fingerprint = q["error"]
        if not fingerprint.isdigit() or int(fingerprint) >= 2**64:
            raise ParamError("error is an error's fingerprint, as /errors gives it (digits)")
        conditions.append(sql.having_sql(f, "error"))
        params["fingerprint"] = int(fingerprint)
    # Worst first for the metric asked (CLS, like the others, is worse higher); else the newest first.
    # The page view's id last: ties (a value and a time shared) in one order on every ask.
    order = f"{metric.lower()} DESC, p.time DESC, p.page_view_id" if metric else "p.time DESC, p.page_view_id"
    found = rows(store, sql.list_sql(f, conditions, order), f, params)
    out = [_json_ready(dict(zip(sql.LIST_COLUMNS, row, strict=True))) for row in found]
    return Table(list(sql.LIST_COLUMNS), out, "raw", {"metric": metric})


def record(store: Store, site: str, page_view_id: str) -> dict[str, Any]:
    params = {"site": site, "id": page_view_id}

    def read(table: str) -> list[dict[str, Any]]:
        found = store.query(sql.record_sql(table), params, readonly=True).rows
        return [_json_ready(dict(zip(sql.RECORD_COLUMNS[table], row, strict=True))) for row in found]

    views = read("page_views")
    if not views:
        raise ApiError(404, "not_found", f"no page view {page_view_id} on this site")
    return {
        "page_view_id": page_view_id,
        "site": site,
        "page_view": views[0],
        **{table: read(table) for table in sql.EVENT_TABLES},
    }


def explorer_operations(runtime: ApiRuntime) -> list[Operation]:
    def one(call: Call) -> PageViewRecord:
        site = resolve_site(call)
        page_view_id = call.path["id"]
        if not 1 <= len(page_view_id) <= 64:
            raise ParamError("a page view id has 1 to 64 characters")
        found = record(runtime.store, site, page_view_id)
        call.audit(site=site)
        return msgspec.convert(found, PageViewRecord)

    listing = Endpoint(
        "/page-views",
        "page-views",
        "The page views behind a selection: the window and page filters, a metric's rating or range"
        " (worst first), an API endpoint they called, an error they had; each with its vitals",
        page_views,
        PageViewsQuery,
        PageViewListRow,
    )
    return [
        read_operation(runtime, listing),
        Operation(
            "GET",
            "/page-views/{id}",
            "page_view",
            "One page view's whole record: its row (navigation breakdown, Server-Timing, context) and every"
            " event it sent (vitals with attribution, API calls with their traces, errors, resources,"
            " measures, WebSockets)",
            one,
            WindowQuery,
            answer=PageViewRecord,
            errors=(400, 404, 503),
        ),
    ]
