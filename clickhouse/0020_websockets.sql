-- WebSocket connections the page opened, one row per socket, as the WebSocket add-on (rum-ws.js,
-- docs/snippet.md "WebSockets") reports them: when a socket closes, or when the page is left while it is
-- open. {event_columns}: `time` (when the socket was created) and the page view's dimensions.

CREATE TABLE IF NOT EXISTS rumhouse.websockets
(
    {event_columns},
    endpoint String COMMENT 'Host and path of the socket''s URL, query string dropped and id-like segments templated',
    open_ms Nullable(Float32) COMMENT 'From its creation until it opened, ms; NULL when it never opened',
    lifetime_ms Float64 COMMENT 'From its creation until it closed (or until the page was left), ms',
    close_code Nullable(UInt16) COMMENT 'The close code (1000 normal, 1001 going away, 1006 lost, ...); NULL when still open when the page was left',
    messages_in UInt32 COMMENT 'Messages received',
    messages_out UInt32 COMMENT 'Messages sent',
    bytes_in UInt64 COMMENT 'Bytes received (a text message: its length in UTF-16 code units)',
    bytes_out UInt64 COMMENT 'Bytes sent',
    label LowCardinality(String) COMMENT 'The page''s label when the beacon was sent',
    custom Map(LowCardinality(String), String) COMMENT 'Custom dimensions when the beacon was sent'
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, endpoint, time)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'WebSocket connections of the page, one row per socket (rum-ws.js)';
