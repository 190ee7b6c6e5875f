"""The state of a budget from a measurement: within, warning (from 80% of the limit), breached,
insufficient (too few samples to mean anything) or overridden (waived until an expiry)."""

from __future__ import annotations

from rumhouse.budgets.measure import Measurement


def judge(
    m: Measurement, limit: float, *, min_samples: int, warn_at: float = 0.8, waived: bool = False
) -> str:
    if m.samples < min_samples or m.value is None:
        return "insufficient"
    if waived:
        return "overridden"
    if m.value > limit:
        return "breached"
    if m.value >= warn_at * limit:
        return "warning"
    return "within"
