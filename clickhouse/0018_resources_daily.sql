-- Daily rollup of rumhouse.resources_hourly, for long windows: a 30-day question reads 30 rows per key
-- here (plus the hours at the window's edges from the hourly table) instead of 720. Fed by a view on the
-- hourly table (views chain: an insert into resources fills resources_hourly, which fills this one), with
-- the hourly states merged into daily ones. Same retention as the hourly rollup.
CREATE TABLE IF NOT EXISTS rumhouse.resources_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    type LowCardinality(String) COMMENT 'script, css, img, font, fetch or other',
    resource_host LowCardinality(String) COMMENT 'Host the resources came from',
    third_party UInt8 COMMENT '1 when resource_host is not the page host',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    page_views SimpleAggregateFunction(sum, UInt64) COMMENT 'Page views that loaded such resources',
    count SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of resources',
    transfer_bytes SimpleAggregateFunction(sum, UInt64) COMMENT 'Bytes over the network',
    decoded_bytes SimpleAggregateFunction(sum, UInt64) COMMENT 'Body bytes after decompression',
    cache_hits SimpleAggregateFunction(sum, UInt64) COMMENT 'Resources served from the browser cache',
    duration_total_ms SimpleAggregateFunction(sum, Float64) COMMENT 'Summed duration, ms',
    duration_max_ms SimpleAggregateFunction(max, Float32) COMMENT 'Longest duration, ms'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, type, resource_host, third_party, day)
TTL day + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Daily rollup of resources_hourly, for long windows';

INSERT INTO rumhouse.resources_daily
SELECT site, type, resource_host, third_party, toStartOfDay(hour, 'UTC') AS day,
       sum(page_views) AS page_views,
       sum(count) AS count,
       sum(transfer_bytes) AS transfer_bytes,
       sum(decoded_bytes) AS decoded_bytes,
       sum(cache_hits) AS cache_hits,
       sum(duration_total_ms) AS duration_total_ms,
       max(duration_max_ms) AS duration_max_ms
FROM rumhouse.resources_hourly
GROUP BY site, type, resource_host, third_party, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.resources_daily_mv TO rumhouse.resources_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    type LowCardinality(String) COMMENT 'script, css, img, font, fetch or other',
    resource_host LowCardinality(String) COMMENT 'Host the resources came from',
    third_party UInt8 COMMENT '1 when resource_host is not the page host',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    page_views UInt64 COMMENT 'Page views that loaded such resources',
    count UInt64 COMMENT 'Number of resources',
    transfer_bytes UInt64 COMMENT 'Bytes over the network',
    decoded_bytes UInt64 COMMENT 'Body bytes after decompression',
    cache_hits UInt64 COMMENT 'Resources served from the browser cache',
    duration_total_ms Float64 COMMENT 'Summed duration, ms',
    duration_max_ms Float32 COMMENT 'Longest duration, ms'
)
AS SELECT site, type, resource_host, third_party, toStartOfDay(hour, 'UTC') AS day,
       sum(page_views) AS page_views,
       sum(count) AS count,
       sum(transfer_bytes) AS transfer_bytes,
       sum(decoded_bytes) AS decoded_bytes,
       sum(cache_hits) AS cache_hits,
       sum(duration_total_ms) AS duration_total_ms,
       max(duration_max_ms) AS duration_max_ms
FROM rumhouse.resources_hourly
GROUP BY site, type, resource_host, third_party, day
COMMENT 'Feeds rumhouse.resources_daily from every insert into rumhouse.resources_hourly';
