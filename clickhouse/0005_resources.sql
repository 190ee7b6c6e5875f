-- Resources (Resource Timing), summarized per page view, type and host.
CREATE TABLE IF NOT EXISTS rumhouse.resources
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
    type LowCardinality(String) COMMENT 'script, css, img, font, fetch (fetch and XHR) or other',
    resource_host LowCardinality(String) COMMENT 'Host the resources came from',
    third_party UInt8 COMMENT '1 when resource_host is not the page host',
    count UInt32 COMMENT 'Number of resources',
    transfer_bytes UInt64 COMMENT 'Bytes over the network, headers included (0 for cache hits)',
    encoded_bytes UInt64 COMMENT 'Body bytes as sent (compressed)',
    decoded_bytes UInt64 COMMENT 'Body bytes after decompression; equal to encoded_bytes when sent uncompressed',
    cache_hits UInt32 COMMENT 'Resources served from the browser cache',
    duration_total_ms Float64 COMMENT 'Summed duration, ms',
    duration_max_ms Float32 COMMENT 'Longest duration, ms',
    slowest_url String COMMENT 'URL of the slowest resource, query string dropped'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, type, resource_host, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Resources per page view, type and host';
