-- Notifications to channels and their delivery attempts (retried with backoff).
CREATE TABLE IF NOT EXISTS rumhouse.alert_deliveries
(
    id String COMMENT 'Random id of the notification to one channel',
    channel String COMMENT 'Channel name from the config',
    kind LowCardinality(String) COMMENT 'firing, resolved or reminder',
    rules Array(String) COMMENT 'Alert rules grouped into this notification',
    status LowCardinality(String) COMMENT 'pending (will be retried), delivered or failed (gave up)',
    attempts UInt16 COMMENT 'Attempts made so far',
    last_error String COMMENT 'Why the last attempt failed, empty when it did not',
    created_at DateTime64(3, 'UTC') COMMENT 'When the notification was made',
    next_attempt_at Nullable(DateTime64(3, 'UTC')) COMMENT 'When it is tried again; NULL once delivered or failed',
    payload String COMMENT 'The JSON document sent (webhook form)',
    version UInt64 COMMENT 'Row version (us since epoch): the newest row of an id wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
COMMENT 'Alert notifications and their delivery status';
