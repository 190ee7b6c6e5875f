-- The current state of each alert rule, written by the evaluator after every change.
CREATE TABLE IF NOT EXISTS rumhouse.alert_state
(
    rule String COMMENT 'Alert rule name',
    state String COMMENT 'The rule state as JSON (ok, pending, firing or resolved; since, ack and resolution)',
    version UInt64 COMMENT 'Row version (us since epoch): the newest row of a rule wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY rule
COMMENT 'Current state of every alert rule';
