-- One row per accepted beacon: tells which page views lost their final beacon (no row with last = 1).

CREATE TABLE IF NOT EXISTS rumhouse.beacons
(
    time DateTime64(3) COMMENT 'When the beacon was received (server clock)',
    site LowCardinality(String) COMMENT 'Site key from data-site',
    page_view_id String COMMENT 'Page view the beacon belongs to',
    seq UInt32 COMMENT 'Sequence number of the beacon within its page view, from 0',
    last UInt8 COMMENT '1 on the final beacon of a page view (sent at pagehide or before a route change)',
    events UInt32 COMMENT 'Number of rows the beacon produced in the other tables'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Delivery bookkeeping: one row per accepted beacon';
