"""Custom measures and Server-Timing by path, from beacons as rum.js sends them (a server of its own):
/measures per name and /server-timing per path and entry, against numpy over the values sent."""

from __future__ import annotations

import random
import secrets
import time

import numpy
import orjson
import pytest

from support.load import wait_until
from support.otlp import ADMIN
from support.server import RumhouseServer

pytestmark = pytest.mark.slow


def beacons(rng: random.Random) -> tuple[list[dict], dict, dict]:
    sent, measures, timings = [], {}, {}
    for i in range(60):
        path = "/checkout" if i % 3 else "/search"
        db, app = round(rng.uniform(5, 120), 1), round(rng.uniform(1, 40), 1)
        timings.setdefault((path, "db"), []).append(db)
        timings.setdefault((path, "app"), []).append(app)
        events = []
        for name in ("checkout-step", "render-map") if path == "/checkout" else ("render-map",):
            value = round(rng.uniform(10, 900), 1)
            measures.setdefault(name, []).append(value)
            events.append({"k": "measure", "n": name, "v": value, "ts": 500})
        nav = {"st": [["db", db], ["app", app]], "load": 900}
        sent.append({"site": "demo", "pv": secrets.token_hex(8), "url": f"https://shop.example{path}", "last": True,
                     "now": 1000, "nav": nav, "ev": events})  # fmt: skip
    return sent, measures, timings


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = RumhouseServer(tmp_path_factory.mktemp("measures") / "data").start()
    sent, measures, timings = beacons(random.Random(5))
    try:
        for beacon in sent:
            assert server.post(orjson.dumps(beacon)).status_code == 204
        wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.page_views") == len(sent))
        wait_until(
            lambda: server.scalar("SELECT count() FROM rumhouse.measures") == sum(map(len, measures.values()))
        )
        yield server, measures, timings
    finally:
        server.close()


def api(server, route: str) -> list[dict]:
    # From and to: "1h" ends at the current second, before rows of this very second.
    now = int(time.time() * 1000)
    window = {"site": "demo", "from": str(now - 3_600_000), "to": str(now + 60_000)}
    answer = server.client.get(f"/api/v1{route}", params=window, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def test_custom_measures_per_name(served):
    server, measures, _ = served
    rows = {r["name"]: r for r in api(server, "/measures")}
    assert set(rows) == set(measures)
    for name, values in measures.items():
        row = rows[name]
        assert (row["count"], row["page_views"]) == (len(values), len(values))
        assert row["mean"] == pytest.approx(numpy.mean(values))
        for p in (50, 75, 95):
            assert row[f"p{p}"] == pytest.approx(numpy.percentile(values, p))


def test_server_timing_per_path_and_entry(served):
    server, _, timings = served
    rows = {(r["path"], r["entry"]): r for r in api(server, "/server-timing")}
    assert set(rows) == set(timings)
    for key, values in timings.items():
        assert rows[key]["page_views"] == len(values)
        for p in (50, 75, 95):
            # Durations are stored as Float32: within its precision of the values sent.
            assert rows[key][f"p{p}"] == pytest.approx(numpy.percentile(values, p), rel=1e-5)
