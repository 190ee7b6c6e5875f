"""Operations under /api/v1/operations (docs/operations.md): what a site's long-running operations did
(spans with `operation.name`, and the page's rumhouse.measure calls), and a comparison across the sites
and services a token may read, sortable by cost, time, error rate or success rate.

GET /operations            one site, a window: per service, operation and model
GET /operations/compare    every readable site, over 7d, 30d or all time (the 400 days kept), sorted
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec
from starlette.datastructures import QueryParams

from rumhouse.ai.prices import PriceTable
from rumhouse.api.answer_types import Number
from rumhouse.api.common import rows
from rumhouse.api.filters import ParamError
from rumhouse.api.operation import Call, Operation
from rumhouse.api.query_types import TableQuery
from rumhouse.api.routes import Endpoint, read_operation
from rumhouse.api.table import TABLE_EXPORTS, Table, table_of
from rumhouse.query import operations as sql
from rumhouse.query.filters import MAX_WINDOW, Filters, window
from rumhouse.store.base import Store


class OperationRow(msgspec.Struct, kw_only=True):
    site: str
    service: str  # "page" for the page's rumhouse.measure calls
    name: str  # operation.name, or the measure's name
    model: str  # operation.model (a measure's tag "model")
    count: int
    successes: int
    success_rate: float
    failures: int
    p50_ms: Number
    p95_ms: Number
    queue_wait_ms: Number  # mean wait before it started (operation.queue_wait_ms)
    retries: int  # started after a failed one of the same name and model in the same trace
    retries_per_success: Number
    per_hour: float
    cost_usd: Number  # operation.cost_usd as the spans say, plus their AI tokens at the price table's
    cost_per_operation_usd: Number


class CompareQuery(TableQuery, kw_only=True):
    period: Literal["7d", "30d", "all"] = "7d"
    sort: Literal["cost", "time", "error_rate", "success_rate"] = "cost"
    order: Literal["desc", "asc"] = "desc"
    limit: int | None = None


SORT_KEYS = {
    "cost": lambda r: r["cost_usd"] if r["cost_usd"] is not None else -1.0,
    "time": lambda r: r["p95_ms"] if r["p95_ms"] is not None else -1.0,
    "error_rate": lambda r: 1 - r["success_rate"],
    "success_rate": lambda r: r["success_rate"],
}


def operation_rows(
    store: Store, f: Filters, prices: PriceTable, extra: dict[str, Any] | None = None
) -> list[dict]:
    """The rows of /operations (OperationRow's fields) for the window of `f`; with `extra` ({"sites": "a,b"}),
    of those sites."""
    hours = max((f.end - f.start).total_seconds() / 3600, 1 / 60)
    out = []
    for site, service, name, model, n, failures, took, queue, said, costed, *tokens, retries in rows(
        store, sql.operations_sql(f, sites_param=extra is not None), f, extra
    ):
        n, failures, retries = int(n), int(failures), int(retries or 0)
        successes = n - failures
        token_cost = prices.cost(model, *(int(t) for t in tokens)) if any(tokens) else None
        cost = None if not costed and token_cost is None else float(said or 0) + (token_cost or 0.0)
        out.append(
            {
                "site": site,
                "service": service,
                "name": name,
                "model": model,
                "count": n,
                "successes": successes,
                "success_rate": successes / n,
                "failures": failures,
                "p50_ms": took[0] if took else None,
                "p95_ms": took[1] if took else None,
                "queue_wait_ms": queue,
                "retries": retries,
                "retries_per_success": retries / successes if successes else None,
                "per_hour": n / hours,
                "cost_usd": cost,
                "cost_per_operation_usd": cost / n if cost is not None else None,
            }
        )
    return out


def operations(store: Store, f: Filters, q: QueryParams, prices: PriceTable) -> Table:
    if f.dims:
        raise ParamError("page dimensions (path, browser, ...) do not apply to operations")
    return Table(list(OperationRow.__struct_fields__), operation_rows(store, f, prices), "raw")


def operation_operations(runtime) -> list[Operation]:
    def compare(call: Call) -> Table:
        q: CompareQuery = call.query
        readable = sorted(s for s in runtime.sites.by_key if call.who.may_read(s)) or list(call.who.sites)
        if q.site:
            call.reader_of(q.site)
            readable = [q.site]
        now = datetime.now(UTC)
        start, end = window(q.period) if q.period != "all" else (now - MAX_WINDOW + timedelta(days=1), now)
        f = Filters(readable[0] if readable else "", start, end, "custom")
        found = (
            operation_rows(runtime.store, f, runtime.ai_prices, {"sites": ",".join(readable)})
            if readable
            else []
        )
        found.sort(key=SORT_KEYS[q.sort], reverse=q.order == "desc")
        table = Table(list(OperationRow.__struct_fields__), found[: q.limit or 1000], "raw")
        table.filters = {"sites": readable, "period": q.period, "sort": q.sort, "order": q.order}
        return table

    endpoint = Endpoint(
        "/operations",
        "operations",
        "Operations of a site (spans with operation.name, and the page's rumhouse.measure calls): count,"
        " success rate, p50/p95, queue wait, retries per success, per hour, cost",
        lambda store, f, q: operations(store, f, q, runtime.ai_prices),
        TableQuery,
        OperationRow,
    )
    comparing = Operation(
        "GET",
        "/operations/compare",
        "operations_compare",
        "Operations of every site the token reads, over 7d, 30d or all time, sorted by cost, time, error"
        " rate or success rate",
        compare,
        CompareQuery,
        answer=table_of(OperationRow),
        exports=TABLE_EXPORTS,
        errors=(400, 503),
    )
    return [read_operation(runtime, endpoint), comparing]
