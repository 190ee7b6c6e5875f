-- Custom measures sent with rumhouse.measure(name, value, tags).
CREATE TABLE IF NOT EXISTS rumhouse.measures
(
    time DateTime64(3) COMMENT 'When it happened (server clock; see docs/beacon.md)',
    site LowCardinality(String) COMMENT 'Site key from data-site',
    page_view_id String COMMENT 'Page view this row belongs to (joins to page_views)',
    host LowCardinality(String) COMMENT 'Host of the page URL',
    path String COMMENT 'Path of the page, with id-like segments templated (/users/:id)',
    browser LowCardinality(String) COMMENT 'Browser family from the user agent',
    os LowCardinality(String) COMMENT 'Operating system family from the user agent',
    device_type LowCardinality(String) COMMENT 'desktop, mobile, tablet or other',
    country LowCardinality(String) COMMENT 'ISO 3166 country code from a trusted proxy header, empty when unknown',
    connection_type LowCardinality(String) COMMENT 'navigator.connection.effectiveType, empty when unknown',
    release LowCardinality(String) COMMENT 'Release of the site, from data-release',
    navigation_type LowCardinality(String) COMMENT 'navigate, reload, back_forward, prerender, restore or soft',
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
