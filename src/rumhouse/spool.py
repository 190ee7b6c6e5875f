"""The spool: an append-only log on disk of every accepted beacon's rows, kept until they are inserted.

When data reaches the disk (docs/reliability.md has the whole story):
- A beacon's rows are written to the current segment with `write()` *before* the beacon is answered 204.
  The OS holds them from then on, so a crash of the process (`kill -9`) loses nothing answered 204.
- Segments are `fdatasync`ed at most every `sync_interval` (500 ms, as Vector's disk buffer does): a power
  cut or kernel crash can lose what was answered in the last half second.

The writer seals the current segment at every flush and deletes a segment only once all its rows are
inserted. Segments left over (the store was down, or the process died) are replayed in order, with
deduplication tokens derived from the segment's name, so a segment inserted twice is stored once.

A segment is a sequence of records: MAGIC, payload length and CRC-32 (little-endian u32 each), payload.
A torn or corrupted record is skipped and counted; reading resumes at the next MAGIC.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger("rumhouse.spool")

MAGIC = b"RHS2"  # 2: parts carry their row count; rows are comma-separated
HEADER = struct.Struct("<4sII")
MAX_RECORD = 16 * 1024 * 1024
_SEGMENT = re.compile(r"^(\d{12})-([0-9a-f]{8})\.seg$")


@dataclass(frozen=True, order=True)
class Segment:
    """A sealed segment file. Ordered by age; `token` is unique across runs and restarts."""

    number: int
    run: str
    path: Path

    @property
    def token(self) -> str:
        return f"{self.run}-{self.number}"

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0


@dataclass
class ReadResult:
    payloads: list[bytes]
    corrupt: int  # records (or torn tails) that failed their checksum or were cut short


def read_segment(path: Path) -> ReadResult:
    data = path.read_bytes()
    payloads: list[bytes] = []
    corrupt = 0
    pos = 0
    while pos < len(data):
        if data.startswith(MAGIC, pos) and pos + HEADER.size <= len(data):
            _, length, checksum = HEADER.unpack_from(data, pos)
            start, end = pos + HEADER.size, pos + HEADER.size + length
            if length <= MAX_RECORD and end <= len(data) and zlib.crc32(data[start:end]) == checksum:
                payloads.append(data[start:end])
                pos = end
                continue
        # Bad header, torn tail or checksum mismatch: count it and resynchronise on the next record.
        corrupt += 1
        following = data.find(MAGIC, pos + 1)
        if following < 0:
            break
        pos = following
    return ReadResult(payloads, corrupt)


@dataclass
class _Open:
    """The segment being appended to: its file, and how many bytes of records it holds."""

    segment: Segment
    file: BinaryIO
    used: int = 0


class Spool:
    def __init__(self, folder: Path, *, max_bytes: int, sync_interval: float = 0.5) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.sync_interval = sync_interval
        folder.mkdir(parents=True, exist_ok=True)
        self.run = secrets.token_hex(4)  # a new name space for this process's segments
        existing = self._scan()
        self._next = max((s.number for s in existing), default=0) + 1
        self._sealed_bytes = sum(s.size() for s in existing)
        self._open: _Open | None = None
        self._dirty = False
        self._lock = threading.Lock()  # guards _open and _dirty; held for one write()
        self._sync_lock = threading.Lock()  # a segment is not closed while it is being synced

    def _scan(self) -> list[Segment]:
        found = []
        for path in self.folder.iterdir():
            match = _SEGMENT.match(path.name)
            if match:
                found.append(Segment(int(match.group(1)), match.group(2), path))
        return sorted(found)

    def leftover(self) -> list[Segment]:
        """Sealed segments on disk, oldest first (at start-up: those a previous run left)."""
        current = self._open.segment if self._open is not None else None
        return [s for s in self._scan() if s != current]

    # --- appending: called on the request path, under the writer's lock ---

    def append_many(self, payloads: list[bytes]) -> None:
        """One record per payload, all in one write()."""
        pieces: list[bytes] = []
        for payload in payloads:
            pieces += (HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)), payload)
        records = b"".join(pieces)
        with self._lock:
            current = self._open
            if current is None:
                segment = Segment(self._next, self.run, self.folder / f"{self._next:012d}-{self.run}.seg")
                self._next += 1
                # Unbuffered: the records reach the OS in one write() before the beacons are answered.
                current = self._open = _Open(segment, open(segment.path, "ab", buffering=0))  # noqa: SIM115
            written = current.file.write(records)
            if written != len(records):
                # A short write to a regular file means a full disk. What did land reads back as a torn
                # record, skipped and counted; none of these beacons is answered 204.
                current.used += written or 0
                raise OSError(
                    f"spool segment {current.segment.path.name}: wrote {written} of {len(records)} bytes"
                )
            current.used += written
            self._dirty = True

    def cut(self) -> _Open | None:
        """Take the current segment away from appends (fast: call it under the writer's lock); the
        next append starts a new one. `finish` then makes it a sealed file."""
        with self._lock:
            current, self._open = self._open, None
            if current is not None:
                self._sealed_bytes += current.used
            self._dirty = False
        return current

    def finish(self, current: _Open | None) -> Segment | None:
        """Sync the cut segment to disk and close it."""
        if current is None:
            return None
        with self._sync_lock:
            os.fdatasync(current.file.fileno())
            current.file.close()
        return current.segment

    def seal(self) -> Segment | None:
        """Close the current segment and return it; the next append starts a new one."""
        return self.finish(self.cut())

    def sync(self) -> None:
        """fdatasync the current segment if anything was written since the last sync."""
        with self._sync_lock:
            with self._lock:
                current = self._open if self._dirty else None
                self._dirty = False
            if current is not None:
                try:
                    os.fdatasync(current.file.fileno())
                except OSError as exc:  # the next sync, or the seal, tries again
                    self._dirty = True
                    log.warning("could not sync the spool segment %s: %s", current.segment.path.name, exc)

    def delete(self, segment: Segment) -> None:
        size = segment.size()
        segment.path.unlink(missing_ok=True)
        with self._lock:
            self._sealed_bytes = max(0, self._sealed_bytes - size)

    # --- state, for backpressure and /metrics ---

    def bytes(self) -> int:
        current = self._open
        return self._sealed_bytes + (current.used if current is not None else 0)

    def is_full(self) -> bool:
        return self.bytes() >= self.max_bytes

    def oldest_age(self) -> float:
        """Seconds since the oldest segment still on disk was last written; 0 when none waits."""
        segments = self.leftover()
        if not segments:
            return 0.0
        try:
            return max(0.0, time.time() - segments[0].path.stat().st_mtime)
        except FileNotFoundError:
            return 0.0

    def close(self) -> None:
        self.seal()


def claim_worker_spool(base: Path):
    """With several worker processes (RUMHOUSE_WORKERS), each takes a spool folder of its own,
    `<spool>/worker-<n>`, held by an exclusive lock for the life of the process: two processes never
    append to or replay one folder, and a restarted worker takes a free folder and replays what a dead
    one left there. Returns the folder and the open lock file (closing it releases the folder)."""
    base.mkdir(parents=True, exist_ok=True)
    slot = 0
    while True:
        folder = base / f"worker-{slot}"
        folder.mkdir(exist_ok=True)
        handle = open(folder / ".lock", "a+", encoding="utf-8")  # noqa: SIM115 (held until stop)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            slot += 1
            continue
        return folder, handle
