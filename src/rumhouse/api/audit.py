"""`GET /api/v1/audit`: the audit log (audit.py), newest first, for admin tokens of every site.

Parameters: `limit` (1-10,000, default 100), and optionally `token` (a token id), `site` and `since`
(an ISO time). Reading it is recorded too.
"""

from __future__ import annotations

from datetime import datetime

import anyio
from starlette.requests import Request
from starlette.responses import Response

from rumhouse.api.access import Access, problem
from rumhouse.api.table import Table, render
from rumhouse.store.base import StoreError

COLUMNS = ["time", "token_id", "token_name", "role", "method", "route", "site", "status", "rows", "detail"]
QUERY = (
    "SELECT time, token_id, token_name, role, method, route, site, status, rows, detail "
    "FROM rumhouse.audit_log WHERE time >= {since:DateTime64(3, 'UTC')} "
    "AND ({token:String} = '' OR token_id = {token:String}) AND ({site:String} = '' OR site = {site:String}) "
    "ORDER BY time DESC LIMIT {limit:UInt32}"
)


def audit_route(runtime, access: Access):

    async def audit(request: Request) -> Response:
        denied = await access.admin(request)
        if isinstance(denied, Response):
            return denied
        q = request.query_params
        try:
            limit = int(q.get("limit", "100"))
            since = datetime.fromisoformat(q["since"]) if q.get("since") else datetime(1970, 1, 1)
        except ValueError:
            return problem(
                400, "bad_request", "limit is a number and since an ISO time (2026-12-01T10:00:00)"
            )
        if not 1 <= limit <= 10_000:
            return problem(400, "bad_request", "limit is between 1 and 10000")
        params = {
            "since": since.strftime("%Y-%m-%d %H:%M:%S.%f")[:23],
            "token": q.get("token", "")[:64],
            "site": q.get("site", "")[:200],
            "limit": limit,
        }

        def read():
            runtime.audit.flush()  # what was just done is in the answer
            return runtime.store.query(QUERY, params, readonly=True).dicts()

        try:
            rows = await anyio.to_thread.run_sync(read)
        except StoreError as exc:
            return problem(503, "store_unavailable", str(exc))
        request.state.audit_rows = len(rows)
        return render(Table(COLUMNS, rows), q.get("format", "json"), name="audit", filters={})

    return audit
