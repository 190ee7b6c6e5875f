"""RUMHOUSE_CLUSTER: the migration files, rewritten into replicated local tables and Distributed tables
ON CLUSTER. No cluster can run here, so these tests check the generated SQL: its structure, and that
ClickHouse's own parser takes every statement (formatQuery, on the HTTP stand-in)."""

import re

import pytest

from rumhouse.runtime import open_store
from rumhouse.settings import Settings, SettingsError
from rumhouse.store.base import QueryResult, StoreError
from rumhouse.store.cluster import ClusterError, ClusterLayout, rewrite_all
from rumhouse.store.migrations import DAILY_TABLES, ROLLUP_TABLES, load_migrations, migrate
from rumhouse.store.server import ServerStore
from rumhouse.tables import TABLES, TIME_COLUMNS

# Migrations of the kinds the reading side writes (a table, a backfill, a view TO it), named apart from the
# real files (which are checked too): files written without a thought for clusters must work on one.
FUTURE = [
    """CREATE TABLE IF NOT EXISTS rumhouse.sample_tokens
(
    id String COMMENT 'Public id',
    hash String COMMENT 'SHA-256 of the token',
    version UInt64 COMMENT 'Row version: the newest row of an id wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
COMMENT 'API sample_tokens, stored hashed'""",
    """CREATE TABLE IF NOT EXISTS rumhouse.sample_vitals_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    name LowCardinality(String) COMMENT 'Metric',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    samples SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of values',
    quantiles AggregateFunction(quantilesTDigest(0.5, 0.75), Float64) COMMENT 't-digest state, read with quantilesTDigestMerge'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, name, hour)
TTL hour + INTERVAL 365 DAY
COMMENT 'Hourly rollup of vitals (from rumhouse.vitals)'""",
    """INSERT INTO rumhouse.sample_vitals_hourly
SELECT site, name, toStartOfHour(toDateTime(time, 'UTC')) AS hour, count() AS samples,
       quantilesTDigestState(0.5, 0.75)(value) AS quantiles
FROM rumhouse.vitals GROUP BY site, name, hour""",
    """CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.sample_vitals_hourly_mv TO rumhouse.sample_vitals_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    name LowCardinality(String) COMMENT 'Metric',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC), to the hour',
    samples UInt64 COMMENT 'Number of values',
    quantiles AggregateFunction(quantilesTDigest(0.5, 0.75), Float64) COMMENT 't-digest state'
)
AS SELECT site, name, toStartOfHour(toDateTime(time, 'UTC')) AS hour, count() AS samples,
       quantilesTDigestState(0.5, 0.75)(value) AS quantiles
FROM rumhouse.vitals
WHERE name != 'rumhouse.vitals'
GROUP BY site, name, hour
COMMENT 'Feeds rumhouse.sample_vitals_hourly from every insert into rumhouse.vitals'""",
]


def every_statement() -> list[str]:
    return (
        ["CREATE DATABASE IF NOT EXISTS rumhouse"]
        + [s for m in load_migrations() for s in m.statements]
        + FUTURE
    )


def by_head(statements: list[str]) -> dict[str, str]:
    """{first line: statement}."""
    return {s.strip().splitlines()[0].strip(): s for s in statements}


def test_each_table_becomes_a_replicated_local_table_and_a_distributed_table():
    out = by_head(rewrite_all("rum", every_statement()))
    for table in TABLES:
        local = out[f"CREATE TABLE IF NOT EXISTS rumhouse.{table}_local ON CLUSTER rum"]
        assert (
            f"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{{shard}}/rumhouse/{table}_local', '{{replica}}')"
            in local
        )
        # Everything else the file says is kept: partitions, order, TTL, comments; the dedup window
        # moves to the setting Replicated tables read.
        time = TIME_COLUMNS.get(table, "time")
        assert (
            f"PARTITION BY toDate({time})" in local and f"TTL toDateTime({time}) + INTERVAL 30 DAY" in local
        )
        assert "SETTINGS replicated_deduplication_window = 10000" in local
        assert "non_replicated" not in local
        assert local.count("COMMENT") >= 5
        distributed = out[
            f"CREATE TABLE IF NOT EXISTS rumhouse.{table} ON CLUSTER rum AS rumhouse.{table}_local"
        ]
        key = {"otel_traces": "TraceId"}.get(table, "page_view_id")
        if table.startswith("otel_metrics"):
            key = "ServiceName, MetricName"
        assert f"ENGINE = Distributed(rum, rumhouse, {table}_local, cityHash64({key}))" in distributed
        assert re.search(r"\nCOMMENT '[^']+'$", distributed)
    assert out["CREATE DATABASE IF NOT EXISTS rumhouse ON CLUSTER rum"]


