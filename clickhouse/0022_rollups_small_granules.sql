-- Smaller granules for the hourly rollups that carry quantile states (vitals, page views, API calls):
-- index_granularity 32 instead of 256.
--
-- Why: a question reads whole granules. Each key (a metric and path, an endpoint, ...) has a row per
-- hour, so a granule of 256 rows is ten days of one key, and a 24-hour question (or the hours at the
-- edges of a longer window, see Filters.rollup_source) deserialized and threw away up to ten times the
-- t-digest states it used: at 1M page views the navigation breakdown by path spent 76 ms of CPU for
-- 24 hours at 256, 41 ms at 32. The primary index grows eightfold (a mark per 32 rows), still a
-- small fraction of the states it points at. resources_hourly holds plain sums and keeps 256.
--
-- ClickHouse cannot change index_granularity in place, so each table is rebuilt: the rows are copied
-- into a new table with the new setting, which then takes the old one's place (EXCHANGE TABLES, one
-- atomic step), and the old one is dropped. The views that feed the table, and the daily rollup from
-- it, are recreated (a view stays bound to the table it was created on). Nothing is recomputed: the
-- states are copied as they are. At every step the rollup's name holds all of its rows, so a run cut
-- short can run again: the leftover copy is dropped and made anew.
-- On a ClickHouse server with workers inserting meanwhile, rows inserted between dropping and
-- recreating a view are missing from the rollups (as with the first rollup migrations, docs/api.md).

-- vitals_hourly
DROP VIEW IF EXISTS rumhouse.vitals_daily_mv;
DROP VIEW IF EXISTS rumhouse.vitals_hourly_mv;
DROP TABLE IF EXISTS rumhouse.vitals_hourly_rebuild;
CREATE TABLE IF NOT EXISTS rumhouse.vitals_hourly_rebuild
(
    site LowCardinality(String) COMMENT 'Site key',
    dimension LowCardinality(String) COMMENT 'Empty for all page views; else path, browser, os, device, country, connection or release',
    name LowCardinality(String) COMMENT 'Metric: FCP, LCP, CLS, INP, FID, TTFB or TTI',
    dim_value String COMMENT 'Value of the dimension (a path, a browser, ...); empty when dimension is empty',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    samples SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of values (page views with this metric)',
    good SimpleAggregateFunction(sum, UInt64) COMMENT 'Values at or under the good threshold',
    poor SimpleAggregateFunction(sum, UInt64) COMMENT 'Values over the poor threshold',
    quantiles AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float64)
        COMMENT 't-digest state of the values; read with quantilesTDigestMerge(0.5, 0.75, 0.95, 0.99)'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, dimension, name, dim_value, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 32
COMMENT 'Hourly rollup of vitals per dimension value (t-digest states), kept longer than the raw rows';
TRUNCATE TABLE IF EXISTS rumhouse.vitals_hourly_rebuild;
INSERT INTO rumhouse.vitals_hourly_rebuild SETTINGS distributed_foreground_insert = 1 SELECT * FROM rumhouse.vitals_hourly;
EXCHANGE TABLES rumhouse.vitals_hourly AND rumhouse.vitals_hourly_rebuild;
DROP TABLE IF EXISTS rumhouse.vitals_hourly_rebuild;
CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.vitals_hourly_mv TO rumhouse.vitals_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    dimension String COMMENT 'Dimension name, empty for all page views',
    name LowCardinality(String) COMMENT 'Metric',
    dim_value String COMMENT 'Value of the dimension',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    samples UInt64 COMMENT 'Number of values',
    good UInt64 COMMENT 'Values at or under the good threshold',
    poor UInt64 COMMENT 'Values over the poor threshold',
    quantiles AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float64) COMMENT 't-digest state of the values'
)
AS SELECT site, dim.1 AS dimension, name, dim.2 AS dim_value, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       count() AS samples,
       countIf(value <= multiIf(name = 'LCP', 2500, name = 'INP', 200, name = 'CLS', 0.1, name = 'FCP', 1800,
                                name = 'TTFB', 800, name = 'FID', 100, -1)) AS good,
       countIf(value > multiIf(name = 'LCP', 4000, name = 'INP', 500, name = 'CLS', 0.25, name = 'FCP', 3000,
                               name = 'TTFB', 1800, name = 'FID', 300, inf)) AS poor,
       quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(value) AS quantiles
FROM rumhouse.vitals
ARRAY JOIN [('', ''), ('path', path), ('browser', browser), ('os', os), ('device', device_type),
            ('country', country), ('connection', connection_type), ('release', release)] AS dim
