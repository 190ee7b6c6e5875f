-- Every state change of an alert rule, acknowledgements and manual resolutions: who and when.
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
