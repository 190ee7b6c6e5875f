-- Client errors: uncaught exceptions and unhandled promise rejections.
-- {event_columns}: `time` and the page view's dimensions, as in 0002_vitals.sql.
-- Rollups: hourly and daily, as in 0001_page_views.sql.
--
-- The errors rollups are per fingerprint, without page dimensions (a question filtered by browser,
-- path, ... goes to the raw table). Page views are a uniqCombined(12) sketch: exact for small counts,
-- standard error about 1.6% past a few hundred per row (docs/api.md). The top paths are topK(3) states,
-- approximate like topK on the raw rows. A granule of 64 hourly rows is under three days of one
-- fingerprint.

CREATE TABLE IF NOT EXISTS rumhouse.errors
(
    {event_columns},
    kind LowCardinality(String) COMMENT 'error (uncaught exception) or rejection (unhandled promise rejection)',
    message String COMMENT 'Error message, e-mail addresses removed',
    source String COMMENT 'Script URL without query string',
    line UInt32 COMMENT 'Line number, 0 when unknown',
    col UInt32 COMMENT 'Column number, 0 when unknown',
    stack String COMMENT 'Trimmed stack trace, query strings and e-mail addresses removed',
    count UInt32 COMMENT 'How many identical errors the page view had (the snippet folds repeats)',
    fingerprint UInt64 DEFAULT cityHash64(kind, replaceRegexpAll(message, '[0-9]+', '0'), source) COMMENT 'Groups the same error across page views: a hash of kind, message with numbers masked, and source'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, fingerprint, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Client errors, one row per distinct error per page view';

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
SETTINGS index_granularity = 64
COMMENT 'Hourly rollup of errors per fingerprint, kept longer than the raw rows';

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
COMMENT 'Feeds rumhouse.errors_hourly from every insert into rumhouse.errors'
AS SELECT
    site,
    fingerprint,
    toStartOfHour(toDateTime(time, 'UTC')) AS hour,
    any(kind) AS kind,
    any(message) AS message,
    any(source) AS source,
    sum(count) AS occurrences,
    uniqCombinedState(12)(page_view_id) AS page_views,
    min(time) AS first_seen,
    max(time) AS last_seen,
    argMaxState(stack, time) AS sample_stack,
    topKState(3)(path) AS top_paths
FROM rumhouse.errors
GROUP BY
    site,
    fingerprint,
    hour;

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
COMMENT 'Feeds rumhouse.errors_daily from every insert into rumhouse.errors_hourly'
AS SELECT
    site,
    fingerprint,
    toStartOfDay(hour, 'UTC') AS day,
    any(kind) AS kind,
    any(message) AS message,
    any(source) AS source,
    sum(occurrences) AS occurrences,
    uniqCombinedMergeState(12)(page_views) AS page_views,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen,
    argMaxMergeState(sample_stack) AS sample_stack,
    topKMergeState(3)(top_paths) AS top_paths
FROM rumhouse.errors_hourly
GROUP BY
    site,
    fingerprint,
    day;
