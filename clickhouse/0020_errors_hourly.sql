-- Hourly rollup of errors per fingerprint: what the dashboard's errors panel shows, without reading
-- every error row. At 10M page views (an error on 1 in 20) a 30-day errors question read 500,000 raw
-- rows, several hundred ms of CPU; from here it merges a few rows per fingerprint and day.
-- No page dimensions here: a question filtered by browser, path, ... goes to rumhouse.errors.
-- Page views are a uniqCombined(12) sketch, as in api_calls_hourly (0019): exact for small counts,
-- standard error about 1.6% past a few hundred per row. The top paths are topK(3) states, approximate
-- like topK on the raw rows.
CREATE TABLE IF NOT EXISTS rumhouse.errors_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    fingerprint UInt64 COMMENT 'Hash of kind, message with numbers masked, and source (see rumhouse.errors)',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    kind SimpleAggregateFunction(any, String) COMMENT 'error or rejection (one of the rows)',
    message SimpleAggregateFunction(any, String) COMMENT 'Error message (one of the rows; they differ only in numbers)',
    source SimpleAggregateFunction(any, String) COMMENT 'Script URL',
    occurrences SimpleAggregateFunction(sum, UInt64) COMMENT 'Errors, repeats within a page view included (sum of count)',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that had the error: sketch of their ids; read with uniqCombinedMerge(12)',
    first_seen SimpleAggregateFunction(min, DateTime64(3)) COMMENT 'Earliest time of the error in the hour',
    last_seen SimpleAggregateFunction(max, DateTime64(3)) COMMENT 'Latest time of the error in the hour',
    sample_stack AggregateFunction(argMax, String, DateTime64(3)) COMMENT 'Stack of the latest error: argMax state; read with argMaxMerge',
    top_paths AggregateFunction(topK(3), String) COMMENT 'Paths with the most errors: topK(3) state; read with topKMerge(3)'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, fingerprint, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
-- A granule of 64 rows is under three days of one fingerprint: a 24-hour question reads little more
-- than its own hours of each fingerprint.
SETTINGS index_granularity = 64
COMMENT 'Hourly rollup of errors per fingerprint, kept longer than the raw rows';

-- Rows that existed before this migration (the view below sees only new inserts).
INSERT INTO rumhouse.errors_hourly
SELECT site, fingerprint, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       any(kind) AS kind, any(message) AS message, any(source) AS source,
       sum(count) AS occurrences, uniqCombinedState(12)(page_view_id) AS page_views,
       min(time) AS first_seen, max(time) AS last_seen,
       argMaxState(stack, time) AS sample_stack, topKState(3)(path) AS top_paths
FROM rumhouse.errors
GROUP BY site, fingerprint, hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.errors_hourly_mv TO rumhouse.errors_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    fingerprint UInt64 COMMENT 'Fingerprint of the error',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    kind String COMMENT 'error or rejection',
    message String COMMENT 'Error message',
    source String COMMENT 'Script URL',
    occurrences UInt64 COMMENT 'Errors (sum of count)',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that had the error (sketch)',
    first_seen DateTime64(3) COMMENT 'Earliest time',
    last_seen DateTime64(3) COMMENT 'Latest time',
    sample_stack AggregateFunction(argMax, String, DateTime64(3)) COMMENT 'Stack of the latest error (argMax state)',
    top_paths AggregateFunction(topK(3), String) COMMENT 'Paths with the most errors (topK(3) state)'
)
AS SELECT site, fingerprint, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       any(kind) AS kind, any(message) AS message, any(source) AS source,
       sum(count) AS occurrences, uniqCombinedState(12)(page_view_id) AS page_views,
       min(time) AS first_seen, max(time) AS last_seen,
       argMaxState(stack, time) AS sample_stack, topKState(3)(path) AS top_paths
FROM rumhouse.errors
GROUP BY site, fingerprint, hour
COMMENT 'Feeds rumhouse.errors_hourly from every insert into rumhouse.errors';
