-- Dependencies: what a service calls (docs/dependencies.md). A client or producer span names the service
-- it called: peer.service when the instrumentation or the sender sets it, else server.address with its
-- port (left out when 80 or 443), else the older net.peer.name, else the host of url.full (or http.url),
-- else the database or messaging system. Its kind says what sort of dependency it is: database, ai (a
-- GenAI call), messaging, http, other. Server and internal spans have an empty peer_name.
--
-- Rollups per calling service, dependency and kind, per minute and per hour, in the shape of the server
-- and database rollups of 0015 (a 1 ms duration histogram, the slowest trace), so that any window is read
-- exactly and fast through query/span_rollups.py. An error is a span with an error status (HTTP client
-- instrumentations set it for a 4xx and a 5xx answer and for a failed connection) or a 5xx.

ALTER TABLE rumhouse.otel_traces
    ADD COLUMN IF NOT EXISTS peer_name LowCardinality(String) MATERIALIZED multiIf(
        SpanKind NOT IN ('Client', 'Producer'), '',
        SpanAttributes['peer.service'] != '', SpanAttributes['peer.service'],
        SpanAttributes['server.address'] != '', concat(SpanAttributes['server.address'], if(SpanAttributes['server.port'] IN ('', '80', '443'), '', concat(':', SpanAttributes['server.port']))),
        SpanAttributes['net.peer.name'] != '', concat(SpanAttributes['net.peer.name'], if(SpanAttributes['net.peer.port'] IN ('', '80', '443'), '', concat(':', SpanAttributes['net.peer.port']))),
        SpanAttributes['url.full'] != '', concat(domain(SpanAttributes['url.full']), if(port(SpanAttributes['url.full']) IN (0, 80, 443), '', concat(':', toString(port(SpanAttributes['url.full']))))),
        SpanAttributes['http.url'] != '', concat(domain(SpanAttributes['http.url']), if(port(SpanAttributes['http.url']) IN (0, 80, 443), '', concat(':', toString(port(SpanAttributes['http.url']))))),
        db_system != '', db_system,
        SpanAttributes['messaging.system']) COMMENT 'rumhouse: the service a client or producer span called (peer.service, server.address:port, the URL''s host, the database system); empty for other spans',
    ADD COLUMN IF NOT EXISTS peer_kind LowCardinality(String) MATERIALIZED multiIf(
        peer_name = '', '',
        db_system != '', 'database',
        gen_ai_operation != '', 'ai',
        SpanAttributes['messaging.system'] != '', 'messaging',
        http_method != '', 'http',
        'other') COMMENT 'rumhouse: what sort of dependency peer_name is: database, ai, messaging, http or other',
    ADD INDEX IF NOT EXISTS idx_peer_name peer_name TYPE set(1000) GRANULARITY 1;

CREATE TABLE IF NOT EXISTS rumhouse.otel_dependency_minutely
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name of the calling service',
    dependency LowCardinality(String) COMMENT 'What it called (peer_name)',
    kind LowCardinality(String) COMMENT 'database, ai, messaging, http or other',
    minute DateTime('UTC') COMMENT 'Start of the minute (UTC) the calls started in',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Client and producer spans',
    errors SimpleAggregateFunction(sum, UInt64) COMMENT 'Those with an error status or a 5xx',
    duration_sum SimpleAggregateFunction(sum, Float64) COMMENT 'Sum of their durations, ms',
    durations SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'The trace id of the slowest call; read with argMaxMerge'
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(minute)
ORDER BY (site, minute, dependency, service, kind)
TTL minute + INTERVAL {retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Calls to dependencies per calling service and minute; kept as long as the spans';

CREATE TABLE IF NOT EXISTS rumhouse.otel_dependency_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name of the calling service',
    dependency LowCardinality(String) COMMENT 'What it called (peer_name)',
    kind LowCardinality(String) COMMENT 'database, ai, messaging, http or other',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Client and producer spans',
    errors SimpleAggregateFunction(sum, UInt64) COMMENT 'Those with an error status or a 5xx',
    duration_sum SimpleAggregateFunction(sum, Float64) COMMENT 'Sum of their durations, ms',
    durations SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)) COMMENT 'Their durations: whole ms -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'The trace id of the slowest call'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, dependency, service, kind, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Calls to dependencies per calling service and hour; kept longer than the spans';

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.otel_dependency_minutely_mv TO rumhouse.otel_dependency_minutely
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    dependency LowCardinality(String) COMMENT 'peer_name',
    kind LowCardinality(String) COMMENT 'peer_kind',
    minute DateTime('UTC') COMMENT 'Start of the minute (UTC)',
    calls UInt64 COMMENT 'Client and producer spans',
    errors UInt64 COMMENT 'Errors among them',
    duration_sum Float64 COMMENT 'Sum of their durations, ms',
    durations Map(UInt32, UInt64) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'argMax state: trace id of the slowest'
)
COMMENT 'Feeds rumhouse.otel_dependency_minutely from every insert of client and producer spans into rumhouse.otel_traces'
AS SELECT
    site,
    ServiceName AS service,
    peer_name AS dependency,
    peer_kind AS kind,
    toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute,
    count() AS calls,
    toUInt64(sum(is_error)) AS errors,
    sum(duration_ms) AS duration_sum,
    sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1))) AS durations,
    argMaxState(TraceId, duration_ms) AS slowest
FROM rumhouse.otel_traces
WHERE peer_name != ''
GROUP BY site, service, dependency, kind, minute;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.otel_dependency_hourly_mv TO rumhouse.otel_dependency_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'service.name',
    dependency LowCardinality(String) COMMENT 'peer_name',
    kind LowCardinality(String) COMMENT 'peer_kind',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls UInt64 COMMENT 'Client and producer spans',
    errors UInt64 COMMENT 'Errors among them',
    duration_sum Float64 COMMENT 'Sum of their durations, ms',
    durations Map(UInt32, UInt64) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'argMax state: trace id of the slowest'
)
COMMENT 'Feeds rumhouse.otel_dependency_hourly from every insert into rumhouse.otel_dependency_minutely'
AS SELECT
    site,
    service,
    dependency,
    kind,
    toStartOfHour(minute) AS hour,
    sum(calls) AS calls,
    sum(errors) AS errors,
    sum(duration_sum) AS duration_sum,
    sumMap(durations) AS durations,
    argMaxMergeState(slowest) AS slowest
FROM rumhouse.otel_dependency_minutely
GROUP BY site, service, dependency, kind, hour;

-- Spans stored before this migration (the minutely rows feed the hourly ones through the view above).
INSERT INTO rumhouse.otel_dependency_minutely
SELECT site, ServiceName, peer_name, peer_kind, toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS minute,
    count(), toUInt64(sum(is_error)), sum(duration_ms), sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1))),
    argMaxState(TraceId, duration_ms)
FROM rumhouse.otel_traces
WHERE peer_name != ''
GROUP BY site, ServiceName, peer_name, peer_kind, minute;
