-- Daily rollup of rumhouse.errors_hourly, for long windows, like the other daily rollups (0015-0018):
-- a 30-day question reads a row per fingerprint and day here, plus the hours at the window's edges
-- from the hourly table. Fed by a view on the hourly table. Same retention as the hourly rollup.
CREATE TABLE IF NOT EXISTS rumhouse.errors_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    fingerprint UInt64 COMMENT 'Hash of kind, message with numbers masked, and source (see rumhouse.errors)',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    kind SimpleAggregateFunction(any, String) COMMENT 'error or rejection (one of the rows)',
    message SimpleAggregateFunction(any, String) COMMENT 'Error message (one of the rows; they differ only in numbers)',
    source SimpleAggregateFunction(any, String) COMMENT 'Script URL',
    occurrences SimpleAggregateFunction(sum, UInt64) COMMENT 'Errors, repeats within a page view included (sum of count)',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that had the error: sketch of their ids; read with uniqCombinedMerge(12)',
    first_seen SimpleAggregateFunction(min, DateTime64(3)) COMMENT 'Earliest time of the error in the day',
    last_seen SimpleAggregateFunction(max, DateTime64(3)) COMMENT 'Latest time of the error in the day',
    sample_stack AggregateFunction(argMax, String, DateTime64(3)) COMMENT 'Stack of the latest error: argMax state; read with argMaxMerge',
    top_paths AggregateFunction(topK(3), String) COMMENT 'Paths with the most errors: topK(3) state; read with topKMerge(3)'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, fingerprint, day)
TTL day + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Daily rollup of errors_hourly, for long windows';

INSERT INTO rumhouse.errors_daily
SELECT site, fingerprint, toStartOfDay(hour, 'UTC') AS day,
       any(kind) AS kind, any(message) AS message, any(source) AS source,
       sum(occurrences) AS occurrences, uniqCombinedMergeState(12)(page_views) AS page_views,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen,
       argMaxMergeState(sample_stack) AS sample_stack, topKMergeState(3)(top_paths) AS top_paths
FROM rumhouse.errors_hourly
GROUP BY site, fingerprint, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.errors_daily_mv TO rumhouse.errors_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    fingerprint UInt64 COMMENT 'Fingerprint of the error',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
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
AS SELECT site, fingerprint, toStartOfDay(hour, 'UTC') AS day,
       any(kind) AS kind, any(message) AS message, any(source) AS source,
       sum(occurrences) AS occurrences, uniqCombinedMergeState(12)(page_views) AS page_views,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen,
       argMaxMergeState(sample_stack) AS sample_stack, topKMergeState(3)(top_paths) AS top_paths
FROM rumhouse.errors_hourly
GROUP BY site, fingerprint, day
COMMENT 'Feeds rumhouse.errors_daily from every insert into rumhouse.errors_hourly';