def test_other_engines_keep_their_arguments_and_shard_by_their_sorting_key():
    out = by_head(rewrite_all("rum", every_statement()))
    sample_tokens = out["CREATE TABLE IF NOT EXISTS rumhouse.sample_tokens_local ON CLUSTER rum"]
    assert (
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/rumhouse/sample_tokens_local', '{replica}', version)"
        in sample_tokens
    )
    # The rows a merge (or FINAL) folds together must share a shard.
    assert (
        "Distributed(rum, rumhouse, sample_tokens_local, cityHash64(id))"
        in out[
            "CREATE TABLE IF NOT EXISTS rumhouse.sample_tokens ON CLUSTER rum AS rumhouse.sample_tokens_local"
        ]
    )
    rollup = out["CREATE TABLE IF NOT EXISTS rumhouse.sample_vitals_hourly_local ON CLUSTER rum"]
    assert (
        "ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/rumhouse/sample_vitals_hourly_local', '{replica}')"
        in rollup
    )
    assert (
        "Distributed(rum, rumhouse, sample_vitals_hourly_local, cityHash64(site, name, hour))"
        in out[
            "CREATE TABLE IF NOT EXISTS rumhouse.sample_vitals_hourly ON CLUSTER rum AS rumhouse.sample_vitals_hourly_local"
        ]
    )


def test_materialized_views_read_and_write_the_local_tables_of_their_node():
    out = by_head(rewrite_all("rum", every_statement()))
    view = out[
        "CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.sample_vitals_hourly_mv ON CLUSTER rum TO rumhouse.sample_vitals_hourly_local"
    ]
    assert "FROM rumhouse.vitals_local\n" in view
    # Only table names change, not strings that look like them.
    assert "WHERE name != 'rumhouse.vitals'" in view
    assert "COMMENT 'Feeds rumhouse.sample_vitals_hourly from every insert into rumhouse.vitals'" in view
    # A backfill runs once, through the Distributed tables: all shards in, sharded out.
    backfill = next(
        s
        for s in rewrite_all("rum", every_statement())
        if s.startswith("INSERT INTO rumhouse.sample_vitals_hourly")
    )
    assert backfill == FUTURE[2]


def test_alters_drops_and_maintenance_go_where_the_data_is():
    layout = ClusterLayout("rum")
    for statement in every_statement():
        layout.rewrite(statement)
    assert layout.rewrite("ALTER TABLE rumhouse.vitals ADD COLUMN IF NOT EXISTS x UInt8 COMMENT 'x'") == [
        "ALTER TABLE rumhouse.vitals_local ON CLUSTER rum ADD COLUMN IF NOT EXISTS x UInt8 COMMENT 'x'",
        "ALTER TABLE rumhouse.vitals ON CLUSTER rum ADD COLUMN IF NOT EXISTS x UInt8 COMMENT 'x'",
    ]
    assert layout.rewrite("ALTER TABLE rumhouse.vitals MODIFY TTL toDateTime(time) + INTERVAL 9 DAY") == [
        "ALTER TABLE rumhouse.vitals_local ON CLUSTER rum MODIFY TTL toDateTime(time) + INTERVAL 9 DAY"
    ]
    assert layout.rewrite("OPTIMIZE TABLE rumhouse.sample_tokens FINAL") == [
        "OPTIMIZE TABLE rumhouse.sample_tokens_local ON CLUSTER rum FINAL"
    ]
    assert layout.rewrite("CREATE VIEW IF NOT EXISTS rumhouse.lcp AS SELECT * FROM rumhouse.vitals") == [
        "CREATE VIEW IF NOT EXISTS rumhouse.lcp ON CLUSTER rum AS SELECT * FROM rumhouse.vitals"
    ]
    assert layout.rewrite("DROP TABLE IF EXISTS rumhouse.sample_vitals_hourly") == [
        "DROP TABLE IF EXISTS rumhouse.sample_vitals_hourly ON CLUSTER rum",
        "DROP TABLE IF EXISTS rumhouse.sample_vitals_hourly_local ON CLUSTER rum",
    ]
    assert layout.rewrite("CREATE TABLE IF NOT EXISTS rumhouse.scratch (a UInt8) ENGINE = Memory") == [
        "CREATE TABLE IF NOT EXISTS rumhouse.scratch ON CLUSTER rum (a UInt8) ENGINE = Memory"
    ]


