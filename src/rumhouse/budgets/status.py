"""Budgets judged now (what the CI gate asks) and per period (the compliance report)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from rumhouse.ai.prices import PriceTable
from rumhouse.budgets.judge import judge
from rumhouse.budgets.measure import measure, measure_buckets
from rumhouse.budgets.model import Budget
from rumhouse.budgets.repository import BudgetRepository
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store


def budget_status(
    store: Store,
    repo: BudgetRepository,
    budget: Budget,
    *,
    now: datetime,
    since: int | None = None,
    release: str | None = None,
    prices: PriceTable | None = None,
) -> dict:
    """One budget over the `since` seconds before now (default: its own window); `prices` values AI
    tokens (ai_cost; default: the shipped table)."""
    dims: dict[str, tuple[str, ...]] = {"release": (release,)} if release else {}
    f = Filters(budget.site, now - timedelta(seconds=since or budget.window), now, "custom", dims)
    m = measure(store, budget.target, f, prices)
    override = repo.active_override(budget.name, now)
    limit = override.limit if override is not None and override.limit is not None else budget.limit
    state = judge(
        m,
        limit,
        min_samples=budget.min_samples,
        warn_at=budget.warn_at,
        waived=override is not None and override.limit is None,
    )
    reason = ""
    if state == "insufficient":
        reason = f"{m.samples} samples, fewer than the {budget.min_samples} needed to judge"
    elif state == "overridden" and override is not None:
        reason = f"waived until {override.expires_at.isoformat()}: {override.justification}"
    return {
        **budget.to_dict(),
        "limit": limit,
        "budget_limit": budget.limit,
        "value": m.value,
        "samples": m.samples,
        "state": state,
        "reason": reason,
        "share_of_limit": m.value / limit if m.value is not None and limit else None,
        "override": override.to_dict(now) if override else None,
        "from": f.start.isoformat(),
        "to": f.end.isoformat(),
        "release": release or "",
    }


PERIODS = {"hour": 3600, "day": 86400}


def compliance_report(
    store: Store, budget: Budget, f: Filters, period: str, prices: PriceTable | None = None
) -> dict:
    """The budget judged in each period of the window (against its own limit), and the share of the
    periods with a verdict that were within budget (warnings count as within)."""
    seconds = PERIODS[period]
    rows = []
    for m in measure_buckets(store, budget.target, f, seconds, prices):
        state = judge(m, budget.limit, min_samples=budget.min_samples, warn_at=budget.warn_at)
        rows.append(
            {
                "period_start": datetime.fromtimestamp(m.bucket or 0, UTC).isoformat(),
                "value": m.value,
                "samples": m.samples,
                "state": state,
            }
        )
    counts = Counter(r["state"] for r in rows)
    judged = counts["within"] + counts["warning"] + counts["breached"]
    return {
        "budget": budget.name,
        "description": budget.to_dict()["description"],
        "limit": budget.limit,
        "periods": rows,
        "counts": dict(counts),
        "compliance": (counts["within"] + counts["warning"]) / judged if judged else None,
    }
