"""The schema: ordered SQL files in clickhouse/ (0001_....sql, ...), applied once each, in order.

Applied by `rumhouse migrate` and at start-up. Each applied file is recorded in
`rumhouse.schema_migrations`; the statements also use IF NOT EXISTS, so a run cut short in the middle
of a file is simply run again. The same files serve the embedded engine and a ClickHouse server; on a
ClickHouse cluster (RUMHOUSE_CLUSTER), store/cluster.py rewrites each statement into its replicated and
distributed form, so the files never mention the cluster.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rumhouse.store.base import Store
from rumhouse.store.cluster import ClusterLayout
from rumhouse.tables import TABLES

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: list[str]


def migrations_dir() -> Path:
    """clickhouse/ at the repository root (a source checkout), or inside the installed package."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "clickhouse", package.parent.parent / "clickhouse"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the clickhouse/ migrations folder is missing from this installation")


def split_statements(text: str) -> list[str]:
    """Statements end with ';' at the end of a line; comment lines are dropped."""
    statements, current = [], []
    for line in text.splitlines():
        if line.lstrip().startswith("--"):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statement = "\n".join(current).strip().rstrip(";").strip()
            if statement:
                statements.append(statement)
            current = []
    rest = "\n".join(current).strip()
    if rest:
        statements.append(rest)
    return statements


# Rollup tables (clickhouse/0011-0021), kept longer than the raw rows; their TTL is on `hour` or `day`.
ROLLUP_TABLES = (
    "vitals_hourly",
    "page_views_hourly",
    "api_calls_hourly",
    "resources_hourly",
    "errors_hourly",
)
DAILY_TABLES = ("vitals_daily", "page_views_daily", "api_calls_daily", "resources_daily", "errors_daily")


def load_migrations(
    folder: Path | None = None, *, retention_days: int = 30, rollup_retention_days: int = 365
) -> list[Migration]:
    folder = folder or migrations_dir()
    found = []
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if not match:
            continue
        # The only placeholders: numbers from our own settings, never from a request.
        text = (
            path.read_text(encoding="utf-8")
            .replace("{retention_days}", str(int(retention_days)))
            .replace("{rollup_retention_days}", str(int(rollup_retention_days)))
        )
        found.append(Migration(int(match.group(1)), path.name, split_statements(text)))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migration files share a version number in {folder}")
    return found


def applied_versions(store: Store) -> set[int]:
    result = store.query("SELECT version FROM rumhouse.schema_migrations")
    return {int(row[0]) for row in result.rows}


def migrate(
    store: Store,
    *,
    retention_days: int = 30,
    retention_overrides: dict[str, int] | None = None,
    cluster: str | None = None,
    rollup_retention_days: int = 365,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Apply every migration not yet applied; returns the names of those applied now. `progress` is told
    of each one before it runs (the CLI prints it, `serve` logs it).

    `cluster` (default: the store's own `cluster` attribute, set by RUMHOUSE_CLUSTER) names a ClickHouse
    cluster: the statements then run in their replicated and distributed form (store/cluster.py)."""
    cluster = getattr(store, "cluster", "") if cluster is None else cluster
    layout = ClusterLayout(cluster) if cluster else None

    def planned(statement: str) -> list[str]:
        return layout.rewrite(statement) if layout else [statement]

    for statement in planned("CREATE DATABASE IF NOT EXISTS rumhouse") + planned(
        "CREATE TABLE IF NOT EXISTS rumhouse.schema_migrations ("
        " version UInt32 COMMENT 'Number of the migration file',"
        " name String COMMENT 'File name in clickhouse/',"
        " applied_at DateTime DEFAULT now() COMMENT 'When it was applied'"
        ") ENGINE = ReplacingMergeTree ORDER BY version"
        " COMMENT 'Schema migrations applied to this database'"
    ):
        store.command(statement)
    done = applied_versions(store)
    # Every statement of every file is planned (on a cluster: rewritten) before any runs, so a
    # statement the cluster layout cannot take stops the run before it changes anything.
    plan = [
        (m, [out for statement in m.statements for out in planned(statement)])
        for m in load_migrations(retention_days=retention_days, rollup_retention_days=rollup_retention_days)
    ]
    applied = []
    todo = [(m, s) for m, s in plan if m.version not in done]
    for number, (migration, statements) in enumerate(todo, 1):
        if progress is not None:
            progress(f"applying {migration.name} ({number}/{len(todo)})")
        for statement in statements:
            store.command(statement)
        store.command(
            "INSERT INTO rumhouse.schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})",
            {"v": migration.version, "n": migration.name},
        )
        applied.append(migration.name)
    apply_retention(store, retention_days, retention_overrides or {}, cluster=cluster)
    apply_retention(store, retention_days, {}, ("audit_log",), cluster=cluster)
    apply_retention(store, rollup_retention_days, {}, ROLLUP_TABLES, "hour", cluster=cluster)
    apply_retention(store, rollup_retention_days, {}, DAILY_TABLES, "day", cluster=cluster)
    return applied


def apply_retention(
    store: Store,
    retention_days: int,
    overrides: dict[str, int],
    tables: tuple[str, ...] = TABLES,
    column: str = "toDateTime(time)",
    *,
    cluster: str = "",
) -> None:
    """Keep each table's TTL equal to its retention setting, also after the setting changes. On a
    cluster the TTL belongs to the local tables (`x_local`), on every node."""
    for table in tables:
        days = int(overrides.get(table, retention_days))
        wanted = f"toIntervalDay({days})"
        name = f"{table}_local" if cluster else table
        current = store.query(
            "SELECT engine_full FROM system.tables WHERE database = 'rumhouse' AND name = {t:String}",
            {"t": name},
        ).scalar()
        if current is None or wanted in current:
            continue
        # materialize_ttl_after_modify = 0: old parts are trimmed by the next merge instead of
        # being rewritten right away, which would stall ingest on a large table.
        on_cluster = f" ON CLUSTER {cluster}" if cluster else ""
        store.command(
            f"ALTER TABLE rumhouse.{name}{on_cluster} MODIFY TTL {column} + INTERVAL {days} DAY"
            " SETTINGS materialize_ttl_after_modify = 0"
        )
