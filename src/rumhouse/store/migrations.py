"""The schema: ordered SQL files in clickhouse/ (0001_page_views.sql, ...), applied once each, in order.

Each file holds one table, or one family (a raw table with its rollups and the views that feed them),
as it is now: clickhouse/schema.sql shows the whole result, generated from a migrated database. A later
change to the schema is a new numbered file. Applied by `rumhouse migrate` and at start-up; each applied
file is recorded in `rumhouse.schema_migrations`, and every statement says IF NOT EXISTS, so a run cut
short in the middle of a file is simply run again. The same files serve the embedded engine and a
ClickHouse server; on a ClickHouse cluster (RUMHOUSE_CLUSTER), store/cluster.py rewrites each statement
into its replicated and distributed form, so the files never mention the cluster.

A few names in braces stand for text written once, here or in tables.py, and used by several files:
the retention settings, the event tables' shared columns, the rollups' dimensions and the Web Vitals
thresholds (see PLACEHOLDERS).

Data folders of rumhouse 0.1.0 hold the same schema built by 27 smaller migrations (LEGACY_0_1_0):
when all of them were applied, the folder is taken over as it is (its bookkeeping rewritten, no data
touched); when only some were, it is refused with a message saying what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rumhouse.store.base import Store, StoreError
from rumhouse.store.cluster import ClusterLayout
from rumhouse.tables import DIMENSION_COLUMNS, DIMENSIONS, TABLES, TIME_COLUMNS, VITAL_FIELDS, threshold_sql

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

# `time` and the page view's dimensions, as every event table but page_views has them (page_views
# says more about each in its own comments). In the order of tables.DIMENSIONS, which rows follow.
_EVENT_COLUMN_TYPES = {
    "time": ("DateTime64(3)", "When it happened (server clock; see docs/beacon.md)"),
    "site": ("LowCardinality(String)", "Site key from data-site"),
    "page_view_id": ("String", "Page view this row belongs to (joins to page_views)"),
    "host": ("LowCardinality(String)", "Host of the page URL"),
    "path": ("String", "Path of the page, with id-like segments templated (/users/:id)"),
    "browser": ("LowCardinality(String)", "Browser family from the user agent"),
    "os": ("LowCardinality(String)", "Operating system family from the user agent"),
    "device_type": ("LowCardinality(String)", "desktop, mobile, tablet or other"),
    "country": (
        "LowCardinality(String)",
        "ISO 3166 country code from a trusted proxy header, empty when unknown",
    ),
    "connection_type": ("LowCardinality(String)", "navigator.connection.effectiveType, empty when unknown"),
    "release": ("LowCardinality(String)", "Release of the site, from data-release"),
    "navigation_type": (
        "LowCardinality(String)",
        "navigate, reload, back_forward, prerender, restore or soft",
    ),
}
EVENT_COLUMNS = ",\n    ".join(
    f"{name} {_EVENT_COLUMN_TYPES[name][0]} COMMENT '{_EVENT_COLUMN_TYPES[name][1]}'"
    for name in ("time", *DIMENSIONS)
)
# The columns of rumhouse.vitals after `time` and the dimensions (0002_vitals.sql, 0012_vital_attribution.sql,
# where each is described), for the tables that hold vitals on their way there (vital_updates); a test
# checks that these types are the ones rumhouse.vitals has.
VITAL_COLUMN_TYPES = {
    "name": "LowCardinality(String)",
    "value": "Float64",
    "attribution": "String",
    "event_type": "LowCardinality(String)",
    "load_state": "LowCardinality(String)",
    "ttfb_ms": "Nullable(Float64)",
    "load_delay_ms": "Nullable(Float64)",
    "load_duration_ms": "Nullable(Float64)",
    "render_delay_ms": "Nullable(Float64)",
    "resource_url": "String",
    "input_delay_ms": "Nullable(Float64)",
    "processing_ms": "Nullable(Float64)",
    "presentation_ms": "Nullable(Float64)",
    "script_url": "String",
    "script_function": "String",
    "script_invoker": "String",
    "script_ms": "Nullable(Float64)",
    "shift_value": "Nullable(Float64)",
    "shift_time_ms": "Nullable(Float64)",
}
assert tuple(VITAL_COLUMN_TYPES) == VITAL_FIELDS
VITAL_COLUMNS = ",\n    ".join(
    f"{name} {kind} COMMENT 'As in rumhouse.vitals'" for name, kind in VITAL_COLUMN_TYPES.items()
)
# What the OpenTelemetry Collector's ClickHouse exporter puts in every metrics table (clickhouse/0014_otel.sql),
# with rumhouse's site column after them: name, type, comment.
_MAP = "Map(LowCardinality(String), String) CODEC(ZSTD(1))"
_TEXT = "String CODEC(ZSTD(1))"
_TIME = "DateTime64(9) CODEC(Delta, ZSTD(1))"
_OTEL_METRIC_COLUMNS = (
    ("ResourceAttributes", _MAP, "Resource attributes, values as strings"),
    ("ResourceSchemaUrl", _TEXT, "Resource schema URL"),
    ("ScopeName", _TEXT, "Instrumentation scope (meter) name"),
    ("ScopeVersion", _TEXT, "Instrumentation scope version"),
    ("ScopeAttributes", _MAP, "Scope attributes"),
    ("ScopeDroppedAttrCount", "UInt32 CODEC(ZSTD(1))", "Scope attributes dropped by the sender"),
    ("ScopeSchemaUrl", _TEXT, "Scope schema URL"),
    ("ServiceName", "LowCardinality(String) CODEC(ZSTD(1))", "The resource attribute service.name"),
    ("MetricName", _TEXT, "Metric name"),
    ("MetricDescription", _TEXT, "Metric description"),
    ("MetricUnit", _TEXT, "Metric unit (s, ms, By, 1, ...)"),
    ("Attributes", _MAP, "Data point attributes, values as strings"),
    ("StartTimeUnix", _TIME, "Start of the point''s interval (cumulative and delta points)"),
    ("TimeUnix", _TIME, "When the point was taken"),
    (
        "site",
        "LowCardinality(String) MATERIALIZED ResourceAttributes['rumhouse.site']",
        "rumhouse: the site (resource attribute rumhouse.site)",
    ),
)
_OTEL_EXEMPLAR_COLUMNS = (
    (
        "`Exemplars.FilteredAttributes`",
        "Array(Map(LowCardinality(String), String)) CODEC(ZSTD(1))",
        "attributes",
    ),
    ("`Exemplars.TimeUnix`", "Array(DateTime64(9)) CODEC(ZSTD(1))", "when"),
    ("`Exemplars.Value`", "Array(Float64) CODEC(ZSTD(1))", "value"),
    ("`Exemplars.SpanId`", "Array(String) CODEC(ZSTD(1))", "span id"),
    ("`Exemplars.TraceId`", "Array(String) CODEC(ZSTD(1))", "trace id"),
)
OTEL_METRIC_COLUMNS = ",\n    ".join(f"{n} {t} COMMENT '{c}'" for n, t, c in _OTEL_METRIC_COLUMNS)
OTEL_EXEMPLAR_COLUMNS = ",\n    ".join(
    f"{n} {t} COMMENT 'Exemplars: {c}'" for n, t, c in _OTEL_EXEMPLAR_COLUMNS
)
OTEL_METRIC_INDEXES = ",\n    ".join(
    (
        "INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
        "INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
        "INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1",
        "INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1",
        "INDEX idx_site site TYPE set(100) GRANULARITY 4",
    )
)
# [('', ''), ('path', path), ...]: the rollups' ARRAY JOIN, one row for all page views and one per dimension.
DIMENSION_PAIRS = (
    "[('', ''), " + ", ".join(f"('{name}', {column})" for name, column in DIMENSION_COLUMNS.items()) + "]"
)

# The files of rumhouse 0.1.0, folded into the ones above; their end state is the same schema.
LEGACY_0_1_0 = frozenset(
    f"{name}.sql"
    for name in (
        "0001_page_views", "0002_vitals", "0003_errors", "0004_api_calls", "0005_resources", "0006_measures",
        "0007_beacons", "0010_tokens", "0011_vitals_hourly", "0012_page_views_hourly",
        "0013_api_calls_hourly", "0014_resources_hourly", "0015_vitals_daily", "0016_page_views_daily",
        "0017_api_calls_daily", "0018_resources_daily", "0019_api_calls_page_views_sketch",
        "0020_errors_hourly", "0021_errors_daily", "0022_rollups_small_granules", "0030_budgets",
        "0031_budget_overrides", "0032_alert_state", "0033_alert_events", "0034_alert_deliveries",
        "0035_suggestion_status", "0036_audit_log",
    )
)  # fmt: skip


class SchemaError(StoreError):
    """The database holds a schema this version cannot take over; the message says what to do (the
    CLI and `serve` print it as it is)."""


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


# Rollup tables, kept longer than the raw rows; their TTL is on `hour` or `day`.
ROLLUP_TABLES = (
    "vitals_hourly",
    "page_views_hourly",
    "api_calls_hourly",
    "resources_hourly",
    "errors_hourly",
)
DAILY_TABLES = ("vitals_daily", "page_views_daily", "api_calls_daily", "resources_daily", "errors_daily")


def placeholders(retention_days: int, rollup_retention_days: int) -> dict[str, str]:
    """What each {name} in clickhouse/*.sql stands for: our own settings and constants, never input."""
    return {
        "retention_days": str(int(retention_days)),
        "rollup_retention_days": str(int(rollup_retention_days)),
        "event_columns": EVENT_COLUMNS,
        "vital_columns": VITAL_COLUMNS,
        "otel_metric_columns": OTEL_METRIC_COLUMNS,
        "otel_exemplar_columns": OTEL_EXEMPLAR_COLUMNS,
        "otel_metric_indexes": OTEL_METRIC_INDEXES,
        "dimension_pairs": DIMENSION_PAIRS,
        "good_threshold": threshold_sql(0, "-1"),
        "poor_threshold": threshold_sql(1, "inf"),
    }


def render(statement: str, values: dict[str, str]) -> str:
    def fill(found: re.Match[str]) -> str:
        if found.group(1) not in values:
            raise ValueError(f"unknown placeholder {found.group(0)} in a migration statement")
        return values[found.group(1)]

    return _PLACEHOLDER.sub(fill, statement)


def load_migrations(
    folder: Path | None = None, *, retention_days: int = 30, rollup_retention_days: int = 365
) -> list[Migration]:
    folder = folder or migrations_dir()
    values = placeholders(retention_days, rollup_retention_days)
    found = []
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if not match:
            continue
        # Rendered after comments are dropped: a comment may name a placeholder.
        statements = [render(s, values) for s in split_statements(path.read_text(encoding="utf-8"))]
        found.append(Migration(int(match.group(1)), path.name, statements))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migration files share a version number in {folder}")
    return found


def applied_names(store: Store) -> set[str]:
    return {str(row[0]) for row in store.query("SELECT name FROM rumhouse.schema_migrations FINAL").rows}


def legacy_takeover(applied: set[str], files: list[Migration]) -> bool:
    """True when `applied` is the bookkeeping of a complete rumhouse 0.1.0 schema (take it over); False
    when it holds only files of this version. Raises SchemaError for anything else."""
    current = {m.name for m in files}
    unknown = sorted(applied - current - LEGACY_0_1_0)
    if unknown:
        raise SchemaError(
            f"this database has schema migrations this rumhouse does not know ({', '.join(unknown)}): "
            "it was made by a newer rumhouse; run that version"
        )
    if not applied & (LEGACY_0_1_0 - current):
        return False
    missing = sorted(LEGACY_0_1_0 - applied)
    if missing:
        raise SchemaError(
            "this database was made by rumhouse 0.1.0 and not fully migrated (missing: "
            f"{', '.join(missing)}): run `rumhouse migrate` of rumhouse 0.1.0 once, then this version"
        )
    return True


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
    files = load_migrations(retention_days=retention_days, rollup_retention_days=rollup_retention_days)
    done = applied_names(store)
    # Every statement of every file is planned (on a cluster: rewritten) before any runs, so a
    # statement the cluster layout cannot take stops the run before it changes anything.
    plan = [(m, [out for statement in m.statements for out in planned(statement)]) for m in files]
    if legacy_takeover(done, files):
        # Every object the files create is there already, the same (the folding kept the end state
        # as it was, clickhouse/schema.sql), so applying them creates nothing; only the bookkeeping
        # starts again. Cut short after this TRUNCATE, the next run simply applies all files.
        if progress is not None:
            progress("taking over a rumhouse 0.1.0 database: its 27 migrations are these files now")
        for statement in planned("TRUNCATE TABLE rumhouse.schema_migrations"):
            store.command(statement)
        done = set()
    applied = []
    todo = [(m, s) for m, s in plan if m.name not in done]
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


def show_schema(store: Store) -> str:
    """Every table and view of `rumhouse` as ClickHouse shows it (SHOW CREATE), tables first, each
    statement ending with ';' (clickhouse/schema.sql is this, of a freshly migrated database)."""
    objects = store.query(
        "SELECT name, engine = 'MaterializedView' AS is_view FROM system.tables "
        "WHERE database = 'rumhouse' ORDER BY is_view, name"
    ).rows
    statements = [store.query(f"SHOW CREATE TABLE rumhouse.`{name}`").rows[0][0] for name, _ in objects]
    return "".join(f"\n{statement.rstrip()};\n" for statement in statements)


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
        ttl = f"toDateTime({TIME_COLUMNS[table]})" if table in TIME_COLUMNS else column
        store.command(
            f"ALTER TABLE rumhouse.{name}{on_cluster} MODIFY TTL {ttl} + INTERVAL {days} DAY"
            " SETTINGS materialize_ttl_after_modify = 0"
        )
