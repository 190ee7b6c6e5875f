-- fetch and XHR calls made by pages, as browsers saw them.
CREATE TABLE IF NOT EXISTS rumhouse.api_calls
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
    method LowCardinality(String) COMMENT 'HTTP method, upper case',
    endpoint String COMMENT 'Host and path of the called URL, query string dropped and id-like segments templated',
    status UInt16 COMMENT 'HTTP status; 0 when the request failed (network error, CORS, abort)',
    duration_ms Float32 COMMENT 'Duration of the call as the page saw it, ms'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, endpoint, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'fetch and XHR calls, one row per call';
