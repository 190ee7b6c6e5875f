"""Third-party services and other dependencies, from real parts.

Two services (Starlette apps under OpenTelemetry's ASGI middleware, calling out through httpx clients
instrumented by OpenTelemetry's httpx instrumentation, exported by the SDK's OTLP exporter) call a
payment provider (a local server that waits and answers as each request asks) and a stock service; the
payment provider fails some calls with a 503 and both services fail those requests. A page's beacon
reports calls to another host and to its own. Older spans (OTLP JSON) give a dependency hour by hour.

What the API says is checked against figures worked out here from what was asked of the fakes: calls,
availability, p50/p95 (each call takes its injected delay plus loopback time, never less), SLA targets of
the configuration, the map's edges, and the dependency the failing services share.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time

import httpx
import numpy
import orjson
import pytest
import uvicorn
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from support.alert_replay import RECORDER, changes, first_sustained, replay_alerts
from support.load import run_in_thread, wait_until
from support.otlp import ADMIN, attr, ingest_token, post_spans, span
from support.server import CONFIG, RumhouseServer, free_port

pytestmark = pytest.mark.slow

CLIENT = 3  # OTLP span kind
HOUR_NS = 3600 * 10**9
SLACK_MS = 25  # what a loopback call may add to its injected delay on a busy machine


def provider_app() -> Starlette:
    """The payment provider and the stock service in one fake: each request says how long to take and
    what to answer."""

    async def charge(request):
        await asyncio.sleep(float(request.query_params["ms"]) / 1000)
        return Response(status_code=int(request.query_params["status"]))

    async def stock(request):
        return JSONResponse({"in_stock": True})

    return Starlette(routes=[Route("/charge", charge), Route("/stock", stock)])


def service(provider: TracerProvider, fake: str, *, calls_stock: bool) -> OpenTelemetryMiddleware:
    """A service that charges through the provider (peer.service "payments", as a request hook says) and
    fails its request when the charge fails; `?boom=1` fails it for a reason of its own."""

    async def name_peer(span, request):  # an async client calls async hooks only
        if request.url.path == "/charge":
            span.set_attribute("peer.service", "payments")

    async def handle(request):
        if request.query_params.get("boom"):
            return Response(status_code=500)
        async with httpx.AsyncClient() as client:
            HTTPXClientInstrumentor.instrument_client(client, provider, request_hook=name_peer)
            if calls_stock:
                await client.get(f"{fake}/stock")
            q = request.query_params
            charged = await client.get(f"{fake}/charge", params={"ms": q["ms"], "status": q["status"]})
        return Response(status_code=200 if charged.status_code < 400 else 500)

    return OpenTelemetryMiddleware(Starlette(routes=[Route("/pay", handle)]), tracer_provider=provider)


def plan() -> dict[str, list[dict]]:
    """Each service's requests: the charge's delay and answer."""
    checkout = [{"ms": 20 + 9 * i, "status": 503 if i % 10 == 3 else 200} for i in range(40)]
    billing = [{"ms": 400 + 10 * i, "status": 503 if i % 7 == 2 else 200} for i in range(20)]
    return {"checkout": checkout, "billing": billing}


# The page: two calls to the payment provider's public API (another host), one to its own API.
PAGE_CALLS = [
    {"u": "https://api.stripe.example/v1/tokens", "s": 200, "d": 180.0},
    {"u": "https://api.stripe.example/v1/tokens", "s": 0, "d": 30.0},
    {"u": "https://api.stripe.example/v1/tokens", "s": 200, "d": 250.0},
    {"u": "https://shop.example/api/cart", "s": 200, "d": 40.0},
]

# A chatty dependency (OTLP JSON): each of 4 catalog requests (200 ms) calls pricing-api 8 times, 15 ms each.
CHATTY = {"requests": 4, "calls": 8, "request_ms": 200.0, "call_ms": 15.0}

# Hour by hour (a dependency of its own, sent as OTLP JSON): (calls, failures, duration of each, ms).
HOURS = [(50, 0, 100.0), (50, 10, 100.0), (50, 0, 900.0)]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    fake_port = free_port()
    config = (
        CONFIG
        + f"""
[[dependencies]]
name = "payments"
availability = 99
p95_ms = 500

[[dependencies]]
name = "127.0.0.1:{fake_port}"
availability = 99.5

[[dependencies]]
name = "api.stripe.*"
p95_ms = 300

