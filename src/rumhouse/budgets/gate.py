"""`rumhouse budgets check`: the CI gate on real-user data.

Exit codes: 1 when a budget is breached (or, with --release, a metric with a budget regressed against
the baseline release); else 2 when a budget has too few samples to judge, or rumhouse cannot be asked
(the reason is printed); else 0. `--warn-only` prints the same and always exits 0.
"""

from __future__ import annotations

import time

BREACHED, REFUSED, OK = 1, 2, 0


def status_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    columns = ["budget", "measure", "value", "limit", "samples", "state"]
    out = []
    for r in rows:
        value = None if r["value"] is None else round(r["value"], 4)
        out.append(
            [
                r["name"],
                r["description"].split(" <= ")[0],
                value,
                r["limit"],
                r["samples"],
                r["state"] + (f" ({r['reason']})" if r["reason"] else ""),
            ]
        )
    return columns, out


def window_params(since_seconds: int) -> dict:
    now_ms = int(time.time() * 1000)
    return {"from": str(now_ms - since_seconds * 1000), "to": str(now_ms + 1)}


def verdict(budgets: list[dict], comparison: list[dict]) -> tuple[int, list[str]]:
    reasons = []
    budget_metrics = {b["metric"] for b in budgets}
    breached = [b for b in budgets if b["state"] == "breached"]
    regressed = [c for c in comparison if c["verdict"] == "regression" and c["metric"] in budget_metrics]
    for b in breached:
        reasons.append(f"budget {b['name']} breached: {b['value']:.4g} > {b['limit']:g}")
    for c in regressed:
        reasons.append(
            f"{c['metric']} regressed in {c['release_b']} vs {c['release_a']}: p75 {c['change']:+.1%}"
            f" (95% interval {c['ci_low']:+.1%} to {c['ci_high']:+.1%})"
        )
    if reasons:
        return BREACHED, reasons
    refused = [b for b in budgets if b["state"] == "insufficient"]
    if refused:
        return REFUSED, [f"cannot judge budget {b['name']}: {b['reason']}" for b in refused]
    if not budgets:
        return REFUSED, ["no budgets are defined for this site"]
    return OK, []
