"""The write path after the pipeline: spool to disk, buffer in memory, insert in bulk.

`add()` (on the request path, before the 204) takes the beacon's rows, encoded once by the pipeline as
insert-ready data, and appends them to the spool and to the memory buffer (bytes: nothing there for the
garbage collector).
A background thread flushes every `flush_interval` seconds, sooner when `flush_rows` rows wait, and at
shutdown: it seals the spool's current segment (whose records are exactly the rows taken from
memory), inserts those rows, one statement per table, and deletes the segment.

When an insert fails, the rows are let go from memory: the sealed segment on disk keeps them. Such
segments, and those a previous run left behind, are replayed from disk in order, with backoff while the
store keeps failing. Every insert of a segment carries a deduplication token made from the segment's
unique name and the table, so an insert that did land before a failure or crash is not stored twice.

ClickHouse wants few large inserts (each statement costs about 2 ms on the embedded engine), and chDB
releases the GIL while it inserts, so the event loop keeps answering beacons during a flush.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from rumhouse.drops import Reason
from rumhouse.metrics import Metrics
from rumhouse.spool import Segment, Spool, read_segment
from rumhouse.store.base import Store, StoreError, encode_rows
from rumhouse.tables import COLUMNS, TABLES

log = logging.getLogger("rumhouse.writer")


# A spool record: for each table, its name's length (u8) and name, its row count and the data's length
# (u32 each), then the data.
_COUNTS = struct.Struct("<II")


@dataclass(slots=True)
class Accepted:
    """What the writer keeps of a beacon: per table, its rows encoded for the insert, and how many."""

    parts: dict[str, tuple[bytes, int]]
    events: int  # events the beacon carried (the page view itself counts as one)
    dropped: dict[Reason, int] = field(default_factory=dict)  # events dropped one by one, by reason

    @classmethod
    def from_rows(cls, rows: dict[str, list[tuple]], events: int, dropped: dict[Reason, int] | None = None):
        parts = {
            table: (encode_rows(table_rows), len(table_rows))
            for table, table_rows in rows.items()
            if table_rows
        }
        return cls(parts, events, dropped or {})


_NAMES = {table: bytes([len(table)]) + table.encode() for table in TABLES}


def pack_record(parts: dict[str, tuple[bytes, int]]) -> bytes:
    out: list[bytes] = []
    for table, (data, count) in parts.items():
        out += (_NAMES[table], _COUNTS.pack(count, len(data)), data)
    return b"".join(out)


def unpack_record(payload: bytes) -> dict[str, tuple[bytes, int]]:
    parts = {}
    pos = 0
    while pos < len(payload):
        size = payload[pos]
        name = payload[pos + 1 : pos + 1 + size].decode()
        pos += 1 + size
        count, length = _COUNTS.unpack_from(payload, pos)
        pos += _COUNTS.size
        parts[name] = (payload[pos : pos + length], count)
        pos += length
    return parts


class Writer:
    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        spool: Spool,
        *,
        flush_interval: float = 1.0,
        flush_rows: int = 20_000,
        max_backoff: float = 5.0,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.spool = spool
        self.flush_interval = flush_interval
        self.flush_rows = flush_rows
        self.max_backoff = max_backoff
        # Per table: insert-ready chunks of lines, and how many rows they hold.
        self._chunks: dict[str, list[bytes]] = {table: [] for table in TABLES}
        self._counts: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._buffered = 0
        # Segments waiting to be replayed from disk, oldest first, with what is known of them: the rows
        # per table (this run's segments) and the tables already inserted.
        self._waiting: list[Segment] = []
        self._waiting_rows: dict[Segment, dict[str, int]] = {}
        self._inserted_tables: dict[Segment, set[str]] = defaultdict(set)
        self._backoff = 0.0
        self._retry_at = 0.0
        self._lock = threading.Lock()  # guards _chunks, _counts, _buffered and the spool's current segment
        self._flush_lock = threading.Lock()  # one flush at a time
        # The event tables of a flush are inserted side by side (_insert).
        self._pool = ThreadPoolExecutor(max_workers=len(TABLES) - 1, thread_name_prefix="rumhouse-insert")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        for table in TABLES:
            metrics.buffer_rows.labels(table).set_function(partial(self.pending, table))
        metrics.spool_bytes.set_function(spool.bytes)
        metrics.spool_oldest_age.set_function(spool.oldest_age)
        metrics.spool_segments.set_function(lambda: len(self._waiting))

    # --- the request side ---

    def add(self, accepted: Accepted) -> None:
        """Keep an accepted beacon's rows: on disk (the OS has them when this returns) and in memory."""
        self.add_many([accepted])

    def add_many(self, beacons: list[Accepted]) -> None:
        """`add` for several beacons at once, with one write to the spool (ingest/batching.py)."""
        payloads = [pack_record(accepted.parts) for accepted in beacons]
        with self._lock:
            # Read under the lock: a flush swaps these for new ones, and rows put into the old ones
            # after it took them would be in neither the insert nor memory.
            chunks, counts = self._chunks, self._counts
            self.spool.append_many(payloads)
            buffered = self._buffered
            for accepted in beacons:
                for table, (data, count) in accepted.parts.items():
                    chunks[table].append(data)
                    counts[table] += count
                    buffered += count
            self._buffered = buffered
            large = buffered >= self.flush_rows
        if large:
            self._wake.set()

    def is_full(self) -> bool:
        return self.spool.is_full()

    def pending(self, table: str) -> int:
        """Rows of `table` accepted by this process and not inserted yet (in memory or spooled)."""
        spooled = sum(rows.get(table, 0) for rows in self._waiting_rows.values())
        return self._counts[table] + spooled

    # --- the background side ---

    def start(self) -> None:
        """Queue what a previous run left in the spool, then flush and sync in the background."""
        self._waiting = self.spool.leftover()
        if self._waiting:
            log.warning("replaying %d spooled segments left by a previous run", len(self._waiting))
            self._wake.set()  # now, not a flush interval from now
        for target, name in ((self._run, "rumhouse-writer"), (self._sync, "rumhouse-spool-sync")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self) -> None:
        # Flushes start every flush_interval, counted from the previous start: a beacon then waits at
        # most one interval plus one insert, also when inserts take a good part of the interval (under
        # load, where waiting a whole interval after each insert would add the two up).
        next_start = time.monotonic() + self.flush_interval
        while not self._stop.is_set():
            self._wake.wait(max(0.0, next_start - time.monotonic()))
            self._wake.clear()
            if self._stop.is_set():
                break
            next_start = time.monotonic() + self.flush_interval
            try:
                self.flush()
            except Exception:  # never let the flusher die: the spool keeps the rows
                log.exception("flush failed")

    def _sync(self) -> None:
        while not self._stop.wait(self.spool.sync_interval):
            self.spool.sync()

    def flush(self) -> bool:
        """Insert everything accepted so far. True when nothing is left waiting."""
        with self._flush_lock:
            with self._lock:
                chunks, self._chunks = self._chunks, {table: [] for table in TABLES}
                counts, self._counts = self._counts, dict.fromkeys(TABLES, 0)
                self._buffered = 0
                cut = self.spool.cut()
            # Outside the lock: the sync to disk takes milliseconds, and beacons keep coming.
            segment = self.spool.finish(cut)
            taken = {table: (b",".join(chunks[table]), counts[table]) for table in TABLES if counts[table]}
            if segment is not None:
                if self._waiting:
                    # Older segments wait: keep the order, and let go of the memory copy.
                    self._wait_for(segment, taken)
                elif not self._insert(segment, taken, replay=False):
                    self._wait_for(segment, taken)
                    return False  # the store just failed: retry after the backoff, not now
            self._replay_waiting()
            return not self._waiting

    def _wait_for(self, segment: Segment, data: dict[str, tuple[bytes, int]]) -> None:
        self._waiting.append(segment)
        self._waiting_rows[segment] = {table: count for table, (_, count) in data.items()}

    def _replay_waiting(self) -> None:
        if not self._waiting or time.monotonic() < self._retry_at:
            return
        while self._waiting:
            segment = self._waiting[0]
            result = read_segment(segment.path) if segment.path.exists() else None
            if result is None:  # already gone (deleted after a landed insert)
                self._forget(segment)
                continue
            chunks: dict[str, list[bytes]] = defaultdict(list)
            counts: dict[str, int] = defaultdict(int)
            for payload in result.payloads:
                for table, (part, count) in unpack_record(payload).items():
                    chunks[table].append(part)
                    counts[table] += count
            data = {table: (b",".join(parts), counts[table]) for table, parts in chunks.items()}
            if not self._insert(segment, data, replay=True):
                return
            if result.corrupt:  # counted once, when the segment is done with
                log.error("%s: %d corrupt records skipped", segment.path.name, result.corrupt)
                self.metrics.spool_corrupt_records.inc(result.corrupt)
            self._forget(segment)

    def _forget(self, segment: Segment) -> None:
        self._waiting.remove(segment)
        self._waiting_rows.pop(segment, None)
        self._inserted_tables.pop(segment, None)

    def _insert(self, segment: Segment, data: dict[str, tuple[bytes, int]], *, replay: bool) -> bool:
        """Insert a segment's rows; delete the segment when all landed.

        The event tables go in at the same time, each on a thread of its own (chDB and the server
        client release the GIL): a flush then takes as long as its largest table with its rollup views,
        not the sum of all, which is most of the wait between a beacon's 204 and its rows being
        visible. `beacons`, the record that a beacon's rows are in, goes last."""
        from_this_run = segment.run == self.spool.run
        started = time.perf_counter()
        done = self._inserted_tables[segment]
        waiting = [table for table in TABLES if table in data and table not in done]
        events = [table for table in waiting if table != "beacons"]

        def insert(table: str) -> bool:
            return self._insert_table(segment, table, data[table], from_this_run, replay)

        landed = list(self._pool.map(insert, events)) if len(events) > 1 else [insert(t) for t in events]
        if not all(landed):
            return False
        if "beacons" in waiting and not insert("beacons"):
            return False
        self.metrics.flush_seconds.observe(time.perf_counter() - started)
        self._backoff = 0.0
        self._inserted_tables.pop(segment, None)
        self.spool.delete(segment)
        return True

    def _insert_table(
        self, segment: Segment, table: str, rows: tuple[bytes, int], from_this_run: bool, replay: bool
    ) -> bool:
        lines, count = rows
        try:
            self.store.insert(
                f"rumhouse.{table}", COLUMNS[table], lines, dedup_token=f"{segment.token}-{table}"
            )
        except (StoreError, OSError) as exc:
            self.metrics.insert_errors.labels(table).inc()
            self._backoff = min(self.max_backoff, max(0.5, self._backoff * 2))
            self._retry_at = time.monotonic() + self._backoff
            log.warning(
                "insert into %s failed (retry in %.1fs; the rows are spooled): %s", table, self._backoff, exc
            )
            return False
        self._inserted_tables[segment].add(table)
        if from_this_run:
            self.metrics.rows_inserted.labels(table).inc(count)
        else:
            self.metrics.rows_recovered.labels(table).inc(count)
        if replay:
            self.metrics.rows_replayed.labels(table).inc(count)
        return True

    def close(self, attempts: int = 3) -> None:
        """Stop, and insert what is left. What still cannot be inserted stays in the spool, on disk,
        for the next start: nothing accepted is lost."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=60)
        for attempt in range(attempts):
            self._retry_at = 0.0
            if self.flush():
                break
            time.sleep(0.2 * (attempt + 1))
        else:
            log.error(
                "%d spooled segments could not be inserted; they will be replayed at the next start",
                len(self._waiting),
            )
        self.spool.close()
        self._pool.shutdown()
