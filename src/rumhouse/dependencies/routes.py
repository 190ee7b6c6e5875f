"""The dependency routes under /api/v1/dependencies (tables, with CSV and JSON exports as every reading
route):

GET /dependencies                  per dependency and kind: callers, calls, availability, latency, and the
                                   SLA of the configuration (sla.py): met over the window, hour by hour
GET /dependencies/map              the dependency map as its edges: caller -> dependency, calls, error rate,
                                   p50/p95 (a dependency that is itself a service says so)
GET /dependencies/timeseries       calls, errors and latency per time bucket (zero-filled)
GET /dependencies/shared-failures  when several services fail together, the dependency they share

Spans come through the span rollups; the page's calls to other hosts from api_calls
(query/dependencies.py).
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec
from starlette.datastructures import QueryParams

from rumhouse.api.answer_types import Number, SpanSeriesRow
from rumhouse.api.backend import series_table
from rumhouse.api.common import LEVELS, int_param, no_page_dimensions, percentile_fields, rows
from rumhouse.api.operation import Operation
from rumhouse.api.query_types import LimitQuery, TableQuery
from rumhouse.api.routes import Endpoint, read_operation
from rumhouse.api.runtime import ApiRuntime
from rumhouse.api.table import Table
from rumhouse.dependencies.sla import SlaTable
from rumhouse.query import dependencies as dep_sql
from rumhouse.query.filters import Filters
from rumhouse.query.span_rollups import merged
from rumhouse.store.base import Store

Kind = Literal["database", "ai", "messaging", "http", "other"]


class DependencyRuntime(ApiRuntime, Protocol):
    @property
    def slas(self) -> SlaTable: ...


class DependenciesQuery(LimitQuery, kw_only=True):
    kind: Kind | None = None  # only dependencies of this kind


class DependencySeriesQuery(TableQuery, kw_only=True):
    bucket: Literal["1", "5", "15", "60"] | None = None  # minutes per point (default: at most 500 points)
    dependency: str | None = None  # only this dependency (as /dependencies names it)
    service: str | None = None  # only calls from this service ("browser": the page's)
    kind: Kind | None = None


class SharedFailuresQuery(LimitQuery, kw_only=True):
    min_services: int | None = None  # failing services a dependency must explain (default 2)


class DependencyRow(msgspec.Struct, kw_only=True):
    dependency: str  # peer.service, server.address[:port], the URL's host, or the database system
    kind: str  # database, ai, messaging, http or other
    callers: list[str]  # services that call it ("browser": the site's pages)
    calls: int
    errors: int
    availability: float  # share of calls that did not fail
    mean_ms: float
    p50_ms: Number  # 1 ms resolution
    p95_ms: Number
    p99_ms: Number
    slowest_trace_id: str  # empty when the slowest call has no trace
    sla_availability: Number  # the configured target, percent; null without one
    sla_p95_ms: Number  # the configured target; null without one
    sla_met: bool | None  # the window's figures against the targets; null without targets
    hours: int  # hours of the window with calls
    hours_met: int | None  # of them, hours whose own figures met the targets; null without targets


class MapEdgeRow(msgspec.Struct, kw_only=True):
    caller: str  # a service, or "browser"
    dependency: str
    kind: str
    dependency_is_service: bool  # the dependency's name is a service that sends spans too
    calls: int
    errors: int
    error_rate: float
    p50_ms: Number
    p95_ms: Number


class SharedFailureRow(msgspec.Struct, kw_only=True):
    dependency: str
    kind: str
    services: list[str]  # failing services with a failed call to this dependency in their failed requests
    service_count: int
    failed_requests: int  # those services' failed requests (server spans) with such a call
    failed_calls: int
    share_of_failures: float  # of all the failed requests of those services in the window
    example_trace_id: str


def _kinds_where(q: QueryParams) -> tuple[str, dict[str, str]]:
    kind = q.get("kind")
    return ("WHERE kind = {kind:String}", {"kind": kind}) if kind else ("", {})


def dependencies(store: Store, f: Filters, q: QueryParams, slas: SlaTable) -> Table:
    no_page_dimensions(f, "dependencies")
    limit = int_param(q, "limit", 100, 1, 1000)
    kind_where, kind_params = _kinds_where(q)
    parts, times = dep_sql.dependency_parts(f, {})
    parts = f"SELECT * FROM ({parts}) {kind_where}"
    params = {**times, **kind_params}
    callers = {
        (d, k): sorted(c)
        for d, k, c in rows(
            store, f"SELECT dependency, kind, groupUniqArray(toString(service)) FROM ({parts}) GROUP BY dependency, kind",
            f, params,
        )
    }  # fmt: skip
    # Hour by hour, for the SLA's compliance: each hour's own availability and p95.
    hourly = f"SELECT *, toStartOfHour(t) AS b FROM ({parts})"
    by_hour: dict[tuple[str, str], list[tuple[float, float | None]]] = {}
    for d, k, _, n, errors, _, _, qs in rows(
        store, merged(hourly, ["dependency", "kind", "b"], "0.95"), f, params
    ):
        by_hour.setdefault((d, k), []).append((1 - int(errors) / int(n), qs[0] if qs else None))
    out = []
    for d, k, n, errors, total, slowest, qs in rows(
        store, merged(parts, ["dependency", "kind"], LEVELS), f, params
    ):
        n, errors = int(n), int(errors)
        fields = percentile_fields(qs)
        availability = 1 - errors / n
        sla = slas.find(d)
        hours = by_hour.get((d, k), [])
        out.append(
            {
                "dependency": d,
                "kind": k,
                "callers": callers.get((d, k), []),
                "calls": n,
                "errors": errors,
                "availability": availability,
                "mean_ms": total / n,
                "p50_ms": fields["p50"],
                "p95_ms": fields["p95"],
                "p99_ms": fields["p99"],
                "slowest_trace_id": slowest or "",
                "sla_availability": sla.availability if sla else None,
                "sla_p95_ms": sla.p95_ms if sla else None,
                "sla_met": sla.met(availability, fields["p95"]) if sla else None,
                "hours": len(hours),
                "hours_met": sum(1 for a, p95 in hours if sla.met(a, p95)) if sla else None,
            }
        )
    out.sort(key=lambda r: (-r["calls"], r["dependency"], r["kind"]))
    return Table(list(DependencyRow.__struct_fields__), out[:limit], "rollup")


def dependency_map(store: Store, f: Filters, q: QueryParams) -> Table:
    no_page_dimensions(f, "dependencies")
    limit = int_param(q, "limit", 500, 1, 5000)
    parts, times = dep_sql.dependency_parts(f, {})
    # The services that served requests in the hours the window touches (the hourly server rollup: a name
    # check, which the raw spans of 30 days would answer 2-3 times slower).
    services = {
        str(s)
        for (s,) in rows(
            store,
            "SELECT DISTINCT toString(service) FROM rumhouse.otel_server_hourly WHERE site = {site:String}"
            " AND hour >= toStartOfHour({start:DateTime64(3, 'UTC')}) AND hour < {end:DateTime64(3, 'UTC')}",
            f,
        )
    }
    out = []
    for caller, d, k, n, errors, _, _, qs in rows(
        store, merged(parts, ["service", "dependency", "kind"], "0.5, 0.95"), f, times
    ):
        n, errors = int(n), int(errors)
        out.append(
            {
                "caller": caller,
                "dependency": d,
                "kind": k,
                "dependency_is_service": d in services,
                "calls": n,
                "errors": errors,
                "error_rate": errors / n,
                "p50_ms": qs[0] if qs else None,
                "p95_ms": qs[1] if qs else None,
            }
        )
    out.sort(key=lambda r: (-r["calls"], r["caller"], r["dependency"]))
    return Table(list(MapEdgeRow.__struct_fields__), out[:limit], "rollup")


def dependency_series(store: Store, f: Filters, q: QueryParams) -> Table:
    """One dependency's (or all) calls over time: count, errors, error rate, mean and percentiles."""
    return series_table(
        store,
        f,
        q,
        ("dependency", "service", "kind"),
        lambda where, hourly: dep_sql.dependency_parts(f, where, hourly=hourly),
    )


