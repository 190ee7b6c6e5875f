"""The metrics as the API shows them: their thresholds (tables.THRESHOLDS, which the rollups' good and
poor counts use too), units, percentiles, and a value's rating."""

from __future__ import annotations

from rumhouse.tables import THRESHOLDS, VITAL_NAMES

__all__ = ["METRICS", "PERCENTILES", "THRESHOLDS", "UNITS", "rating"]
METRICS = VITAL_NAMES
UNITS = {name: ("score" if name == "CLS" else "ms") for name in METRICS}
PERCENTILES = (50, 75, 95, 99)


def rating(name: str, value: float) -> str | None:
    """good, needs-improvement or poor; None for a metric without thresholds."""
    if name not in THRESHOLDS:
        return None
    good, poor = THRESHOLDS[name]
    return "good" if value <= good else "poor" if value > poor else "needs-improvement"
