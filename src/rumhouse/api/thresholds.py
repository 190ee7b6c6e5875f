"""The metrics and their published Core Web Vitals thresholds (web.dev): good <= good, poor > poor.

The same numbers are written into the rollup migration (clickhouse/0011_vitals_hourly.sql), where the
good/poor counts are made; tests check that the two agree.
"""

from __future__ import annotations

from rumhouse.tables import VITAL_NAMES

# name -> (good at or under, poor over, unit). TTI has no published threshold.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "LCP": (2500, 4000),
    "INP": (200, 500),
    "CLS": (0.1, 0.25),
    "FCP": (1800, 3000),
    "TTFB": (800, 1800),
    "FID": (100, 300),
}
METRICS = VITAL_NAMES
UNITS = {name: ("score" if name == "CLS" else "ms") for name in METRICS}
PERCENTILES = (50, 75, 95, 99)


def rating(name: str, value: float) -> str | None:
    """good, needs-improvement or poor; None for a metric without thresholds."""
    if name not in THRESHOLDS:
        return None
    good, poor = THRESHOLDS[name]
    return "good" if value <= good else "poor" if value > poor else "needs-improvement"
