-- The page's calls to other hosts (api_calls whose endpoint's host is not the page's own) as dependencies
-- of the caller "browser", kind http, in the dependency rollups of 0019 beside the backend's client spans:
-- the dependency panels then read every whole minute and hour of a window from the rollups, and the page's
-- raw rows only for its edges (query/dependencies.py), where they read all of them before. A page call
-- fails with status 0 (network error, CORS, abort) or >= 400, as a client span does with an error status.

CREATE MATERIALIZED VIEW IF NOT EXISTS rumhouse.api_calls_dependency_minutely_mv TO rumhouse.otel_dependency_minutely
(
    site LowCardinality(String) COMMENT 'Site key',
    service LowCardinality(String) COMMENT 'browser: the page',
    dependency LowCardinality(String) COMMENT 'The called host (with its port)',
    kind LowCardinality(String) COMMENT 'http',
    minute DateTime('UTC') COMMENT 'Start of the minute (UTC)',
    calls UInt64 COMMENT 'Calls to the host',
    errors UInt64 COMMENT 'Those with status 0 or >= 400',
    duration_sum Float64 COMMENT 'Sum of their durations, ms',
    durations Map(UInt32, UInt64) COMMENT 'Their durations: whole ms (ceil) -> count',
    slowest AggregateFunction(argMax, String, Float64) COMMENT 'argMax state: trace id of the slowest'
)
COMMENT 'Feeds rumhouse.otel_dependency_minutely from every insert into rumhouse.api_calls of calls to another host'
AS SELECT
    site,
    'browser' AS service,
    splitByChar('/', endpoint)[1] AS dependency,
    'http' AS kind,
    toStartOfMinute(toDateTime(time, 'UTC')) AS minute,
    count() AS calls,
    toUInt64(countIf(status = 0 OR status >= 400)) AS errors,
    sum(toFloat64(duration_ms)) AS duration_sum,
    sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1))) AS durations,
    argMaxState(trace_id, toFloat64(duration_ms)) AS slowest
FROM rumhouse.api_calls
WHERE splitByChar(':', splitByChar('/', endpoint)[1])[1] != host AND splitByChar('/', endpoint)[1] != ''
GROUP BY site, dependency, minute;

-- Calls stored before this migration (the minutely rows feed the hourly ones through 0019's view).
INSERT INTO rumhouse.otel_dependency_minutely
SELECT site, 'browser', splitByChar('/', endpoint)[1] AS dependency, 'http',
    toStartOfMinute(toDateTime(time, 'UTC')) AS minute, count(), toUInt64(countIf(status = 0 OR status >= 400)),
    sum(toFloat64(duration_ms)), sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1))),
    argMaxState(trace_id, toFloat64(duration_ms))
FROM rumhouse.api_calls
WHERE splitByChar(':', splitByChar('/', endpoint)[1])[1] != host AND splitByChar('/', endpoint)[1] != ''
GROUP BY site, dependency, minute;