[[dependencies]]
name = "search-api"
availability = 95
p95_ms = 500
"""
    )
    server = RumhouseServer(tmp_path_factory.mktemp("dependencies") / "data", config=config).start()
    fake = uvicorn.Server(
        uvicorn.Config(provider_app(), host="127.0.0.1", port=fake_port, log_level="warning")
    )
    threading.Thread(target=fake.run, daemon=True).start()
    try:
        wait_until(lambda: fake.started, timeout=10)
        token = ingest_token(server, "demo")
        requests = plan()
        providers = {}
        for name in requests:
            providers[name] = TracerProvider(resource=Resource.create({"service.name": name}))
            exporter = OTLPSpanExporter(
                endpoint=f"{server.url}/v1/traces", headers={"authorization": f"Bearer {token}"}
            )
            providers[name].add_span_processor(BatchSpanProcessor(exporter, max_queue_size=10_000))
        url = f"http://127.0.0.1:{fake_port}"
        apps = {name: service(providers[name], url, calls_stock=name == "checkout") for name in requests}

        async def drive():
            for name, app in apps.items():
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://svc"
                ) as c:
                    for r in requests[name]:
                        answer = await c.get("/pay", params=r)
                        assert answer.status_code == (500 if r["status"] >= 400 else 200)
                    # A failure of checkout's own, no dependency to blame.
                    if name == "checkout":
                        assert (await c.get("/pay", params={"boom": "1"})).status_code == 500

        run_in_thread(asyncio.run, drive())
        for p in providers.values():
            p.shutdown()
        beacon = {"site": "demo", "pv": secrets.token_hex(8), "url": "https://shop.example/cart", "last": True,
                  "now": 900, "nav": {}, "ev": [{"k": "api", "m": "POST", **c} for c in PAGE_CALLS]}  # fmt: skip
        assert server.post(orjson.dumps(beacon)).status_code == 204
        now_ns = time.time_ns()
        first_hour = (now_ns // HOUR_NS - 5) * HOUR_NS
        for h, (calls, failures, ms) in enumerate(HOURS):
            spans = [
                span(
                    secrets.token_hex(16), "GET /search", CLIENT, first_hour + h * HOUR_NS + i * 10**9, ms,
                    [attr("peer.service", "search-api"), attr("http.request.method", "GET")],
                    error=i < failures,
                )
                for i in range(calls)
            ]  # fmt: skip
            assert post_spans(server, token, "web", spans).status_code == 200
        # Charges, stock calls, the hours' calls and the page's calls to another host: once the API counts
        # them all (the rollups are fed as each insert lands).
        expected = sum(len(r) for r in requests.values()) + len(requests["checkout"])
        expected += sum(h[0] for h in HOURS) + sum("stripe" in c["u"] for c in PAGE_CALLS)
        expected += CHATTY["requests"] * CHATTY["calls"]
        chatty = []
        for r in range(CHATTY["requests"]):
            trace, began = secrets.token_hex(16), now_ns - (r + 2) * 10**9
            request = span(trace, "GET /prices", 2, began, CHATTY["request_ms"],
                           [attr("http.route", "/prices"), attr("http.request.method", "GET")])  # fmt: skip
            chatty.append(request)
            for i in range(CHATTY["calls"]):
                call = span(trace, "GET", CLIENT, began + (i + 1) * 10**6, CHATTY["call_ms"],
                            [attr("peer.service", "pricing-api"), attr("http.request.method", "GET")])  # fmt: skip
                call["parentSpanId"] = request["spanId"]
                chatty.append(call)
        assert post_spans(server, token, "catalog", chatty).status_code == 200
        # pricing-api sends spans of its own: on the map, it is a service.
        served_by = span(secrets.token_hex(16), "GET /price", 2, now_ns - 10**9, 5.0,
                         [attr("http.route", "/price"), attr("http.request.method", "GET")])  # fmt: skip
        assert post_spans(server, token, "pricing-api", [served_by]).status_code == 200

        def counted() -> int:
            return sum(r["calls"] for r in api(server, "/dependencies", **window(first_hour)))

        wait_until(lambda: counted() == expected, timeout=60)
        yield server, requests, fake_port, first_hour
    finally:
        fake.should_exit = True
        server.close()


def window(first_hour: int | None = None) -> dict:
    now = int(time.time() * 1000)
    start = first_hour // 10**6 if first_hour else now - 3_600_000
    return {"site": "demo", "from": str(start), "to": str(now + 60_000)}


def api(server, route: str, **params) -> list[dict]:
    answer = server.client.get(f"/api/v1{route}", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def within_slack(got: float, injected: float) -> bool:
    return injected <= got <= injected + SLACK_MS


def test_a_third_party_service_calls_availability_latency_and_sla(served):
    server, requests, fake_port, _ = served
    rows = {(r["dependency"], r["kind"]): r for r in api(server, "/dependencies", **window())}
    payments = rows[("payments", "http")]
    charges = [r for rs in requests.values() for r in rs]
    failed = sum(1 for r in charges if r["status"] >= 400)
    assert (payments["calls"], payments["errors"]) == (len(charges), failed) == (60, 7)
    assert payments["availability"] == pytest.approx(1 - failed / len(charges))
    assert payments["callers"] == ["billing", "checkout"]
    delays = [r["ms"] for r in charges]
    for p in (50, 95, 99):
        assert within_slack(payments[f"p{p}_ms"], float(numpy.percentile(delays, p))), p
    # Targets: 99% available and p95 under 500 ms. 88% available: not met, and not in its one hour either.
    assert (payments["sla_availability"], payments["sla_p95_ms"], payments["sla_met"]) == (99, 500, False)
    assert payments["hours"] in (1, 2) and payments["hours_met"] == 0
    # The stock service, named by its address and port (no peer.service): every call answered.
    stock = rows[(f"127.0.0.1:{fake_port}", "http")]
    assert (stock["calls"], stock["errors"], stock["callers"]) == (40, 0, ["checkout"])
    assert stock["availability"] == 1 and stock["sla_met"] is True
    assert stock["sla_p95_ms"] is None and stock["hours_met"] == stock["hours"]


def test_the_pages_calls_to_other_hosts_are_dependencies_of_the_browser(served):
    server, *_ = served
    rows = {(r["dependency"], r["kind"]): r for r in api(server, "/dependencies", **window())}
    stripe = rows[("api.stripe.example", "http")]
    sent = [c for c in PAGE_CALLS if "stripe" in c["u"]]
    assert (stripe["calls"], stripe["errors"], stripe["callers"]) == (3, 1, ["browser"])  # status 0 failed
    assert stripe["p50_ms"] == pytest.approx(numpy.percentile([c["d"] for c in sent], 50))
    assert stripe["p95_ms"] == pytest.approx(numpy.percentile([c["d"] for c in sent], 95))
    assert stripe["sla_p95_ms"] == 300 and stripe["sla_met"] is True  # "api.stripe.*": p95 243 ms
    # The page's own host is no dependency.
    assert not [d for d, _ in rows if d.startswith("shop.example")]
    only = api(server, "/dependencies", kind="database", **window())
    assert only == []


def test_sla_compliance_hour_by_hour(served):
    server, _, _, first_hour = served
    rows = {r["dependency"]: r for r in api(server, "/dependencies", **window(first_hour))}
    search = rows["search-api"]
    calls = sum(h[0] for h in HOURS)
    failures = sum(h[1] for h in HOURS)
    durations = [ms for n, _, ms in HOURS for _ in range(n)]
    assert (search["calls"], search["errors"]) == (calls, failures)
    assert search["p95_ms"] == pytest.approx(numpy.percentile(durations, 95))
    # Hour 1 meets 95% and 500 ms; hour 2 is 80% available; hour 3's p95 is 900 ms.
    met = [(n - f) / n * 100 >= 95 and ms <= 500 for n, f, ms in HOURS]
    assert (search["hours"], search["hours_met"]) == (3, sum(met)) == (3, 1)
    # Over the three hours: 93.3% available (under 95), p95 900 ms: not met.
    assert search["sla_met"] is False
    series = api(
        server, "/dependencies/timeseries", dependency="search-api", bucket="60", **window(first_hour)
    )
    with_calls = [p for p in series if p["count"]]
    assert [(p["count"], p["errors"]) for p in with_calls] == [(n, f) for n, f, _ in HOURS]
    assert len(series) > len(with_calls)  # the hours without calls are there, as zero


def test_the_dependency_map(served):
    server, requests, fake_port, _ = served
    edges = {(e["caller"], e["dependency"]): e for e in api(server, "/dependencies/map", **window())}
    assert set(edges) == {
        ("checkout", "payments"),
        ("billing", "payments"),
        ("checkout", f"127.0.0.1:{fake_port}"),
        ("browser", "api.stripe.example"),
        ("catalog", "pricing-api"),
    }
    assert edges[("catalog", "pricing-api")]["dependency_is_service"] is True
    for name in ("checkout", "billing"):
        edge = edges[(name, "payments")]
        sent = requests[name]
        assert edge["calls"] == len(sent)
        assert edge["error_rate"] == pytest.approx(sum(r["status"] >= 400 for r in sent) / len(sent))
        assert within_slack(edge["p95_ms"], float(numpy.percentile([r["ms"] for r in sent], 95)))
        assert edge["dependency_is_service"] is False


def test_the_dependency_that_failing_services_share(served):
    server, requests, *_ = served
    [shared] = api(server, "/dependencies/shared-failures", **window())
    assert shared["dependency"] == "payments"
    assert shared["services"] == ["billing", "checkout"] and shared["service_count"] == 2
    failed = sum(r["status"] >= 400 for rs in requests.values() for r in rs)
    assert shared["failed_requests"] == shared["failed_calls"] == failed
    # checkout also failed once on its own: 7 of the two services' 8 failed requests.
    assert shared["share_of_failures"] == pytest.approx(failed / (failed + 1))
    trace = server.client.get(
        "/api/v1/trace", params={"trace_id": shared["example_trace_id"], **window()}, headers=ADMIN
    ).json()["rows"]
    assert any(s["kind"] == "Client" and s["status"] == "Error" for s in trace)
    # One service is not "several": asked for one, the list says so per dependency.
    assert api(server, "/dependencies/shared-failures", min_services="3", **window()) == []


def test_budgets_on_a_dependency_and_on_the_pages_calls(served):
    server, requests, *_ = served
    charges = [r for rs in requests.values() for r in rs]
    budgets = [
        {"name": "pay-errors", "site": "demo", "metric": "dependency_error_rate", "endpoint": "payments",
         "limit": 0.12, "window": "24h", "min_samples": 10},
        {"name": "pay-p95", "site": "demo", "metric": "dependency_duration", "stat": "p95",
         "endpoint": "pay*", "limit": 100, "window": "24h", "min_samples": 10},
        {"name": "stripe-errors", "site": "demo", "metric": "dependency_error_rate",
         "endpoint": "api.stripe.*", "limit": 0.5, "window": "24h", "min_samples": 1},
    ]  # fmt: skip
    for body in budgets:
        made = server.client.post("/api/v1/budgets", json=body, headers=ADMIN)
        assert made.status_code == 201, made.text
    status = server.client.get("/api/v1/budgets/status", params={"site": "demo"}, headers=ADMIN).json()
    rows = {r["name"]: r for r in status["budgets"]}
    failed = sum(r["status"] >= 400 for r in charges)
    assert rows["pay-errors"]["value"] == pytest.approx(failed / len(charges))  # 7 of 60, 11.7%: under 12%
    assert (rows["pay-errors"]["samples"], rows["pay-errors"]["state"]) == (60, "warning")  # over 80% of it
    p95 = float(numpy.percentile([r["ms"] for r in charges], 95))
    assert within_slack(rows["pay-p95"]["value"], p95) and rows["pay-p95"]["state"] == "breached"
    assert rows["stripe-errors"]["value"] == pytest.approx(1 / 3) and rows["stripe-errors"]["samples"] == 3
    # A page path means nothing to a dependency: refused with the reason.
    wrong = {**budgets[0], "name": "wrong", "path": "/checkout"}
    refused = server.client.post("/api/v1/budgets", json=wrong, headers=ADMIN)
    assert refused.status_code == 400 and "path" in refused.text


def test_suggestions_for_a_chatty_and_a_failing_dependency(served):
    server, requests, *_ = served
    answer = server.client.get("/api/v1/suggestions", params=window(), headers=ADMIN)
    assert answer.status_code == 200, answer.text
    found = {s["kind"]: s for s in answer.json()["suggestions"]}
    chatty = found["chatty_dependency"]
    calls_ms = CHATTY["calls"] * CHATTY["call_ms"]
    assert chatty["impact"] == pytest.approx(calls_ms / CHATTY["request_ms"], abs=1e-4)  # 120 of 200 ms
    assert (chatty["evidence"]["dependency"], chatty["evidence"]["max_calls"]) == ("pricing-api", 8)
    assert chatty["evidence"]["requests"] == CHATTY["requests"]
    failing = found["failing_dependency"]
    failed = sum(r["status"] >= 400 for rs in requests.values() for r in rs)
    served_requests = sum(len(rs) for rs in requests.values()) + 1  # and checkout's own failure
    assert failing["evidence"]["dependency"] == "payments"
    assert failing["impact"] == pytest.approx(failed / served_requests, abs=1e-4)  # 7 of 61 requests
    ranked = [s["impact"] for s in answer.json()["suggestions"]]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) <= 5


def test_bad_questions_are_refused_with_a_reason(served):
    server, *_ = served
    for params, words in (
        ({"kind": "dns"}, "kind"),
        ({"min_services": "-1"}, "min_services"),
        ({"path": "/x"}, "page dimensions"),
        ({"bucket": "7"}, "bucket"),
    ):
        route = "/dependencies/timeseries" if "bucket" in params else "/dependencies/shared-failures"
        route = "/dependencies" if "kind" in params else route
        answer = server.client.get(f"/api/v1{route}", params={**window(), **params}, headers=ADMIN)
        assert answer.status_code == 400 and words in answer.text, (params, answer.text)


# The dependency preset on a simulated clock (support/alert_replay.py), over 45 minutes of calls sent
# two hours ago: "web" calls search-api and its database every 5 s.
MINUTE = 60
LENGTH = 45 * MINUTE
PRESET = (
    """
