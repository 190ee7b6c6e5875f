-- Operations: any span a backend names with an `operation.name` attribute (an image render, a video
-- encode, an export, a model call of its own making), with the model or engine it ran on
-- (`operation.model`), how long it waited in a queue before it started (`operation.queue_wait_ms`) and
-- what it cost when the backend knows (`operation.cost_usd`). Spans without the attribute have an empty
-- operation_name. docs/operations.md.

ALTER TABLE rumhouse.otel_traces
    ADD COLUMN IF NOT EXISTS operation_name LowCardinality(String) MATERIALIZED SpanAttributes['operation.name'] COMMENT 'rumhouse: operation.name, empty for a span that is not an operation',
    ADD COLUMN IF NOT EXISTS operation_model LowCardinality(String) MATERIALIZED SpanAttributes['operation.model'] COMMENT 'rumhouse: operation.model, the model or engine the operation ran on',
    ADD COLUMN IF NOT EXISTS operation_queue_ms Nullable(Float64) MATERIALIZED toFloat64OrNull(SpanAttributes['operation.queue_wait_ms']) COMMENT 'rumhouse: operation.queue_wait_ms, how long it waited before it started; NULL when not sent',
    ADD COLUMN IF NOT EXISTS operation_cost_usd Nullable(Float64) MATERIALIZED toFloat64OrNull(SpanAttributes['operation.cost_usd']) COMMENT 'rumhouse: operation.cost_usd, what the backend says it cost; NULL when not sent',
    ADD INDEX IF NOT EXISTS idx_operation_name operation_name TYPE set(100) GRANULARITY 1;
