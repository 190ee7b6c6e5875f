-- Hourly rollup of page views and their navigation breakdown (t-digest states per phase), per site,
-- hour and ONE dimension value, like rumhouse.vitals_hourly (see 0011 for why one dimension at a time).
-- {rollup_retention_days} comes from RUMHOUSE_ROLLUP_RETENTION_DAYS (default 365).
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
-- Small granules: rows carry t-digest states (up to a few KiB each), and a dashboard question reads
-- a few hundred of them; the default 8192-row granule would make it decompress megabytes per question.
SETTINGS index_granularity = 256
COMMENT 'Hourly rollup of page views and navigation phases per dimension value, kept longer than the raw rows';

-- Rows that existed before this migration (the view below sees only new inserts).
INSERT INTO rumhouse.page_views_hourly
SELECT site, dim.1 AS dimension, dim.2 AS dim_value, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       count() AS page_views,
       count(dns_ms) AS dns_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(dns_ms) AS dns,
       count(connect_ms) AS connect_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(connect_ms) AS connect,
       count(tls_ms) AS tls_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(tls_ms) AS tls,
       count(server_ms) AS server_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(server_ms) AS server,
       count(download_ms) AS download_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(download_ms) AS download,
       count(render_ms) AS render_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(render_ms) AS render,
       count(load_ms) AS load_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(load_ms) AS load
FROM rumhouse.page_views
ARRAY JOIN [('', ''), ('path', path), ('browser', browser), ('os', os), ('device', device_type),
            ('country', country), ('connection', connection_type), ('release', release)] AS dim
GROUP BY site, dimension, dim_value, hour;

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
AS SELECT site, dim.1 AS dimension, dim.2 AS dim_value, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       count() AS page_views,
       count(dns_ms) AS dns_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(dns_ms) AS dns,
       count(connect_ms) AS connect_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(connect_ms) AS connect,
       count(tls_ms) AS tls_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(tls_ms) AS tls,
       count(server_ms) AS server_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(server_ms) AS server,
       count(download_ms) AS download_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(download_ms) AS download,
       count(render_ms) AS render_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(render_ms) AS render,
       count(load_ms) AS load_samples, quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(load_ms) AS load
FROM rumhouse.page_views
ARRAY JOIN [('', ''), ('path', path), ('browser', browser), ('os', os), ('device', device_type),
            ('country', country), ('connection', connection_type), ('release', release)] AS dim
GROUP BY site, dimension, dim_value, hour
COMMENT 'Feeds rumhouse.page_views_hourly from every insert into rumhouse.page_views';
