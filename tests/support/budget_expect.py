"""Expected budget figures, computed in plain Python and numpy from the seeded rows (never through
rumhouse): the value of a budget's measure, and the state a reader of docs/budgets.md expects."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from fnmatch import fnmatchcase

import numpy as np

LEVELS = {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}


def _stat(values: list[float], stat: str) -> float | None:
    if not values:
        return None
    return float(np.mean(values)) if stat == "mean" else float(np.quantile(values, LEVELS[stat]))


def _endpoint_path(endpoint: str) -> str:
    i = endpoint.find("/")
    return endpoint[i:] if i >= 0 else "/"


def expected_value(
    data, b: dict, start: datetime, end: datetime, release: str | None = None
) -> tuple[float | None, int]:
    """(value, samples) of budget `b` (a [[budgets]] table as TOML parsed it)."""

    def keep(r):
        return (
            r["site"] == b["site"]
            and start <= r["time"] < end
            and (release is None or r["release"] == release)
            and ("path" not in b or fnmatchcase(r["path"], b["path"]))
        )

    def endpoint_ok(r):
        pattern = b.get("endpoint")
        if not pattern:
            return True
        return fnmatchcase(
            _endpoint_path(r["endpoint"]) if pattern.startswith("/") else r["endpoint"], pattern
        )

    metric, stat = b["metric"], b.get("stat", "p75")
    if metric == "api_duration":
        values = [r["duration_ms"] for r in data.table("api_calls") if keep(r) and endpoint_ok(r)]
        return _stat(values, stat), len(values)
    if metric == "api_error_rate":
        calls = [r for r in data.table("api_calls") if keep(r) and endpoint_ok(r)]
        failed = sum(1 for r in calls if r["status"] == 0 or r["status"] >= 400)
        return (failed / len(calls) if calls else None), len(calls)
    if metric == "error_rate":
        views = [r for r in data.table("page_views") if keep(r)]
        with_errors = {r["page_view_id"] for r in data.table("errors") if keep(r)}
        hit = sum(1 for r in views if r["page_view_id"] in with_errors)
        return (hit / len(views) if views else None), len(views)
    if metric == "resource_bytes":
        per_view = defaultdict(int)
        for r in data.table("resources"):
            if keep(r) and r["type"] == b.get("resource_type", "script"):
                per_view[r["page_view_id"]] += r["transfer_bytes"]
        return _stat(list(per_view.values()), stat), len(per_view)
    values = [r["value"] for r in data.table("vitals") if keep(r) and r["name"] == metric]
    return _stat(values, stat), len(values)


def expected_state(
    value: float | None, samples: int, limit: float, min_samples: int = 50, warn_at: float = 0.8
) -> str:
    if value is None or samples < min_samples:
        return "insufficient"
    if value > limit:
        return "breached"
    return "warning" if value >= warn_at * limit else "within"
