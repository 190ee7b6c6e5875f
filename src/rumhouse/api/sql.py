"""`POST /api/v1/sql`: a read-only SQL query for admin tokens (what `rumhouse sql` calls).

In embedded mode the server process owns the data folder, so people reach the data through here.
Read-only is enforced by ClickHouse's `readonly` setting on the connection, not by reading the SQL.
"""

from __future__ import annotations

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from rumhouse.api.access import Access
from rumhouse.store.base import ReadOnlyViolation, StoreError

MAX_SQL_BYTES = 100_000
# Our format names -> ClickHouse's output formats (json is rendered here, from JSONCompact).
FORMATS = {"csv": ("CSVWithNames", "text/csv; charset=utf-8"), "tsv": ("TSVWithNames", "text/tab-separated-values; charset=utf-8")}


async def read_sql(request: Request) -> str | PlainTextResponse:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SQL_BYTES:
            return PlainTextResponse(f"too_large: the query is over {MAX_SQL_BYTES} bytes\n", status_code=413)
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            query = orjson.loads(body).get("query")
        except (orjson.JSONDecodeError, AttributeError):
            query = None
        if not isinstance(query, str):
            return PlainTextResponse('bad_json: send {"query": "SELECT ..."}\n', status_code=400)
        return query
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return PlainTextResponse("bad_encoding: the query is not UTF-8\n", status_code=400)


def sql_route(runtime, access: Access | None = None):
    access = access or Access(runtime)

    async def sql(request: Request) -> Response:
        # Raw SQL reads every site, so only an unscoped admin token may send it.
        denied = await access.admin(request)
        if isinstance(denied, Response):
            return denied
        fmt = request.query_params.get("format", "json")
        if fmt != "json" and fmt not in FORMATS:
            return PlainTextResponse("bad_format: format is json, csv or tsv\n", status_code=400)
        query = await read_sql(request)
        if isinstance(query, Response):
            return query
        if not query.strip():
            return PlainTextResponse("empty: send a query\n", status_code=400)
        # Read your own writes: what was accepted a moment ago is still in the buffer. `flush=false`
        # reads what is stored now (the freshness benchmark needs that).
        if request.query_params.get("flush", "true") != "false":
            await anyio.to_thread.run_sync(runtime.writer.flush)
        try:
            if fmt == "json":
                result = await anyio.to_thread.run_sync(lambda: runtime.store.query(query, readonly=True))
                payload = {"columns": result.columns, "types": result.types, "rows": result.rows}
                return Response(orjson.dumps(payload), media_type="application/json")
            ch_format, media_type = FORMATS[fmt]
            raw = await anyio.to_thread.run_sync(lambda: runtime.store.query_raw(query, ch_format, readonly=True))
            return Response(raw, media_type=media_type)
        except ReadOnlyViolation as exc:
            return PlainTextResponse(f"readonly: {exc}\n", status_code=403)
        except StoreError as exc:
            return PlainTextResponse(f"query_failed: {exc}\n", status_code=400)

    return sql