[[alerts]]
preset = "dependencies"
site = "demo"
channels = ["rec"]
"""
    + RECORDER
)


def call_timeline(t0: int) -> list[dict]:
    """Every call: dependency, start (epoch s), ms, failed. search-api fails one call in five in minutes
    10-21, every call in minutes 26-28, and takes 2.5 s in minutes 32-36; the database never fails."""
    sent = []
    for second in range(0, LENGTH, 5):
        minute, n = second // MINUTE, second // 5
        failed = (10 <= minute < 22 and n % 5 == 0) or 26 <= minute < 29
        ms = 2500.0 if 32 <= minute < 37 else 50.0 + n % 30
        sent.append({"dependency": "search-api", "start": t0 + second + 0.5, "ms": ms, "failed": failed})
        sent.append({"dependency": "orders-db", "start": t0 + second + 1.5, "ms": 5.0, "failed": False})
    return sent


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dependency-alerts") / "data"
    server = RumhouseServer(folder, config=CONFIG + PRESET).start()
    t0 = (int(server.scalar("SELECT toUnixTimestamp(now())")) // MINUTE - 120) * MINUTE
    sent = call_timeline(t0)
    try:
        token = ingest_token(server, "demo")
        spans = [
            span(
                secrets.token_hex(16), "call", CLIENT, int(c["start"] * 1e9), c["ms"],
                [attr("peer.service", c["dependency"])], error=c["failed"],
            )
            for c in sent
        ]  # fmt: skip
        for i in range(0, len(spans), 200):
            assert post_spans(server, token, "web", spans[i : i + 200]).status_code == 200
        wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces") == len(sent), timeout=60)
    finally:
        server.close()
    yield t0, sent, replay_alerts(folder, PRESET, t0, t0 + LENGTH + 6 * MINUTE, MINUTE)


def test_the_preset_fires_when_a_dependency_degrades_and_resolves(replayed):
    t0, sent, result = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 7)]

    def calls(t, seconds):
        return [c for c in sent if c["dependency"] == "search-api" and t - seconds <= c["start"] < t]

    def rate_above(limit, seconds, least):
        def check(t):
            window = calls(t, seconds)
            return len(window) >= least and sum(c["failed"] for c in window) / len(window) > limit

        return check

    def p95_above(t):
        window = calls(t, 5 * MINUTE)
        return len(window) >= 10 and numpy.percentile([c["ms"] for c in window], 95) > 2000

    expected = {
        "dependencies.errors[search-api]": first_sustained(
            times, rate_above(0.05, 5 * MINUTE, 10), 5 * MINUTE
        ),
        "dependencies.down[search-api]": first_sustained(times, rate_above(0.5, MINUTE, 5), 2 * MINUTE),
        "dependencies.slow[search-api]": first_sustained(times, p95_above, 5 * MINUTE),
    }
    assert None not in expected.values()
    for rule, at in expected.items():
        firings = changes(result, rule, "firing")
        assert firings[0]["at"] == at, rule
        # Each firing resolves once the condition no longer holds, before the next firing.
        resolutions = changes(result, rule, "resolved")
        assert len(resolutions) == len(firings), rule
        for fired, resolved in zip(firings, resolutions, strict=True):
            assert resolved["at"] > fired["at"]
    # The 20% spell (minutes 10-21) and the outage (26-28): the warning fires for each, the critical for
    # the outage only, and the slow warning for the 2.5 s calls.
    assert len(changes(result, "dependencies.errors[search-api]", "firing")) == 2
    assert len(changes(result, "dependencies.down[search-api]", "firing")) == 1
    # The 20% spell fires the warning; the outage is critical, said so first in its notification.
    [down] = [d for d in result["sent"] if d["kind"] == "firing" and "down" in d["alerts"][0]["rule"]]
    assert down["summary"].startswith("[rumhouse] CRITICAL FIRING: dependencies.down[search-api]")
    assert down["alerts"][0]["subject"] == "search-api"
    # The database never failed and was never slow: not one change.
    assert not [c for c in result["changes"] if "orders-db" in c["rule"]]
