"""`POST /api/v1/sql`: one read of rumhouse's public tables, for admin tokens (what `rumhouse sql` calls).

In embedded mode the server process owns the data folder, so people reach the data through here. The
query is parsed by ClickHouse and checked against allow-lists before it runs (usersql/), runs under
limits of its own, and at most `RUMHOUSE_SQL_CONCURRENT` run at once: one more is answered 429.
Every refusal is a 4xx in the API's one error form, its `error` the reason (docs/security.md).
"""

from __future__ import annotations

from typing import Any, Literal

import anyio
import msgspec
import orjson
from starlette.requests import Request
from starlette.responses import Response

from rumhouse.api.access import ApiError
from rumhouse.api.operation import Call, Operation, read_body
from rumhouse.api.runtime import ApiRuntime
from rumhouse.api.table import delimited
from rumhouse.usersql.guard import Refused
from rumhouse.usersql.run import MAX_SQL_BYTES, EngineTooOld, QueryFailed, prepare, run

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}


class SqlQuery(msgspec.Struct):
    format: Literal["json", "csv", "tsv"] = "json"
    # Read your own writes: what was accepted a moment ago is still in the buffer. `flush=false` reads
    # what is stored now (the freshness benchmark needs that).
    flush: bool = True


class SqlResult(msgspec.Struct):
    columns: list[str]
    types: list[str]  # ClickHouse's type of each column
    rows: list[list[Any]]


def _error(status: int, reason: str, detail: str, headers: dict | None = None) -> ApiError:
    return ApiError(status, reason, " ".join(detail.split())[:1000], headers)


async def read_sql(request: Request) -> str:
    body = await read_body(request, MAX_SQL_BYTES, "the query")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            query = orjson.loads(body).get("query")
        except (orjson.JSONDecodeError, AttributeError):
            query = None
        if not isinstance(query, str):
            raise _error(400, "bad_json", 'send {"query": "SELECT ..."}')
        return query
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise _error(400, "bad_encoding", "the query is not UTF-8") from None


def sql_operation(runtime: ApiRuntime) -> Operation:
    limits = runtime.settings.sql_limits
    # Its own pool of thread tokens: people's queries never take the threads that the JSON API and
    # the dashboard need, and past `concurrent` running they are refused, not queued.
    threads = anyio.CapacityLimiter(limits.concurrent)
    running = 0  # counted here, in the event loop, so the check and the count cannot interleave

    async def sql(call: Call) -> SqlResult | Response:
        fmt, flush = call.query.format, call.query.flush
        query = await read_sql(call.request)
        call.audit(detail=query)
        nonlocal running
        if running >= limits.concurrent:
            raise _error(
                429,
                "too_many_queries",
                f"{limits.concurrent} queries are running; try again in a moment",
                {"retry-after": "1"},
            )

        def work():
            text = prepare(runtime.store, query, limits)
            if flush:
                runtime.writer.flush()
            return run(runtime.store, text, limits)

        running += 1
        try:
            result = await anyio.to_thread.run_sync(work, limiter=threads)
        except Refused as exc:
            raise _error(400, exc.reason, str(exc)) from None
        except QueryFailed as exc:
            raise _error(400, "query_failed", str(exc)) from None
        except EngineTooOld as exc:  # the server's version, not the query: nothing the caller can fix
            raise _error(501, "sql_unavailable", str(exc)) from None
        finally:
            running -= 1
        call.audit(rows=len(result.rows))
        if fmt == "json":
            # default=str: integers past 64 bits (UInt128, Int256) are not JSON numbers orjson writes.
            payload = {"columns": result.columns, "types": result.types, "rows": result.rows}
            return Response(orjson.dumps(payload, default=str), media_type=MEDIA_TYPES["json"])
        return Response(delimited(result.columns, result.rows, fmt), media_type=MEDIA_TYPES[fmt])

    return Operation(
        "POST",
        "/sql",
        "sql",
        "One SELECT over rumhouse's public tables (unscoped admin); body: the query as text, or"
        ' {"query": "..."} (docs/security.md)',
        sql,
        query=SqlQuery,
        answer=SqlResult,
        admin=True,
        exports=("text/csv", "text/tab-separated-values"),
        errors=(400, 413, 429, 501),
    )
