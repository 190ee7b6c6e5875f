"""What one person's query may use, and how many may run at once (RUMHOUSE_SQL_* settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SqlLimits:
    concurrent: int = 2  # queries at once, server-wide; one more gets 429 with Retry-After
    seconds: int = 30
    memory_bytes: int = 2 << 30
    rows_read: int = 2_000_000_000
    bytes_read: int = 200 << 30
    result_rows: int = 100_000
    result_bytes: int = 64 << 20
    # One thread a query: two at once then use at most two of the engine's threads, so the writer's
    # inserts and the dashboard's queries always have CPU (and the event loop has a core of its own).
    threads: int = 1

    def clickhouse_settings(self) -> dict[str, Any]:
        """ClickHouse settings for the query's connection. readonly=1 also forbids changing any of them."""
        return {
            "readonly": 1,
            "max_execution_time": self.seconds,
            "timeout_overflow_mode": "throw",
            "max_memory_usage": self.memory_bytes,
            "max_rows_to_read": self.rows_read,
            "max_bytes_to_read": self.bytes_read,
            "read_overflow_mode": "throw",
            "max_result_rows": self.result_rows,
            "max_result_bytes": self.result_bytes,
            # throw, not break: a silently cut answer would look complete.
            "result_overflow_mode": "throw",
            "max_threads": self.threads,
            # Lower than the service's own queries (0) where the engine schedules by priority.
            "priority": 10,
        }
