-- Custom measures sent with rumhouse.measure(name, value, tags).
-- {event_columns}: `time` and the page view's dimensions, as in 0002_vitals.sql.

CREATE TABLE IF NOT EXISTS rumhouse.measures
(
    {event_columns},
    name LowCardinality(String) COMMENT 'Name given to rumhouse.measure',
    value Float64 COMMENT 'Value given to rumhouse.measure (usually ms)',
    tags Map(LowCardinality(String), String) COMMENT 'Tags given to rumhouse.measure'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, name, path, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Custom measures, one row per call of rumhouse.measure';
