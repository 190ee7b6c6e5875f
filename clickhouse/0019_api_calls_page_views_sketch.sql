-- Page views per API endpoint in the rollups: a uniqCombined(12) sketch instead of a uniq state.
--
-- Why: 0013 and 0017 kept `uniq` states, which hold up to 65,536 hashes each (up to 256 KiB per row).
-- At 10M page views a 30-day API-endpoints question merged about 2,000 of them and took over a
-- second. uniqCombined(12) keeps small sets exactly (as a list, then a hash table of up to about
-- 700 values) and past that a HyperLogLog of 2^12 cells: at most about 3 KiB per row, cheap to merge
-- and cheaper to fill on ingest, at a standard error of about 1.6% on large counts (docs/api.md).
--
-- Why ALTER rather than drop and recreate the tables: the rollups keep a year and the raw rows a
-- month, so recreating them from the raw rows would lose eleven months of calls, failures and
-- durations. Only the page-view states cannot be converted (one sketch cannot be turned into
-- another): they are dropped, and rebuilt below from the raw rows that are still kept. Hours older
-- than that answer page_views as unknown (null) through the API until they age out.
--
-- Every statement can run again after a run cut short: the column is dropped (IF EXISTS) and added
-- anew, and the backfill only adds page view ids to sketches, which ignore ids they already hold.

-- The views feed the old state type: stop them before the column changes type.
DROP VIEW IF EXISTS rumhouse.api_calls_daily_mv;
DROP VIEW IF EXISTS rumhouse.api_calls_hourly_mv;

-- mutations_sync = 2: the old column is gone from every part before the new one, of the same name,
-- is added.
ALTER TABLE rumhouse.api_calls_hourly DROP COLUMN IF EXISTS page_views SETTINGS mutations_sync = 2;
ALTER TABLE rumhouse.api_calls_hourly
    ADD COLUMN page_views AggregateFunction(uniqCombined(12), String)
    COMMENT 'Page views that made a call: uniqCombined(12) sketch of their ids; read with uniqCombinedMerge(12)'
    AFTER failed;
ALTER TABLE rumhouse.api_calls_daily DROP COLUMN IF EXISTS page_views SETTINGS mutations_sync = 2;
ALTER TABLE rumhouse.api_calls_daily
    ADD COLUMN page_views AggregateFunction(uniqCombined(12), String)
    COMMENT 'Page views that made a call: uniqCombined(12) sketch of their ids; read with uniqCombinedMerge(12)'
    AFTER failed;

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

-- The sketches of the hours the raw table still holds. These rows add no calls, failures or
-- durations (0 and empty states), so they only complete the page-view column of the rows already
-- there; the daily view above passes them on to rumhouse.api_calls_daily. Created after the views,
-- so a row inserted meanwhile is in the sketch either way (twice is the same as once).
INSERT INTO rumhouse.api_calls_hourly (site, method, endpoint, hour, page_views)
SELECT site, method, endpoint, toStartOfHour(toDateTime(time, 'UTC')) AS hour,
       uniqCombinedState(12)(page_view_id) AS page_views
FROM rumhouse.api_calls
GROUP BY site, method, endpoint, hour;
