"""The backend alert preset on a simulated clock, over spans a real app exported: the OpenTelemetry SDK
(explicit start and end times on a timeline 45 minutes long, 2 hours ago) and its OTLP protobuf exporter
into a real `rumhouse serve`; then the real evaluator steps through that timeline minute by minute on the
stopped server's data (support/alert_replay.py), and the restarted server lists what it found.

The timeline (one request every 5 s per endpoint, a health check every second):
- GET /checkout: ~120 ms, but ~700 ms in minutes 10-25: the 500 ms warning, held 5 minutes, fires;
- GET /search: ~80 ms, but ~1500 ms in minutes 30-34: the 1000 ms critical (held 2 minutes) fires, and
  the warning goes pending and back to ok without a word (4 minutes < its 5);
- POST /pay: every 10th request a 500 from minute 20: its error rate passes 5% while the service's
  (every endpoint together) stays under it, so only a rule judging each endpoint on its own sees it.
Expected times and values are computed here from the requests as sent.
"""

from __future__ import annotations

import random
import statistics

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from support.alert_replay import RECORDER, first_sustained, replay_alerts
from support.load import wait_until
from support.otlp import ADMIN, ingest_token
from support.server import CONFIG, RumhouseServer

pytestmark = pytest.mark.slow

MINUTE = 60
LENGTH = 45 * MINUTE
SERVICE = "shop-api"
RULES = (
    """
[[alerts]]
preset = "backend"
site = "demo"
channels = ["rec"]
"""
    + RECORDER
)


def timeline(t0: int) -> list[dict]:
    """Every request: endpoint, start (epoch s), duration (ms), failed."""
    rng = random.Random(15)
    sent = []
    for second in range(0, LENGTH):
        minute = second // MINUTE
        start = t0 + second + 0.5
        sent.append({"endpoint": "GET /health", "start": start, "ms": rng.uniform(1, 3), "failed": False})
        if second % 5:
            continue
        n = second // 5
        checkout = rng.uniform(650, 800) if 10 <= minute < 25 else rng.uniform(100, 140)
        search = rng.uniform(1400, 1600) if 30 <= minute < 34 else rng.uniform(60, 100)
        sent.append({"endpoint": "GET /checkout", "start": start + 0.1, "ms": checkout, "failed": False})
        sent.append({"endpoint": "GET /search", "start": start + 0.2, "ms": search, "failed": False})
        failed = minute >= 20 and n % 10 == 0
        sent.append(
            {"endpoint": "POST /pay", "start": start + 0.3, "ms": rng.uniform(40, 60), "failed": failed}
        )
    return sent


def export(server, token: str, sent: list[dict]) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
    exporter = OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces", headers={"authorization": f"Bearer {token}"}
    )
    # A queue for every span: the SDK drops what does not fit, and this test wants all of them.
    provider.add_span_processor(
        BatchSpanProcessor(exporter, max_queue_size=len(sent) + 1, max_export_batch_size=512)
    )
    tracer = provider.get_tracer("shop")
    for r in sent:
        method, route = r["endpoint"].split(" ")
        start_ns = int(r["start"] * 1e9)
        span = tracer.start_span(
            r["endpoint"],
            kind=SpanKind.SERVER,
            start_time=start_ns,
            attributes={
                "http.request.method": method,
                "http.route": route,
                "http.response.status_code": 500 if r["failed"] else 200,
            },
        )
        if r["failed"]:
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=start_ns + int(r["ms"] * 1e6))
    provider.shutdown()


