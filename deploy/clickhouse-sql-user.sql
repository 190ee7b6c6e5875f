-- The ClickHouse user that people's SQL (POST /api/v1/sql, rumhouse sql) logs in as on the server engine:
-- RUMHOUSE_CLICKHOUSE_SQL_USER=rumhouse_sql and RUMHOUSE_CLICKHOUSE_SQL_PASSWORD. Run once, as a ClickHouse
-- administrator, after `rumhouse migrate`; choose your own password. (docs/security.md explains each part.)
--
-- readonly = 2 CONST: reads only, and no query can lift it; the limits below can be lowered by a query,
-- never raised (MAX). Keep them at or above RUMHOUSE_SQL_* (rumhouse sends those with every query).
CREATE SETTINGS PROFILE IF NOT EXISTS rumhouse_sql SETTINGS
    readonly = 2 CONST,
    max_execution_time = 30 MAX 30,
    max_memory_usage = 2147483648 MAX 2147483648,
    max_rows_to_read = 2000000000 MAX 2000000000,
    max_bytes_to_read = 214748364800 MAX 214748364800,
    max_result_rows = 100000 MAX 100000,
    max_result_bytes = 67108864 MAX 67108864,
    max_threads = 1 MAX 4,
    max_concurrent_queries_for_user = 4 CONST;

CREATE USER IF NOT EXISTS rumhouse_sql IDENTIFIED WITH sha256_password BY 'change-me'
    SETTINGS PROFILE 'rumhouse_sql';

-- SELECT on the public tables only (rumhouse.tokens, audit_log, alert state and budgets stay out), and
-- nothing else: no FILE, URL, REMOTE or other source, no dictionaries, no system tables beyond the
-- defaults ClickHouse gives every user. On a cluster, grant the same on each table's `_local` table too.
GRANT SELECT ON rumhouse.api_calls TO rumhouse_sql;
GRANT SELECT ON rumhouse.api_calls_daily TO rumhouse_sql;
GRANT SELECT ON rumhouse.api_calls_hourly TO rumhouse_sql;
GRANT SELECT ON rumhouse.beacons TO rumhouse_sql;
GRANT SELECT ON rumhouse.errors TO rumhouse_sql;
GRANT SELECT ON rumhouse.errors_daily TO rumhouse_sql;
GRANT SELECT ON rumhouse.errors_hourly TO rumhouse_sql;
GRANT SELECT ON rumhouse.measures TO rumhouse_sql;
GRANT SELECT ON rumhouse.websockets TO rumhouse_sql;
GRANT SELECT ON rumhouse.page_views TO rumhouse_sql;
GRANT SELECT ON rumhouse.page_views_daily TO rumhouse_sql;
GRANT SELECT ON rumhouse.page_views_hourly TO rumhouse_sql;
GRANT SELECT ON rumhouse.resources TO rumhouse_sql;
GRANT SELECT ON rumhouse.resources_daily TO rumhouse_sql;
GRANT SELECT ON rumhouse.resources_hourly TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_metrics_gauge TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_metrics_histogram TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_metrics_sum TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_traces TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_server_minutely TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_server_hourly TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_db_minutely TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_db_hourly TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_dependency_minutely TO rumhouse_sql;
GRANT SELECT ON rumhouse.otel_dependency_hourly TO rumhouse_sql;
GRANT SELECT ON rumhouse.vitals TO rumhouse_sql;
GRANT SELECT ON rumhouse.vital_updates TO rumhouse_sql;
GRANT SELECT ON rumhouse.vitals_daily TO rumhouse_sql;
GRANT SELECT ON rumhouse.vitals_hourly TO rumhouse_sql;
