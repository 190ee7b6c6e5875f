"""How sure a percentile is: a distribution-free 95% confidence interval from order statistics.

For n samples and the p-th quantile, the interval runs from the r-th to the s-th smallest sample, with
r = floor(np - z sqrt(np(1-p))) and s = ceil(np + z sqrt(np(1-p))) (1-based, clamped to 1..n; z = 1.96):
the number of samples under the true quantile is binomial(n, p), and these ranks hold it 95% of the time
(normal approximation). From the raw rows it is exact: the samples sorted, the two ranks read. From a
rollup's t-digest the two ranks are read as quantiles at r/n and s/n, interpolated from a grid of levels.

A percentile from fewer than ENOUGH samples is shown, but said to be too few to judge.
"""

from __future__ import annotations

import math

Z = 1.96
ENOUGH = 30
# Levels read from a t-digest (0.01 to 0.995, every 0.005): a rank's level is interpolated between two.
GRID = tuple(round(0.01 + 0.005 * i, 3) for i in range(198))
GRID_SQL = ", ".join(str(level) for level in GRID)


def ranks(n: int, p: float) -> tuple[int, int]:
    """The 1-based ranks of the interval's ends among n sorted samples."""
    spread = Z * math.sqrt(n * p * (1 - p))
    return max(1, math.floor(n * p - spread)), min(n, math.ceil(n * p + spread))


def raw_sql(column: str, p: float) -> str:
    """[low, high] of the interval, from the rows of a GROUP BY (exact order statistics)."""
    n = "toFloat64(count())"
    spread = f"{Z} * sqrt({n} * {p} * {1 - p})"
    sorted_values = f"arraySort(groupArray(toFloat64({column})))"
    return (
        f"[arrayElement({sorted_values}, toUInt64(greatest(1, floor({n} * {p} - {spread})))),"
        f" arrayElement({sorted_values}, toUInt64(least({n}, ceil({n} * {p} + {spread}))))]"
    )


def rollup_sql(state: str) -> str:
    """The grid's quantiles from merged t-digest states (any quantilesTDigest state merges so)."""
    return f"quantilesTDigestMerge({GRID_SQL})({state})"


def from_grid(values: list[float], n: int, p: float) -> tuple[float | None, float | None]:
    """The interval's ends for n samples, read from the grid's quantiles."""
    if not n or not values:
        return None, None
    r, s = ranks(n, p)

    def at(level: float) -> float:
        level = min(max(level, GRID[0]), GRID[-1])
        i = min(int((level - GRID[0]) / 0.005), len(GRID) - 2)
        lo, hi = GRID[i], GRID[i + 1]
        share = (level - lo) / (hi - lo)
        return values[i] + (values[i + 1] - values[i]) * share

    return at(r / n), at(s / n)
