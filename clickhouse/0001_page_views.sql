-- One row per page view, from the beacon that carries its navigation breakdown.
-- {retention_days} is filled in from RUMHOUSE_RETENTION_DAYS (default 30) when the migration runs.
CREATE TABLE IF NOT EXISTS rumhouse.page_views
(
    time DateTime64(3) COMMENT 'When the page view started (server clock)',
    site LowCardinality(String) COMMENT 'Site key from data-site',
    page_view_id String COMMENT 'Random id of the page view, made by the snippet; identifies no person',
    host LowCardinality(String) COMMENT 'Host of the page URL',
    path String COMMENT 'Path of the page URL, with id-like segments templated (/users/:id)',
    query String COMMENT 'Allow-listed query parameters only (utm_* by default), URL-encoded',
    referrer_host LowCardinality(String) COMMENT 'Host of document.referrer, empty when none',
    browser LowCardinality(String) COMMENT 'Browser family from the user agent (Chrome, Safari, ...)',
    browser_version LowCardinality(String) COMMENT 'Browser major version',
    os LowCardinality(String) COMMENT 'Operating system family from the user agent',
    device_type LowCardinality(String) COMMENT 'desktop, mobile, tablet or other',
    country LowCardinality(String) COMMENT 'ISO 3166 country code from a trusted proxy header, empty when unknown',
    connection_type LowCardinality(String) COMMENT 'navigator.connection.effectiveType (4g, 3g, ...), empty when unknown',
    release LowCardinality(String) COMMENT 'Release of the site, from data-release',
    navigation_type LowCardinality(String) COMMENT 'navigate, reload, back_forward, prerender, restore (bfcache) or soft (SPA route change)',
    redirect_ms Nullable(Float32) COMMENT 'Redirects: redirectEnd - redirectStart, ms',
    dns_ms Nullable(Float32) COMMENT 'DNS lookup, ms',
    connect_ms Nullable(Float32) COMMENT 'TCP connect without TLS, ms',
    tls_ms Nullable(Float32) COMMENT 'TLS handshake, ms (0 on plain http)',
    server_ms Nullable(Float32) COMMENT 'Request to first byte: responseStart - requestStart, ms',
    download_ms Nullable(Float32) COMMENT 'Response download: responseEnd - responseStart, ms',
    render_ms Nullable(Float32) COMMENT 'DOM processing: domComplete - responseEnd, ms',
    load_ms Nullable(Float32) COMMENT 'Whole load: loadEventEnd - startTime, ms; NULL when the page was left before load',
    transfer_size Nullable(UInt64) COMMENT 'Transfer size of the document, bytes',
    server_timing Map(LowCardinality(String), Float32) COMMENT 'Server-Timing entries of the document: name to duration, ms',
    rtt Nullable(UInt16) COMMENT 'navigator.connection.rtt, ms',
    downlink Nullable(Float32) COMMENT 'navigator.connection.downlink, Mbit/s',
    save_data UInt8 COMMENT '1 when navigator.connection.saveData is on',
    device_memory Nullable(Float32) COMMENT 'navigator.deviceMemory, GiB',
    cpu_cores Nullable(UInt16) COMMENT 'navigator.hardwareConcurrency',
    viewport_width Nullable(UInt32) COMMENT 'Viewport width, CSS px',
    viewport_height Nullable(UInt32) COMMENT 'Viewport height, CSS px'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, toStartOfHour(time), path)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
-- Lets a retried insert with the same insert_deduplication_token be dropped instead of doubled.
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'One row per page view with its navigation breakdown';
