"""The storage boundary: a narrow protocol with two engines behind it.

- `EmbeddedStore` (store/embedded.py): chDB, ClickHouse in this process, data in a folder.
- `ServerStore` (store/server.py): a ClickHouse server through clickhouse-connect over HTTP.

Both take the same SQL (the clickhouse/ files and the queries next to the code that runs them) and the
same insert encoding: `JSONCompactEachRow`, one JSON array per row, rows separated by commas. The
pipeline encodes a beacon's rows once, when it is accepted; the spool and the buffer keep those bytes,
and an insert is their concatenation, so nothing is encoded twice. (The embedded engine hands them to
chDB through a file; the server engine sends them as the HTTP body.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

INSERT_FORMAT = "JSONCompactEachRow"


def encode_rows(rows: list[tuple]) -> bytes:
    """Rows -> the insert's data: JSONCompactEachRow rows, one JSON array each, separated by commas.

    One orjson call for all of a table's rows (the list's brackets cut off) costs a third of one call per
    row. ClickHouse's JSONCompactEachRow reader takes a comma between rows as it takes a newline
    (tests/test_store_and_writer.py checks that on both engines), so chunks join with b",".
    """
    return orjson.dumps(rows)[1:-1]


def row_version() -> int:
    """The version of a row of a ReplacingMergeTree table (tokens, budgets, alert state, ...): microseconds
    since the epoch, so that the newest write of an id wins, also between writes in one millisecond."""
    return time.time_ns() // 1000


class StoreError(Exception):
    """The store failed to run a statement. The message is ClickHouse's, first line only."""


class ReadOnlyViolation(StoreError):
    """A read-only query tried to change something (ClickHouse's `readonly` setting refused it)."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows and self.rows[0] else None


def parse_json_compact(raw: bytes) -> QueryResult:
    """A query's answer in ClickHouse's JSONCompact format, as both engines ask for it."""
    if not raw.strip():
        return QueryResult([], [], [])
    doc = orjson.loads(raw)
    meta = doc.get("meta", [])
    return QueryResult([m["name"] for m in meta], [m["type"] for m in meta], doc.get("data", []))


class Store(Protocol):
    """What rumhouse needs from ClickHouse, whichever engine runs it."""

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement that returns nothing (DDL, ALTER, ...)."""

    def query(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        readonly: bool = False,
        limits: Mapping[str, Any] | None = None,
    ) -> QueryResult:
        """Run a query; `readonly=True` runs it under ClickHouse's `readonly` setting. `limits` are the
        ClickHouse settings of people's SQL (settings.SqlLimits), readonly among them, instead."""

    def query_raw(
        self,
        sql: str,
        fmt: str,
        params: Mapping[str, Any] | None = None,
        *,
        readonly: bool = False,
        limits: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Run a query and return ClickHouse's own output in format `fmt` (CSVWithNames, JSON, ...)."""

    def insert(
        self, table: str, columns: Sequence[str], data: bytes, *, dedup_token: str | None = None
    ) -> None:
        """Insert `data`, encoded as INSERT_FORMAT, into `table` (columns named explicitly).

        A retried insert with the same `dedup_token` is stored once (tables have a
        non-replicated deduplication window)."""

    def close(self) -> None: ...


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def check_insert(table: str, columns: Sequence[str], dedup_token: str | None) -> None:
    """Table and column names come from our own code, never from a request, and so do deduplication
    tokens; checked anyway, because both engines splice them into the statement."""
    if not _IDENTIFIER.match(table) or not all(_IDENTIFIER.match(c) for c in columns):
        raise ValueError(f"bad identifier in insert into {table!r}")
    if dedup_token is not None and not _TOKEN.match(dedup_token):
        raise ValueError(f"bad deduplication token {dedup_token!r}")


def first_line(message: str) -> str:
    """ClickHouse errors run over many lines (with a stack trace); keep the one that says what failed."""
    for line in message.strip().splitlines():
        if line.strip():
            return line.strip()[:500]
    return "unknown ClickHouse error"
