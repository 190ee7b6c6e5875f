"""The embedded engine: chDB, ClickHouse running inside this process, its data in a folder.

chDB lets one process own a data folder (and one folder per process), so in embedded mode the
`rumhouse serve` process owns it and everything else reaches the data through that server.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import chdb

from rumhouse.store.base import (
    INSERT_FORMAT,
    QueryResult,
    ReadOnlyViolation,
    StoreError,
    check_insert,
    first_line,
    parse_json_compact,
)

# Limits for read-only queries from people (the SQL route): a runaway query must not take the
# ingest process down with it.
_READONLY_SETTINGS = "readonly=1&max_execution_time=30&max_result_rows=1000000&result_overflow_mode=break"
# Counts are UInt64; ClickHouse quotes those in JSON by default, which makes them strings in Python.
_COMMON_SETTINGS = "output_format_json_quote_64bit_integers=0"
# Query parameter values are parsed in ClickHouse's escaped text format (as `param_x` values are on a
# server), so a string's backslashes, tabs and newlines must be escaped, as clickhouse-connect does.
# The same escapes make a string safe inside a quoted SQL literal (the insert's file path and structure).
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "'": "\\'"})


def _bind(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    return {
        k: v.translate(_ESCAPE) if isinstance(v, str) else ("\\N" if v is None else v)
        for k, v in params.items()
    }


def _connection_key(readonly: bool, limits: Mapping[str, Any] | None) -> str:
    """The thread-local attribute a kind of connection is kept under."""
    if limits is None:
        return "ro" if readonly else "rw"
    return "limits_" + "_".join(f"{k}{v}" for k, v in sorted(limits.items()))


def _lock_folder(data_dir: Path):
    """Hold an exclusive lock on the folder for as long as this process uses it: two processes
    writing one chDB folder would corrupt it, and chDB itself does not stop them."""
    handle = open(data_dir / ".lock", "a+", encoding="utf-8")  # noqa: SIM115 (held until close())
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise StoreError(
            f"the data folder {data_dir} is in use by {owner}; reach it through that server"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"rumhouse pid {os.getpid()}")
    handle.flush()
    return handle


def plain_type(column_type: str) -> str:
    """A column's type with every LowCardinality(...) wrapper taken off: `Map(LowCardinality(String), T)`
    -> `Map(String, T)`."""
    marker = "LowCardinality("
    while (start := column_type.find(marker)) != -1:
        depth, end = 1, start + len(marker)
        while depth:  # find the wrapper's closing parenthesis
            depth += {"(": 1, ")": -1}.get(column_type[end], 0)
            end += 1
        column_type = column_type[:start] + column_type[start + len(marker) : end - 1] + column_type[end:]
    return column_type


class EmbeddedStore:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self._lock = _lock_folder(data_dir)
        path = str(data_dir.resolve())
        self._targets = {
            False: f"{path}?{_COMMON_SETTINGS}",
            # A second kind of connection to the same embedded server, whose session is read-only:
            # ClickHouse itself refuses writes there, so nobody has to parse SQL text to keep queries
            # read-only.
            True: f"{path}?{_COMMON_SETTINGS}&{_READONLY_SETTINGS}",
        }
        # Connections per thread: a chDB connection's query parameters are shared by the threads using
        # it, so two parametrized queries at once on one connection can run with each other's values
        # (measured with chDB 4.4: 14 of 400 queries on 8 threads). A connection costs about 1 ms.
        self._local = threading.local()
        self._input_structures: dict[tuple[str, tuple[str, ...]], str] = {}
        self._insert_dir = data_dir.resolve() / "inserting"  # each insert's rows, for the time it runs
        self._insert_dir.mkdir(exist_ok=True)
        for leftover in self._insert_dir.glob("*.json"):  # from a process that died mid-insert
            leftover.unlink(missing_ok=True)
        self._connections: list = []
        self._connections_lock = threading.Lock()
        self._closed = False
        try:
            self._connection(False)
            self._connection(True)
        except Exception as exc:  # chDB raises plain RuntimeErrors
            raise StoreError(f"cannot open the embedded store in {path}: {first_line(str(exc))}") from exc

    def _connection(self, readonly: bool, limits: Mapping[str, Any] | None = None):
        key = _connection_key(readonly, limits)
        conn = getattr(self._local, key, None)
        if conn is None:
            # People's SQL (limits): a connection whose session carries readonly and the limits, so
            # no statement on it can lift them (readonly=1 refuses any change of settings).
            target = (
                self._targets[readonly]
                if limits is None
                else f"{self._targets[False]}&{urlencode(dict(limits))}"
            )
            conn = chdb.connect(target)
            setattr(self._local, key, conn)
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _run(
        self,
        sql: str,
        fmt: str,
        params: Mapping[str, Any] | None,
        readonly: bool,
        limits: Mapping[str, Any] | None = None,
    ) -> bytes:
        if self._closed:
            raise StoreError("the store is closed")
        conn = None
        try:
            conn = self._connection(readonly, limits)
            result = conn.query(sql, fmt, params=_bind(params))
        except Exception as exc:
            if conn is not None:
                self._discard(conn, readonly, limits)
            message = first_line(str(exc))
            if "READONLY" in message or "readonly mode" in message:
                raise ReadOnlyViolation(message) from exc
            raise StoreError(message) from exc
        return result.bytes() if result is not None else b""

    def _discard(self, conn, readonly: bool, limits: Mapping[str, Any] | None) -> None:
        """Close a connection whose statement failed and let the thread open a new one: chDB 4.4 keeps
        the output a failed query had begun (a result past max_result_rows, say) and prepends it to the
        connection's next answer."""
        key = _connection_key(readonly, limits)
        if getattr(self._local, key, None) is conn:
            delattr(self._local, key)
        with self._connections_lock:
            if conn in self._connections:
                self._connections.remove(conn)
        try:
            conn.close()
        except Exception:  # closing after a failed statement is harmless
            pass

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._run(sql, "CSV", params, readonly=False)

    def query(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        readonly: bool = False,
        limits: Mapping[str, Any] | None = None,
    ) -> QueryResult:
        return parse_json_compact(self._run(sql, "JSONCompact", params, readonly, limits))

    def query_raw(
        self,
        sql: str,
        fmt: str,
        params: Mapping[str, Any] | None = None,
        *,
        readonly: bool = False,
        limits: Mapping[str, Any] | None = None,
    ) -> bytes:
        return self._run(sql, fmt, params, readonly, limits)

    def insert(
        self, table: str, columns: Sequence[str], data: bytes, *, dedup_token: str | None = None
    ) -> None:
        check_insert(table, columns, dedup_token)
        settings = ""
        if dedup_token is not None:
            settings = f", insert_deduplication_token = '{dedup_token}'"
        # The rows go through a file, read with file() and LowCardinality columns declared as their plain
        # types, on one thread. Measured with chDB 4.4 on the vitals: 4 to 6 µs of CPU a row when the rows
        # follow the statement inline (the whole text is one query string, and each value is looked up
        # in its column's dictionary as it is read), 1.2 to 1.7 µs this way, writing the file included.
        # (chDB's input() would be the inline way to declare the types, but inserts nothing.)
        structure = self._input_structure(table, tuple(columns))
        handle, name = tempfile.mkstemp(dir=self._insert_dir, suffix=".json")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            path = name.translate(_ESCAPE)  # the path goes into a quoted string literal
            sql = (
                f"INSERT INTO {table} ({', '.join(f'`{c}`' for c in columns)}) "
                f"SELECT * FROM file('{path}', {INSERT_FORMAT}, '{structure}') "
                f"SETTINGS input_format_parallel_parsing = 0, max_threads = 1{settings}"
            )
            self._run(sql, "CSV", None, readonly=False)
        finally:
            os.unlink(name)

    def _input_structure(self, table: str, columns: tuple[str, ...]) -> str:
        """`name Type, ...` of the insert's columns, in their order, LowCardinality unwrapped."""
        key = (table, columns)
        structure = self._input_structures.get(key)
        if structure is None:
            found = self.query(f"DESCRIBE TABLE {table}")  # the name passed check_insert() in insert()
            types = {row[0]: row[1] for row in found.rows}
            missing = [c for c in columns if c not in types]
            if missing:
                raise StoreError(f"{table} has no column {missing[0]!r}")
            # It goes into a quoted literal: types such as DateTime('UTC') have quotes of their own.
            # Quoted names: a Nested column's parts have a dot (`Events.Name`, in the otel_ tables).
            structure = ", ".join(f"`{c}` {plain_type(types[c])}" for c in columns).translate(_ESCAPE)
            self._input_structures[key] = structure
        return structure

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._lock.close()  # closing the file releases the lock
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.close()
            except Exception:  # closing after a failed statement is harmless
                pass
