-- OpenTelemetry from backends: spans and metric points, in tables whose names and columns are those of the
-- OpenTelemetry Collector's ClickHouse exporter (clickhouseexporter: otel_traces, otel_metrics_gauge,
-- otel_metrics_sum, otel_metrics_histogram). rumhouse's OTLP receiver (POST /v1/traces, /v1/metrics)
-- writes them; a deployment that outgrows it puts Collectors in front of the same ClickHouse with
-- `database: rumhouse` and `create_schema: false`, and nothing else changes (docs/backend.md).
--
-- The site is the resource attribute `rumhouse.site`: rumhouse's receiver sets it from the ingest token
-- (whatever the sender said); a Collector sets it with its resource processor. What rumhouse adds for fast
-- answers is in columns of its own, in snake_case, MATERIALIZED from the exporter's (a Collector's inserts
-- fill them too): the site, the HTTP route, method and status, the database system and statement, the
-- duration in ms, and skip indexes.

CREATE TABLE IF NOT EXISTS rumhouse.otel_traces
(
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)) COMMENT 'When the span started (the sender''s clock, UTC)',
    TraceId String CODEC(ZSTD(1)) COMMENT 'Trace id, 32 hex digits',
    SpanId String CODEC(ZSTD(1)) COMMENT 'Span id, 16 hex digits',
    ParentSpanId String CODEC(ZSTD(1)) COMMENT 'Parent span id, empty for a root span',
    TraceState String CODEC(ZSTD(1)) COMMENT 'W3C tracestate',
    SpanName LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Span name (GET /users/:id, SELECT shop, ...)',
    SpanKind LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Server, Client, Internal, Producer, Consumer or Unspecified',
    ServiceName LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The resource attribute service.name',
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)) COMMENT 'Resource attributes, values as strings',
    ScopeName String CODEC(ZSTD(1)) COMMENT 'Instrumentation scope (library) name',
    ScopeVersion String CODEC(ZSTD(1)) COMMENT 'Instrumentation scope version',
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)) COMMENT 'Span attributes, values as strings; database statements without their literal values',
    Duration UInt64 CODEC(ZSTD(1)) COMMENT 'Nanoseconds',
    StatusCode LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Unset, Ok or Error',
    StatusMessage String CODEC(ZSTD(1)) COMMENT 'Status description',
    `Events.Timestamp` Array(DateTime64(9)) CODEC(ZSTD(1)) COMMENT 'Span events: when',
    `Events.Name` Array(LowCardinality(String)) CODEC(ZSTD(1)) COMMENT 'Span events: name (exception, ...)',
    `Events.Attributes` Array(Map(LowCardinality(String), String)) CODEC(ZSTD(1)) COMMENT 'Span events: attributes',
    `Links.TraceId` Array(String) CODEC(ZSTD(1)) COMMENT 'Links: trace id',
    `Links.SpanId` Array(String) CODEC(ZSTD(1)) COMMENT 'Links: span id',
    `Links.TraceState` Array(String) CODEC(ZSTD(1)) COMMENT 'Links: trace state',
    `Links.Attributes` Array(Map(LowCardinality(String), String)) CODEC(ZSTD(1)) COMMENT 'Links: attributes',
    site LowCardinality(String) MATERIALIZED ResourceAttributes['rumhouse.site'] COMMENT 'rumhouse: the site (resource attribute rumhouse.site)',
    duration_ms Float64 MATERIALIZED Duration / 1e6 COMMENT 'rumhouse: the duration in ms',
    http_route LowCardinality(String) MATERIALIZED SpanAttributes['http.route'] COMMENT 'rumhouse: http.route of a server span (the route template, /users/:id or /users/<id>)',
    http_method LowCardinality(String) MATERIALIZED if(SpanAttributes['http.request.method'] != '', SpanAttributes['http.request.method'], SpanAttributes['http.method']) COMMENT 'rumhouse: http.request.method (or the older http.method)',
    http_status UInt16 MATERIALIZED toUInt16OrZero(if(SpanAttributes['http.response.status_code'] != '', SpanAttributes['http.response.status_code'], SpanAttributes['http.status_code'])) COMMENT 'rumhouse: http.response.status_code (or the older http.status_code), 0 when none',
    db_system LowCardinality(String) MATERIALIZED if(SpanAttributes['db.system.name'] != '', SpanAttributes['db.system.name'], SpanAttributes['db.system']) COMMENT 'rumhouse: db.system.name (or the older db.system) of a database span',
    db_statement String MATERIALIZED if(SpanAttributes['db.query.text'] != '', SpanAttributes['db.query.text'], SpanAttributes['db.statement']) COMMENT 'rumhouse: the statement (db.query.text or db.statement), its literals replaced by ? at ingest',
    is_error UInt8 MATERIALIZED StatusCode = 'Error' OR http_status >= 500 COMMENT 'rumhouse: 1 for an error status or an HTTP 5xx',
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_site site TYPE set(100) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
TTL toDateTime(Timestamp) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 8192, ttl_only_drop_parts = 1
COMMENT 'OpenTelemetry spans, as the Collector''s ClickHouse exporter writes them, plus rumhouse''s columns';

CREATE TABLE IF NOT EXISTS rumhouse.otel_metrics_gauge
(
    {otel_metric_columns},
    Value Float64 CODEC(ZSTD(1)) COMMENT 'The value',
    Flags UInt32 CODEC(ZSTD(1)) COMMENT 'Data point flags',
    {otel_exemplar_columns},
    {otel_metric_indexes}
)
ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
TTL toDateTime(TimeUnix) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 8192, ttl_only_drop_parts = 1
COMMENT 'OpenTelemetry gauge points (system.cpu.utilization, db.client.connection.count, ...)';

CREATE TABLE IF NOT EXISTS rumhouse.otel_metrics_sum
(
    {otel_metric_columns},
    Value Float64 CODEC(ZSTD(1)) COMMENT 'The value',
    Flags UInt32 CODEC(ZSTD(1)) COMMENT 'Data point flags',
    {otel_exemplar_columns},
    AggregationTemporality Int32 CODEC(ZSTD(1)) COMMENT '1 delta, 2 cumulative',
    IsMonotonic Bool CODEC(Delta, ZSTD(1)) COMMENT 'A counter (only goes up)',
    {otel_metric_indexes}
)
ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
TTL toDateTime(TimeUnix) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 8192, ttl_only_drop_parts = 1
COMMENT 'OpenTelemetry sum points (counters and up-down counters)';

CREATE TABLE IF NOT EXISTS rumhouse.otel_metrics_histogram
(
    {otel_metric_columns},
    Count UInt64 CODEC(Delta, ZSTD(1)) COMMENT 'How many values',
    Sum Float64 CODEC(ZSTD(1)) COMMENT 'Their sum',
    BucketCounts Array(UInt64) CODEC(ZSTD(1)) COMMENT 'Values per bucket',
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)) COMMENT 'The buckets'' upper bounds',
    {otel_exemplar_columns},
    Flags UInt32 CODEC(ZSTD(1)) COMMENT 'Data point flags',
    Min Float64 CODEC(ZSTD(1)) COMMENT 'Smallest value',
    Max Float64 CODEC(ZSTD(1)) COMMENT 'Largest value',
    AggregationTemporality Int32 CODEC(ZSTD(1)) COMMENT '1 delta, 2 cumulative',
    {otel_metric_indexes}
)
ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
TTL toDateTime(TimeUnix) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 8192, ttl_only_drop_parts = 1
COMMENT 'OpenTelemetry histogram points (http.server.request.duration, db.client.operation.duration, ...)';
