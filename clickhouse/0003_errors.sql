-- Client errors: uncaught exceptions and unhandled promise rejections.
CREATE TABLE IF NOT EXISTS rumhouse.errors
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
    kind LowCardinality(String) COMMENT 'error (uncaught exception) or rejection (unhandled promise rejection)',
    message String COMMENT 'Error message, e-mail addresses removed',
    source String COMMENT 'Script URL without query string',
    line UInt32 COMMENT 'Line number, 0 when unknown',
    col UInt32 COMMENT 'Column number, 0 when unknown',
    stack String COMMENT 'Trimmed stack trace, query strings and e-mail addresses removed',
    count UInt32 COMMENT 'How many identical errors the page view had (the snippet folds repeats)',
    fingerprint UInt64 DEFAULT cityHash64(kind, replaceRegexpAll(message, '[0-9]+', '0'), source)
        COMMENT 'Groups the same error across page views: a hash of kind, message with numbers masked, and source'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, fingerprint, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Client errors, one row per distinct error per page view';
