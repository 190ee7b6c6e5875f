-- AI calls, from OpenTelemetry's GenAI semantic conventions (the openai-v2 instrumentation and others):
-- what each call was (operation, provider, model) and what it used (tokens), in columns of their own,
-- MATERIALIZED from the span attributes so a Collector's inserts fill them too. A span is an AI call when
-- gen_ai_operation is not empty. Costs are not stored: they are tokens times the price table of the
-- configuration, at the time of the question (docs/ai.md).

ALTER TABLE rumhouse.otel_traces
    ADD COLUMN IF NOT EXISTS gen_ai_operation LowCardinality(String) MATERIALIZED SpanAttributes['gen_ai.operation.name'] COMMENT 'rumhouse: gen_ai.operation.name (chat, embeddings, generate_content, ...); empty for a span that is not an AI call',
    ADD COLUMN IF NOT EXISTS gen_ai_provider LowCardinality(String) MATERIALIZED if(SpanAttributes['gen_ai.provider.name'] != '', SpanAttributes['gen_ai.provider.name'], SpanAttributes['gen_ai.system']) COMMENT 'rumhouse: gen_ai.provider.name (or the deprecated gen_ai.system): openai, anthropic, ...',
    ADD COLUMN IF NOT EXISTS gen_ai_request_model LowCardinality(String) MATERIALIZED SpanAttributes['gen_ai.request.model'] COMMENT 'rumhouse: gen_ai.request.model, the model asked for',
    ADD COLUMN IF NOT EXISTS gen_ai_model LowCardinality(String) MATERIALIZED if(SpanAttributes['gen_ai.response.model'] != '', SpanAttributes['gen_ai.response.model'], SpanAttributes['gen_ai.request.model']) COMMENT 'rumhouse: the model that answered (gen_ai.response.model), else the one asked for',
    ADD COLUMN IF NOT EXISTS gen_ai_input_tokens UInt64 MATERIALIZED toUInt64OrZero(if(SpanAttributes['gen_ai.usage.input_tokens'] != '', SpanAttributes['gen_ai.usage.input_tokens'], SpanAttributes['gen_ai.usage.prompt_tokens'])) COMMENT 'rumhouse: gen_ai.usage.input_tokens (or the older prompt_tokens)',
    ADD COLUMN IF NOT EXISTS gen_ai_output_tokens UInt64 MATERIALIZED toUInt64OrZero(if(SpanAttributes['gen_ai.usage.output_tokens'] != '', SpanAttributes['gen_ai.usage.output_tokens'], SpanAttributes['gen_ai.usage.completion_tokens'])) COMMENT 'rumhouse: gen_ai.usage.output_tokens (or the older completion_tokens)',
    ADD COLUMN IF NOT EXISTS gen_ai_cached_tokens UInt64 MATERIALIZED toUInt64OrZero(if(SpanAttributes['gen_ai.usage.cache_read.input_tokens'] != '', SpanAttributes['gen_ai.usage.cache_read.input_tokens'], SpanAttributes['gen_ai.usage.cached_tokens'])) COMMENT 'rumhouse: input tokens read from the provider''s cache (gen_ai.usage.cache_read.input_tokens), part of the input tokens',
    ADD COLUMN IF NOT EXISTS gen_ai_reasoning_tokens UInt64 MATERIALIZED toUInt64OrZero(SpanAttributes['gen_ai.usage.reasoning.output_tokens']) COMMENT 'rumhouse: output tokens spent on reasoning, where the instrumentation says',
    ADD COLUMN IF NOT EXISTS gen_ai_ttft_ms Nullable(Float64) MATERIALIZED toFloat64OrNull(SpanAttributes['gen_ai.response.time_to_first_chunk']) * 1000 COMMENT 'rumhouse: time to the first chunk of a streamed answer, ms (gen_ai.response.time_to_first_chunk, seconds); NULL when not sent',
    ADD COLUMN IF NOT EXISTS gen_ai_rate_limited UInt8 MATERIALIZED http_status = 429 OR match(SpanAttributes['error.type'], '(?i)rate.?limit|too.?many.?requests|429') COMMENT 'rumhouse: 1 when the provider refused the call for its rate limit (HTTP 429, or an error.type that says so)',
    ADD INDEX IF NOT EXISTS idx_gen_ai_operation gen_ai_operation TYPE set(32) GRANULARITY 1;
