-- Hourly rollup of resources per type and host: plain sums, so every figure adds up exactly.
-- No page dimensions here: a question filtered by browser, path, ... goes to rumhouse.resources.
CREATE TABLE IF NOT EXISTS rumhouse.resources_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    type LowCardinality(String) COMMENT 'script, css, img, font, fetch or other',
    resource_host LowCardinality(String) COMMENT 'Host the resources came from',
    third_party UInt8 COMMENT '1 when resource_host is not the page host',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    page_views SimpleAggregateFunction(sum, UInt64) COMMENT 'Page views that loaded such resources (one raw row each)',
    count SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of resources',
    transfer_bytes SimpleAggregateFunction(sum, UInt64) COMMENT 'Bytes over the network',
    decoded_bytes SimpleAggregateFunction(sum, UInt64) COMMENT 'Body bytes after decompression',
    cache_hits SimpleAggregateFunction(sum, UInt64) COMMENT 'Resources served from the browser cache',
    duration_total_ms SimpleAggregateFunction(sum, Float64) COMMENT 'Summed duration, ms',
    duration_max_ms SimpleAggregateFunction(max, Float32) COMMENT 'Longest duration, ms'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, type, resource_host, third_party, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
-- Small granules: rows carry t-digest states (up to a few KiB each), and a dashboard question reads
-- a few hundred of them; the default 8192-row granule would make it decompress megabytes per question.
SETTINGS index_granularity = 256
COMMENT 'Hourly rollup of resources per type and host, kept longer than the raw rows';

INSERT INTO rumhouse.resources_hourly
SELECT site, type, resource_host, third_party, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       count() AS page_views, sum(count) AS count, sum(transfer_bytes) AS transfer_bytes,
       sum(decoded_bytes) AS decoded_bytes, sum(cache_hits) AS cache_hits,
       sum(duration_total_ms) AS duration_total_ms, max(duration_max_ms) AS duration_max_ms
FROM rumhouse.resources
GROUP BY site, type, resource_host, third_party, hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.resources_hourly_mv TO rumhouse.resources_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    type LowCardinality(String) COMMENT 'Resource type',
    resource_host LowCardinality(String) COMMENT 'Host the resources came from',
    third_party UInt8 COMMENT '1 when resource_host is not the page host',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    page_views UInt64 COMMENT 'Page views that loaded such resources',
    count UInt64 COMMENT 'Number of resources',
    transfer_bytes UInt64 COMMENT 'Bytes over the network',
    decoded_bytes UInt64 COMMENT 'Body bytes after decompression',
    cache_hits UInt64 COMMENT 'Resources served from the browser cache',
    duration_total_ms Float64 COMMENT 'Summed duration, ms',
    duration_max_ms Float32 COMMENT 'Longest duration, ms'
)
AS SELECT site, type, resource_host, third_party, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       count() AS page_views, sum(count) AS count, sum(transfer_bytes) AS transfer_bytes,
       sum(decoded_bytes) AS decoded_bytes, sum(cache_hits) AS cache_hits,
       sum(duration_total_ms) AS duration_total_ms, max(duration_max_ms) AS duration_max_ms
FROM rumhouse.resources
GROUP BY site, type, resource_host, third_party, hour
COMMENT 'Feeds rumhouse.resources_hourly from every insert into rumhouse.resources';
