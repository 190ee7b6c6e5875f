-- Since 0019 the page_views column holds a uniqCombined(12) sketch instead of this uniq state.
-- Daily rollup of rumhouse.api_calls_hourly, for long windows: a 30-day question reads 30 rows per key
-- here (plus the hours at the window's edges from the hourly table) instead of 720. Fed by a view on the
-- hourly table (views chain: an insert into api_calls fills api_calls_hourly, which fills this one), with
-- the hourly states merged into daily ones. Same retention as the hourly rollup.
CREATE TABLE IF NOT EXISTS rumhouse.api_calls_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Host and path of the called URL, ids templated',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of calls',
    failed SimpleAggregateFunction(sum, UInt64) COMMENT 'Calls with status 0 or >= 400',
    page_views AggregateFunction(uniq, String) COMMENT 'Page views that made a call (uniq state)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, endpoint, method, day)
TTL day + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Daily rollup of api_calls_hourly, for long windows';

INSERT INTO rumhouse.api_calls_daily
SELECT site, method, endpoint, toStartOfDay(hour, 'UTC') AS day,
       sum(calls) AS calls,
       sum(failed) AS failed,
       uniqMergeState(page_views) AS page_views,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(duration) AS duration
FROM rumhouse.api_calls_hourly
GROUP BY site, method, endpoint, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.api_calls_daily_mv TO rumhouse.api_calls_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Host and path of the called URL, ids templated',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    calls UInt64 COMMENT 'Number of calls',
    failed UInt64 COMMENT 'Calls with status 0 or >= 400',
    page_views AggregateFunction(uniq, String) COMMENT 'Page views that made a call (uniq state)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
AS SELECT site, method, endpoint, toStartOfDay(hour, 'UTC') AS day,
       sum(calls) AS calls,
       sum(failed) AS failed,
       uniqMergeState(page_views) AS page_views,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(duration) AS duration
FROM rumhouse.api_calls_hourly
GROUP BY site, method, endpoint, day
COMMENT 'Feeds rumhouse.api_calls_daily from every insert into rumhouse.api_calls_hourly';