def test_exchanging_two_distributed_tables_swaps_their_local_tables():
    """A migration may rebuild a table by swapping in a copy (ClickHouse cannot change some settings in
    place): on a cluster the local tables swap, and each Distributed table, which names its own local
    table, then shows the other's rows."""
    layout = ClusterLayout("rum")
    layout.rewrite("CREATE TABLE rumhouse.swap_a (a UInt8) ENGINE = MergeTree ORDER BY a")
    layout.rewrite("CREATE TABLE rumhouse.swap_b (a UInt8) ENGINE = MergeTree ORDER BY a")
    assert layout.rewrite("EXCHANGE TABLES rumhouse.swap_a AND rumhouse.swap_b") == [
        "EXCHANGE TABLES rumhouse.swap_a_local AND rumhouse.swap_b_local ON CLUSTER rum"
    ]
    layout.rewrite("CREATE TABLE rumhouse.swap_c (a UInt8) ENGINE = Memory")
    with pytest.raises(ClusterError, match="only one is distributed"):
        layout.rewrite("EXCHANGE TABLES rumhouse.swap_a AND rumhouse.swap_c")


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "CREATE MATERIALIZED VIEW rumhouse.v ENGINE = MergeTree ORDER BY a AS SELECT 1 AS a",
            "write it TO a table",
        ),
        (
            "CREATE TABLE rumhouse.x ON CLUSTER other (a UInt8) ENGINE = MergeTree ORDER BY a",
            "names ON CLUSTER",
        ),
        ("RENAME TABLE rumhouse.a TO rumhouse.b", "do not know how"),
        ("SYSTEM STOP MERGES", "do not know how"),
    ],
)
def test_what_the_layout_cannot_take_fails_before_anything_runs(statement, message):
    with pytest.raises(ClusterError, match=message):
        ClusterLayout("rum").rewrite(statement)


@pytest.mark.slow
def test_clickhouse_parses_every_generated_statement(clickhouse_http):
    store = ServerStore(clickhouse_http.url)
    try:
        for statement in rewrite_all("rum", every_statement()):
            formatted = store.query("SELECT formatQuery({q:String})", {"q": statement}).scalar()
            assert "ON CLUSTER rum" in formatted or formatted.startswith("INSERT"), formatted
    finally:
        store.close()


class Recorder:
    """A store that records statements and answers the runner's queries as an empty server would."""

    def __init__(self, cluster: str = "") -> None:
        self.cluster = cluster
        self.commands: list[str] = []
        self.queried: list[dict] = []

    def command(self, sql, params=None):
        self.commands.append(sql)

    def query(self, sql, params=None, *, readonly=False):
        self.queried.append(params or {})
        return QueryResult(["x"], ["String"], [])


def test_the_runner_applies_the_layout_to_its_own_statements_and_the_retention():
    store = Recorder(cluster="rum")
    applied = migrate(store, retention_days=30)
    assert applied == [m.name for m in load_migrations()]
    heads = [c.splitlines()[0] for c in store.commands]
    assert heads[:3] == [
        "CREATE DATABASE IF NOT EXISTS rumhouse ON CLUSTER rum",
        "CREATE TABLE IF NOT EXISTS rumhouse.schema_migrations_local ON CLUSTER rum",
        "CREATE TABLE IF NOT EXISTS rumhouse.schema_migrations ON CLUSTER rum AS rumhouse.schema_migrations_local",
    ]
    assert (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/rumhouse/schema_migrations_local', '{replica}')"
        in (store.commands[1])
    )
    # Retention is read from, and kept on, the local tables: raw, rollups and the audit log alike.
    assert {p["t"] for p in store.queried if "t" in p} == {
        f"{t}_local" for t in (*TABLES, *ROLLUP_TABLES, *DAILY_TABLES, "audit_log")
    }
    assert all(" ON CLUSTER rum" in c for c in store.commands if not c.startswith("INSERT"))


def test_without_a_cluster_the_files_run_as_written():
    store = Recorder()
    migrate(store)
    statements = [s for m in load_migrations() for s in m.statements]
    assert [
        c for c in store.commands[2:] if not c.startswith("INSERT INTO rumhouse.schema_migrations")
    ] == statements


def test_the_cluster_setting():
    assert Settings.from_env({"RUMHOUSE_CLUSTER": "rum_cluster"}).cluster == "rum_cluster"
    with pytest.raises(SettingsError, match="RUMHOUSE_CLUSTER"):
        Settings.from_env({"RUMHOUSE_CLUSTER": "rum; DROP"})
    with pytest.raises(StoreError, match="needs a ClickHouse server"):
        open_store(Settings.from_env({"RUMHOUSE_CLUSTER": "rum"}))


def test_deleting_a_sites_data_reaches_every_shard():
    from rumhouse.deletion import delete_site_data

    class ClusterStore(Recorder):
        def query(self, sql, params=None, *, readonly=False):
            self.queried.append({"sql": sql, **(params or {})})
            if "system.columns" in sql:  # what one node of the cluster shows
                return QueryResult(
                    ["table", "name", "type"],
                    ["String"] * 3,
                    [
                        ["vitals_local", "time", "DateTime64(3)"],
                        ["vitals_local", "site", "LowCardinality(String)"],
                    ],
                )
            return QueryResult(["count()"], ["UInt64"], [[3]])

    store = ClusterStore(cluster="rum")
    assert delete_site_data(store, "shop") == {"vitals": 3}
    assert store.queried[-1]["sql"] == "SELECT count() FROM rumhouse.vitals WHERE site = {site:String}"
    assert store.commands == [
        "ALTER TABLE rumhouse.vitals_local ON CLUSTER rum DELETE WHERE site = {site:String} SETTINGS mutations_sync = 2"
    ]
