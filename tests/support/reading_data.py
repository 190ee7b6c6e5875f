"""Seeded data for the reading-side tests, and the plain-Python statistics their expectations use.

The rows are made here (deterministic, from a seeded random generator), inserted into a data folder
by a child process through the Store's insert path (chDB allows one data folder per process, and the
test process may already own another), and then served by a real server on that folder. The tests
compute every expected figure from the same Python rows, without ClickHouse.

Times are placed so that a window can move by an hour while the tests run without changing which
rows fall in it: "recent" rows 1-20 hours before the current hour, "older" rows 30-150 hours back,
and "now" rows 1-30 minutes ago.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from support.server import REPO

PATHS = ["/", "/products", "/products/:id", "/cart", "/checkout"]
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge"]
OSES = ["Windows", "Mac OS X", "Android", "iOS"]
DEVICES = ["desktop", "mobile", "tablet"]
COUNTRIES = ["US", "DE", "FR", ""]
CONNECTIONS = ["4g", "3g", ""]
RELEASES = ["v1", "v2"]
PHASES = ("dns", "connect", "tls", "server", "download", "render", "load")
ENDPOINTS = [
    ("GET", "api.example.com/cart"),
    ("POST", "api.example.com/orders"),
    ("GET", "api.example.com/items/:id"),
]
ERRORS = [
    ("error", "TypeError: x is undefined", "https://www.example.com/app.js"),
    ("rejection", "Failed to fetch", "https://www.example.com/app.js"),
    ("error", "ReferenceError: gtag is not defined", "https://www.example.com/analytics.js"),
]
RESOURCE_HOSTS = [
    ("script", "www.example.com", 0),
    ("script", "cdn.thirdparty.net", 1),
    ("img", "www.example.com", 0),
    ("css", "www.example.com", 0),
    ("font", "fonts.gstatic.test", 1),
]


@dataclass
class Dataset:
    now: datetime
    rows: dict[str, list[dict]] = field(default_factory=dict)

    def table(self, name: str) -> list[dict]:
        return self.rows.setdefault(name, [])


def _time(rng: random.Random, now: datetime) -> datetime:
    hour = now.replace(minute=0, second=0, microsecond=0)
    kind = rng.random()
    # Never on a whole second: a float timestamp then lands in the same bucket in ClickHouse and here.
    jitter = timedelta(seconds=rng.randint(1, 58), milliseconds=rng.randint(1, 998))
    if kind < 0.7:
        return hour - timedelta(hours=rng.randint(1, 20), minutes=-rng.randint(5, 54)) + jitter
    if kind < 0.9:
        return hour - timedelta(hours=rng.randint(30, 150), minutes=-rng.randint(5, 54)) + jitter
    t = now - timedelta(minutes=rng.randint(1, 30))
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def make_dataset(page_views: int = 3000, seed: int = 4, now: datetime | None = None) -> Dataset:
    rng = random.Random(seed)
    data = Dataset(now or datetime.now(UTC))
    for i in range(page_views):
        site = "shop" if i % 10 == 9 else "demo"
        t = _time(rng, data.now)
        path = rng.choices(PATHS, weights=[5, 3, 4, 2, 1])[0]
        dims = {
            "time": t,
            "site": site,
            "page_view_id": f"pv{i:06d}",
            "host": "www.example.com",
            "path": path,
            "browser": rng.choice(BROWSERS),
            "os": rng.choice(OSES),
            "device_type": rng.choice(DEVICES),
            "country": rng.choice(COUNTRIES),
            "connection_type": rng.choice(CONNECTIONS),
            "release": rng.choice(RELEASES),
            "navigation_type": "navigate",
        }
        slow = 1 + PATHS.index(path) * 0.4 + (0.5 if dims["device_type"] == "mobile" else 0)
        phases = {p: float(rng.randint(0, int(80 * slow))) for p in PHASES}
        if rng.random() < 0.1:
            phases["dns"] = None
        if rng.random() < 0.05:
            phases["load"] = None
        data.table("page_views").append({**dims, **{f"{p}_ms": v for p, v in phases.items()}})
        metrics = {
            "LCP": round(rng.lognormvariate(math.log(1800 * slow), 0.5)),
            "FCP": round(rng.lognormvariate(math.log(1200 * slow), 0.4)),
            "TTFB": round(rng.lognormvariate(math.log(500 * slow), 0.6)),
            "CLS": round(rng.expovariate(1 / (0.08 * slow)), 3),
        }
        if rng.random() < 0.8:
            metrics["INP"] = float(rng.randint(16, int(400 * slow)))
        if rng.random() < 0.5:
            metrics["FID"] = float(rng.randint(1, 250))
        for name, value in metrics.items():
            data.table("vitals").append({**dims, "name": name, "value": float(value), "attribution": ""})
        if rng.random() < 0.08:
            kind, message, source = rng.choices(ERRORS, weights=[5, 3, 1])[0]
            data.table("errors").append(
                {
                    **dims,
                    "kind": kind,
                    "message": message,
                    "source": source,
                    "line": 1,
                    "col": 2,
                    "stack": f"at f ({source}:1:{i})",
                    "count": rng.randint(1, 3),
                }
            )
        for _ in range(rng.randint(0, 3)):
            method, endpoint = rng.choice(ENDPOINTS)
            status = rng.choices([200, 500, 404, 0], weights=[90, 4, 3, 3])[0]
            data.table("api_calls").append(
                {
                    **dims,
                    "method": method,
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": float(rng.randint(20, 900)),
                }
            )
        for rtype, host, third in rng.sample(RESOURCE_HOSTS, rng.randint(2, 4)):
            n = rng.randint(1, 6)
            hits = rng.randint(0, n)
            data.table("resources").append(
                {
                    **dims,
                    "type": rtype,
                    "resource_host": host,
                    "third_party": third,
                    "count": n,
                    "transfer_bytes": (n - hits) * 10_000,
                    "encoded_bytes": n * 9_000,
                    "decoded_bytes": n * 30_000,
                    "cache_hits": hits,
                    "duration_total_ms": float(n * rng.randint(10, 200)),
                    "duration_max_ms": float(rng.randint(200, 400)),
                    "slowest_url": f"https://{host}/x",
                }
            )
    return data


SEED_SCRIPT = """
import sys, orjson
from pathlib import Path
from rumhouse.store.embedded import EmbeddedStore
from rumhouse.store.migrations import migrate
from rumhouse.store.base import encode_rows as encode
store = EmbeddedStore(Path(sys.argv[1]))
migrate(store)
for table, block in orjson.loads(Path(sys.argv[2]).read_bytes()).items():
    store.insert("rumhouse." + table, block["columns"], encode(block["rows"]))
