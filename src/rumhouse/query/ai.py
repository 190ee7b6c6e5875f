"""AI calls: the spans of otel_traces with a gen_ai_operation (clickhouse/0017_gen_ai.sql), per provider,
model and operation, and per period. Exact figures from the spans (AI calls are few next to requests; a
skip index on gen_ai_operation passes over the granules without any).

Calls are counted under the model the app asked for (gen_ai.request.model): a refused call has no
answering model, and a retry must meet the call it retries. The models that answered (a dated version,
gpt-4o-mini-2024-07-18) are listed beside it.

A retry is a call made after a failed call of the same provider, model and operation in the same trace:
what an app's retry loop (or the SDK's, when each attempt is a span) does.
"""

from __future__ import annotations

from rumhouse.query.filters import Filters

KEY = "gen_ai_provider, model, gen_ai_operation"
MODEL = "if(gen_ai_request_model != '', gen_ai_request_model, gen_ai_model)"
FAILED = "StatusCode = 'Error'"
PERIODS = {"day": "toStartOfDay", "week": "toMonday", "month": "toStartOfMonth"}


def retries_sql(rows: str, key: str, trace: str, at: str) -> str:
    """Per `key`: the retries among `rows` (a query with `failed`): in each trace, in time order, a row is a
    retry when an earlier row of the same key failed. AI calls and operations count them alike."""
    per_trace = (
        f"SELECT {key}, arraySort(x -> x.1, groupArray(({at}, failed))) AS seq,"
        " arrayCount((before, x) -> before - x > 0, arrayCumSum(arrayMap(c -> toUInt32(c.2), seq)),"
        " arrayMap(c -> toUInt32(c.2), seq)) AS retries"
        f" FROM ({rows}) GROUP BY {trace}, {key}"
    )
    return f"SELECT {key}, sum(retries) AS retries FROM ({per_trace}) GROUP BY {key}"


def _calls(f: Filters) -> str:
    return (
        f"SELECT TraceId, Timestamp, ServiceName, gen_ai_provider, {MODEL} AS model, gen_ai_operation, gen_ai_model,"
        f" duration_ms, {FAILED} AS failed, gen_ai_rate_limited,"
        " gen_ai_input_tokens, gen_ai_output_tokens, gen_ai_cached_tokens, gen_ai_reasoning_tokens, gen_ai_ttft_ms"
        f" FROM rumhouse.otel_traces WHERE {f.span_where()} AND gen_ai_operation != ''"
    )


def models_sql(f: Filters) -> str:
    """Per provider, model and operation: calls, failures, rate-limited calls, retries, duration p50 and
    p95 (ms), time to first chunk p50, tokens in, out, cached and reasoning."""
    retries = retries_sql(_calls(f), KEY, "TraceId", "Timestamp")
    totals = (
        f"SELECT {KEY}, count() AS calls, countIf(failed) AS failures, sum(gen_ai_rate_limited) AS limited,"
        " quantilesExactInclusive(0.5, 0.95)(duration_ms) AS took, quantileExactInclusive(0.5)(gen_ai_ttft_ms) AS ttft,"
        " sum(gen_ai_input_tokens) AS input, sum(gen_ai_output_tokens) AS output,"
        " sum(gen_ai_cached_tokens) AS cached, sum(gen_ai_reasoning_tokens) AS reasoning,"
        " arraySort(groupUniqArrayIf(gen_ai_model, NOT failed)) AS answered"
        f" FROM ({_calls(f)}) GROUP BY {KEY}"
    )
    return (
        "SELECT t.gen_ai_provider, t.model, t.gen_ai_operation, t.answered, t.calls, t.failures, t.limited, r.retries,"
        " t.took, t.ttft, t.input, t.output, t.cached, t.reasoning"
        f" FROM ({totals}) AS t LEFT JOIN ({retries}) AS r"
        " USING (gen_ai_provider, model, gen_ai_operation) ORDER BY t.calls DESC, t.model"
    )


