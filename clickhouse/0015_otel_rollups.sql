-- What backend questions read: the database span's namespace, collection and query summary (OpenTelemetry
-- semantic conventions, with the older names), and rollups of server and database spans per minute and per
-- hour, so that "p95 per endpoint over 30 days" reads thousands of rows instead of millions of spans.
--
-- Durations in the rollups are a histogram at 1 ms resolution (Map of whole milliseconds -> count, summed
-- by the merges), each duration counted in the millisecond it ends in (ceil: 12.3 ms -> 13): percentiles
-- read from it with quantilesExactWeightedInterpolated are those of the durations so rounded, at most 1 ms
-- over the exact ones at any duration (a t-digest or quantileTiming would not promise 1 ms), and "calls
-- over 100 ms" is exact (ceil(d) > 100 exactly when d > 100). Its size is the number of distinct
-- milliseconds seen per row.
--
-- The minutely rollups are sorted by time first (a short window reads its own minutes); the hourly ones by
-- endpoint or statement first (a long window reads most hours anyway, one endpoint's series fewer rows).
-- The rollups are fed by materialized views on otel_traces, so a Collector's inserts feed them too. Spans
-- stored before this migration are rolled up by its last statements.

ALTER TABLE rumhouse.otel_traces
    ADD COLUMN IF NOT EXISTS db_namespace LowCardinality(String) MATERIALIZED if(SpanAttributes['db.namespace'] != '', SpanAttributes['db.namespace'], SpanAttributes['db.name']) COMMENT 'rumhouse: db.namespace (or the older db.name): the database',
    ADD COLUMN IF NOT EXISTS db_collection LowCardinality(String) MATERIALIZED multiIf(SpanAttributes['db.collection.name'] != '', SpanAttributes['db.collection.name'], SpanAttributes['db.sql.table'] != '', SpanAttributes['db.sql.table'], SpanAttributes['db.mongodb.collection']) COMMENT 'rumhouse: db.collection.name (or db.sql.table, db.mongodb.collection): the table or collection',
    ADD COLUMN IF NOT EXISTS db_query String MATERIALIZED if(SpanAttributes['db.query.summary'] != '', SpanAttributes['db.query.summary'], db_statement) COMMENT 'rumhouse: what database statements are grouped by: db.query.summary when the instrumentation sends one, else the statement without its literals';

CREATE TABLE IF NOT EXISTS rumhouse.otel_server_minutely
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    method LowCardinality(String) COMMENT 'HTTP method',
    route LowCardinality(String) COMMENT 'http.route (the route template); empty when the span has none',
    minute DateTime('UTC') COMMENT 'Start of the minute (UTC) the spans started in',
    requests SimpleAggregateFunction(sum, UInt64) COMMENT 'Server spans',
    errors SimpleAggregateFunction(sum, UInt64) COMMENT 'Server spans with an error status or a 5xx',
    duration_sum SimpleAggregateFunction(sum, Float64) COMMENT 'Sum of their durations, ms',
    durations SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'The trace id of the slowest span; read with argMaxMerge'
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(minute)
ORDER BY (site, minute, service, route, method)
TTL minute + INTERVAL {retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Server spans per endpoint and minute (1, 5 and 15-minute windows); kept as long as the spans';

CREATE TABLE IF NOT EXISTS rumhouse.otel_server_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    method LowCardinality(String) COMMENT 'HTTP method',
    route LowCardinality(String) COMMENT 'http.route',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    requests SimpleAggregateFunction(sum, UInt64) COMMENT 'Server spans',
    errors SimpleAggregateFunction(sum, UInt64) COMMENT 'Server spans with an error status or a 5xx',
    duration_sum SimpleAggregateFunction(sum, Float64) COMMENT 'Sum of their durations, ms',
    durations SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)) COMMENT 'Their durations: whole ms -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'The trace id of the slowest span'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, service, route, method, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Server spans per endpoint and hour (60-minute windows, long ranges); kept longer than the spans';

CREATE TABLE IF NOT EXISTS rumhouse.otel_db_minutely
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name of the service that ran the statement',
    system LowCardinality(String) COMMENT 'db.system.name (or db.system)',
    namespace LowCardinality(String) COMMENT 'db.namespace (or db.name)',
    query String COMMENT 'db.query.summary, or the statement without its literals',
    minute DateTime('UTC') COMMENT 'Start of the minute (UTC)',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Database spans',
    errors SimpleAggregateFunction(sum, UInt64) COMMENT 'Database spans with an error status',
    duration_sum SimpleAggregateFunction(sum, Float64) COMMENT 'Sum of their durations, ms',
    durations SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)) COMMENT 'Their durations: whole ms -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'The trace id of the slowest call'
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(minute)
ORDER BY (site, minute, system, query, service, namespace)
TTL minute + INTERVAL {retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Database spans per statement and minute; kept as long as the spans';

CREATE TABLE IF NOT EXISTS rumhouse.otel_db_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    system LowCardinality(String) COMMENT 'db.system.name (or db.system)',
    namespace LowCardinality(String) COMMENT 'db.namespace (or db.name)',
    query String COMMENT 'db.query.summary, or the statement without its literals',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Database spans',
    errors SimpleAggregateFunction(sum, UInt64) COMMENT 'Database spans with an error status',
    duration_sum SimpleAggregateFunction(sum, Float64) COMMENT 'Sum of their durations, ms',
    durations SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)) COMMENT 'Their durations: whole ms -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'The trace id of the slowest call'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, system, query, service, namespace, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Database spans per statement and hour; kept longer than the spans';

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.otel_server_minutely_mv TO rumhouse.otel_server_minutely
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    method LowCardinality(String) COMMENT 'HTTP method',
    route LowCardinality(String) COMMENT 'http.route',
    minute DateTime('UTC') COMMENT 'Start of the minute (UTC)',
    requests UInt64 COMMENT 'Server spans',
    errors UInt64 COMMENT 'Errors among them',
    duration_sum Float64 COMMENT 'Sum of their durations, ms',
    durations Map(UInt32, UInt64) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'argMax state: trace id of the slowest'
)
COMMENT 'Feeds rumhouse.otel_server_minutely from every insert of server spans into rumhouse.otel_traces'
AS SELECT
    site,
    ServiceName AS service,
    http_method AS method,
    http_route AS route,
    toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute,
    count() AS requests,
    toUInt64(sum(is_error)) AS errors,
    sum(duration_ms) AS duration_sum,
    sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1))) AS durations,
    argMaxState(TraceId, duration_ms) AS slowest