def in_window(sent, t, seconds, endpoint=None):
    return [r for r in sent if t - seconds <= r["start"] < t and endpoint in (None, r["endpoint"])]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backend-alerts") / "data"
    config = CONFIG + RULES
    server = RumhouseServer(folder, config=config).start()
    t0 = (int(server.scalar("SELECT toUnixTimestamp(now())")) // MINUTE - 120) * MINUTE
    sent = timeline(t0)
    try:
        export(server, ingest_token(server, "demo"), sent)
        wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces") == len(sent), timeout=60)
    finally:
        server.close()
    result = replay_alerts(folder, RULES, t0, t0 + LENGTH + 5 * MINUTE, MINUTE)
    restarted = RumhouseServer(folder, config=config).start()
    yield t0, sent, result, restarted
    restarted.close()


def endpoint_rule(rule: str, endpoint: str) -> str:
    return f"backend.{rule}[{SERVICE} {endpoint}]"


def fired(result, rule):
    return [c for c in result["changes"] if c["rule"] == rule and c["to"] == "firing"]


def test_a_slow_endpoint_fires_the_warning_after_five_minutes_and_resolves(replayed):
    t0, sent, result, _ = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 6)]

    def slow(t):
        window = in_window(sent, t, MINUTE, "GET /checkout")
        return len(window) >= 5 and statistics.fmean(r["ms"] for r in window) > 500

    expected_at = first_sustained(times, slow, 5 * MINUTE)
    assert expected_at == t0 + 16 * MINUTE  # slow from minute 10: first seen at 11, held until 16
    [firing] = fired(result, endpoint_rule("slow", "GET /checkout"))
    assert firing["at"] == expected_at
    window = in_window(sent, expected_at, MINUTE, "GET /checkout")
    assert firing["value"] == pytest.approx(statistics.fmean(r["ms"] for r in window), rel=1e-6)
    [resolved] = [
        c
        for c in result["changes"]
        if c["rule"] == endpoint_rule("slow", "GET /checkout") and c["to"] == "resolved"
    ]
    assert resolved["at"] == next(t for t in times if t > expected_at and not slow(t))
    # 700 ms is not critical; the other endpoints never fired the warning.
    assert not fired(result, endpoint_rule("very-slow", "GET /checkout"))
    assert not [c for c in result["changes"] if c["to"] == "firing" and "GET /health" in c["rule"]]


def test_a_short_very_slow_spell_is_critical_but_not_long_enough_for_the_warning(replayed):
    t0, sent, result, _ = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 6)]

    def mean_above(limit):
        def check(t):
            window = in_window(sent, t, MINUTE, "GET /search")
            return len(window) >= 5 and statistics.fmean(r["ms"] for r in window) > limit

        return check

    [critical] = fired(result, endpoint_rule("very-slow", "GET /search"))
    assert critical["at"] == first_sustained(times, mean_above(1000), 2 * MINUTE) == t0 + 33 * MINUTE
    assert first_sustained(times, mean_above(500), 5 * MINUTE) is None
    warning = [c for c in result["changes"] if c["rule"] == endpoint_rule("slow", "GET /search")]
    assert [(c["from"], c["to"]) for c in warning] == [("ok", "pending"), ("pending", "ok")]
    # The critical notification says so in its first words, and carries its severity and endpoint.
    [doc] = [
        d for d in result["sent"] if d["kind"] == "firing" and d["alerts"][0]["rule"] == critical["rule"]
    ]
    assert doc["summary"].startswith("[rumhouse] CRITICAL FIRING: backend.very-slow[shop-api GET /search]")
    assert doc["alerts"][0]["severity"] == "critical"
    assert doc["alerts"][0]["subject"] == "shop-api GET /search"


def test_error_rate_is_judged_per_endpoint_not_in_aggregate(replayed):
    t0, sent, result, _ = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 6)]

    def rate(t, endpoint=None):
        window = in_window(sent, t, 5 * MINUTE, endpoint)
        return sum(r["failed"] for r in window) / len(window) if len(window) >= 20 else None

    expected_at = next(t for t in times if (rate(t, "POST /pay") or 0) > 0.05)
    [firing] = fired(result, endpoint_rule("errors", "POST /pay"))
    assert firing["at"] == expected_at
    assert firing["value"] == pytest.approx(rate(expected_at, "POST /pay"))
    # The service as a whole never passed 5%: a rule on the aggregate would have stayed silent.
    assert max(rate(t) or 0 for t in times) < 0.05
    assert [c["rule"] for c in result["changes"] if c["to"] == "firing" and ".errors[" in c["rule"]] == [
        firing["rule"]
    ]


def test_the_api_lists_each_endpoint_alert_and_acknowledges_one(replayed):
    _, _, _, server = replayed
    listed = {a["rule"]: a for a in server.client.get("/api/v1/alerts", headers=ADMIN).json()["alerts"]}
    pay = listed[endpoint_rule("errors", "POST /pay")]
    assert (
        pay["state"] == "firing" and pay["severity"] == "warning" and pay["subject"] == "shop-api POST /pay"
    )
    assert listed[endpoint_rule("very-slow", "GET /search")]["state"] == "resolved"
    assert (
        listed["backend.errors"]["each"] == "endpoint"
        and listed["backend.very-slow"]["severity"] == "critical"
    )
    name = endpoint_rule("errors", "POST /pay")
    acked = server.client.post(f"/api/v1/alerts/{name}/ack", json={"note": "on it"}, headers=ADMIN)
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"] and acked.json()["state"] == "firing"
    unknown = server.client.post(
        "/api/v1/alerts/backend.errors[shop-api GET /nowhere/x/ack", json={}, headers=ADMIN
    )
    assert unknown.status_code == 404
