-- Core Web Vitals and the other page metrics: one row per page view and metric; a metric the browser
-- cannot measure has no row. Rollups, their page dimensions and granules as in 0001_page_views.sql.
--
-- {event_columns} stands for `time` and the page view's dimensions (tables.DIMENSIONS), which every
-- event table copies from its page view so that percentiles per path, browser, country, ... need no
-- join; store/migrations.py writes them out (clickhouse/schema.sql shows the result).
--
-- good and poor counts use the published Core Web Vitals thresholds ({good_threshold} and
-- {poor_threshold}, written out from tables.THRESHOLDS): good <= first, poor > second. TTI has none, so its
-- good and poor counts stay 0 (the API reports its shares as null).

CREATE TABLE IF NOT EXISTS rumhouse.vitals
(
    {event_columns},
    name LowCardinality(String) COMMENT 'FCP, LCP, CLS, INP, FID, TTFB or TTI',
    value Float64 COMMENT 'Milliseconds, except CLS (unitless layout-shift score)',
    attribution String COMMENT 'Element or event behind the value (LCP element, INP target, ...), may be empty'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, name, path, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Core Web Vitals and other page metrics, one row per page view and metric';

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
    quantiles AggregateFunction(quantilesTDigest(0.5, 0.75, 0.95, 0.99), Float64) COMMENT 't-digest state of the values; read with quantilesTDigestMerge(0.5, 0.75, 0.95, 0.99)'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, dimension, name, dim_value, hour)
TTL hour + INTERVAL {rollup_retention_days} DAY
SETTINGS index_granularity = 32
COMMENT 'Hourly rollup of vitals per dimension value (t-digest states), kept longer than the raw rows';

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
COMMENT 'Feeds rumhouse.vitals_hourly from every insert into rumhouse.vitals'
AS SELECT
    site,
    dim.1 AS dimension,
    name,
    dim.2 AS dim_value,
    toStartOfHour(toDateTime(time, 'UTC')) AS hour,
    count() AS samples,
    countIf(value <= {good_threshold}) AS good,
    countIf(value > {poor_threshold}) AS poor,
    quantilesTDigestState(0.5, 0.75, 0.95, 0.99)(value) AS quantiles
FROM rumhouse.vitals
ARRAY JOIN {dimension_pairs} AS dim
GROUP BY
    site,
    dimension,
    name,
    dim_value,
    hour;

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
COMMENT 'Feeds rumhouse.vitals_daily from every insert into rumhouse.vitals_hourly'
AS SELECT
    site,
    dimension,
    name,
    dim_value,
    toStartOfDay(hour, 'UTC') AS day,
    sum(samples) AS samples,
    sum(good) AS good,
    sum(poor) AS poor,
    quantilesTDigestMergeState(0.5, 0.75, 0.95, 0.99)(quantiles) AS quantiles
FROM rumhouse.vitals_hourly
GROUP BY
    site,
    dimension,
    name,
    dim_value,
    day;
