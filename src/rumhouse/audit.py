"""The audit log: every API call (reads, exports, people's SQL, changes), who made it and what it returned,
in `rumhouse.audit_log` (clickhouse/0011_audit_log.sql). Never the token itself.

`AuditMiddleware` records each `/api/` request once its answer is sent, from what the request's handlers
left in its state: the principal (`who`, set by api/access.py), and, where they know them, the site
(`audit_site`), the rows returned (`audit_rows`) and the SQL (`audit_detail`). Entries are buffered and
inserted once a second, apart from the beacons' write path; `flush()` makes them readable at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import datetime
from urllib.parse import parse_qs

from rumhouse.store.base import Store, StoreError, encode_rows

log = logging.getLogger("rumhouse.audit")
TABLE = "rumhouse.audit_log"
COLUMNS = ("time", "token_id", "token_name", "role", "method", "route", "site", "status", "rows", "detail")
MAX_BUFFERED = 100_000  # entries kept while the store is down; past that the oldest go (and are counted)
MAX_DETAIL = 2000
_RECENT = (
    f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE time >= {{since:DateTime64(3, 'UTC')}}"
    " AND ({token:String} = '' OR token_id = {token:String}) AND ({site:String} = '' OR site = {site:String})"
    " ORDER BY time DESC LIMIT {limit:UInt32}"
)


class AuditLog:
    def __init__(self, flush_interval: float = 1.0) -> None:
        self.store: Store | None = None
        self.flush_interval = flush_interval
        self._rows: deque[tuple] = deque(maxlen=MAX_BUFFERED)
        self.lost = 0  # entries pushed out of a full buffer
        self._lock = threading.Lock()  # one flush at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(
        self, *, who, method: str, route: str, site: str, status: int, rows: int, detail: str = ""
    ) -> None:
        if len(self._rows) == MAX_BUFFERED:
            self.lost += 1
        self._rows.append(
            (
                time.time(),
                getattr(who, "token_id", ""),
                getattr(who, "name", ""),
                getattr(who, "role", ""),
                method,
                route[:500],
                site[:200],
                status,
                max(0, int(rows)),
                detail[:MAX_DETAIL],
            )
        )

    def start(self, store: Store) -> None:
        self.store = store
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rumhouse-audit", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval):
            self.flush()

    def flush(self) -> None:
        """Insert what is buffered; on a store failure it stays buffered for the next flush."""
        with self._lock:
            if not self._rows or self.store is None:
                return
            batch = list(self._rows)
            try:
                self.store.insert(TABLE, COLUMNS, encode_rows(batch))
            except StoreError as exc:
                log.warning("audit log entries kept for a retry: %s", exc)
                return
            for _ in batch:
                self._rows.popleft()

    def recent(self, *, since: datetime, token: str, site: str, limit: int) -> list[dict]:
        """Entries from `since` on, newest first, at most `limit`; only of a token id or a site when
        given. What was buffered a moment ago is in the answer (flushed first)."""
        self.flush()
        if self.store is None:
            return []
        params = {
            "since": since.strftime("%Y-%m-%d %H:%M:%S.%f")[:23],
            "token": token[:64],
            "site": site[:200],
            "limit": limit,
        }
        return self.store.query(_RECENT, params, readonly=True).dicts()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.flush()


class AuditMiddleware:
    """Records every `/api/` request in the audit log once it is answered."""

    def __init__(self, app, audit: AuditLog) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        status = 500  # if the app fails before it answers

        async def send_and_note(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            state = scope.get("state") or {}
            site = (
                state.get("audit_site") or (scope.get("path_params") or {}).get("site") or _query_site(scope)
            )
            self.audit.record(
                who=state.get("who"),
                method=scope["method"],
                route=scope["path"],
                site=str(site or ""),
                status=status,
                rows=state.get("audit_rows", 0),
                detail=state.get("audit_detail", ""),
            )


def _query_site(scope) -> str:
    raw = scope.get("query_string", b"")
    if b"site=" not in raw:
        return ""
    return parse_qs(raw.decode("latin-1")).get("site", [""])[0]
