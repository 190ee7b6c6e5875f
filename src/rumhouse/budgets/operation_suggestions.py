"""Suggestions from operations (docs/operations.md: spans with operation.name, and the page's measures),
ranked with the others (suggestions.py), each operation with at least MIN_COUNT runs in the window:

- a cheaper model: for an operation of a service, another model it already runs on that costs at least
  10% less per run, with a p95 at most 20% longer and an error rate at most one point higher. Impact: the
  share of the site's operation cost moving the runs would save.
- failures: runs that failed (and were retried, or lost). Impact: the share of its runs that failed.
- queue wait: runs that wait in a queue long before they start. Impact: the wait's share of the time from
  queueing to the end of a typical run (mean wait against the median duration).
"""

from __future__ import annotations

from rumhouse.ai.operations import operation_rows
from rumhouse.ai.prices import PriceTable
from rumhouse.budgets.suggestions import Suggestion, once
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store

MIN_COUNT = 5
SAVING = 0.10
SLOWER = 1.2
MORE_ERRORS = 0.01


def _every(store: Store, f: Filters, prices: PriceTable) -> list[dict]:
    """Every operation of the site in the window (what /operations lists), read once for the three checks."""
    return once("operations", lambda: operation_rows(store, f.with_(dims={}), prices))


def _rows(store: Store, f: Filters, prices: PriceTable) -> list[dict]:
    return [r for r in _every(store, f, prices) if r["count"] >= MIN_COUNT]


def _label(r: dict) -> str:
    return f"{r['name']} ({r['model']})" if r["model"] else r["name"]


def cheaper_model(store: Store, f: Filters, prices: PriceTable) -> list[Suggestion]:
    every = _every(store, f, prices)
    total = sum(r["cost_usd"] for r in every if r["cost_usd"] is not None)  # the site's, all operations
    rows = [r for r in every if r["count"] >= MIN_COUNT and r["cost_usd"] is not None]
    out = []
    for current in rows:
        per_run = current["cost_per_operation_usd"]
        options = [
            other
            for other in rows
            if other is not current
            and (other["service"], other["name"]) == (current["service"], current["name"])
            and other["cost_per_operation_usd"] <= per_run * (1 - SAVING)
            and (other["p95_ms"] or 0) <= (current["p95_ms"] or 0) * SLOWER
            and other["success_rate"] >= current["success_rate"] - MORE_ERRORS
        ]
        if not options or not total:
            continue
        best = min(options, key=lambda o: o["cost_per_operation_usd"])
        saving = (per_run - best["cost_per_operation_usd"]) * current["count"]
        evidence = {"service": current["service"], "name": current["name"], "model": current["model"],
                    "instead": best["model"], "count": current["count"], "cost_per_run_usd": per_run,
                    "instead_cost_per_run_usd": best["cost_per_operation_usd"], "p95_ms": current["p95_ms"],
                    "instead_p95_ms": best["p95_ms"], "saving_usd": saving}  # fmt: skip
        out.append(
            Suggestion(
                f"operation_model:{current['service']}:{current['name']}:{current['model']}",
                "operation_model",
                f"{current['name']} could run on {best['model']} instead of {current['model']}",
                f"Move its runs to {best['model']}: about as fast and reliable here, cheaper per run",
                saving / total,
                evidence,
            )
        )
    return out


def failures(store: Store, f: Filters, prices: PriceTable) -> list[Suggestion]:
    return [
        Suggestion(
            f"operation_failures:{r['service']}:{r['name']}:{r['model']}",
            "operation_failures",
            f"{_label(r)} fails {r['failures']} of {r['count']} runs",
            "Find why in the failed runs' traces; retry only what can succeed, with backoff; alert on"
            " operation_error_rate and operation_failures_in_a_row",
            r["failures"] / r["count"],
            {
                k: r[k]
                for k in ("service", "name", "model", "count", "failures", "retries", "retries_per_success")
            },
        )
        for r in _rows(store, f, prices)
        if r["failures"]
    ]


def queue_wait(store: Store, f: Filters, prices: PriceTable) -> list[Suggestion]:
    out = []
    for r in _rows(store, f, prices):
        wait, took = r["queue_wait_ms"], r["p50_ms"]
        if not wait or took is None:
            continue
        out.append(
            Suggestion(
                f"operation_queue:{r['service']}:{r['name']}:{r['model']}",
                "operation_queue",
                f"{_label(r)} waits {round(wait)} ms in its queue before it starts",
                "Add workers or capacity for it, or spread the load (batches, off-peak schedules)",
                wait / (wait + took),
                {k: r[k] for k in ("service", "name", "model", "count", "queue_wait_ms", "p50_ms")},
            )
        )
    return out


CHECKS = (cheaper_model, failures, queue_wait)
