"""The write buffer: rows from accepted beacons wait here and are inserted in bulk.

ClickHouse wants few large inserts, not one per beacon (each statement costs about 2 ms on the embedded
engine), so a background thread flushes the buffer every `flush_interval` seconds, sooner when it holds
`flush_rows` rows, on demand (`flush()`), and at shutdown (`close()`). chDB releases the GIL while
it inserts, so the event loop keeps answering beacons meanwhile.

A failed insert keeps its rows, encoded, with a deduplication token, and is retried at the next flush:
if the first attempt did land after all, ClickHouse drops the repeat. While too much waits, `is_full()`
tells the beacon endpoint to answer 503 instead of accepting more than it can keep.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

import orjson

from rumhouse.ingest.drops import Reason
from rumhouse.ingest.pipeline import Accepted
from rumhouse.ingest.rows import COLUMNS, EVENT_TABLES, TABLES
from rumhouse.metrics import Metrics
from rumhouse.store.base import Store, StoreError

log = logging.getLogger("rumhouse.writer")


@dataclass(slots=True)
class Chunk:
    """One table's share of one flush, encoded and ready to insert (again)."""

    table: str
    data: bytes
    rows: int
    token: str


def encode(rows: list[tuple]) -> bytes:
    """Rows -> JSONCompactColumns: one JSON array per column, in COLUMNS order."""
    return orjson.dumps(list(zip(*rows)))


class Writer:
    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        *,
        flush_interval: float = 1.0,
        flush_rows: int = 20_000,
        max_pending_rows: int = 2_000_000,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.flush_interval = flush_interval
        self.flush_rows = flush_rows
        self.max_pending_rows = max_pending_rows
        self._rows: dict[str, list[tuple]] = {table: [] for table in TABLES}
        self._buffered = 0
        self._failed: list[Chunk] = []
        self._lock = threading.Lock()  # guards _rows and _buffered
        self._flush_lock = threading.Lock()  # one flush at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for table in TABLES:
            metrics.buffer_rows.labels(table).set_function(lambda table=table: self.pending(table))

    # --- the request side ---

    def add(self, accepted: Accepted) -> None:
        with self._lock:
            for table, rows in accepted.rows.items():
                self._rows[table].extend(rows)
                self._buffered += len(rows)
            large = self._buffered >= self.flush_rows
        if large:
            self._wake.set()

    def is_full(self) -> bool:
        return self._buffered + sum(chunk.rows for chunk in self._failed) >= self.max_pending_rows

    def pending(self, table: str) -> int:
        """Rows of `table` accepted but not yet inserted."""
        return len(self._rows[table]) + sum(c.rows for c in self._failed if c.table == table)

    # --- the background side ---

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rumhouse-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.flush()
            except Exception:  # never let the flusher die: the next round retries
                log.exception("flush failed")

    def flush(self) -> bool:
        """Insert everything buffered now. True when nothing is left waiting."""
        with self._flush_lock:
            with self._lock:
                taken, self._rows = self._rows, {table: [] for table in TABLES}
                self._buffered = 0
            batch = uuid.uuid4().hex
            chunks = self._failed + [
                Chunk(table, encode(rows), len(rows), f"{batch}-{table}")
                for table, rows in taken.items()
                if rows
            ]
            self._failed = []
            if not chunks:
                return True
            started = time.perf_counter()
            for chunk in chunks:
                try:
                    self.store.insert(f"rumhouse.{chunk.table}", COLUMNS[chunk.table], chunk.data, dedup_token=chunk.token)
                except (StoreError, OSError) as exc:
                    self.metrics.insert_errors.labels(chunk.table).inc()
                    log.warning("insert into %s failed, will retry: %s", chunk.table, exc)
                    self._failed.append(chunk)
                else:
                    self.metrics.rows_inserted.labels(chunk.table).inc(chunk.rows)
            self.metrics.flush_seconds.observe(time.perf_counter() - started)
            return not self._failed

    def close(self, attempts: int = 3) -> None:
        """Stop the thread and insert what is left. Rows that still cannot be inserted are counted
        as dropped (`store_unavailable`) rather than vanishing silently."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        for attempt in range(attempts):
            if self.flush():
                return
            time.sleep(0.2 * (attempt + 1))
        for chunk in self._failed:
            log.error("lost %d rows of %s: the store is unavailable at shutdown", chunk.rows, chunk.table)
            if chunk.table in EVENT_TABLES:
                self.metrics.events_dropped.labels(Reason.STORE_UNAVAILABLE.value).inc(chunk.rows)
        self._failed = []
