"""`POST /api/v1/sql`: one read of rumhouse's public tables, for admin tokens (what `rumhouse sql` calls).

In embedded mode the server process owns the data folder, so people reach the data through here. The
query is parsed by ClickHouse and checked against allow-lists before it runs (usersql/), runs under
limits of its own, and at most `RUMHOUSE_SQL_CONCURRENT` run at once: one more is answered 429.
Every refusal is a 4xx whose one-line body names the reason.
"""

from __future__ import annotations

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from rumhouse.api.access import Access
from rumhouse.api.table import delimited
from rumhouse.usersql.guard import Refused
from rumhouse.usersql.run import MAX_SQL_BYTES, EngineTooOld, QueryFailed, prepare, run

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}


def _error(status: int, reason: str, detail: str = "", headers: dict | None = None) -> PlainTextResponse:
    line = " ".join(f"{reason}: {detail}".split()) if detail else reason
    return PlainTextResponse(line[:1000] + "\n", status_code=status, headers=headers)


async def read_sql(request: Request) -> str | PlainTextResponse:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SQL_BYTES:
            return _error(413, "too_large", f"the query is over {MAX_SQL_BYTES} bytes")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            query = orjson.loads(body).get("query")
        except (orjson.JSONDecodeError, AttributeError):
            query = None
        if not isinstance(query, str):
            return _error(400, "bad_json", 'send {"query": "SELECT ..."}')
        return query
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, "bad_encoding", "the query is not UTF-8")


def sql_route(runtime, access: Access):
    limits = runtime.settings.sql_limits
    # Its own pool of thread tokens: people's queries never take the threads that the JSON API and
    # the dashboard need, and past `concurrent` running they are refused, not queued.
    threads = anyio.CapacityLimiter(limits.concurrent)
    running = 0  # counted here, in the event loop, so the check and the count cannot interleave

    async def sql(request: Request) -> Response:
        # Raw SQL reads every site, so only an unscoped admin token may send it.
        denied = await access.admin(request)
        if isinstance(denied, Response):
            return denied
        fmt = request.query_params.get("format", "json")
        if fmt not in MEDIA_TYPES:
            return _error(400, "bad_format", "format is json, csv or tsv")
        query = await read_sql(request)
        if isinstance(query, Response):
            return query
        request.state.audit_detail = query
        nonlocal running
        if running >= limits.concurrent:
            return _error(
                429,
                "too_many_queries",
                f"{limits.concurrent} queries are running; try again in a moment",
                {"retry-after": "1"},
            )
        # Read your own writes: what was accepted a moment ago is still in the buffer. `flush=false`
        # reads what is stored now (the freshness benchmark needs that).
        flush = request.query_params.get("flush", "true") != "false"

        def work():
            text = prepare(runtime.store, query, limits)
            if flush:
                runtime.writer.flush()
            return run(runtime.store, text, limits)

        running += 1
        try:
            result = await anyio.to_thread.run_sync(work, limiter=threads)
        except Refused as exc:
            return _error(400, exc.reason, str(exc))
        except QueryFailed as exc:
            return _error(400, "query_failed", str(exc))
        except EngineTooOld as exc:  # the server's version, not the query: nothing the caller can fix
            return _error(501, "sql_unavailable", str(exc))
        finally:
            running -= 1
        request.state.audit_rows = len(result.rows)
        if fmt == "json":
            payload = {"columns": result.columns, "types": result.types, "rows": result.rows}
            # default=str: integers past 64 bits (UInt128, Int256) are not JSON numbers orjson writes.
            return Response(orjson.dumps(payload, default=str), media_type=MEDIA_TYPES["json"])
        return Response(delimited(result.columns, result.rows, fmt), media_type=MEDIA_TYPES[fmt])

    return sql
