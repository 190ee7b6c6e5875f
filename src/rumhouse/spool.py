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

import os
import re
import secrets
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

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
        self._current: Segment | None = None
        self._file = None
        self._current_bytes = 0
        self._dirty = False
        self._lock = threading.Lock()

    def _scan(self) -> list[Segment]:
        found = []
        for path in self.folder.iterdir():
            match = _SEGMENT.match(path.name)
            if match:
                found.append(Segment(int(match.group(1)), match.group(2), path))
        return sorted(found)

    def leftover(self) -> list[Segment]:
        """Sealed segments on disk, oldest first (at start-up: those a previous run left)."""
        current = self._current
        return [s for s in self._scan() if s != current]

    # --- appending: called on the request path, under the writer's lock ---

    def append(self, payload: bytes) -> None:
        with self._lock:
            if self._file is None:
                self._current = Segment(self._next, self.run, self.folder / f"{self._next:012d}-{self.run}.seg")
                self._next += 1
                # Unbuffered: each record reaches the OS in one write() before the beacon is answered.
                self._file = open(self._current.path, "ab", buffering=0)
            record = HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload
            self._file.write(record)
            self._current_bytes += len(record)
            self._dirty = True

    def seal(self) -> Segment | None:
        """Close the current segment and return it; the next append starts a new one."""
        with self._lock:
            segment, handle = self._current, self._file
            if handle is None:
                return None
            self._file = self._current = None
            self._sealed_bytes += self._current_bytes
            self._current_bytes = 0
            dirty, self._dirty = self._dirty, False
        if dirty:
            os.fdatasync(handle.fileno())
        handle.close()
        return segment

    def sync(self) -> None:
        """fdatasync the current segment if anything was written since the last sync."""
        with self._lock:
            handle = self._file if self._dirty else None
            self._dirty = False
        if handle is not None:
            try:
                os.fdatasync(handle.fileno())
            except (OSError, ValueError):  # sealed and closed meanwhile: seal() synced it
                pass

    def delete(self, segment: Segment) -> None:
        size = segment.size()
        segment.path.unlink(missing_ok=True)
        with self._lock:
            self._sealed_bytes = max(0, self._sealed_bytes - size)

    # --- state, for backpressure and /metrics ---

    def bytes(self) -> int:
        return self._sealed_bytes + self._current_bytes

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
