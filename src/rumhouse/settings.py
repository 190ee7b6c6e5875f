"""Server settings, read once from `RUMHOUSE_*` environment variables into one typed object.

Sites, budgets and alert channels are configuration as code in the TOML file named by
`RUMHOUSE_CONFIG` (see `sites.py`); everything about how the server itself runs lives here.
The full reference is in README.md ("Configuration").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


N = TypeVar("N", int, float)


def bounded(raw: str, kind: type[N], lo: N, hi: N) -> N:
    """`raw` as an int or float from lo to hi; ValueError says what it must be (the caller names it).
    Settings and the API's parameters both read numbers this way."""
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"must be between {lo} and {hi}, got {value}")
    return value


def _number(env: Mapping[str, str], name: str, default: N, lo: N, hi: N, kind: type[N]) -> N:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return bounded(raw, kind, lo, hi)
    except ValueError as exc:
        raise SettingsError(f"{name} {exc}") from None


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    return _number(env, name, default, lo, hi, int)


def _float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    return _number(env, name, default, lo, hi, float)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _cluster(env: Mapping[str, str]) -> str:
    name = env.get("RUMHOUSE_CLUSTER", "").strip()
    # Spliced into DDL (ON CLUSTER name), so only a plain identifier is accepted.
    if name and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SettingsError(
            f"RUMHOUSE_CLUSTER must be a plain cluster name (letters, digits, _), got {name!r}"
        )
    return name


LOOPBACK_PROXIES = ("127.0.0.1/32", "::1/128")

# The raw tables whose retention can be set one by one.
RETENTION_TABLES = (
    "page_views",
    "vitals",
    "errors",
    "api_calls",
    "resources",
    "measures",
    "websockets",
    "beacons",
)


