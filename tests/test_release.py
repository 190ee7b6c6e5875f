"""Release comparison: a 20% regression of p75 is flagged, two releases from one distribution are not
(several seeds); the API's p75 and sample counts per release equal numpy's on the seeded rows."""

import numpy as np
import pytest

from rumhouse.budgets.release import bootstrap_verdict
from support.server import ADMIN_TOKEN

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


def lognormal(seed: int, n: int, median: float) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(np.log(median), 0.5, n)


@pytest.mark.parametrize("seed", range(6))
def test_a_20_percent_regression_is_flagged(seed):
    a = lognormal(seed, 1500, 2000)
    b = lognormal(seed + 1000, 1500, 2000 * 1.2)  # every quantile 20% higher
    v = bootstrap_verdict(a, b, seed=seed)
    assert v.verdict == "regression", v
    assert v.p75_a == pytest.approx(np.quantile(a, 0.75)) and v.p75_b == pytest.approx(np.quantile(b, 0.75))


@pytest.mark.parametrize("seed", range(10))
def test_same_distribution_is_not_flagged(seed):
    v = bootstrap_verdict(lognormal(seed, 1500, 2000), lognormal(seed + 1000, 1500, 2000), seed=seed)
    assert v.verdict == "no_change", v


@pytest.mark.parametrize("seed", range(3))
def test_an_improvement_is_reported_as_one(seed):
    v = bootstrap_verdict(lognormal(seed, 1500, 2000), lognormal(seed + 7, 1500, 1500), seed=seed)
    assert v.verdict == "improvement", v


def test_too_few_samples_give_no_verdict():
    assert bootstrap_verdict(lognormal(1, 10, 2000), lognormal(2, 1000, 4000)).verdict == "insufficient"


def test_api_compares_seeded_releases(budget_server, budget_data):
    def values(release, name="LCP"):
        return [
            r["value"]
            for r in budget_data.table("vitals")
            if r["site"] == "rel" and r["release"] == release and r["name"] == name
        ]

    for a, b, want in (("v1", "v3", "regression"), ("v2", "v3", "regression"), ("v1", "v2", "no_change")):
        doc = budget_server.client.get(
            "/api/v1/releases/compare", params={"site": "rel", "a": a, "b": b}, headers=ADMIN
        ).json()
        lcp = next(m for m in doc["metrics"] if m["metric"] == "LCP")
        assert lcp["verdict"] == want, lcp
        assert lcp["samples_a"] == len(values(a)) == 1500 and lcp["samples_b"] == len(values(b))
        assert lcp["p75_a"] == pytest.approx(np.quantile(values(a), 0.75))
        assert lcp["p75_b"] == pytest.approx(np.quantile(values(b), 0.75))
        ttfb = next(m for m in doc["metrics"] if m["metric"] == "TTFB")
        assert ttfb["verdict"] == "no_change"  # the seeded releases differ in LCP and FCP only
    # Without a, the baseline is the release first seen before b.
    doc = budget_server.client.get(
        "/api/v1/releases/compare", params={"site": "rel", "b": "v3"}, headers=ADMIN
    ).json()
    assert doc["release_a"] == "v2"
    assert (
        budget_server.client.get("/api/v1/releases/compare", params={"site": "rel", "b": "v3"}).status_code
        == 401
    )