store.close()
"""


def seed_folder(data_dir: Path, data: Dataset) -> None:
    """Insert the dataset into a data folder, in a child process, through Store.insert (encoded by the
    ingest path's own encoder, rows.encode_rows, so the seed follows the store's insert format)."""
    payload = {}
    for table, rows in data.rows.items():
        columns = list(rows[0])
        values = [[r[c].timestamp() if isinstance(r[c], datetime) else r[c] for c in columns] for r in rows]
        payload[table] = {"columns": columns, "rows": values}
    file = data_dir.parent / f"{data_dir.name}-seed.json"
    file.write_bytes(orjson.dumps(payload))
    subprocess.run(
        [sys.executable, "-c", SEED_SCRIPT, str(data_dir), str(file)],
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )


# Plain-Python statistics, independent of ClickHouse.


def quantile(values: list[float], level: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, ClickHouse's quantileExactInclusive)."""
    s = sorted(values)
    pos = level * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def rank(values: list[float], x: float) -> float:
    """Share of values at or under x (how a t-digest's error is measured: in rank, not in value)."""
    s = sorted(values)
    below = sum(1 for v in s if v < x)
    at_or_below = sum(1 for v in s if v <= x)
    return (below + at_or_below) / 2 / len(s)


THRESHOLDS = {
    "LCP": (2500, 4000),
    "INP": (200, 500),
    "CLS": (0.1, 0.25),
    "FCP": (1800, 3000),
    "TTFB": (800, 1800),
    "FID": (100, 300),
}