def _retention_overrides(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    return tuple(
        (table, _int(env, f"RUMHOUSE_RETENTION_DAYS_{table.upper()}", 0, 1, 3650))
        for table in RETENTION_TABLES
        if env.get(f"RUMHOUSE_RETENTION_DAYS_{table.upper()}")
    )


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


def _sql_limits(env: Mapping[str, str]) -> SqlLimits:
    d = SqlLimits()
    return SqlLimits(
        concurrent=_int(env, "RUMHOUSE_SQL_CONCURRENT", d.concurrent, 1, 64),
        seconds=_int(env, "RUMHOUSE_SQL_TIMEOUT", d.seconds, 1, 3600),
        memory_bytes=_int(env, "RUMHOUSE_SQL_MAX_MEMORY", d.memory_bytes, 1 << 20, 1 << 40),
        rows_read=_int(env, "RUMHOUSE_SQL_MAX_ROWS_READ", d.rows_read, 1, 10**13),
        bytes_read=_int(env, "RUMHOUSE_SQL_MAX_BYTES_READ", d.bytes_read, 1, 1 << 50),
        result_rows=_int(env, "RUMHOUSE_SQL_MAX_RESULT_ROWS", d.result_rows, 1, 10**8),
        result_bytes=_int(env, "RUMHOUSE_SQL_MAX_RESULT_BYTES", d.result_bytes, 1024, 1 << 32),
        threads=_int(env, "RUMHOUSE_SQL_MAX_THREADS", d.threads, 1, 256),
    )


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("rumhouse-data")
    config_file: Path | None = None
    # The server engine (store/server.py) when set, else the embedded engine. Holds the password:
    # never printed or logged.
    clickhouse_url: str = field(default="", repr=False)
    # People's SQL logs in as this ClickHouse user when set (docs/security.md has its DDL). Never printed.
    clickhouse_sql_user: str = ""
    clickhouse_sql_password: str = field(default="", repr=False)
    clickhouse_compress: bool = True
    clickhouse_ca_cert: str = ""
    # A ClickHouse cluster name: migrations then create Replicated tables and Distributed tables
    # ON CLUSTER (store/cluster.py). Empty means a single server (or the embedded engine).
    cluster: str = ""
    # Processes `rumhouse serve` runs (server engine only: the embedded engine's folder has one owner).
    workers: int = 1
    # One worker: its event loop gets a CPU of its own, the process's other threads the rest (placement.py).
    pin_event_loop: bool = True
    # Never printed or logged: see `__repr__`.
    admin_token: str = field(default="", repr=False)
    # When set, /metrics answers only requests with this bearer token (Prometheus: `authorization`).
    metrics_token: str = field(default="", repr=False)
    retention_days: int = 30
    # The hourly and daily rollups (clickhouse/) answer the dashboard long after raw rows are gone.
    rollup_retention_days: int = 365
    flush_interval: float = 1.0
    # Rows waiting that make the writer flush before its interval: a memory bound (about 250 bytes a
    # row, so ~60 MB), not the usual trigger. Each flush costs a fixed ~100 ms of ClickHouse work (a part
    # per table and rollup, then merges), so flushing by count at high load costs more than it saves.
    flush_rows: int = 250_000
    max_body_bytes: int = 65_536
    query_allowlist: tuple[str, ...] = ("utm_*",)
    country_header: str = "cf-ipcountry"
    drop_bots: bool = True
    public_url: str = ""
    spool_dir: Path | None = None  # default: <data_dir>/spool
    spool_max_bytes: int = 1 << 30
    # Token buckets: sustained beacons/s and burst. 0 turns a limit off.
    site_rate_limit: float = 2000.0
    site_burst: int = 4000
    ip_rate_limit: float = 50.0
    ip_burst: int = 200
    trusted_proxies: tuple[str, ...] = LOOPBACK_PROXIES
    body_timeout: float = 10.0
    # The HTTP front (http_front.py): time and size of a request head, connections per client and in all.
    head_timeout: float = 10.0
    max_head_bytes: int = 32 << 10
    max_connections_per_client: int = 256
    max_connections: int = 10_000
    # Per-table retention overrides (RUMHOUSE_RETENTION_DAYS_<TABLE>), else retention_days.
    retention_overrides: tuple[tuple[str, int], ...] = ()
    # Seconds between alert evaluations (0: this process does not evaluate), and before the first retry of a
    # failed notification (it doubles each time).
    alert_interval: float = 60.0
    alert_retry: float = 5.0
    # CLS and INP reports that may change (settle.py): seconds between settling passes, and how long
    # a page view's latest report waits for a later one before it counts as final.
    settle_interval: float = 10.0
    settle_after: float = 1800.0
    # OTLP/HTTP requests (/v1/traces, /v1/metrics): the body as sent, and once decompressed.
    otlp_max_body_bytes: int = 8 << 20
    otlp_max_decoded_bytes: int = 64 << 20
    # OTLP requests per second per site, and the burst, per worker process (0: no limit). An SDK sends a
    # batch of up to 512 spans every few seconds per process: 100 requests/s is a large fleet.
    otlp_rate_limit: float = 100.0
    otlp_burst: int = 200
    # People's SQL (/api/v1/sql, `rumhouse sql`): what one query may use, and how many run at once.
    sql_limits: SqlLimits = field(default_factory=SqlLimits)

    @property
    def spool_path(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        config = env.get("RUMHOUSE_CONFIG") or None
        return cls(
            data_dir=Path(env.get("RUMHOUSE_DATA_DIR") or "rumhouse-data"),
            config_file=Path(config) if config else None,
            clickhouse_url=env.get("RUMHOUSE_CLICKHOUSE_URL", "").strip(),
            clickhouse_sql_user=env.get("RUMHOUSE_CLICKHOUSE_SQL_USER", "").strip(),
            clickhouse_sql_password=env.get("RUMHOUSE_CLICKHOUSE_SQL_PASSWORD", ""),
            clickhouse_compress=_bool(env, "RUMHOUSE_CLICKHOUSE_COMPRESS", True),
            clickhouse_ca_cert=env.get("RUMHOUSE_CLICKHOUSE_CA_CERT", ""),
            cluster=_cluster(env),
            workers=_int(env, "RUMHOUSE_WORKERS", 1, 1, 256),
            pin_event_loop=_bool(env, "RUMHOUSE_PIN_EVENT_LOOP", True),
            admin_token=env.get("RUMHOUSE_ADMIN_TOKEN", ""),
            metrics_token=env.get("RUMHOUSE_METRICS_TOKEN", ""),
            retention_days=_int(env, "RUMHOUSE_RETENTION_DAYS", 30, 1, 3650),
            rollup_retention_days=_int(env, "RUMHOUSE_ROLLUP_RETENTION_DAYS", 365, 1, 3650),
            flush_interval=_float(env, "RUMHOUSE_FLUSH_INTERVAL", 1.0, 0.01, 60.0),
            flush_rows=_int(env, "RUMHOUSE_FLUSH_ROWS", 250_000, 1, 10_000_000),
            # 64 KiB is what browsers allow for one keepalive/sendBeacon request; a larger
            # limit only helps an attacker.
            max_body_bytes=_int(env, "RUMHOUSE_MAX_BODY_BYTES", 65_536, 1_024, 1_048_576),
            query_allowlist=_list(env, "RUMHOUSE_QUERY_ALLOWLIST", ("utm_*",)),
            country_header=env.get("RUMHOUSE_COUNTRY_HEADER", "cf-ipcountry").lower(),
            drop_bots=_bool(env, "RUMHOUSE_DROP_BOTS", True),
            public_url=env.get("RUMHOUSE_PUBLIC_URL", "").rstrip("/"),
            spool_dir=Path(env["RUMHOUSE_SPOOL_DIR"]) if env.get("RUMHOUSE_SPOOL_DIR") else None,
            spool_max_bytes=_int(env, "RUMHOUSE_SPOOL_MAX_BYTES", 1 << 30, 4096, 1 << 44),
            site_rate_limit=_float(env, "RUMHOUSE_SITE_RATE_LIMIT", 2000.0, 0, 1e9),
            site_burst=_int(env, "RUMHOUSE_SITE_BURST", 4000, 1, 10**9),
            ip_rate_limit=_float(env, "RUMHOUSE_IP_RATE_LIMIT", 50.0, 0, 1e9),
            ip_burst=_int(env, "RUMHOUSE_IP_BURST", 200, 1, 10**9),
            # A reverse proxy on the same host is trusted by default: its clients are then limited one by
            # one (from X-Forwarded-For) instead of all sharing the proxy's exempt loopback address.
            trusted_proxies=_list(env, "RUMHOUSE_TRUSTED_PROXIES", LOOPBACK_PROXIES),
            body_timeout=_float(env, "RUMHOUSE_BODY_TIMEOUT", 10.0, 0.1, 600.0),
            head_timeout=_float(env, "RUMHOUSE_HEADER_TIMEOUT", 10.0, 0.1, 600.0),
            max_head_bytes=_int(env, "RUMHOUSE_MAX_HEADER_BYTES", 32 << 10, 1024, 1 << 20),
            max_connections_per_client=_int(env, "RUMHOUSE_MAX_CONNECTIONS_PER_CLIENT", 256, 1, 1_000_000),
            max_connections=_int(env, "RUMHOUSE_MAX_CONNECTIONS", 10_000, 16, 1_000_000),
            retention_overrides=_retention_overrides(env),
            alert_interval=_float(env, "RUMHOUSE_ALERT_INTERVAL", 60.0, 0, 86_400),
            alert_retry=_float(env, "RUMHOUSE_ALERT_RETRY", 5.0, 0.01, 86_400),
            settle_interval=_float(env, "RUMHOUSE_SETTLE_INTERVAL", 10.0, 0, 3600),
            settle_after=_float(env, "RUMHOUSE_SETTLE_AFTER", 1800.0, 1, 86_400),
            otlp_max_body_bytes=_int(env, "RUMHOUSE_OTLP_MAX_BODY_BYTES", 8 << 20, 1024, 1 << 30),
            otlp_max_decoded_bytes=_int(env, "RUMHOUSE_OTLP_MAX_DECODED_BYTES", 64 << 20, 1024, 1 << 32),
            otlp_rate_limit=_float(env, "RUMHOUSE_OTLP_RATE_LIMIT", 100.0, 0, 1e9),
            otlp_burst=_int(env, "RUMHOUSE_OTLP_BURST", 200, 1, 1_000_000_000),
            sql_limits=_sql_limits(env),
        )
