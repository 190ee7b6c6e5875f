"""The AI routes under /api/v1/ai (tables, with CSV and JSON exports as every reading route):

GET /ai/models    per provider, model and operation: calls, success rate, rate-limit hits, retries per
                  success, availability, latency p50/p95, time to first chunk, tokens, estimated cost
GET /ai/usage     per day, week or month and per service (or page route): calls, tokens, estimated cost
GET /ai/timeseries per time bucket (zero-filled): calls, failures, rate-limit hits, availability, latency
GET /ai/report    the usage report of a window: totals, per period and per model; JSON, or ?format=pdf

Costs come from the price table (prices.py); a model it does not price has a null cost, said as such.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, Protocol

import msgspec
from starlette.datastructures import QueryParams
from starlette.responses import Response

from rumhouse.ai import report as report_pdf
from rumhouse.ai.prices import PriceTable
from rumhouse.api.answer_types import Number
from rumhouse.api.common import iso_time, no_page_dimensions, rows
from rumhouse.api.filters import ParamError, parse_filters
from rumhouse.api.operation import Call, Operation
from rumhouse.api.query_types import TableQuery, WindowQuery
from rumhouse.api.routes import Endpoint, read_operation, resolve_site
from rumhouse.api.runtime import ApiRuntime
from rumhouse.api.table import Table
from rumhouse.query import ai
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store


class AiRuntime(ApiRuntime, Protocol):
    @property
    def ai_prices(self) -> PriceTable: ...


class ModelRow(msgspec.Struct, kw_only=True):
    provider: str  # gen_ai.provider.name (or gen_ai.system)
    model: str  # the model asked for (gen_ai.request.model)
    operation: str  # chat, embeddings, ...
    answered_by: list[str]  # the models that answered (gen_ai.response.model: dated versions, ...)
    calls: int
    successes: int
    success_rate: float
    failures: int
    rate_limited: int  # refused for the provider's rate limit (HTTP 429)
    retries: int  # calls made after a failed one of the same model in the same trace
    retries_per_success: Number
    availability: float  # share of calls that did not fail for another reason than a rate limit
    p50_ms: Number
    p95_ms: Number
    ttft_p50_ms: Number  # time to the first chunk of streamed answers, where the instrumentation says
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: Number  # estimated (price table); null for a model it does not price


class UsageQuery(TableQuery, kw_only=True):
    period: Literal["day", "week", "month"] = "day"
    by: Literal["service", "route"] = "service"  # route: the page path that started the trace


class AiSeriesQuery(TableQuery, kw_only=True):
    bucket: Literal["5", "15", "60", "1440"] | None = None  # minutes per point (default: at most 500 points)
    model: str | None = None  # only this model (as /ai/models names it)


class AiPointRow(msgspec.Struct, kw_only=True):
    time: str  # start of the bucket, UTC
    calls: int  # 0 for an empty bucket
    failures: int
    rate_limited: int
    availability: Number  # share of calls that did not fail for another reason than a rate limit
    p50_ms: Number
    p95_ms: Number
    ttft_p50_ms: Number


class UsageRow(msgspec.Struct, kw_only=True):
    period: str  # start of the day, week (Monday) or month, UTC
    service: str | None  # by=service
    route: str | None  # by=route: the page path ("" for calls not traced from a page)
    provider: str
    model: str
    calls: int
    failures: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cost_usd: Number


def models(store: Store, f: Filters, q: QueryParams, prices: PriceTable) -> Table:
    no_page_dimensions(f, "AI calls")
    out = []
    for provider, model, operation, answered, calls, failures, limited, retries, took, ttft, *tokens in rows(
        store, ai.models_sql(f), f
    ):
        calls, failures, limited, retries = int(calls), int(failures), int(limited), int(retries or 0)
        input_tokens, output_tokens, cached, reasoning = (int(t) for t in tokens)
        successes = calls - failures
        out.append(
            {
                "provider": provider,
                "model": model,
                "operation": operation,
                "answered_by": list(answered),
                "calls": calls,
                "successes": successes,
                "success_rate": successes / calls,
                "failures": failures,
                "rate_limited": limited,
                "retries": retries,
                "retries_per_success": retries / successes if successes else None,
                "availability": 1 - (failures - limited) / calls,
                "p50_ms": took[0] if took else None,
                "p95_ms": took[1] if took else None,
                "ttft_p50_ms": ttft,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cached_tokens": cached,
                "reasoning_tokens": reasoning,
                "cost_usd": prices.cost(model, input_tokens, output_tokens, cached),
            }
        )
    return Table(list(ModelRow.__struct_fields__), out, "raw")


def series(store: Store, f: Filters, q: QueryParams) -> Table:
    """Availability and latency over time: one point per bucket, empty buckets as zero calls."""
    no_page_dimensions(f, "AI calls")
    span = (f.end - f.start).total_seconds() / 60
    given = q.get("bucket")
    minutes = int(given) if given else next((m for m in (5, 15, 60, 1440) if span / m <= 500), 1440)
    if span / minutes > 5000:
        raise ParamError("over 5000 points: choose a larger bucket or a shorter window")
    step = minutes * 60
    model = q.get("model")
    found = {
        int(b): rest
        for b, *rest in rows(store, ai.series_sql(f, step, bool(model)), f, {"model": model or ""})
    }
    out = []
    for b in range(int(f.start.timestamp()) // step * step, int(f.end.timestamp()), step):
        calls, failures, limited, took, ttft = found.get(b, (0, 0, 0, None, None))
        calls, failures, limited = int(calls), int(failures), int(limited)
        out.append(
            {
                "time": datetime.fromtimestamp(b, UTC).isoformat(),
                "calls": calls,
                "failures": failures,
                "rate_limited": limited,
                "availability": 1 - (failures - limited) / calls if calls else None,
                "p50_ms": took[0] if took else None,
                "p95_ms": took[1] if took else None,
                "ttft_p50_ms": ttft,
            }
        )
    return Table(list(AiPointRow.__struct_fields__), out, "raw", {"bucket_minutes": minutes, "model": model})


def usage(store: Store, f: Filters, q: QueryParams, prices: PriceTable) -> Table:
    no_page_dimensions(f, "AI calls")
    period = q.get("period", "day")
    by = q.get("by", "service")
    if period not in ai.PERIODS or by not in ("service", "route"):
        raise ParamError("period is day, week or month; by is service or route")
    out = []
    for start, who, provider, model, calls, failures, input_tokens, output_tokens, cached in rows(
        store, ai.usage_sql(f, period, by == "route"), f
    ):
        tokens = int(input_tokens), int(output_tokens), int(cached)
        out.append(
            {
                "period": iso_time(start),
                "service": who if by == "service" else None,
                "route": (who or "") if by == "route" else None,
                "provider": provider,
                "model": model,
                "calls": int(calls),
                "failures": int(failures),
                "input_tokens": tokens[0],
                "output_tokens": tokens[1],
                "cached_tokens": tokens[2],
                "cost_usd": prices.cost(model, *tokens),
            }
        )
    return Table(list(UsageRow.__struct_fields__), out, "raw", {"period": period, "by": by})


class ReportQuery(WindowQuery, kw_only=True):
    period: Literal["day", "week", "month"] = "day"
    format: Literal["json", "pdf"] = "json"


class ReportTotals(msgspec.Struct, kw_only=True):
    calls: int
    failures: int
    input_tokens: int
    output_tokens: int
    cost_usd: float  # estimated, priced calls only
    unpriced_calls: int  # calls of models the price table does not price
    models: int


class Report(msgspec.Struct, kw_only=True):
    site: str
    period: str
    window: str
    totals: ReportTotals
    usage: list[UsageRow]
    models: list[ModelRow]


def ai_operations(runtime: AiRuntime) -> list[Operation]:
    def priced(handler):
        return lambda store, f, q: handler(store, f, q, runtime.ai_prices)

    def report(call: Call):
        site = resolve_site(call)
        f = parse_filters(call.params, site)
        period = call.query.period
        params = QueryParams({"period": period})
        usage_rows = usage(runtime.store, f, params, runtime.ai_prices).rows
        model_rows = models(runtime.store, f, QueryParams({}), runtime.ai_prices).rows
        totals = report_pdf.summary(usage_rows, model_rows)
        call.audit(site=site)
        window = f"{f.start:%Y-%m-%d %H:%M} to {f.end:%Y-%m-%d %H:%M}"
        if call.query.format == "pdf":
            body = report_pdf.render_pdf(site, period, str(window), totals, usage_rows, model_rows)
            disposition = f'attachment; filename="rumhouse-ai-{site}-{period}.pdf"'
            return Response(body, media_type="application/pdf", headers={"content-disposition": disposition})
        return msgspec.convert(
            {"site": site, "period": period, "window": str(window), "totals": totals, "usage": usage_rows,
             "models": model_rows},
            Report,
        )  # fmt: skip

    endpoints = [
        Endpoint(
            "/ai/models",
            "ai-models",
            "AI calls (OpenTelemetry GenAI spans) per provider, model and operation: calls, success rate,"
            " rate-limit hits, retries per success, availability, latency p50/p95, time to first chunk,"
            " tokens, estimated cost",
            priced(models),
            TableQuery,
            ModelRow,
        ),
        Endpoint(
            "/ai/timeseries",
            "ai-timeseries",
            "AI calls over time, per 5, 15, 60 or 1440-minute bucket (empty ones as zero calls): calls,"
            " failures, rate-limit hits, availability, latency p50/p95, time to first chunk; of one model if asked",
            series,
            AiSeriesQuery,
            AiPointRow,
        ),
        Endpoint(
            "/ai/usage",
            "ai-usage",
            "AI usage per day, week or month and per service or page route: calls, tokens, estimated cost",
            priced(usage),
            UsageQuery,
            UsageRow,
        ),
    ]
    reporting = Operation(
        "GET",
        "/ai/report",
        "ai_report",
        "The AI usage report of a window: totals, per day, week or month, per model; JSON or ?format=pdf",
        report,
        ReportQuery,
        answer=Report,
        exports=("application/pdf",),
        errors=(400, 503),
    )
    return [*(read_operation(runtime, e) for e in endpoints), reporting]
