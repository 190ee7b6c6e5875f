-- What people decided about an optimization suggestion (the suggestions themselves are computed).
CREATE TABLE IF NOT EXISTS rumhouse.suggestion_status
(
    site LowCardinality(String) COMMENT 'Site key',
    key String COMMENT 'Suggestion id, stable across computations (kind and subject)',
    status LowCardinality(String) COMMENT 'open, accepted, done or dismissed',
    note String COMMENT 'Free text given with the change',
    updated_by String COMMENT 'Token id that changed it',
    updated_at DateTime64(3, 'UTC') COMMENT 'When it was changed',
    version UInt64 COMMENT 'Row version (us since epoch): the newest row wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, key)
COMMENT 'Status of optimization suggestions';
