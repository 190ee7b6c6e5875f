-- Page views: one row per page view, from the beacon that carries its navigation breakdown.
-- {retention_days} is RUMHOUSE_RETENTION_DAYS (default 30) for every raw table. The deduplication window
-- lets a retried insert with the same insert_deduplication_token be dropped instead of doubled.
--
-- Rollups. Each raw table that the dashboard reads over long windows feeds an hourly rollup through a
-- materialized view, and the hourly rollup feeds a daily one (views chain: an insert into the raw table
-- fills the hourly rollup, which fills the daily one, with the hourly states merged into daily ones).
-- A 30-day question reads 30 rows per key from the daily table (plus the hours at the window's edges
-- from the hourly one) instead of 720. The rollups keep {rollup_retention_days} days
-- (RUMHOUSE_ROLLUP_RETENTION_DAYS, default 365), longer than the raw rows.
--
-- Page dimensions in the rollup: each raw row is counted once per dimension ({dimension_pairs}, an
-- ARRAY JOIN): dimension '' holds every page view, dimension 'browser' one row per browser, and so on. A
-- question with no dimension filter, or a filter or split on a single dimension, reads a few rows per
-- hour instead of every page view; a question with two dimension filters at once goes to the raw table.
-- Keeping every combination of dimensions would give about as many rows as the raw table.
--
-- Small granules (index_granularity 32 on the hourly table): a question reads whole granules, each key
-- (a metric and path, an endpoint, ...) has a row per hour, and rows carry t-digest states of up to a
-- few KiB. At 256 a 24-hour question deserialized up to ten times the states it used (at 1M page views
-- the navigation breakdown by path spent 76 ms of CPU at 256, 41 ms at 32); the default 8192 would
-- make it decompress megabytes. The daily tables keep 256.

CREATE TABLE IF NOT EXISTS rumhouse.page_views
(
    time DateTime64(3) COMMENT 'When the page view started (server clock)',
    site LowCardinality(String) COMMENT 'Site key from data-site',
    page_view_id String COMMENT 'Random id of the page view, made by the snippet; identifies no person',
    host LowCardinality(String) COMMENT 'Host of the page URL',
    path String COMMENT 'Path of the page URL, with id-like segments templated (/users/:id)',
    query String COMMENT 'Allow-listed query parameters only (utm_* by default), URL-encoded',
    referrer_host LowCardinality(String) COMMENT 'Host of document.referrer, empty when none',
    browser LowCardinality(String) COMMENT 'Browser family from the user agent (Chrome, Safari, ...)',
    browser_version LowCardinality(String) COMMENT 'Browser major version',
    os LowCardinality(String) COMMENT 'Operating system family from the user agent',
    device_type LowCardinality(String) COMMENT 'desktop, mobile, tablet or other',
    country LowCardinality(String) COMMENT 'ISO 3166 country code from a trusted proxy header, empty when unknown',
    connection_type LowCardinality(String) COMMENT 'navigator.connection.effectiveType (4g, 3g, ...), empty when unknown',
    release LowCardinality(String) COMMENT 'Release of the site, from data-release',
    navigation_type LowCardinality(String) COMMENT 'navigate, reload, back_forward, prerender, restore (bfcache) or soft (SPA route change)',
    redirect_ms Nullable(Float32) COMMENT 'Redirects: redirectEnd - redirectStart, ms',
    dns_ms Nullable(Float32) COMMENT 'DNS lookup, ms',
    connect_ms Nullable(Float32) COMMENT 'TCP connect without TLS, ms',
    tls_ms Nullable(Float32) COMMENT 'TLS handshake, ms (0 on plain http)',
    server_ms Nullable(Float32) COMMENT 'Request to first byte: responseStart - requestStart, ms',
    download_ms Nullable(Float32) COMMENT 'Response download: responseEnd - responseStart, ms',
    render_ms Nullable(Float32) COMMENT 'DOM processing: domComplete - responseEnd, ms',
    load_ms Nullable(Float32) COMMENT 'Whole load: loadEventEnd - startTime, ms; NULL when the page was left before load',
    transfer_size Nullable(UInt64) COMMENT 'Transfer size of the document, bytes',
    server_timing Map(LowCardinality(String), Float32) COMMENT 'Server-Timing entries of the document: name to duration, ms',
    rtt Nullable(UInt16) COMMENT 'navigator.connection.rtt, ms',
    downlink Nullable(Float32) COMMENT 'navigator.connection.downlink, Mbit/s',
    save_data UInt8 COMMENT '1 when navigator.connection.saveData is on',
    device_memory Nullable(Float32) COMMENT 'navigator.deviceMemory, GiB',
    cpu_cores Nullable(UInt16) COMMENT 'navigator.hardwareConcurrency',
    viewport_width Nullable(UInt32) COMMENT 'Viewport width, CSS px',
    viewport_height Nullable(UInt32) COMMENT 'Viewport height, CSS px'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, toStartOfHour(time), path)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'One row per page view with its navigation breakdown';

CREATE TABLE IF NOT EXISTS rumhouse.page_views_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    dimension LowCardinality(String) COMMENT 'Empty for all page views; else path, browser, os, device, country, connection or release',
    dim_value String COMMENT 'Value of the dimension; empty when dimension is empty',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
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
PARTITION BY toYYYYMM(hour)
ORDER BY (site, dimension, dim_value, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 32
COMMENT 'Hourly rollup of page views and navigation phases per dimension value, kept longer than the raw rows';

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

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.page_views_hourly_mv TO rumhouse.page_views_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    dimension String COMMENT 'Dimension name, empty for all page views',
    dim_value String COMMENT 'Value of the dimension',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
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
COMMENT 'Feeds rumhouse.page_views_hourly from every insert into rumhouse.page_views'
AS SELECT
    site,
    dim.1 AS dimension,
    dim.2 AS dim_value,
    toStartOfHour(toDateTime(time, 'UTC')) AS hour,
    count() AS page_views,
    count(dns_ms) AS dns_samples,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(dns_ms) AS dns,
    count(connect_ms) AS connect_samples,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(connect_ms) AS connect,
    count(tls_ms) AS tls_samples,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(tls_ms) AS tls,
    count(server_ms) AS server_samples,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(server_ms) AS server,
    count(download_ms) AS download_samples,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(download_ms) AS download,
    count(render_ms) AS render_samples,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(render_ms) AS render,
    count(load_ms) AS load_samples,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(load_ms) AS load
FROM rumhouse.page_views
ARRAY JOIN {dimension_pairs} AS dim
GROUP BY
    site,
    dimension,
    dim_value,
    hour;

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
COMMENT 'Feeds rumhouse.page_views_daily from every insert into rumhouse.page_views_hourly'
AS SELECT
    site,
    dimension,
    dim_value,
    toStartOfDay(hour, 'UTC') AS day,
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
GROUP BY
    site,
    dimension,
    dim_value,
    day;
