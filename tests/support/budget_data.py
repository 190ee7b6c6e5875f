"""Seeded sites for the budget, CI gate, suggestion and release tests.

Every row is made here from a seeded generator; the tests compute expected figures from these same
Python rows (numpy / plain Python), never through rumhouse. All rows fall 30 minutes to 20 hours
before `now`, inside every 24h window a test asks for while it runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from support.reading_data import Dataset

HOST = "www.example.com"
HEALTHY = {
    "lcp": 1300.0,
    "ttfb": 250.0,
    "cls": 0.02,
    "script_bytes": 150_000,
    "img_bytes": 200_000,
    "compressed": True,
    "hit_rate": 0.6,
    "api_calls": 1,
    "api_ms": 120.0,
    "api_fail": 0.0,
    "errors": 0.0,
}


@dataclass
class Profile:
    lcp: float
    ttfb: float
    cls: float
    script_bytes: int
    img_bytes: int
    compressed: bool
    hit_rate: float
    api_calls: int
    api_ms: float
    api_fail: float
    errors: float  # share of page views with a client error


def profile(**changes) -> Profile:
    return Profile(**{**HEALTHY, **changes})


def add_site(
    data: Dataset,
    rng: random.Random,
    site: str,
    views: int,
    p: Profile,
    *,
    release: str = "v1",
    path_of=lambda i: "/",
    start: int = 0,
) -> None:
    for i in range(views):
        t = data.now - timedelta(minutes=rng.randint(30, 1200), seconds=rng.random() * 59)
        t = t.replace(microsecond=t.microsecond // 1000 * 1000)
        pv = f"{site}-{release}-{start + i:06d}"
        dims = {
            "time": t,
            "site": site,
            "page_view_id": pv,
            "host": HOST,
            "path": path_of(i),
            "browser": "Chrome",
            "os": "Windows",
            "device_type": "desktop",
            "country": "",
            "connection_type": "4g",
            "release": release,
            "navigation_type": "navigate",
        }
        ttfb = rng.lognormvariate(0, 0.3) * p.ttfb
        data.table("page_views").append({**dims, "server_ms": ttfb, "load_ms": ttfb + 1000})
        lcp = max(ttfb + 50, rng.lognormvariate(0, 0.35) * p.lcp)
        for name, value in (
            ("LCP", lcp),
            ("TTFB", ttfb),
            ("FCP", lcp * 0.7),
            ("CLS", round(rng.expovariate(1 / p.cls), 4)),
        ):
            data.table("vitals").append(
                {**dims, "name": name, "value": float(round(value, 3)), "attribution": ""}
            )
        for rtype, total in (("script", p.script_bytes), ("css", 40_000), ("img", p.img_bytes)):
            n = 5
            decoded = int(total * rng.uniform(0.8, 1.2))
            hits = sum(rng.random() < p.hit_rate for _ in range(n))
            encoded = (
                decoded
                if (p.compressed is False and rtype != "img")
                else (decoded // 3 if rtype != "img" else decoded)
            )
            data.table("resources").append(
                {
                    **dims,
                    "type": rtype,
                    "resource_host": HOST,
                    "third_party": 0,
                    "count": n,
                    "transfer_bytes": encoded * (n - hits) // n,
                    "encoded_bytes": encoded,
                    "decoded_bytes": decoded,
                    "cache_hits": hits,
                    "duration_total_ms": 80.0 * n,
                    "duration_max_ms": 120.0,
                    "slowest_url": f"https://{HOST}/x",
                }
            )
        for _ in range(p.api_calls):
            failed = rng.random() < p.api_fail
            data.table("api_calls").append(
                {
                    **dims,
                    "method": "GET",
                    "endpoint": f"{HOST}/api/items",
                    "status": 500 if failed else 200,
                    "duration_ms": float(round(rng.lognormvariate(0, 0.4) * p.api_ms, 2)),
                }
            )
        if rng.random() < p.errors:
            data.table("errors").append(
                {
                    **dims,
                    "kind": "error",
                    "message": "TypeError: x",
                    "source": f"https://{HOST}/app.js",
                    "line": 1,
                    "col": 1,
                    "stack": "",
                    "count": 1,
                }
            )


SCENARIOS = {
    "slowserver": profile(ttfb=2600.0, lcp=3400.0),
    "heavyjs": profile(script_bytes=1_500_000),
    "plaintext": profile(compressed=False),
    "chatty": profile(api_calls=10),
    "healthy": profile(),
}
# The kind of suggestion each scenario must put first.
EXPECTED_TOP = {
    "slowserver": "server",
    "heavyjs": "scripts",
    "plaintext": "compression",
    "chatty": "batching",
}


def make_budget_dataset(seed: int = 11, now: datetime | None = None) -> Dataset:
    rng = random.Random(seed)
    data = Dataset(now or datetime.now(UTC))
    # "budget": figures the budgets of BUDGET_CONFIG judge; a few page views on /rare.
    add_site(
        data,
        rng,
        "budget",
        600,
        profile(lcp=2000.0, api_ms=300.0, api_fail=0.03, errors=0.02, script_bytes=420_000),
        path_of=lambda i: "/rare" if i % 60 == 0 else ("/checkout" if i % 3 == 0 else "/"),
    )
    add_site(data, rng, "calm", 300, profile())
    add_site(data, rng, "sparse", 12, profile())
    for site, p in SCENARIOS.items():
        add_site(data, rng, site, 300, p)
    # Releases: v1 and v2 from one distribution, v3 20% slower at p75.
    base = profile(lcp=2000.0)
    add_site(data, rng, "rel", 1500, base, release="v1")
    add_site(data, rng, "rel", 1500, base, release="v2", start=10_000)
    add_site(data, rng, "rel", 1500, profile(lcp=2400.0), release="v3", start=20_000)
    _order_releases(data)
    return data


def _order_releases(data: Dataset) -> None:
    """Release v1 first seen before v2 before v3 (the gate's default baseline is the previous one)."""
    first = {"v1": 1190, "v2": 1195, "v3": 1199}
    for rows in data.rows.values():
        for r in rows:
            if r["site"] == "rel" and r["page_view_id"].split("-")[2] in ("000000", "010000", "020000"):
                r["time"] = (data.now - timedelta(minutes=first[r["release"]])).replace(microsecond=0)


BUDGET_CONFIG = """
{alerting}

[[budgets]]
name = "lcp-tight"
site = "budget"
metric = "LCP"
limit = 2200

[[budgets]]
name = "lcp-warn"
site = "budget"
metric = "LCP"
limit = 3000

[[budgets]]
name = "lcp-loose"
site = "budget"
metric = "LCP"
limit = 6000

[[budgets]]
name = "checkout-lcp"
site = "budget"
metric = "LCP"
path = "/checkout"
stat = "p95"
limit = 8000

[[budgets]]
name = "api-p95"
site = "budget"
metric = "api_duration"
endpoint = "/api/*"
stat = "p95"
limit = 500

[[budgets]]
name = "api-errors"
site = "budget"
metric = "api_error_rate"
endpoint = "/api/*"
limit = 0.05

[[budgets]]
name = "script-bytes"
site = "budget"
metric = "resource_bytes"
resource_type = "script"
limit = 512000

[[budgets]]
name = "js-errors"
site = "budget"
metric = "error_rate"
limit = 0.01

[[budgets]]
name = "rare-lcp"
site = "budget"
metric = "LCP"
path = "/rare"
limit = 2500
min_samples = 50

[[budgets]]
name = "calm-lcp"
site = "calm"
metric = "LCP"
limit = 4000

[[budgets]]
name = "sparse-lcp"
site = "sparse"
metric = "LCP"
limit = 4000
min_samples = 50

[[budgets]]
name = "rel-lcp"
site = "rel"
metric = "LCP"
limit = 10000
"""


ALERTING = """
[[sites]]
key = "demo"
origins = ["*"]

[[alerts]]
name = "api-slow"
site = "budget"
metric = "api_duration"
endpoint = "/api/*"
stat = "p95"
above = 500
window = "24h"
for = "0s"
repeat = "1h"
group = "budget-perf"
channels = ["hook", "slack", "mail"]

[[alerts]]
name = "budget-js-errors"
budget = "js-errors"
window = "24h"
for = "0s"
group = "budget-perf"
channels = ["hook"]

[[alerts]]
name = "calm-lcp"
site = "calm"
metric = "LCP"
above = 4000
window = "24h"
channels = ["hook"]

[[alerts]]
name = "flaky"
site = "budget"
metric = "LCP"
above = 100
window = "24h"
channels = ["broken"]

[[channels]]
name = "hook"
type = "webhook"
url = "{hook}"
secret = "{secret}"

[[channels]]
name = "slack"
type = "slack"
url = "{slack}"

[[channels]]
name = "mail"
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
from = "rum@example.test"
to = ["oncall@example.test"]

[[channels]]
name = "broken"
type = "webhook"
url = "{broken}"
"""
