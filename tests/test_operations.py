"""Operations: a backend's long-running work as spans with `operation.name` (exported by the OpenTelemetry
SDK with known durations, queue waits, costs, failures and a retry), and a page's rumhouse.measure calls
(a beacon), on two sites. /operations answers one site; /operations/compare every site the token reads,
sorted; each figure is worked out here from what was sent."""

from __future__ import annotations

import secrets
import statistics
import time

import numpy
import orjson
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from support.load import wait_until
from support.otlp import ADMIN, ingest_token
from support.server import RumhouseServer

pytestmark = pytest.mark.slow

CONFIG = """
[[sites]]
key = "demo"
origins = ["*"]

[[sites]]
key = "shop"
origins = ["*"]

[[alerts]]
name = "ops-errors"
site = "demo"
metric = "operation_error_rate"
above = 0.2
each = "operation"
window = "1h"
min_samples = 3

[[alerts]]
name = "ops-stuck"
site = "demo"
metric = "operation_failures_in_a_row"
above = 2
each = "operation"
window = "1h"
min_samples = 1
severity = "critical"

[[alerts]]
name = "ops-spend"
site = "shop"
metric = "operation_cost"
above = 0.75
window = "1h"
min_samples = 1
"""


def export(server, site: str, service: str, operations: list[dict]) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    token = ingest_token(server, site)
    exporter = OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces", headers={"authorization": f"Bearer {token}"}
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("jobs")
    start = time.time_ns() - 120 * 10**9
    for i, op in enumerate(operations):
        with tracer.start_as_current_span("job", start_time=start + i * 10**9) as parent:
            attempts = op.get("attempts", [True])
            for k, ok in enumerate(attempts):
                began = start + i * 10**9 + k * 10**6
                attributes = {"operation.name": op["name"], "operation.model": op["model"]}
                attributes |= {
                    f"operation.{key}": op[key] for key in ("queue_wait_ms", "cost_usd") if key in op
                }
                attributes |= op.get("extra", {})
                span = tracer.start_span(op["name"], start_time=began, attributes=attributes)
                if not ok:
                    span.set_status(Status(StatusCode.ERROR))
                span.end(end_time=began + int(op["ms"] * 1e6))
            parent.end(end_time=start + i * 10**9 + 5 * 10**8)
    provider.shutdown()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = RumhouseServer(
        tmp_path_factory.mktemp("operations") / "data", config=CONFIG, RUMHOUSE_ALERT_INTERVAL="0"
    ).start()
    try:
        renders = [
            {
                "name": "render-image",
                "model": "sdxl",
                "ms": 1000 + 100 * i,
                "queue_wait_ms": 50 * i,
                "cost_usd": 0.02,
            }
            for i in range(8)
        ]
        renders[3]["attempts"] = [False, True]  # failed once, retried in the same trace
        renders[5]["attempts"] = [False]  # failed for good
        encodes = [{"name": "encode-video", "model": "av1", "ms": 5000 + 500 * i} for i in range(4)]
        summaries = [
            {"name": "summarize", "model": "gpt-4o-mini", "ms": 800,
             "extra": {"gen_ai.usage.input_tokens": 2000, "gen_ai.usage.output_tokens": 500}}
            for _ in range(3)
        ]  # fmt: skip
        # Published once, then failing three times in a row.
        publishes = [
            {"name": "publish", "model": "", "ms": 100, "attempts": [ok]}
            for ok in (True, False, False, False)
        ]
        # One operation on two models: the fast one costs a fifth as much per run.
        upscales = [
            {"name": "upscale", "model": "esrgan-large", "ms": 800 + 10 * i, "cost_usd": 0.05}
            for i in range(5)
        ]
        upscales += [
            {"name": "upscale", "model": "esrgan-fast", "ms": 820 + 10 * i, "cost_usd": 0.01}
            for i in range(5)
        ]
        export(server, "demo", "studio", renders + encodes + summaries + publishes + upscales)
        export(
            server, "shop", "exports", [{"name": "export-csv", "model": "", "ms": 300, "cost_usd": 0.5}] * 2
        )
        measures = [
            {"k": "measure", "n": "checkout", "v": v, "tags": {"status": status}, "ts": 100}
            for v, status in ((1200, "ok"), (1500, "ok"), (900, "error"))
        ]
        beacon = {"site": "demo", "pv": secrets.token_hex(8), "url": "https://a.example/", "last": True, "now": 500,
                  "nav": {}, "ev": measures}  # fmt: skip
        assert server.post(orjson.dumps(beacon)).status_code == 204
        wait_until(
            lambda: (
                server.scalar("SELECT count() FROM rumhouse.otel_traces WHERE operation_name != ''")
                == 8 + 1 + 4 + 3 + 4 + 10 + 2
            )
        )
        wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.measures") == 3)
        yield server, renders
    finally:
        server.close()


