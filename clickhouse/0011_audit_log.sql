-- Every call of the API (reads, exports, people's SQL, changes): who, what, which site, how many rows.
-- rumhouse's own table: admins read it through GET /api/v1/audit, never through people's SQL.

CREATE TABLE IF NOT EXISTS rumhouse.audit_log
(
    time DateTime64(3, 'UTC') COMMENT 'When the answer was sent',
    token_id String COMMENT 'Id of the token (settings: the admin token from RUMHOUSE_ADMIN_TOKEN; empty: none or an invalid one)',
    token_name String COMMENT 'Name given to the token when it was made',
    role LowCardinality(String) COMMENT 'Role of the token: viewer, admin or ingest; empty without a valid token',
    method LowCardinality(String) COMMENT 'HTTP method',
    route String COMMENT 'Path of the request, without its query string',
    site String COMMENT 'Site the request read or changed; empty when it named none (people\'s SQL reads every site)',
    status UInt16 COMMENT 'HTTP status of the answer',
    rows UInt64 COMMENT 'Rows returned (table answers, exports, SQL); 0 for other answers',
    detail String COMMENT 'The SQL of a people\'s SQL request (first 2,000 characters), else empty'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (time, token_id)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
COMMENT 'Audit log of API access (the token itself is never stored)';
