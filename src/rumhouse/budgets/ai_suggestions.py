"""Suggestions from AI calls (docs/ai.md), ranked with the others (suggestions.py):

- a cheaper model: for an operation, another model the site already uses that costs at least 10% less per
  call with a p95 latency at most 20% longer and an error rate at most one point higher. Impact: the
  share of the site's AI cost moving the calls would save.
- rate limits and retries: a model whose calls are refused for the provider's rate limit (or retried)
  often. Impact: the share of its calls refused.
- repeated prompts: one model asked the very same thing (instructions and messages: a hash of them,
  when the instrumentation captures content) 3 times or more. Caching the answer saves every call but the
  first. Impact: those repeats' share of the site's AI cost.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from rumhouse.ai.prices import PriceTable
from rumhouse.ai.routes import models
from rumhouse.budgets.suggestions import Suggestion, once
from rumhouse.query.ai import repeated_prompts_sql
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store

MIN_CALLS = 20  # a model with fewer calls is not compared
SAVING = 0.10  # at least this much cheaper per call
SLOWER = 1.2  # at most this much slower (p95)
MORE_ERRORS = 0.01  # at most this much higher error rate
REPEATS = 3  # calls with one prompt that make it worth caching


def _models(store: Store, f: Filters, prices: PriceTable) -> list[dict]:
    """Every model of the site's AI calls in the window (what /ai/models lists), read once per compute()."""
    return once("ai_models", lambda: models(store, f.with_(dims={}), QueryParams({}), prices).rows)


def _rows(store: Store, f: Filters, prices: PriceTable) -> list[dict]:
    return [r for r in _models(store, f, prices) if r["calls"] >= MIN_CALLS]


def cheaper_model(store: Store, f: Filters, prices: PriceTable) -> list[Suggestion]:
    rows = [r for r in _rows(store, f, prices) if r["cost_usd"] is not None and r["successes"]]
    total = sum(r["cost_usd"] for r in rows)
    out = []
    for current in rows:
        per_call = current["cost_usd"] / current["calls"]
        error_rate = 1 - current["success_rate"]
        options = [
            other
            for other in rows
            if other is not current
            and other["operation"] == current["operation"]
            and other["cost_usd"] / other["calls"] <= per_call * (1 - SAVING)
            and (other["p95_ms"] or 0) <= (current["p95_ms"] or 0) * SLOWER
            and 1 - other["success_rate"] <= error_rate + MORE_ERRORS
        ]
        if not options or not total:
            continue
        best = min(options, key=lambda o: o["cost_usd"] / o["calls"])
        saving = (per_call - best["cost_usd"] / best["calls"]) * current["calls"]
        out.append(
            Suggestion(
                f"ai_model:{current['operation']}:{current['model']}",
                "ai_model",
                f"{current['model']} could be {best['model']} for {current['operation']}",
                f"Try {best['model']}: about as fast and reliable here, cheaper per call",
                saving / total,
                {
                    "model": current["model"],
                    "instead": best["model"],
                    "calls": current["calls"],
                    "cost_per_call_usd": per_call,
                    "instead_cost_per_call_usd": best["cost_usd"] / best["calls"],
                    "p95_ms": current["p95_ms"],
                    "instead_p95_ms": best["p95_ms"],
                    "error_rate": error_rate,
                    "instead_error_rate": 1 - best["success_rate"],
                    "saving_usd": saving,
                },
            )
        )
    return out


def rate_limits(store: Store, f: Filters, prices: PriceTable) -> list[Suggestion]:
    return [
        Suggestion(
            f"ai_rate_limit:{r['provider']}:{r['model']}",
            "ai_rate_limit",
            f"{r['model']} calls are refused for the rate limit",
            "Spread the calls (a queue, backoff with jitter), cache answers, or raise the provider's limit",
            r["rate_limited"] / r["calls"],
            {
                k: r[k]
                for k in ("provider", "model", "calls", "rate_limited", "retries", "retries_per_success")
            },
        )
        for r in _rows(store, f, prices)
        if r["rate_limited"]
    ]


def repeated_prompts(store: Store, f: Filters, prices: PriceTable) -> list[Suggestion]:
    spent = [r["cost_usd"] for r in _models(store, f, prices)]
    total = sum(c for c in spent if c is not None)
    if not total:
        return []
    found = store.query(repeated_prompts_sql(f), {**f.params(), "min_calls": REPEATS}, readonly=True).rows
    out = []
    for model, prompt, service, calls, input_tokens, output_tokens, cached, trace in found:
        cost = prices.cost(model, int(input_tokens), int(output_tokens), int(cached))
        if not cost:
            continue
        calls = int(calls)
        repeats_cost = cost * (calls - 1) / calls  # every call but the first, at their mean cost
        out.append(
            Suggestion(
                f"ai_cache:{model}:{prompt}",
                "ai_cache",
                f"{service} asks {model} the same prompt {calls} times",
                "Cache the answer (keyed by the prompt), or use the provider's prompt caching: every call but"
                " the first could be saved",
                repeats_cost / total,
                {
                    "model": model,
                    "prompt_hash": prompt,
                    "service": service,
                    "calls": calls,
                    "cost_usd": cost,
                    "repeats_cost_usd": repeats_cost,
                    "example_trace_id": trace,
                },
            )
        )
    return out


CHECKS = (cheaper_model, rate_limits, repeated_prompts)
