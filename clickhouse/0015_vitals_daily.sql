-- Daily rollup of rumhouse.vitals_hourly, for long windows: a 30-day question reads 30 rows per key
-- here (plus the hours at the window's edges from the hourly table) instead of 720. Fed by a view on the
-- hourly table (views chain: an insert into vitals fills vitals_hourly, which fills this one), with
-- the hourly states merged into daily ones. Same retention as the hourly rollup.
CREATE TABLE IF NOT EXISTS rumhouse.vitals_daily
(
    site LowCardinality(String) COMMENT 'Site key',
    dimension LowCardinality(String) COMMENT 'Empty for all page views; else path, browser, os, device, country, connection or release',
    name LowCardinality(String) COMMENT 'Metric',
    dim_value String COMMENT 'Value of the dimension',
    day DateTime('UTC') COMMENT 'Start of the day (UTC)',
    samples SimpleAggregateFunction(sum, UInt64) COMMENT 'Number of values',
    good SimpleAggregateFunction(sum, UInt64) COMMENT 'Values at or under the good threshold',
    poor SimpleAggregateFunction(sum, UInt64) COMMENT 'Values over the poor threshold',
    quantiles AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float64) COMMENT 't-digest state of the values'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site, dimension, name, dim_value, day)
TTL day + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 256
COMMENT 'Daily rollup of vitals_hourly, for long windows';

INSERT INTO rumhouse.vitals_daily
SELECT site, dimension, name, dim_value, toStartOfDay(hour, 'UTC') AS day,
       sum(samples) AS samples,
       sum(good) AS good,
       sum(poor) AS poor,
       quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(quantiles) AS quantiles
FROM rumhouse.vitals_hourly
GROUP BY site, dimension, name, dim_value, day;

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
