"""Pieces the query modules share: percentile SQL for raw and rollup reads, and parameter helpers.

Raw tables answer with exact percentiles (`quantilesExactInclusive`: linear interpolation between
the closest ranks, the same definition as numpy's default); rollups answer from merged t-digest
states. Each answer says which (`source`), and every percentile comes with its sample count.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from rumhouse.api.filters import ParamError
from rumhouse.api.thresholds import METRICS, PERCENTILES, THRESHOLDS
from rumhouse.query.filters import DIMENSIONS, Filters
from rumhouse.settings import N, bounded
from rumhouse.store.base import Store
from rumhouse.tables import threshold_sql

LEVELS = ", ".join(str(p / 100) for p in PERCENTILES)
SOURCES = ("auto", "raw", "rollup")


def raw_quantiles(column: str) -> str:
    return f"quantilesExactInclusive({LEVELS})({column})"


def rollup_quantiles(state: str) -> str:
    return f"quantilesTDigestMerge({LEVELS})({state})"


def percentile_fields(values: list[float] | None, prefix: str = "") -> dict[str, float | None]:
    known: list[float | None] = list(values) if values else [None] * len(PERCENTILES)
    return {f"{prefix}p{p}": v for p, v in zip(PERCENTILES, known, strict=True)}


GOOD_SQL = f"value <= {threshold_sql(0, '-1')}"
POOR_SQL = f"value > {threshold_sql(1, 'inf')}"


def shares(name: str, samples: int, good: int, poor: int) -> dict[str, float | None]:
    if name not in THRESHOLDS or not samples:
        return {"good": None, "needs_improvement": None, "poor": None}
    return {
        "good": good / samples,
        "needs_improvement": (samples - good - poor) / samples,
        "poor": poor / samples,
    }


def choose_source(q: QueryParams, rollup_possible: bool) -> str:
    wanted = q.get("source", "auto")
    if wanted not in SOURCES:
        raise ParamError(f"source must be one of {', '.join(SOURCES)}")
    if wanted == "rollup" and not rollup_possible:
        raise ParamError(
            "the rollups answer windows on whole hours with at most one dimension filter; use source=raw"
        )
    return "rollup" if wanted == "rollup" or (wanted == "auto" and rollup_possible) else "raw"


def optional_metric_param(q: QueryParams) -> str | None:
    """`metric`, or None when the request names none."""
    metric = q.get("metric")
    if metric is not None and metric not in METRICS:
        raise ParamError(f"metric must be one of {', '.join(METRICS)}")
    return metric


def metric_param(q: QueryParams, default: str = "LCP") -> str:
    return optional_metric_param(q) or default


def dimension_param(q: QueryParams, name: str = "by", default: str | None = None) -> str:
    value = q.get(name, default)
    if value not in DIMENSIONS:
        raise ParamError(f"{name} must be one of {', '.join(DIMENSIONS)}")
    return value


def _number_param(q: QueryParams, name: str, default: N, lo: N, hi: N, kind: type[N]) -> N:
    raw = q.get(name)
    if raw is None:
        return default
    try:
        return bounded(raw, kind, lo, hi)
    except ValueError as exc:
        raise ParamError(f"{name} {exc}") from None


def int_param(q: QueryParams, name: str, default: int, lo: int, hi: int) -> int:
    return _number_param(q, name, default, lo, hi, int)


def float_param(q: QueryParams, name: str, default: float, lo: float, hi: float) -> float:
    return _number_param(q, name, default, lo, hi, float)


def rows(store: Store, sql: str, f: Filters, extra: dict[str, Any] | None = None) -> list[list[Any]]:
    return store.query(sql, {**f.params(), **(extra or {})}, readonly=True).rows


def no_page_dimensions(f: Filters, what: str = "spans") -> None:
    """OpenTelemetry data has no page dimensions: a question filtered by one is refused, not ignored."""
    if f.dims:
        raise ParamError(f"page dimensions (path, browser, ...) do not apply to {what}")


def iso_time(stored: Any) -> str:
    """A DateTime64 as ClickHouse writes it ("2026-12-02 04:20:00.123456789") in ISO 8601, UTC, to the ms."""
    day, _, clock = str(stored).partition(" ")
    return f"{day}T{clock[:12]}Z" if clock else str(stored)