def api(server, route: str, token: str = "", **params) -> list[dict]:
    now = int(time.time() * 1000)
    window = {"from": str(now - 3_600_000), "to": str(now + 60_000)} if route == "/operations" else {}
    headers = {"authorization": f"Bearer {token}"} if token else ADMIN
    answer = server.client.get(f"/api/v1{route}", params={**window, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def test_an_operation_with_failures_a_retry_queue_waits_and_costs(served):
    server, renders = served
    rows = {(r["service"], r["name"]): r for r in api(server, "/operations", site="demo")}
    render = rows[("studio", "render-image")]
    # 8 jobs, one with two attempts: 9 operations, 2 failed, 1 retry (after the failure, same trace).
    assert (render["count"], render["successes"], render["failures"], render["retries"]) == (9, 7, 2, 1)
    assert render["success_rate"] == pytest.approx(7 / 9) and render["retries_per_success"] == pytest.approx(
        1 / 7
    )
    durations = [r["ms"] for r in renders] + [renders[3]["ms"]]
    assert render["p50_ms"] == pytest.approx(numpy.percentile(durations, 50), abs=0.01)
    assert render["p95_ms"] == pytest.approx(numpy.percentile(durations, 95), abs=0.01)
    waits = [r["queue_wait_ms"] for r in renders] + [renders[3]["queue_wait_ms"]]
    assert render["queue_wait_ms"] == pytest.approx(statistics.fmean(waits))
    assert render["cost_usd"] == pytest.approx(9 * 0.02) and render[
        "cost_per_operation_usd"
    ] == pytest.approx(0.02)
    assert render["per_hour"] == pytest.approx(9, rel=0.02)  # a window of one hour and a minute
    # No cost said, no tokens: unknown, not zero.
    assert rows[("studio", "encode-video")]["cost_usd"] is None
    # AI tokens on an operation's spans are priced by its model (the shipped price of gpt-4o-mini).
    assert rows[("studio", "summarize")]["cost_usd"] == pytest.approx(3 * (2000 * 0.15 + 500 * 0.60) / 1e6)
    # The page's measures: operations of the page, failed when their status tag says so.
    checkout = rows[("page", "checkout")]
    assert (checkout["count"], checkout["failures"]) == (3, 1)
    assert checkout["p50_ms"] == pytest.approx(numpy.percentile([1200, 1500, 900], 50))


def test_suggestions_a_cheaper_model_failures_and_queue_waits(served):
    server, renders = served
    now = int(time.time() * 1000)
    window = {"site": "demo", "from": str(now - 3_600_000), "to": str(now + 60_000)}
    answer = server.client.get("/api/v1/suggestions", params=window, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    found = {s["subject"]: s for s in answer.json()["suggestions"]}
    assert answer.json()["considered"] >= 3
    # esrgan-large: 0.05 a run, 5 runs; esrgan-fast 0.01, as fast and reliable. The site's operation cost:
    # renders (9 x 0.02), upscales (5 x 0.05 + 5 x 0.01), summaries (their tokens at gpt-4o-mini's price).
    total = 9 * 0.02 + 5 * 0.05 + 5 * 0.01 + 3 * (2000 * 0.15 + 500 * 0.60) / 1e6
    model = found["operation_model:studio:upscale:esrgan-large"]
    assert model["evidence"]["instead"] == "esrgan-fast"
    assert model["impact"] == pytest.approx(5 * (0.05 - 0.01) / total, abs=1e-4)
    # render-image: 2 of its 9 runs failed.
    failing = found["operation_failures:studio:render-image:sdxl"]
    assert failing["impact"] == pytest.approx(2 / 9, abs=1e-4)
    assert (failing["evidence"]["failures"], failing["evidence"]["retries"]) == (2, 1)
    # Its runs wait 172 ms on average against a median run of 1.3 s.
    waits = [r["queue_wait_ms"] for r in renders] + [renders[3]["queue_wait_ms"]]
    durations = [r["ms"] for r in renders] + [renders[3]["ms"]]
    share = statistics.fmean(waits) / (statistics.fmean(waits) + float(numpy.percentile(durations, 50)))
    queue = found["operation_queue:studio:render-image:sdxl"]
    assert queue["impact"] == pytest.approx(share, abs=1e-4)


def test_the_comparison_spans_the_sites_a_token_reads_sorted(served):
    server, _ = served
    everything = api(server, "/operations/compare", period="7d", sort="cost")
    assert {r["site"] for r in everything} == {"demo", "shop"}
    costs = [r["cost_usd"] for r in everything if r["cost_usd"] is not None]
    assert costs == sorted(costs, reverse=True) and everything[0]["name"] == "export-csv"  # 2 x 0.5 USD
    by_errors = api(server, "/operations/compare", period="all", sort="error_rate")
    rates = [1 - r["success_rate"] for r in by_errors]
    assert rates == sorted(rates, reverse=True) and by_errors[0]["name"] == "publish"  # 3 of 4
    fastest_first = api(server, "/operations/compare", period="30d", sort="time", order="asc")
    times = [r["p95_ms"] for r in fastest_first]
    assert times == sorted(times)
    # A token of one site compares that site only.
    viewer = server.client.post(
        "/api/v1/tokens", json={"role": "viewer", "sites": ["shop"]}, headers=ADMIN
    ).json()["token"]
    assert {r["site"] for r in api(server, "/operations/compare", viewer)} == {"shop"}
    refused = server.client.get(
        "/api/v1/operations/compare", params={"site": "demo"}, headers={"authorization": f"Bearer {viewer}"}
    )
    assert refused.status_code == 403


def test_alerts_on_error_rate_failures_in_a_row_and_cost(served):
    server, _ = served
    evaluated = server.client.post("/api/v1/alerts/evaluate", headers=ADMIN)
    assert evaluated.status_code == 200, evaluated.text
    fired = sorted(c["rule"] for c in evaluated.json()["changes"] if c["to"] == "firing")
    # Each operation on its own: render-image failed 2 of 9 (over 20%), publish 3 of 4; the rest never.
    # Publish failed three times after its last success (over 2); the shop's exports cost 1.00 USD.
    assert fired == [
        "ops-errors[studio publish]",
        "ops-errors[studio render-image sdxl]",
        "ops-spend",
        "ops-stuck[studio publish]",
    ]
    listed = {a["rule"]: a for a in server.client.get("/api/v1/alerts", headers=ADMIN).json()["alerts"]}
    assert (
        listed["ops-stuck[studio publish]"]["value"] == 3
        and listed["ops-stuck[studio publish]"]["severity"] == "critical"
    )
    assert listed["ops-errors[studio render-image sdxl]"]["value"] == pytest.approx(2 / 9)
    assert listed["ops-spend"]["value"] == pytest.approx(1.0)