def shared_failures(store: Store, f: Filters, q: QueryParams) -> Table:
    no_page_dimensions(f, "dependencies")
    limit = int_param(q, "limit", 20, 1, 1000)
    least = int_param(q, "min_services", 2, 1, 1000)
    failed = {s: int(n) for s, n in rows(store, dep_sql.failed_requests_sql(f), f)}
    out = []
    for d, k, services, requests, calls, trace in rows(
        store, dep_sql.shared_failures_sql(f), f, {"min_services": least, "limit": limit}
    ):
        of_all = sum(failed.get(s, 0) for s in services)
        out.append(
            {
                "dependency": d,
                "kind": k,
                "services": list(services),
                "service_count": len(services),
                "failed_requests": int(requests),
                "failed_calls": int(calls),
                "share_of_failures": int(requests) / of_all if of_all else 0.0,
                "example_trace_id": trace,
            }
        )
    return Table(list(SharedFailureRow.__struct_fields__), out, "raw", {"min_services": least})


def dependency_operations(runtime: DependencyRuntime) -> list[Operation]:
    endpoints = [
        Endpoint(
            "/dependencies",
            "dependencies",
            "What the services (client spans) and the pages (calls to other hosts) call, per dependency and"
            " kind: callers, calls, errors, availability, mean and p50/p95/p99 in ms, the slowest call's"
            " trace, and the configured SLA (availability, p95): met over the window, and hour by hour",
            lambda store, f, q: dependencies(store, f, q, runtime.slas),
            DependenciesQuery,
            DependencyRow,
        ),
        Endpoint(
            "/dependencies/map",
            "dependencies-map",
            "The dependency map as edges, caller (a service, or browser for the pages) to dependency: calls,"
            " errors, error rate, p50/p95",
            dependency_map,
            LimitQuery,
            MapEdgeRow,
        ),
        Endpoint(
            "/dependencies/timeseries",
            "dependencies-timeseries",
            "Calls to dependencies over time in 1, 5, 15 or 60-minute buckets (empty ones as zero calls):"
            " calls, errors, error rate, mean and percentiles; of one dependency, caller or kind if asked",
            dependency_series,
            DependencySeriesQuery,
            SpanSeriesRow,
        ),
        Endpoint(
            "/dependencies/shared-failures",
            "dependencies-shared-failures",
            "When several services fail together, the dependency they share: per dependency, the services"
            " whose failed requests made a failed call to it, those requests and their share of the"
            " services' failures, an example trace",
            shared_failures,
            SharedFailuresQuery,
            SharedFailureRow,
        ),
    ]
    return [read_operation(runtime, e) for e in endpoints]
