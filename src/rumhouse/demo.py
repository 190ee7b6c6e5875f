"""Synthetic but plausible traffic, so that a newcomer sees data within a minute (`rumhouse demo`).

Page views come from a few paths, browsers, devices, countries and connections; each metric follows a
log-normal distribution around medians typical of real sites, slower on mobile and slow connections.
Browsers only report what they can measure (Safari has no CLS, INP or FID here; Firefox no CLS).
Each page view sends two beacons, as the snippet does: one early, and the final one at pagehide.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import orjson

PATHS = [  # (path, weight, how much slower than the site's median)
    ("/", 30, 1.0),
    ("/products", 15, 1.2),
    ("/products/{id}", 20, 1.4),
    ("/cart", 8, 1.1),
    ("/checkout", 5, 1.6),
    ("/blog/{slug}", 12, 0.9),
    ("/search", 10, 1.3),
]
BROWSERS = [  # (user agent, weight, device slowness, metrics it can measure)
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36",
        35,
        1.0,
        ("TTFB", "FCP", "LCP", "CLS", "INP", "FID", "TTI"),
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
        "Safari/605.1.15",
        12,
        0.9,
        ("TTFB", "FCP", "LCP"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        8,
        1.05,
        ("TTFB", "FCP", "LCP", "INP"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
        "Safari/537.36",
        25,
        1.8,
        ("TTFB", "FCP", "LCP", "CLS", "INP", "FID", "TTI"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Mobile/15E148 Safari/604.1",
        15,
        1.4,
        ("TTFB", "FCP", "LCP"),
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
        "Mobile/15E148 Safari/604.1",
        5,
        1.3,
        ("TTFB", "FCP", "LCP"),
    ),
]
COUNTRIES = [
    ("US", 30),
    ("DE", 12),
    ("GB", 10),
    ("FR", 8),
    ("IN", 12),
    ("BR", 8),
    ("JP", 6),
    ("AU", 4),
    ("", 10),
]
CONNECTIONS = [("4g", 80, 1.0), ("3g", 15, 2.2), ("slow-2g", 5, 4.0)]
RELEASES = [("v1.4.0", 40), ("v1.5.0", 60)]
# Medians (ms; CLS unitless) and log-normal sigmas on a fast desktop.
MEDIANS = {
    "TTFB": (180, 0.5),
    "FCP": (700, 0.45),
    "LCP": (1300, 0.5),
    "INP": (90, 0.7),
    "FID": (6, 0.9),
    "TTI": (1900, 0.5),
    "CLS": (0.03, 1.1),
}
ENDPOINTS = ["/api/cart", "/api/products/{id}", "/api/search", "/api/recommendations", "/api/user"]


def _pick(rng: random.Random, items):
    return rng.choices(items, weights=[item[1] for item in items])[0]


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


@dataclass
class DemoResult:
    page_views: int
    beacons: int
    accepted: int
    rejected: dict[int, int]


def page_view(rng: random.Random, site: str, host: str) -> tuple[dict[str, str], list[dict]]:
    """The request headers and the beacons of one synthetic page view."""
    path, _, path_factor = _pick(rng, PATHS)
    path = path.format(id=rng.randint(1, 5000), slug=rng.choice(["launch", "tips", "release-notes"]))
    agent, _, device_factor, measurable = _pick(rng, BROWSERS)
    connection, _, net_factor = _pick(rng, CONNECTIONS)
    country = _pick(rng, COUNTRIES)[0]
    slow = path_factor * device_factor
    pv = secrets.token_hex(8)
    url = f"https://{host}{path}" + ("?utm_source=newsletter&session=abc123" if rng.random() < 0.1 else "")

    ttfb = _lognormal(rng, MEDIANS["TTFB"][0] * net_factor, MEDIANS["TTFB"][1])
    values: dict[str, float] = {"TTFB": ttfb}
    values["FCP"] = ttfb + _lognormal(rng, (MEDIANS["FCP"][0] - 180) * slow * math.sqrt(net_factor), 0.45)
    values["LCP"] = values["FCP"] + _lognormal(rng, (MEDIANS["LCP"][0] - 700) * slow, 0.6)
    values["TTI"] = values["LCP"] + _lognormal(rng, 600 * slow, 0.6)
    values["INP"] = _lognormal(rng, MEDIANS["INP"][0] * device_factor, MEDIANS["INP"][1])
    values["FID"] = _lognormal(rng, MEDIANS["FID"][0] * device_factor, MEDIANS["FID"][1])
    values["CLS"] = min(5.0, _lognormal(rng, MEDIANS["CLS"][0] * path_factor, MEDIANS["CLS"][1]))

    dns, connect, tls = (_lognormal(rng, m * net_factor, 0.6) for m in (15, 25, 30))
    server = max(1.0, ttfb - dns - connect - tls)
    download = _lognormal(rng, 30 * net_factor, 0.6)
    render = _lognormal(rng, 500 * slow, 0.5)
    nav = {
        "dns": dns,
        "connect": connect,
        "tls": tls,
        "server": server,
        "download": download,
        "render": render,
        "load": ttfb + download + render + _lognormal(rng, 200, 0.5),
        "size": rng.randint(8_000, 90_000),
        "st": [["db", _lognormal(rng, 40, 0.7)], ["app", _lognormal(rng, 60, 0.5)]],
    }
    base = {
        "v": 1,
        "site": site,
        "pv": pv,
        "url": url,
        "rel": _pick(rng, RELEASES)[0],
        "ref": rng.choice(["", "https://www.google.com/", "https://news.ycombinator.com/", ""]),
        "ctx": {
            "et": connection,
            "rtt": int(_lognormal(rng, 60 * net_factor, 0.4)),
            "dl": 10 / net_factor,
            "cpu": rng.choice([4, 8, 8, 12]),
            "mem": rng.choice([4, 8, 8]),
            "vw": 1280,
            "vh": 720,
        },
    }
    early = [{"k": "vital", "n": n, "v": round(values[n], 2)} for n in ("TTFB", "FCP") if n in measurable]
    late = [
        {"k": "vital", "n": n, "v": round(values[n], 4 if n == "CLS" else 2)}
        for n in ("LCP", "CLS", "INP", "FID", "TTI")
        if n in measurable
    ]
    for _ in range(rng.randint(0, 4)):
        endpoint = rng.choice(ENDPOINTS).format(id=rng.randint(1, 900))
        status = 500 if rng.random() < 0.03 else 200
        late.append(
            {
                "k": "api",
                "m": "GET",
                "u": f"https://{host}{endpoint}?q=1",
                "s": status,
                "d": round(_lognormal(rng, 120 * net_factor, 0.6), 1),
                "ts": round(values["FCP"] + 50, 1),
            }
        )
    if rng.random() < 0.05:
        late.append(
            {
                "k": "error",
                "m": "TypeError: Cannot read properties of undefined (reading 'price')",
                "src": f"https://{host}/static/app.js",
                "line": 311,
                "col": 17,
                "stack": f"TypeError: ...\n    at render (https://{host}/static/app.js:311:17)",
            }
        )
    for kind, count, size in (
        ("script", 12, 60_000),
        ("css", 3, 20_000),
        ("img", 20, 40_000),
        ("font", 2, 30_000),
    ):
        n = max(1, int(rng.gauss(count, count / 4)))
        cached = rng.randint(0, n)
        transfer = int(n * _lognormal(rng, size, 0.5))
        late.append(
            {
                "k": "res",
                "t": kind,
                "h": host,
                "n": n,
                "tb": transfer,
                "eb": transfer,
                "db": transfer * 3,
                "ch": cached,
                "d": n * _lognormal(rng, 80 * net_factor, 0.5),
                "dm": _lognormal(rng, 300, 0.5),
                "su": f"https://{host}/static/{kind}/main.{kind}",
            }
        )
    now = values["LCP"] + _lognormal(rng, 20_000, 1.0)
    beacons = [
        {**base, "seq": 0, "nt": "navigate", "now": round(values["LCP"], 1), "nav": nav, "ev": early},
        {**base, "seq": 1, "last": True, "nt": "navigate", "now": round(now, 1), "ev": late},
    ]
    headers = {"user-agent": agent, "content-type": "text/plain;charset=UTF-8"}
    if country:
        headers["cf-ipcountry"] = country
    return headers, beacons


def run_demo(
    url: str,
    *,
    site: str = "demo",
    page_views: int = 500,
    seed: int | None = None,
    origin: str | None = None,
    host: str = "shop.example",
    workers: int = 4,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Send the beacons of `page_views` made-up page views; `progress` hears of every tenth of them."""
    rng = random.Random(seed)
    plan = [page_view(rng, site, host) for _ in range(page_views)]
    endpoint = url.rstrip("/") + "/beacon"
    accepted = 0
    rejected: dict[int, int] = {}

    def send(item) -> list[int]:
        headers, beacons = item
        if origin:
            headers = {**headers, "origin": origin}
        return [client.post(endpoint, content=orjson.dumps(b), headers=headers).status_code for b in beacons]

    with httpx.Client(timeout=10) as client, ThreadPoolExecutor(workers) as pool:
        step = max(1, page_views // 10)
        for done, statuses in enumerate(pool.map(send, plan), 1):
            if progress is not None and (done % step == 0 or done == page_views):
                progress(f"{done}/{page_views} page views sent")
            for status in statuses:
                if status == 204:
                    accepted += 1
                else:
                    rejected[status] = rejected.get(status, 0) + 1
    return DemoResult(page_views, sum(len(b) for _, b in plan), accepted, rejected)
