-- What links a page to its backend (rum.js 0.2, docs/backend.md "From the page to its trace"): the trace id
-- of the document (a Server-Timing entry named traceparent, or <meta name="traceparent">) on the page view,
-- and on each fetch/XHR call the trace id it started (its traceparent header, for origins of
-- data-trace-origins) or that its response named in Server-Timing, with the response's Server-Timing
-- entries. Empty when there is none. A trace id finds the backend's spans in otel_traces (GET /api/v1/trace).

ALTER TABLE rumhouse.page_views
    ADD COLUMN IF NOT EXISTS trace_id String COMMENT 'Trace id (32 hex digits) of the request that served the document, empty when unknown',
    ADD INDEX IF NOT EXISTS idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 4;

ALTER TABLE rumhouse.api_calls
    ADD COLUMN IF NOT EXISTS trace_id String COMMENT 'Trace id (32 hex digits) of the call: the traceparent it carried, or the one its response named in Server-Timing; empty when none',
    ADD COLUMN IF NOT EXISTS server_timing Map(LowCardinality(String), Float32) COMMENT 'Server-Timing entries of the response (when CORS exposes them): name to duration, ms',
    ADD INDEX IF NOT EXISTS idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 4;