FROM rumhouse.otel_traces
WHERE SpanKind = 'Server'
GROUP BY site, service, method, route, minute;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.otel_server_hourly_mv TO rumhouse.otel_server_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    method LowCardinality(String) COMMENT 'HTTP method',
    route LowCardinality(String) COMMENT 'http.route',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    requests UInt64 COMMENT 'Server spans',
    errors UInt64 COMMENT 'Errors among them',
    duration_sum Float64 COMMENT 'Sum of their durations, ms',
    durations Map(UInt32, UInt64) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'argMax state: trace id of the slowest'
)
COMMENT 'Feeds rumhouse.otel_server_hourly from every insert into rumhouse.otel_server_minutely'
AS SELECT
    site,
    service,
    method,
    route,
    toStartOfHour(minute) AS hour,
    sum(requests) AS requests,
    sum(errors) AS errors,
    sum(duration_sum) AS duration_sum,
    sumMap(durations) AS durations,
    argMaxMergeState(slowest) AS slowest
FROM rumhouse.otel_server_minutely
GROUP BY site, service, method, route, hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.otel_db_minutely_mv TO rumhouse.otel_db_minutely
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    system LowCardinality(String) COMMENT 'db.system.name',
    namespace LowCardinality(String) COMMENT 'db.namespace',
    query String COMMENT 'db.query.summary, or the statement without its literals',
    minute DateTime('UTC') COMMENT 'Start of the minute (UTC)',
    calls UInt64 COMMENT 'Database spans',
    errors UInt64 COMMENT 'Errors among them',
    duration_sum Float64 COMMENT 'Sum of their durations, ms',
    durations Map(UInt32, UInt64) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'argMax state: trace id of the slowest'
)
COMMENT 'Feeds rumhouse.otel_db_minutely from every insert of database spans into rumhouse.otel_traces'
AS SELECT
    site,
    ServiceName AS service,
    db_system AS system,
    db_namespace AS namespace,
    db_query AS query,
    toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute,
    count() AS calls,
    toUInt64(countIf(StatusCode = 'Error')) AS errors,
    sum(duration_ms) AS duration_sum,
    sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1))) AS durations,
    argMaxState(TraceId, duration_ms) AS slowest
FROM rumhouse.otel_traces
WHERE db_system != ''
GROUP BY site, service, system, namespace, query, minute;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.otel_db_hourly_mv TO rumhouse.otel_db_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    system LowCardinality(String) COMMENT 'db.system.name',
    namespace LowCardinality(String) COMMENT 'db.namespace',
    query String COMMENT 'db.query.summary, or the statement without its literals',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls UInt64 COMMENT 'Database spans',
    errors UInt64 COMMENT 'Errors among them',
    duration_sum Float64 COMMENT 'Sum of their durations, ms',
    durations Map(UInt32, UInt64) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'argMax state: trace id of the slowest'
)
COMMENT 'Feeds rumhouse.otel_db_hourly from every insert into rumhouse.otel_db_minutely'
AS SELECT
    site,
    service,
    system,
    namespace,
    query,
    toStartOfHour(minute) AS hour,
    sum(calls) AS calls,
    sum(errors) AS errors,
    sum(duration_sum) AS duration_sum,
    sumMap(durations) AS durations,
    argMaxMergeState(slowest) AS slowest
FROM rumhouse.otel_db_minutely
GROUP BY site, service, system, namespace, query, hour;

-- Spans stored before this migration (the minutely rows feed the hourly ones through the view above).
INSERT INTO rumhouse.otel_server_minutely
SELECT site, ServiceName, http_method, http_route, toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute,
    count(), toUInt64(sum(is_error)), sum(duration_ms), sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1))),
    argMaxState(TraceId, duration_ms)
FROM rumhouse.otel_traces
WHERE SpanKind = 'Server'
GROUP BY site, ServiceName, http_method, http_route, minute;

INSERT INTO rumhouse.otel_db_minutely
SELECT site, ServiceName, db_system, db_namespace, db_query, toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute,
    count(), toUInt64(countIf(StatusCode = 'Error')), sum(duration_ms),
    sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1))), argMaxState(TraceId, duration_ms)
FROM rumhouse.otel_traces
WHERE db_system != ''
GROUP BY site, ServiceName, db_system, db_namespace, db_query, minute;
