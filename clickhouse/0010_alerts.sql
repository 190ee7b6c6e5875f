-- Alerting: the current state of each rule (written by the evaluator after every change), every
-- state change with who and when (acknowledgements and manual resolutions too), and the notifications
-- to channels with their delivery attempts (retried with backoff).

CREATE TABLE IF NOT EXISTS rumhouse.alert_state
(
    rule String COMMENT 'Alert rule name',
    state String COMMENT 'The rule state as JSON (ok, pending, firing or resolved; since, ack and resolution)',
    version UInt64 COMMENT 'Row version (us since epoch): the newest row of a rule wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY rule
COMMENT 'Current state of every alert rule';

CREATE TABLE IF NOT EXISTS rumhouse.alert_events
(
    time DateTime64(3, 'UTC') COMMENT 'When it happened (the evaluator clock)',
    rule String COMMENT 'Alert rule name',
    site LowCardinality(String) COMMENT 'Site key of the rule',
    from_state LowCardinality(String) COMMENT 'State before',
    to_state LowCardinality(String) COMMENT 'State after (or acknowledged)',
    value Nullable(Float64) COMMENT 'Observed value at the change, NULL for manual actions',
    actor String COMMENT 'evaluator, or the token id of who acknowledged or resolved it',
    note String COMMENT 'Free text given with an acknowledgement or resolution'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (rule, time)
TTL toDateTime(time) + INTERVAL 365 DAY
COMMENT 'History of alert state changes';

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
