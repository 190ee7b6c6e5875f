-- Since 0019 the page_views column holds a uniqCombined(12) sketch instead of this uniq state.
-- Hourly rollup of fetch/XHR calls per endpoint: counts, failures and a t-digest of durations.
-- No page dimensions here: a question filtered by browser, path, ... goes to rumhouse.api_calls.
-- A call failed when the browser got no answer (status 0) or an HTTP error (status >= 400).
CREATE TABLE IF NOT EXISTS rumhouse.api_calls_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Host and path of the called URL, ids templated',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of calls',
    failed SimpleAggregateFunction(sum, UInt64) COMMENT 'Calls with status 0 (network error, CORS, abort) or >= 400',
    page_views AggregateFunction(uniq, String) COMMENT 'Page views that made a call (uniq state)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, endpoint, method, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
-- Small granules: rows carry t-digest states (up to a few KiB each), and a dashboard question reads
-- a few hundred of them; the default 8192-row granule would make it decompress megabytes per question.
SETTINGS index_granularity = 256
COMMENT 'Hourly rollup of fetch/XHR calls per endpoint, kept longer than the raw rows';

INSERT INTO rumhouse.api_calls_hourly
SELECT site, method, endpoint, toStartOfHour(toDateTime(time, 'UTC')) AS hour, count() AS calls,
       countIf(status = 0 OR status >= 400) AS failed, uniqState(page_view_id) AS page_views,
       quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(duration_ms) AS duration
FROM rumhouse.api_calls
GROUP BY site, method, endpoint, hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.api_calls_hourly_mv TO rumhouse.api_calls_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Endpoint',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls UInt64 COMMENT 'Number of calls',
    failed UInt64 COMMENT 'Failed calls',
    page_views AggregateFunction(uniq, String) COMMENT 'Page views that made a call (uniq state)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
AS SELECT site, method, endpoint, toStartOfHour(toDateTime(time, 'UTC')) AS hour, count() AS calls,
       countIf(status = 0 OR status >= 400) AS failed, uniqState(page_view_id) AS page_views,
       quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(duration_ms) AS duration
FROM rumhouse.api_calls
GROUP BY site, method, endpoint, hour
COMMENT 'Feeds rumhouse.api_calls_hourly from every insert into rumhouse.api_calls';
