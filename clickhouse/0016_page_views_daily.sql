-- Daily rollup of rumhouse.page_views_hourly, for long windows: a 30-day question reads 30 rows per key
-- here (plus the hours at the window's edges from the hourly table) instead of 720. Fed by a view on the
-- hourly table (views chain: an insert into page_views fills page_views_hourly, which fills this one), with
-- the hourly states merged into daily ones. Same retention as the hourly rollup.
CREATE TABLE IF NOT EXISTS rumhouse.page_views_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    dimension LowCardinality(String) COMMENT 'Empty for all page views; else path, browser, os, device, country, connection or release',
    dim_value String COMMENT 'Value of the dimension',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    page_views SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of page views',
    dns_samples SimpleAggregateFunction(sum, UInt64) COMMENT 'DNS lookup: page views that have it',
    dns AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'DNS lookup, ms: t-digest state',
    connect_samples SimpleAggregateFunction(sum, UInt64) COMMENT 'TCP connect: page views that have it',
    connect AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'TCP connect, ms: t-digest state',
    tls_samples SimpleAggregateFunction(sum, UInt64) COMMENT 'TLS handshake: page views that have it',
    tls AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'TLS handshake, ms: t-digest state',
    server_samples SimpleAggregateFunction(sum, UInt64) COMMENT 'Request to first byte: page views that have it',
    server AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'Request to first byte, ms: t-digest state',
    download_samples SimpleAggregateFunction(sum, UInt64) COMMENT 'Response download: page views that have it',
    download AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'Response download, ms: t-digest state',
    render_samples SimpleAggregateFunction(sum, UInt64) COMMENT 'DOM processing: page views that have it',
    render AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'DOM processing, ms: t-digest state',
    load_samples SimpleAggregateFunction(sum, UInt64) COMMENT 'Whole load: page views that have it',
    load AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'Whole load, ms: t-digest state'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, dimension, dim_value, day)
TTL day + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Daily rollup of page_views_hourly, for long windows';

INSERT INTO rumhouse.page_views_daily
SELECT site, dimension, dim_value, toStartOfDay(hour, 'UTC') AS day,
       sum(page_views) AS page_views,
       sum(dns_samples) AS dns_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(dns) AS dns,
       sum(connect_samples) AS connect_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(connect) AS connect,
       sum(tls_samples) AS tls_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(tls) AS tls,
       sum(server_samples) AS server_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(server) AS server,
       sum(download_samples) AS download_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(download) AS download,
       sum(render_samples) AS render_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(render) AS render,
       sum(load_samples) AS load_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(load) AS load
FROM rumhouse.page_views_hourly
GROUP BY site, dimension, dim_value, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.page_views_daily_mv TO rumhouse.page_views_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    dimension LowCardinality(String) COMMENT 'Empty for all page views; else path, browser, os, device, country, connection or release',
    dim_value String COMMENT 'Value of the dimension',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    page_views UInt64 COMMENT 'Number of page views',
    dns_samples UInt64 COMMENT 'DNS lookup: page views that have it',
    dns AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'DNS lookup, ms: t-digest state',
    connect_samples UInt64 COMMENT 'TCP connect: page views that have it',
    connect AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'TCP connect, ms: t-digest state',
    tls_samples UInt64 COMMENT 'TLS handshake: page views that have it',
    tls AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'TLS handshake, ms: t-digest state',
    server_samples UInt64 COMMENT 'Request to first byte: page views that have it',
    server AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'Request to first byte, ms: t-digest state',
    download_samples UInt64 COMMENT 'Response download: page views that have it',
    download AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'Response download, ms: t-digest state',
    render_samples UInt64 COMMENT 'DOM processing: page views that have it',
    render AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'DOM processing, ms: t-digest state',
    load_samples UInt64 COMMENT 'Whole load: page views that have it',
    load AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Nullable(Float32)) COMMENT 'Whole load, ms: t-digest state'
)
AS SELECT site, dimension, dim_value, toStartOfDay(hour, 'UTC') AS day,
       sum(page_views) AS page_views,
       sum(dns_samples) AS dns_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(dns) AS dns,
       sum(connect_samples) AS connect_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(connect) AS connect,
       sum(tls_samples) AS tls_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(tls) AS tls,
       sum(server_samples) AS server_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(server) AS server,
       sum(download_samples) AS download_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(download) AS download,
       sum(render_samples) AS render_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(render) AS render,
       sum(load_samples) AS load_samples,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(load) AS load
FROM rumhouse.page_views_hourly
GROUP BY site, dimension, dim_value, day
COMMENT 'Feeds rumhouse.page_views_daily from every insert into rumhouse.page_views_hourly';
