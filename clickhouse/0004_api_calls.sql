-- fetch and XHR calls made by pages, as browsers saw them. A call failed when the browser got no
-- answer (status 0) or an HTTP error (status >= 400).
-- {event_columns}: `time` and the page view's dimensions, as in 0002_vitals.sql.
-- Rollups: hourly and daily, as in 0001_page_views.sql.
--
-- The API calls rollups are per endpoint and method, without page dimensions (a question filtered by
-- browser, path, ... goes to the raw table). Page views per endpoint are a uniqCombined(12) sketch:
-- exact for small sets, then a HyperLogLog of 2^12 cells, at most about 3 KiB a row and a standard error
-- of about 1.6% on large counts (a `uniq` state holds up to 256 KiB and made a 30-day question at 10M
-- page views take over a second).

CREATE TABLE IF NOT EXISTS rumhouse.api_calls
(
    {event_columns},
    method LowCardinality(String) COMMENT 'HTTP method, upper case',
    endpoint String COMMENT 'Host and path of the called URL, query string dropped and id-like segments templated',
    status UInt16 COMMENT 'HTTP status; 0 when the request failed (network error, CORS, abort)',
    duration_ms Float32 COMMENT 'Duration of the call as the page saw it, ms'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, endpoint, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'fetch and XHR calls, one row per call';

CREATE TABLE IF NOT EXISTS rumhouse.api_calls_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Host and path of the called URL, ids templated',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of calls',
    failed SimpleAggregateFunction(sum, UInt64) COMMENT 'Calls with status 0 (network error, CORS, abort) or >= 400',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that made a call: uniqCombined(12) sketch of their ids; read with uniqCombinedMerge(12)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, endpoint, method, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 32
COMMENT 'Hourly rollup of fetch/XHR calls per endpoint, kept longer than the raw rows';

CREATE TABLE IF NOT EXISTS rumhouse.api_calls_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Host and path of the called URL, ids templated',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of calls',
    failed SimpleAggregateFunction(sum, UInt64) COMMENT 'Calls with status 0 or >= 400',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that made a call: uniqCombined(12) sketch of their ids; read with uniqCombinedMerge(12)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, endpoint, method, day)
TTL day + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Daily rollup of api_calls_hourly, for long windows';

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.api_calls_hourly_mv TO rumhouse.api_calls_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Endpoint',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls UInt64 COMMENT 'Number of calls',
    failed UInt64 COMMENT 'Failed calls',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that made a call (sketch)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
COMMENT 'Feeds rumhouse.api_calls_hourly from every insert into rumhouse.api_calls'
AS SELECT
    site,
    method,
    endpoint,
    toStartOfHour(toDateTime(time, 'UTC')) AS hour,
    count() AS calls,
    countIf((status = 0) OR (status >= 400)) AS failed,
    uniqCombinedState(12)(page_view_id) AS page_views,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(duration_ms) AS duration
FROM rumhouse.api_calls
GROUP BY
    site,
    method,
    endpoint,
    hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.api_calls_daily_mv TO rumhouse.api_calls_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Host and path of the called URL, ids templated',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    calls UInt64 COMMENT 'Number of calls',
    failed UInt64 COMMENT 'Calls with status 0 or >= 400',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that made a call (sketch)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
COMMENT 'Feeds rumhouse.api_calls_daily from every insert into rumhouse.api_calls_hourly'
AS SELECT
    site,
    method,
    endpoint,
    toStartOfDay(hour, 'UTC') AS day,
    sum(calls) AS calls,
    sum(failed) AS failed,
    uniqCombinedMergeState(12)(page_views) AS page_views,
    quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(duration) AS duration
FROM rumhouse.api_calls_hourly
GROUP BY
    site,
    method,
    endpoint,
    day;
