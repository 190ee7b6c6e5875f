"""The server engine: a ClickHouse server (or cluster) over HTTP, through clickhouse-connect.

Selected by `RUMHOUSE_CLICKHOUSE_URL` (http(s)://user:password@host:port[/rumhouse]). It takes the same
SQL and the same insert encoding as the embedded engine; only the transport differs:

- inserts send the writer's bytes (INSERT_FORMAT, JSONCompactEachRow) as they are (`raw_insert`, explicit column names,
  lz4-compressed unless `RUMHOUSE_CLICKHOUSE_COMPRESS=false`), with `insert_deduplication_token`, so a
  retried batch is stored once;
- queries come back as JSONCompact, parsed like the embedded engine's, so both return the same values;
- read-only queries carry ClickHouse's `readonly=1` setting (with the same limits as the embedded
  engine's read-only connection): the server refuses writes, and also refuses a query's own SETTINGS;
- every failure, a refused statement or an unreachable server, is a one-line `StoreError`; the writer
  keeps the batch and retries it.

Workers are stateless: any number of processes may insert at once. One client per store, shared by
threads, without an HTTP session (ClickHouse refuses concurrent queries in one session).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from rumhouse.store.base import (
    INSERT_FORMAT,
    QueryResult,
    ReadOnlyViolation,
    StoreError,
    check_insert,
    first_line,
    parse_json_compact,
)

DATABASE = "rumhouse"
# The same settings as the embedded engine's connections (store/embedded.py).
COMMON_SETTINGS = {"output_format_json_quote_64bit_integers": 0}
READONLY_SETTINGS = {
    "readonly": 1,
    "max_execution_time": 30,
    "max_result_rows": 1_000_000,
    "result_overflow_mode": "break",
}
READONLY_CODE = 164  # ClickHouse's READONLY error
_SERVER_RESPONSE = re.compile(r"server response:\s*(.*)", re.DOTALL)
_FOR_URL = re.compile(r"\s*\(for url [^)]*\)\s*$")


@dataclass(frozen=True)
class ServerAddress:
    """RUMHOUSE_CLICKHOUSE_URL, parsed. `str()` leaves the password out."""

    secure: bool
    host: str
    port: int
    username: str = "default"
    password: str = field(default="", repr=False)

    def __str__(self) -> str:
        scheme = "https" if self.secure else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{self.username}@{host}:{self.port}"


def parse_url(url: str) -> ServerAddress:
    """http(s)://user:password@host:port[/rumhouse]; TLS when the scheme is https. The user name and
    password may be percent-encoded. Errors name the variable, never the password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise StoreError(f"RUMHOUSE_CLICKHOUSE_URL is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise StoreError(
            "RUMHOUSE_CLICKHOUSE_URL must start with http:// or https:// (ClickHouse's HTTP interface)"
        )
    if not parts.hostname:
        raise StoreError("RUMHOUSE_CLICKHOUSE_URL has no host")
    database = parts.path.strip("/")
    if database not in ("", DATABASE):
        raise StoreError(
            f"RUMHOUSE_CLICKHOUSE_URL names database {database!r}: rumhouse's tables are a public interface "
            f"and always live in database {DATABASE!r}; leave the path empty or use /{DATABASE}"
        )
    if parts.query or parts.fragment:
        raise StoreError(
            "RUMHOUSE_CLICKHOUSE_URL takes no query string; see README (Configuration) for the settings"
        )
    secure = parts.scheme == "https"
    return ServerAddress(
        secure=secure,
        host=parts.hostname,
        port=port or (8443 if secure else 8123),
        username=unquote(parts.username) if parts.username else "default",
        password=unquote(parts.password) if parts.password else "",
    )


def clean_error(exc: BaseException) -> str:
    """clickhouse-connect wraps ClickHouse's message ("Received ClickHouse exception, code: 47, server
    response: Code: 47. DB::Exception: ... (for url ...)"); keep ClickHouse's own first line."""
    message = str(exc)
    found = _SERVER_RESPONSE.search(message)
    if found:
        message = found.group(1)
    return _FOR_URL.sub("", first_line(message))


