-- Temporary overrides of a budget: a justification, an expiry, and optionally a temporary limit.
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
