-- Budgets made through the admin API (budgets in the TOML config are code and live there, not here).
-- An update or delete inserts a newer row for the name (ReplacingMergeTree): readers use FINAL.
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
