"""`GET /api/v1/audit`: the audit log (audit.py), newest first, for admin tokens of every site.

Parameters: `limit` (1-10,000, default 100), and optionally `token` (a token id), `site` and `since`
(an ISO time). Reading it is recorded too.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from rumhouse.api.access import ApiError
from rumhouse.api.operation import Call, Operation
from rumhouse.api.runtime import ApiRuntime
from rumhouse.api.table import TABLE_EXPORTS, Table, table_of

COLUMNS = ["time", "token_id", "token_name", "role", "method", "route", "site", "status", "rows", "detail"]


class AuditQuery(msgspec.Struct):
    limit: int = 100  # 1 to 10,000
    token: str = ""  # a token id
    site: str = ""
    since: str | None = None  # an ISO time
    format: str = "json"  # json or csv


class AuditRow(msgspec.Struct):
    time: str
    token_id: str
    token_name: str
    role: str
    method: str
    route: str
    site: str
    status: int
    rows: int
    detail: str


def audit_operation(runtime: ApiRuntime) -> Operation:
    def audit(call: Call) -> Table:
        q: AuditQuery = call.query
        try:
            since = datetime.fromisoformat(q.since) if q.since else datetime(1970, 1, 1)
        except ValueError:
            raise ApiError(400, "bad_request", "since is an ISO time (2026-12-01T10:00:00)") from None
        if not 1 <= q.limit <= 10_000:
            raise ApiError(400, "bad_request", "limit is between 1 and 10000")
        return Table(COLUMNS, runtime.audit.recent(since=since, token=q.token, site=q.site, limit=q.limit))

    return Operation(
        "GET",
        "/audit",
        "audit",
        "The audit log of API calls, newest first (unscoped admin)",
        audit,
        query=AuditQuery,
        answer=table_of(AuditRow),
        admin=True,
        exports=TABLE_EXPORTS,
    )
