-- Hourly rollup of the vitals for the dashboard and the API: t-digest quantile states and
-- good / needs-improvement / poor counts per site, metric, hour and ONE dimension value.
--
-- Each vitals row is counted once per dimension (ARRAY JOIN below): dimension '' holds every page view,
-- dimension 'browser' one row per browser, and so on. A question with no dimension filter, or a filter
-- or split on a single dimension, reads a few rows per hour instead of every page view; a question with
-- two dimension filters at once goes to the raw table. Keeping every combination of dimensions instead
-- would give about as many rows as the raw table: a grain that fine gains nothing.
--
-- Thresholds are the published Core Web Vitals ones (web.dev): good <= first, poor > second.
-- TTI has none, so its good and poor counts stay 0 (the API reports its shares as null).
-- {rollup_retention_days} comes from RUMHOUSE_ROLLUP_RETENTION_DAYS (default 365).
CREATE TABLE IF NOT EXISTS rumhouse.vitals_hourly
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
-- Small granules: rows carry t-digest states (up to a few KiB each), and a dashboard question reads
-- a few hundred of them; the default 8192-row granule would make it decompress megabytes per question.
SETTINGS index_granularity = 256
COMMENT 'Hourly rollup of vitals per dimension value (t-digest states), kept longer than the raw rows';

-- Fills the rollup for rows that existed before this migration (the view below sees only new inserts).
-- At start-up of the embedded engine nothing is inserting yet, so nothing is missed or counted twice.
INSERT INTO rumhouse.vitals_hourly
SELECT site, dim.1 AS dimension, name, dim.2 AS dim_value, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       count() AS samples,
       countIf(value <= multiIf(name = 'LCP', 2500, name = 'INP', 200, name = 'CLS', 0.1, name = 'FCP', 1800,
                                name = 'TTFB', 800, name = 'FID', 100, -1)) AS good,
       countIf(value > multiIf(name = 'LCP', 4000, name = 'INP', 500, name = 'CLS', 0.25, name = 'FCP', 3000,
                               name = 'TTFB', 1800, name = 'FID', 300, inf)) AS poor,
       quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(value) AS quantiles
FROM rumhouse.vitals
ARRAY JOIN [('', ''), ('path', path), ('browser', browser), ('os', os), ('device', device_type),
            ('country', country), ('connection', connection_type), ('release', release)] AS dim
GROUP BY site, dimension, name, dim_value, hour;

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
