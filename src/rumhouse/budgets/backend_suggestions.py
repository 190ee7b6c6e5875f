"""Suggestions from the backend's OpenTelemetry data, each with its evidence and an impact (a share
between 0 and 1 of the time or capacity it is about), ranked with the page's suggestions (suggestions.py):

- N+1: a statement run 5 or more times inside one request: batch it or join. Impact: the share of those
  requests' time the repeated statement took.
- Index candidate: a column slow statements (over 100 ms) filter, join or sort on. Impact: the share of
  the database time in the window those slow calls took.
- Pool saturation: a connection pool at 90% or more of its maximum. Impact: the share of observations
  it was so (a request then waits for a connection before any query runs).
- Chatty dependency: an HTTP (or AI, messaging) dependency called 5 or more times inside one request:
  batch the calls or cache the answers. Impact: the share of those requests' time the calls took.
- Failing dependency: requests that failed with a failed call to a dependency in their trace. Impact:
  their share of all the requests of the services that call it.
"""

from __future__ import annotations

from rumhouse.api.backend import index_candidate_rows, n_plus_one_rows, pool_rows
from rumhouse.budgets.suggestions import Suggestion
from rumhouse.query import dependencies
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store

N_PLUS_ONE_RUNS = 5
SLOW_STATEMENT_MS = 100.0
N_PLUS_ONE_EVIDENCE = ("statement", "route", "requests", "max_runs", "avg_runs", "total_ms", "request_ms")


def n_plus_one(store: Store, f: Filters) -> list[Suggestion]:
    out = []
    for row in n_plus_one_rows(store, f, N_PLUS_ONE_RUNS, 20):
        if not row["request_ms"]:
            continue  # no server span in those traces: nothing to measure the share against
        out.append(
            Suggestion(
                f"n_plus_one:{row['system']}:{row['statement']}",
                "n_plus_one",
                f"N+1: run up to {row['max_runs']} times per request on {row['route'] or 'a route'}",
                "Batch these queries (WHERE id IN (...)) or join: one round trip instead of one per row",
                min(1.0, row["total_ms"] / row["request_ms"]),
                {**{k: row[k] for k in N_PLUS_ONE_EVIDENCE}, "example_trace_id": row["example_trace_id"]},
            )
        )
    return out


def index_candidates(store: Store, f: Filters) -> list[Suggestion]:
    [[db_ms]] = store.query(
        f"SELECT sum(duration_ms) FROM rumhouse.otel_traces WHERE {f.span_where()} AND db_system != ''",
        f.params(),
        readonly=True,
    ).rows
    if not db_ms:
        return []
    return [
        Suggestion(
            f"index:{c['system']}:{c['table']}.{c['column']}",
            "index",
            f"Slow statements filter on {c['table']}.{c['column']}",
            f"Check these statements' plan (EXPLAIN); an index on {c['table']}({c['column']}) may serve them",
            min(1.0, c["slow_ms"] / db_ms),
            {**c, "database_ms": db_ms},
        )
        for c in index_candidate_rows(store, f, SLOW_STATEMENT_MS)[:10]
    ]


def pool_saturation(store: Store, f: Filters) -> list[Suggestion]:
    return [
        Suggestion(
            f"pool:{p['service']}:{p['pool']}",
            "pool",
            f"Connection pool {p['pool']} of {p['service']} is saturated",
            "Raise the pool's maximum (if the database has room), or hold connections for less time:"
            " shorter transactions, fewer and faster statements",
            p["saturated_share"],
            p,
        )
        for p in pool_rows(store, f)
        if p["saturated_share"]
    ]


def chatty_dependencies(store: Store, f: Filters) -> list[Suggestion]:
    found = store.query(
        dependencies.chatty_sql(f), {**f.params(), "min_runs": N_PLUS_ONE_RUNS, "limit": 20}, readonly=True
    ).rows
    out = []
    for service, dependency, kind, requests, most, mean, ms, route, trace, request_ms in found:
        if not request_ms:
            continue  # no server span of that service in those traces
        evidence = {"service": service, "dependency": dependency, "kind": kind, "route": route,
                    "requests": int(requests), "max_calls": int(most), "avg_calls": float(mean),
                    "total_ms": float(ms), "request_ms": float(request_ms), "example_trace_id": trace}  # fmt: skip
        out.append(
            Suggestion(
                f"chatty:{service}:{dependency}",
                "chatty_dependency",
                f"{service} calls {dependency} up to {int(most)} times per request on {route or 'a route'}",
                "Batch these calls (one request for many items), run them concurrently, or cache the answers",
                min(1.0, float(ms) / float(request_ms)),
                evidence,
            )
        )
    return out


def failing_dependencies(store: Store, f: Filters) -> list[Suggestion]:
    served = {s: int(n) for s, n in store.query(dependencies.requests_sql(f), f.params(), readonly=True).rows}
    found = store.query(
        dependencies.shared_failures_sql(f), {**f.params(), "min_services": 1, "limit": 20}, readonly=True
    ).rows
    out = []
    for dependency, kind, services, requests, calls, trace in found:
        total = sum(served.get(s, 0) for s in services)
        if not total:
            continue
        evidence = {"dependency": dependency, "kind": kind, "services": list(services),
                    "failed_requests": int(requests), "failed_calls": int(calls), "requests": total,
                    "example_trace_id": trace}  # fmt: skip
        out.append(
            Suggestion(
                f"failing:{dependency}",
                "failing_dependency",
                f"Requests of {', '.join(services)} fail with their calls to {dependency}",
                "Retry its failed calls with backoff (when they are safe to repeat), answer from a fallback or"
                " a cache while it fails, and check its status or your SLA with its provider",
                int(requests) / total,
                evidence,
            )
        )
    return out


SPAN_CHECKS = (n_plus_one, index_candidates, chatty_dependencies, failing_dependencies)  # spans alone
METRIC_CHECKS = (pool_saturation,)  # the pools' metrics
CHECKS = (*SPAN_CHECKS, *METRIC_CHECKS)