GROUP BY site, dimension, name, dim_value, hour
COMMENT 'Feeds rumhouse.vitals_hourly from every insert into rumhouse.vitals';
CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.vitals_daily_mv TO rumhouse.vitals_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    dimension LowCardinality(String) COMMENT 'Empty for all page views; else path, browser, os, device, country, connection or release',
    name LowCardinality(String) COMMENT 'Metric',
    dim_value String COMMENT 'Value of the dimension',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    samples UInt64 COMMENT 'Number of values',
    good UInt64 COMMENT 'Values at or under the good threshold',
    poor UInt64 COMMENT 'Values over the poor threshold',
    quantiles AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float64) COMMENT 't-digest state of the values'
)
AS SELECT site, dimension, name, dim_value, toStartOfDay(hour, 'UTC') AS day,
       sum(samples) AS samples,
       sum(good) AS good,
       sum(poor) AS poor,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(quantiles) AS quantiles
FROM rumhouse.vitals_hourly
GROUP BY site, dimension, name, dim_value, day
COMMENT 'Feeds rumhouse.vitals_daily from every insert into rumhouse.vitals_hourly';

-- page_views_hourly
DROP VIEW IF EXISTS rumhouse.page_views_daily_mv;
DROP VIEW IF EXISTS rumhouse.page_views_hourly_mv;
DROP TABLE IF EXISTS rumhouse.page_views_hourly_rebuild;
CREATE TABLE IF NOT EXISTS rumhouse.page_views_hourly_rebuild
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
TRUNCATE TABLE IF EXISTS rumhouse.page_views_hourly_rebuild;
INSERT INTO rumhouse.page_views_hourly_rebuild SETTINGS distributed_foreground_insert = 1 SELECT * FROM rumhouse.page_views_hourly;
EXCHANGE TABLES rumhouse.page_views_hourly AND rumhouse.page_views_hourly_rebuild;
DROP TABLE IF EXISTS rumhouse.page_views_hourly_rebuild;
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

-- api_calls_hourly
DROP VIEW IF EXISTS rumhouse.api_calls_daily_mv;
DROP VIEW IF EXISTS rumhouse.api_calls_hourly_mv;
DROP TABLE IF EXISTS rumhouse.api_calls_hourly_rebuild;
CREATE TABLE IF NOT EXISTS rumhouse.api_calls_hourly_rebuild
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Host and path of the called URL, ids templated',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of calls',
    failed SimpleAggregateFunction(sum, UInt64) COMMENT 'Calls with status 0 (network error, CORS, abort) or >= 400',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that made a call: uniqCombined(12) sketch of their ids; read with uniqCombinedMerge(12)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, endpoint, method, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 32
COMMENT 'Hourly rollup of fetch/XHR calls per endpoint, kept longer than the raw rows';
TRUNCATE TABLE IF EXISTS rumhouse.api_calls_hourly_rebuild;
INSERT INTO rumhouse.api_calls_hourly_rebuild SETTINGS distributed_foreground_insert = 1 SELECT * FROM rumhouse.api_calls_hourly;
EXCHANGE TABLES rumhouse.api_calls_hourly AND rumhouse.api_calls_hourly_rebuild;
DROP TABLE IF EXISTS rumhouse.api_calls_hourly_rebuild;
CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.api_calls_hourly_mv TO rumhouse.api_calls_hourly
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Endpoint',
    hour DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    calls UInt64 COMMENT 'Number of calls',
    failed UInt64 COMMENT 'Failed calls',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that made a call (sketch)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
AS SELECT site, method, endpoint, toStartOfHour(toDateTime(time, 'UTC')) AS hour, count() AS calls,
       countIf(status = 0 OR status >= 400) AS failed, uniqCombinedState(12)(page_view_id) AS page_views,
       quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(duration_ms) AS duration
FROM rumhouse.api_calls
GROUP BY site, method, endpoint, hour
COMMENT 'Feeds rumhouse.api_calls_hourly from every insert into rumhouse.api_calls';
CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.api_calls_daily_mv TO rumhouse.api_calls_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    method LowCardinality(String) COMMENT 'HTTP method',
    endpoint String COMMENT 'Host and path of the called URL, ids templated',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    calls UInt64 COMMENT 'Number of calls',
    failed UInt64 COMMENT 'Calls with status 0 or >= 400',
    page_views AggregateFunction(uniqCombined(12), String) COMMENT 'Page views that made a call (sketch)',
    duration AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float32) COMMENT 'Duration, ms: t-digest state'
)
AS SELECT site, method, endpoint, toStartOfDay(hour, 'UTC') AS day,
       sum(calls) AS calls,
       sum(failed) AS failed,
       uniqCombinedMergeState(12)(page_views) AS page_views,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(duration) AS duration
FROM rumhouse.api_calls_hourly
GROUP BY site, method, endpoint, day
COMMENT 'Feeds rumhouse.api_calls_daily from every insert into rumhouse.api_calls_hourly';
