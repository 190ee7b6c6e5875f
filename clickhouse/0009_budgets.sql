-- Budgets made through the admin API (budgets in the TOML config live there, not here), their
-- temporary overrides, and what people decided about each optimization suggestion (the suggestions
-- themselves are computed). A change inserts a newer row (ReplacingMergeTree): readers use FINAL.

CREATE TABLE IF NOT EXISTS rumhouse.budgets
(
    name String COMMENT 'Budget name, unique across sites; also its id in the API',
    site LowCardinality(String) COMMENT 'Site key the budget applies to',
    definition String COMMENT 'The budget as JSON (metric, stat, limit, path, endpoint, ...), as the API took it',
    deleted UInt8 COMMENT '1 once the budget is deleted',
    updated_by String COMMENT 'Token id that made this version',
    updated_at DateTime64(3, 'UTC') COMMENT 'When this version was made',
    version UInt64 COMMENT 'Row version (us since epoch): the newest row of a name wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY name
COMMENT 'Budgets created through the admin API';

CREATE TABLE IF NOT EXISTS rumhouse.budget_overrides
(
    id String COMMENT 'Random id of the override',
    budget String COMMENT 'Name of the budget it overrides',
    site LowCardinality(String) COMMENT 'Site key of that budget',
    limit_value Nullable(Float64) COMMENT 'Temporary limit; NULL waives the budget until the expiry',
    justification String COMMENT 'Why the budget is overridden (required)',
    created_by String COMMENT 'Token id that made the override',
    created_at DateTime64(3, 'UTC') COMMENT 'When it was made',
    expires_at DateTime64(3, 'UTC') COMMENT 'When it stops applying',
    revoked UInt8 COMMENT '1 once it was ended early',
    version UInt64 COMMENT 'Row version (us since epoch): the newest row of an id wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (budget, id)
COMMENT 'Temporary budget overrides with justification and expiry';

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
