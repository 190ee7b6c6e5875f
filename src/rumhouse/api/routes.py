"""The read routes under /api/v1/: one table of endpoints, one wrapper that does for each of them
what every route must do (token, site scope, filters, format), and the OpenAPI description of each.

A request goes: token (401) -> site in the token's scope (403) -> parameters (400) -> query -> JSON or CSV.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rumhouse.api import events, navigation, vitals
from rumhouse.api.access import Access, forbidden, problem
from rumhouse.api.filters import DIMENSIONS, Filters, ParamError
from rumhouse.api.table import FORMATS, Table, render
from rumhouse.api.thresholds import METRICS, PERCENTILES
from rumhouse.store.base import Store, StoreError

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    enum: tuple = ()
    type: str = "string"


@dataclass(frozen=True)
class Endpoint:
    path: str
    name: str  # names the export file, and the OpenAPI operation
    summary: str
    handler: Callable[[Store, Filters, QueryParams], Table]
    params: tuple[Param, ...] = field(default=())


METRIC = Param("metric", "Metric (default LCP)", METRICS)
BY = Param("by", "Dimension to split by", tuple(DIMENSIONS))
LIMIT = Param("limit", "Most rows to return", type="integer")

ENDPOINTS = (
    Endpoint(
        "/vitals/summary",
        "vitals-summary",
        "p50, p75, p95, p99, sample count and good / needs-improvement / poor shares per metric",
        vitals.summary,
    ),
    Endpoint(
        "/vitals/timeseries",
        "vitals-timeseries",
        "One percentile per metric per time bucket, with the samples of each bucket",
        vitals.timeseries,
        (
            Param("metric", "One metric (default: all)", METRICS),
            Param("percentile", "Percentile (default 75)", PERCENTILES, "integer"),
            Param("bucket", "Bucket, seconds (default: from the window)", vitals.BUCKETS, "integer"),
        ),
    ),
    Endpoint(
        "/vitals/split", "vitals-split", "A metric split by one dimension", vitals.split, (METRIC, BY, LIMIT)
    ),
    Endpoint(
        "/vitals/compare",
        "vitals-compare",
        "Two periods (a_from/a_to vs b_from/b_to, default: the window before vs the window) or two"
        " releases (release_a vs release_b), per metric, with sample counts",
        vitals.compare,
        (
            Param("release_a", "Baseline release"),
            Param("release_b", "Release to compare"),
            Param("a_from", "Baseline period start"),
            Param("a_to", "Baseline period end"),
            Param("b_from", "Compared period start"),
            Param("b_to", "Compared period end"),
        ),
    ),
    Endpoint(
        "/pages",
        "pages",
        "Paths ranked by impact: page views x how far p75 is over the good threshold",
        vitals.pages,
        (METRIC, LIMIT),
    ),
    Endpoint(
        "/navigation",
        "navigation",
        "Navigation breakdown (DNS, connect, TLS, server, download, render, load) as percentiles, overall"
        " or per value of a dimension (by=path)",
        navigation.breakdown,
        (Param("by", "Dimension, e.g. path (default: overall)", tuple(DIMENSIONS)), LIMIT),
    ),
    Endpoint(
        "/errors",
        "errors",
        "Errors grouped by fingerprint: occurrences, page views affected, first and last seen, a sample"
        " stack",
        events.errors,
        (LIMIT,),
    ),
    Endpoint(
        "/api-calls",
        "api-calls",
        "fetch/XHR endpoints seen by browsers: calls, p50/p95/p99 duration, error rate",
        events.api_calls,
        (LIMIT,),
    ),
    Endpoint(
        "/resources",
        "resources",
        "Resources by type or by host (third-party flag): bytes, duration, cache-hit rate",
        events.resources,
        (
            Param("by", "type (default) or host", ("type", "host")),
            Param("third_party", "1: third-party hosts only; 0: first-party only", ("0", "1")),
            LIMIT,
        ),
    ),
)

COMMON_PARAMS = (
    Param("site", "Site key; may be left out when the token reads exactly one site"),
    Param(
        "range",
        "Time window ending now (1h, 6h) or at the next whole hour (24h, 7d, 30d); default 24h",
        ("1h", "6h", "24h", "7d", "30d"),
    ),
    Param("from", "Window start (ISO 8601 or ms since epoch); with to, instead of range"),
    Param("to", "Window end, exclusive"),
    *[Param(name, f"Only page views with this {name}") for name in DIMENSIONS],
    Param(
        "source",
        "auto (default: the hourly rollup when it can answer), raw or rollup",
        ("auto", "raw", "rollup"),
    ),
    Param("format", "json (default) or csv", FORMATS),
)


def resolve_site(request: Request, who) -> str | Response:
    site = request.query_params.get("site")
    if not site:
        if len(who.sites) == 1:
            return who.sites[0]
        return problem(400, "bad_request", "site is required")
    if not who.may_read(site):
        return forbidden(f"this token may not read site {site!r}")
    return site


def endpoint_route(runtime, access: Access, endpoint: Endpoint) -> Route:
    async def handle(request: Request) -> Response:
        who = await access.principal(request)
        if isinstance(who, Response):
            return who
        site = resolve_site(request, who)
        if isinstance(site, Response):
            return site
        q = request.query_params
        fmt = q.get("format", "json")
        try:
            if fmt not in FORMATS:
                raise ParamError("format must be json or csv")
            filters = Filters.parse(q, site)
            table = await anyio.to_thread.run_sync(endpoint.handler, runtime.store, filters, q)
        except ParamError as exc:
            return problem(400, "bad_request", str(exc))
        except StoreError as exc:
            return problem(503, "store_unavailable", str(exc))
        request.state.audit_site, request.state.audit_rows = site, len(table.rows)
        return render(table, fmt, name=endpoint.name, filters=filters.describe())

    return Route(PREFIX + endpoint.path, handle, methods=["GET"], name=endpoint.name)


def sites_route(runtime, access: Access) -> Route:
    async def sites(request: Request) -> Response:
        who = await access.principal(request)
        if isinstance(who, Response):
            return who
        rows = [
            {"site": key, "name": getattr(site, "name", key) or key}
            for key, site in runtime.sites.by_key.items()
            if who.may_read(key)
        ]
        # A scoped token also reads sites that are not (or no longer) in the config file.
        known = {row["site"] for row in rows}
        rows += [{"site": key, "name": key} for key in who.sites if key not in known]
        table = Table(["site", "name"], rows, "config", {"role": who.role})
        request.state.audit_rows = len(rows)
        return render(table, request.query_params.get("format", "json"), name="sites", filters={})

    return Route(PREFIX + "/sites", sites, methods=["GET"], name="sites")


def data_routes(runtime, access: Access) -> list[Route]:
    return [endpoint_route(runtime, access, e) for e in ENDPOINTS] + [sites_route(runtime, access)]
