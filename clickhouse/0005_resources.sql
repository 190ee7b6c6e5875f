-- Resources (Resource Timing), summarized per page view, type and host.
-- {event_columns}: `time` and the page view's dimensions, as in 0002_vitals.sql.
-- Rollups: hourly and daily, as in 0001_page_views.sql.
--
-- The resources rollups hold plain sums per type and host, so every figure adds up exactly; no page
-- dimensions (a question filtered by browser, path, ... goes to the raw table).

CREATE TABLE IF NOT EXISTS rumhouse.resources
(
    {event_columns},
    type LowCardinality(String) COMMENT 'script, css, img, font, fetch (fetch and XHR) or other',
    resource_host LowCardinality(String) COMMENT 'Host the resources came from',
    third_party UInt8 COMMENT '1 when resource_host is not the page host',
    count UInt32 COMMENT 'Number of resources',
    transfer_bytes UInt64 COMMENT 'Bytes over the network, headers included (0 for cache hits)',
    encoded_bytes UInt64 COMMENT 'Body bytes as sent (compressed)',
    decoded_bytes UInt64 COMMENT 'Body bytes after decompression; equal to encoded_bytes when sent uncompressed',
    cache_hits UInt32 COMMENT 'Resources served from the browser cache',
    duration_total_ms Float64 COMMENT 'Summed duration, ms',
    duration_max_ms Float32 COMMENT 'Longest duration, ms',
    slowest_url String COMMENT 'URL of the slowest resource, query string dropped'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, type, resource_host, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Resources per page view, type and host';

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
SETTINGS index_granularity = 256
COMMENT 'Hourly rollup of resources per type and host, kept longer than the raw rows';

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
COMMENT 'Feeds rumhouse.resources_hourly from every insert into rumhouse.resources'
AS SELECT
    site,
    type,
    resource_host,
    third_party,
    toStartOfHour(toDateTime(time, 'UTC')) AS hour,
    count() AS page_views,
    sum(count) AS count,
    sum(transfer_bytes) AS transfer_bytes,
    sum(decoded_bytes) AS decoded_bytes,
    sum(cache_hits) AS cache_hits,
    sum(duration_total_ms) AS duration_total_ms,
    max(duration_max_ms) AS duration_max_ms
FROM rumhouse.resources
GROUP BY
    site,
    type,
    resource_host,
    third_party,
    hour;

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
COMMENT 'Feeds rumhouse.resources_daily from every insert into rumhouse.resources_hourly'
AS SELECT
    site,
    type,
    resource_host,
    third_party,
    toStartOfDay(hour, 'UTC') AS day,
    sum(page_views) AS page_views,
    sum(count) AS count,
    sum(transfer_bytes) AS transfer_bytes,
    sum(decoded_bytes) AS decoded_bytes,
    sum(cache_hits) AS cache_hits,
    sum(duration_total_ms) AS duration_total_ms,
    max(duration_max_ms) AS duration_max_ms
FROM rumhouse.resources_hourly
GROUP BY
    site,
    type,
    resource_host,
    third_party,
    day;