class ServerStore:
    def __init__(
        self,
        url: str,
        *,
        compress: bool = True,
        ca_cert: str = "",
        cluster: str = "",
        connect_timeout: float = 10,
        timeout: float = 120,
        sql_user: str = "",
        sql_password: str = "",
    ) -> None:
        from clickhouse_connect.driver.exceptions import ClickHouseError
        from urllib3.exceptions import HTTPError

        self.address = parse_url(url)
        # Read by the migrations (store/cluster.py). On a cluster, inserts go to Distributed tables:
        # wait until every shard has its part, so a failure is reported and the batch retried (with
        # its token) instead of queued on the disk of the node that took it.
        self.cluster = cluster
        self._insert_settings: dict[str, Any] = {"distributed_foreground_insert": 1} if cluster else {}
        self._failures = (ClickHouseError, HTTPError, OSError)
        self._compress = None
        if compress:
            import lz4.frame  # a dependency of clickhouse-connect

            # ClickHouse decodes `Content-Encoding: lz4` (the LZ4 frame format) on inserts. JSON
            # compresses several times over, and lz4 costs little CPU on the worker.
            self._compress = lz4.frame.compress
        self._options: dict[str, Any] = {"connect_timeout": connect_timeout, "send_receive_timeout": timeout}
        if ca_cert:
            self._options["ca_cert"] = ca_cert
        self._client = self._connect(self.address.username, self.address.password)
        # People's SQL (usersql/) logs in as a user of its own when one is given: a ClickHouse user with
        # SELECT on rumhouse's public tables only and a settings profile that pins readonly and the
        # limits (docs/security.md), so that the server itself refuses what the guard would.
        try:
            self._sql_client = self._connect(sql_user, sql_password) if sql_user else None
        except StoreError as exc:
            raise StoreError(f"RUMHOUSE_CLICKHOUSE_SQL_USER {sql_user!r} cannot log in: {exc}") from None
        self._closed = False

    def _connect(self, username: str, password: str):
        import clickhouse_connect

        try:
            return clickhouse_connect.get_client(
                host=self.address.host,
                port=self.address.port,
                username=username,
                password=password,
                secure=self.address.secure,
                # No default database: every statement names rumhouse.*, and the database does not
                # exist before the first migration.
                database="",
                settings=dict(COMMON_SETTINGS),
                # Sessions serialize queries; the writer and the API query from several threads.
                autogenerate_session_id=False,
                # Query results come back as JSONCompact (raw_query); responses are small.
                compress=False,
                client_name="rumhouse",
                **self._options,
            )
        except self._failures as exc:
            raise StoreError(f"cannot connect to ClickHouse at {self.address}: {clean_error(exc)}") from None

    def _fail(self, exc: BaseException) -> StoreError:
        message = clean_error(exc)
        if getattr(exc, "code", None) == READONLY_CODE or "(READONLY)" in message:
            return ReadOnlyViolation(message)
        if getattr(exc, "code", None) is None and not message.startswith("Code:"):
            # No ClickHouse error code: the request did not get an answer (connection refused, reset,
            # timed out). Name the server, without the password.
            message = f"ClickHouse at {self.address} did not answer: {message}"
        return StoreError(message)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    @staticmethod
    def _settings(readonly: bool) -> dict[str, Any] | None:
        return dict(READONLY_SETTINGS) if readonly else None

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._check_open()
        try:
            self._client.command(sql, parameters=dict(params) if params else None)
        except self._failures as exc:
            raise self._fail(exc) from exc

    def query(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        readonly: bool = False,
        limits: Mapping[str, Any] | None = None,
    ) -> QueryResult:
        return parse_json_compact(
            self.query_raw(sql, "JSONCompact", params, readonly=readonly, limits=limits)
        )

    def query_raw(
        self,
        sql: str,
        fmt: str,
        params: Mapping[str, Any] | None = None,
        *,
        readonly: bool = False,
        limits: Mapping[str, Any] | None = None,
    ) -> bytes:
        self._check_open()
        client, settings = self._client, self._settings(readonly)
        if limits is not None:  # people's SQL
            settings = dict(limits)
            if self._sql_client is not None:
                client = self._sql_client
                settings.pop("readonly")  # the SQL user's profile pins it (deploy/clickhouse-sql-user.sql)
        try:
            return client.raw_query(
                sql, parameters=dict(params) if params else None, settings=settings, fmt=fmt
            )
        except self._failures as exc:
            raise self._fail(exc) from exc

    def insert(
        self, table: str, columns: Sequence[str], data: bytes, *, dedup_token: str | None = None
    ) -> None:
        self._check_open()
        check_insert(table, columns, dedup_token)
        settings = dict(self._insert_settings)
        if dedup_token is not None:
            settings["insert_deduplication_token"] = dedup_token
        body, compression = data, None
        if self._compress is not None:
            body, compression = self._compress(data), "lz4"
        try:
            self._client.raw_insert(
                table,
                column_names=list(columns),
                insert_block=body,
                settings=settings or None,
                fmt=INSERT_FORMAT,
                compression=compression,
            )
        except self._failures as exc:
            raise self._fail(exc) from exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for client in (self._client, self._sql_client):
            try:
                if client is not None:
                    client.close()
            except Exception:  # closing a pool whose server is gone is harmless
                pass
