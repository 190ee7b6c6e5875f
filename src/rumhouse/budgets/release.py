"""Release A (baseline) vs release B, per metric: p75 of each with its samples, and a verdict from a
bootstrap confidence interval on the relative change of p75.

Verdict: `regression` when the whole interval lies above +min_effect (B is slower by more than the
smallest change worth reporting, and the data says so with the chosen confidence), `improvement` when
it lies below -min_effect, `insufficient` when either side has fewer than min_samples, else
`no_change`. Requiring the interval to clear min_effect, not just 0, keeps two releases drawn from
one distribution from being flagged by chance on a large sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rumhouse.query.filters import Filters
from rumhouse.store.base import Store
from rumhouse.tables import VITAL_NAMES as METRICS

MAX_VALUES = 5000  # per release and metric: enough for a p75 interval; bounds memory and time
RESAMPLES = 1000
CHUNK = 100


@dataclass(frozen=True)
class Verdict:
    p75_a: float | None
    p75_b: float | None
    change: float | None  # p75_b / p75_a - 1
    ci_low: float | None
    ci_high: float | None
    verdict: str


def p75(values: np.ndarray) -> float:
    return float(np.quantile(values, 0.75))  # linear interpolation, as quantileExactInclusive


def bootstrap_verdict(
    a,
    b,
    *,
    confidence: float = 0.95,
    min_effect: float = 0.05,
    min_samples: int = 30,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Verdict:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < min_samples or len(b) < min_samples:
        return Verdict(
            p75(a) if len(a) else None, p75(b) if len(b) else None, None, None, None, "insufficient"
        )
    pa, pb = p75(a), p75(b)
    rng = np.random.default_rng(seed)
    changes = []
    for start in range(0, resamples, CHUNK):
        k = min(CHUNK, resamples - start)
        qa = np.quantile(a[rng.integers(0, len(a), (k, len(a)))], 0.75, axis=1)
        qb = np.quantile(b[rng.integers(0, len(b), (k, len(b)))], 0.75, axis=1)
        changes.append(qb / np.where(qa == 0, np.nan, qa) - 1)
    ratios = np.concatenate(changes)
    ratios = ratios[~np.isnan(ratios)]
    tail = (1 - confidence) / 2
    low, high = (float(x) for x in np.quantile(ratios, [tail, 1 - tail]))
    change = pb / pa - 1 if pa else None
    verdict = "regression" if low > min_effect else "improvement" if high < -min_effect else "no_change"
    return Verdict(pa, pb, change, low, high, verdict)


def release_values(store: Store, f: Filters, release: str) -> dict[str, np.ndarray]:
    rows = store.query(
        f"SELECT name, groupArray({MAX_VALUES})(value) FROM (SELECT name, value FROM rumhouse.vitals"
        f" WHERE {f.raw_where()} AND release = {{release:String}} ORDER BY time DESC) GROUP BY name",
        {**f.params(), "release": release},
        readonly=True,
    ).rows
    return {name: np.asarray(values, dtype=float) for name, values in rows}


def compare_releases(store: Store, f: Filters, a: str, b: str, *, metrics=METRICS, **options) -> list[dict]:
    va, vb = release_values(store, f, a), release_values(store, f, b)
    out = []
    for name in metrics:
        xa, xb = va.get(name, np.array([])), vb.get(name, np.array([]))
        if not len(xa) and not len(xb):
            continue
        v = bootstrap_verdict(xa, xb, **options)
        out.append(
            {
                "metric": name,
                "release_a": a,
                "release_b": b,
                "samples_a": len(xa),
                "samples_b": len(xb),
                "p75_a": v.p75_a,
                "p75_b": v.p75_b,
                "change": v.change,
                "ci_low": v.ci_low,
                "ci_high": v.ci_high,
                "verdict": v.verdict,
            }
        )
    return out


def previous_release(store: Store, f: Filters, release: str) -> str | None:
    """The release first seen most recently before `release` was: the baseline a CI run compares to."""
    rows = store.query(
        f"SELECT release, min(time) AS first FROM rumhouse.page_views WHERE {f.raw_where()} AND release != ''"
        " GROUP BY release ORDER BY first",
        f.params(),
        readonly=True,
    ).rows
    names = [r[0] for r in rows]
    if release not in names:
        return None
    i = names.index(release)
    return names[i - 1] if i > 0 else None
