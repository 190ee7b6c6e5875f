"""Database advice with its evidence, on a server of its own (the suggestions rank a site's whole data):
connection-pool use from metrics a real app records with the OpenTelemetry SDK (a pool of 4 connections,
exported through the OTLP protobuf metric exporter), N+1 and slow statements from spans of known
durations; the pool route, the ranked suggestions, a status set on one, and the backend preset's pool
alert firing."""

from __future__ import annotations

import secrets
import time

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from support.load import wait_until
from support.otlp import ADMIN, attr, ingest_token, post_spans, span
from support.server import CONFIG, RumhouseServer

pytestmark = pytest.mark.slow

PRESET = '\n[[alerts]]\npreset = "backend"\nsite = "shop"\n'
POOL_MAX = 4
HELD = [2, 4, 0]  # connections in use at each export
EXPORTED = [*HELD, HELD[-1]]  # the provider's shutdown exports the last state once more


class Pool:
    """A connection pool that reports itself as OpenTelemetry's semantic conventions ask."""

    def __init__(self, meter, name: str, size: int) -> None:
        self.attrs = {"db.client.connection.pool.name": name}
        self.count = meter.create_up_down_counter("db.client.connection.count", unit="{connection}")
        self.max = meter.create_up_down_counter("db.client.connection.max", unit="{connection}")
        self.max.add(size, self.attrs)
        self.count.add(size, {**self.attrs, "db.client.connection.state": "idle"})
        self.used = 0

    def hold(self, n: int) -> None:
        change, self.used = n - self.used, n
        self.count.add(change, {**self.attrs, "db.client.connection.state": "used"})
        self.count.add(-change, {**self.attrs, "db.client.connection.state": "idle"})


@pytest.fixture(scope="module")
def advised(tmp_path_factory):
    server = RumhouseServer(
        tmp_path_factory.mktemp("advice") / "data", config=CONFIG + PRESET, RUMHOUSE_ALERT_INTERVAL="0"
    ).start()
    try:
        token = ingest_token(server, "shop")
        # The pool, through the SDK: one export per state.
        exporter = OTLPMetricExporter(
            endpoint=f"{server.url}/v1/metrics", headers={"authorization": f"Bearer {token}"}
        )
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        provider = MeterProvider(
            resource=Resource.create({"service.name": "orders-api"}), metric_readers=[reader]
        )
        pool = Pool(provider.get_meter("pool"), "main", POOL_MAX)
        for n in HELD:
            pool.hold(n)
            assert reader.force_flush()
            time.sleep(0.01)  # each export its own time
        provider.shutdown()
        # Spans: 4 requests of 100 ms, each running one statement 8 times (5 ms each): N+1. One request of
        # 500 ms with 3 slow statements (150 ms each) filtering on orders.email.
        now = time.time_ns() - 30 * 10**9
        spans = []
        for i in range(4):
            trace = secrets.token_hex(16)
            start = now + i * 10**9
            spans.append(span(trace, "GET /orders", 2, start, 100, [attr("http.route", "/orders")]))
            for k in range(8):
                query = f"SELECT * FROM items WHERE order_id = {k}"
                spans.append(
                    span(
                        trace,
                        "SELECT",
                        3,
                        start + k * 10**7,
                        5,
                        [attr("db.system.name", "sqlite"), attr("db.query.text", query)],
                    )
                )
        trace = secrets.token_hex(16)
        spans.append(span(trace, "GET /search", 2, now, 500, [attr("http.route", "/search")]))
        for k in range(3):
            query = f"SELECT * FROM orders WHERE email = 'u{k}@example.com'"
            spans.append(
                span(
                    trace,
                    "SELECT",
                    3,
                    now + k * 10**6,
                    150,
                    [attr("db.system.name", "sqlite"), attr("db.query.text", query)],
                )
            )
        assert post_spans(server, token, "orders-api", spans).status_code == 200
        wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces") == len(spans))
        wait_until(
            lambda: server.scalar("SELECT count() FROM rumhouse.otel_metrics_sum") >= 3 * len(EXPORTED)
        )
        yield server
    finally:
        server.close()


def test_the_pool_route_reads_the_sdk_metrics(advised):
    [pool] = advised.client.get("/api/v1/database/pools", params={"site": "shop"}, headers=ADMIN).json()[
        "rows"
    ]
    assert (pool["service"], pool["pool"], pool["max_connections"]) == ("orders-api", "main", POOL_MAX)
    assert (pool["peak_used"], pool["last_used"], pool["observations"]) == (
        max(HELD),
        HELD[-1],
        len(EXPORTED),
    )
    assert pool["avg_used"] == pytest.approx(sum(EXPORTED) / len(EXPORTED))
    assert pool["peak_use"] == pytest.approx(max(HELD) / POOL_MAX)
    assert pool["saturated_share"] == pytest.approx(
        sum(n >= 0.9 * POOL_MAX for n in EXPORTED) / len(EXPORTED)
    )


def test_suggestions_rank_the_database_advice_with_its_evidence(advised):
    answer = advised.client.get("/api/v1/suggestions", params={"site": "shop"}, headers=ADMIN).json()
    found = {s["kind"]: s for s in answer["suggestions"]}
    # Expected impacts, from the durations sent: the slow calls' share of database time, the repeated
    # statement's share of its requests' time, the share of pool observations at 90% or more.
    db_ms = 4 * 8 * 5 + 3 * 150
    assert found["index"]["impact"] == pytest.approx(3 * 150 / db_ms, abs=1e-4)
    assert (found["index"]["evidence"]["table"], found["index"]["evidence"]["column"]) == ("orders", "email")
    assert found["index"]["evidence"]["slow_calls"] == 3
    assert found["n_plus_one"]["impact"] == pytest.approx(4 * 8 * 5 / (4 * 100), abs=1e-4)
    evidence = found["n_plus_one"]["evidence"]
    assert evidence["statement"] == "SELECT * FROM items WHERE order_id = ?"
    assert (evidence["route"], evidence["requests"], evidence["max_runs"]) == ("/orders", 4, 8)
    assert found["pool"]["impact"] == pytest.approx(
        sum(n >= 0.9 * POOL_MAX for n in EXPORTED) / len(EXPORTED), abs=1e-4
    )
    assert [s["kind"] for s in answer["suggestions"]][:3] == ["index", "n_plus_one", "pool"]
    # Status tracking, as for every suggestion.
    key = found["n_plus_one"]["id"]
    put = advised.client.put(
        f"/api/v1/suggestions/{key}", params={"site": "shop"}, json={"status": "accepted"}, headers=ADMIN
    )
    assert put.status_code == 200, put.text
    again = advised.client.get("/api/v1/suggestions", params={"site": "shop"}, headers=ADMIN).json()
    assert {s["id"]: s["status"] for s in again["suggestions"]}[key] == "accepted"


def test_the_preset_pool_alert_fires_over_90_percent(advised):
    evaluated = advised.client.post("/api/v1/alerts/evaluate", headers=ADMIN)
    assert evaluated.status_code == 200, evaluated.text
    fired = {c["rule"] for c in evaluated.json()["changes"] if c["to"] == "firing"}
    assert "backend.db-pool" in fired
    listed = {a["rule"]: a for a in advised.client.get("/api/v1/alerts", headers=ADMIN).json()["alerts"]}
    assert listed["backend.db-pool"]["value"] == pytest.approx(max(HELD) / POOL_MAX)
