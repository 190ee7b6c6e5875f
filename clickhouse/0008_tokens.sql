-- API tokens for the reading side. Only a SHA-256 of each token is stored: the token itself is shown
-- once, by `rumhouse token create`. Revoking inserts a newer row for the same id (ReplacingMergeTree),
-- so readers use FINAL.

CREATE TABLE IF NOT EXISTS rumhouse.tokens
(
    id String COMMENT 'Public id of the token (the part after rh_ and before the second _), safe to show',
    hash String COMMENT 'SHA-256 of the whole token, hex; the token itself is never stored',
    role LowCardinality(String) COMMENT 'viewer (reads the API of its sites) or admin (also SQL and tokens when unscoped)',
    sites Array(String) COMMENT 'Site keys the token may read; empty means every site',
    name String COMMENT 'A note saying what the token is for',
    created_at DateTime('UTC') COMMENT 'When the token was created',
    revoked UInt8 COMMENT '1 once the token is revoked',
    version UInt64 COMMENT 'Row version (microseconds since epoch): the newest row of an id wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
COMMENT 'API tokens, stored hashed';