def usage_sql(f: Filters, period: str, by_route: bool) -> str:
    """Per period (day, week from Monday, month; UTC), and service or page route, provider and model:
    calls, failures, tokens in, out and cached. The page route is the path of the page whose fetch or
    XHR call started the trace (rum.js with data-trace-origins); calls not traced from a page have none."""
    start = PERIODS[period]
    if not by_route:
        return (
            f"SELECT {start}(Timestamp) AS p, ServiceName AS who, gen_ai_provider, model, count(),"
            " countIf(failed), sum(gen_ai_input_tokens), sum(gen_ai_output_tokens), sum(gen_ai_cached_tokens)"
            f" FROM ({_calls(f)}) GROUP BY p, who, gen_ai_provider, model ORDER BY p, who, model"
        )
    pages = (
        "SELECT trace_id, any(path) AS path FROM rumhouse.api_calls WHERE site = {site:String}"
        " AND trace_id != '' AND time >= {start:DateTime64(3, 'UTC')} - INTERVAL 1 HOUR"
        " AND time < {end:DateTime64(3, 'UTC')} GROUP BY trace_id"
    )
    return (
        f"SELECT {start}(c.Timestamp) AS p, pg.path AS who, c.gen_ai_provider, c.model, count(),"
        " countIf(c.failed), sum(c.gen_ai_input_tokens), sum(c.gen_ai_output_tokens), sum(c.gen_ai_cached_tokens)"
        f" FROM ({_calls(f)}) AS c LEFT JOIN ({pages}) AS pg ON pg.trace_id = c.TraceId"
        " GROUP BY p, who, c.gen_ai_provider, c.model ORDER BY p, who, c.model"
    )


def tokens_sql(f: Filters, bucket: str) -> str:
    """Per `bucket` (an expression on Timestamp, or a constant) and model: calls, tokens in, out and cached;
    what an estimated cost is made of (the price table is applied to each model, outside SQL)."""
    return (
        f"SELECT {bucket} AS b, model, count(), sum(gen_ai_input_tokens), sum(gen_ai_output_tokens),"
        f" sum(gen_ai_cached_tokens) FROM ({_calls(f)}) GROUP BY b, model ORDER BY b"
    )


def repeated_prompts_sql(f: Filters) -> str:
    """Per model and prompt (its hash, otlp/spans.py: rumhouse.prompt_hash), the answered calls asked the
    same thing {min_calls:UInt32} or more times: a service that asked, calls, input, output and cached
    tokens, one trace."""
    prompt = "SpanAttributes['rumhouse.prompt_hash']"
    return (
        f"SELECT {MODEL} AS model, {prompt} AS prompt, anyHeavy(ServiceName), count(),"
        " sum(gen_ai_input_tokens), sum(gen_ai_output_tokens), sum(gen_ai_cached_tokens), any(TraceId)"
        f" FROM rumhouse.otel_traces WHERE {f.span_where()} AND gen_ai_operation != '' AND NOT ({FAILED})"
        f" AND {prompt} != '' GROUP BY model, prompt HAVING count() >= {{min_calls:UInt32}}"
        " ORDER BY count() DESC, prompt LIMIT 100"
    )


def series_sql(f: Filters, step: int, model: bool) -> str:
    """Per bucket of `step` seconds: calls, failures, rate-limited calls, duration p50 and p95, time to first
    chunk p50; with `model`, of the model {model:String} only."""
    only = " WHERE model = {model:String}" if model else ""
    return (
        f"SELECT intDiv(toUnixTimestamp(Timestamp), {int(step)}) * {int(step)} AS b, count(), countIf(failed),"
        " sum(gen_ai_rate_limited), quantilesExactInclusive(0.5, 0.95)(duration_ms),"
        f" quantileExactInclusive(0.5)(gen_ai_ttft_ms) FROM ({_calls(f)}){only} GROUP BY b ORDER BY b"
    )
