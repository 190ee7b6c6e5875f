"""The backend questions answered from a real app: a Starlette shop instrumented with OpenTelemetry's SDK and
its ASGI, sqlite3 and httpx instrumentations, exporting through the official OTLP HTTP exporter (protobuf)
to a real `rumhouse serve` of its own. The test knows each request's injected delay and each statement the
app ran, and checks what the API says:

- /server/endpoints: requests per route, and p50/p95/p99 against numpy over the injected delays (each
  request takes its delay plus the app's own few milliseconds, never less);
- /database/statements: the slow statement (a Python function makes SQLite take 120 ms) as the slow list's
  only entry, with its calls and an example trace whose server span is a /search request;
- /database/n-plus-one: the order page's per-item query, run once per item in every order request;
- /database/index-candidates: the column the slow statement filters on;
- /trace: an order request's waterfall with its database and outbound (httpx) time.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time

import anyio
import httpx
import numpy
import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from support.load import run_in_thread, wait_until
from support.otlp import ADMIN, ingest_token, wait_rolled_up
from support.server import RumhouseServer, free_port

pytestmark = pytest.mark.slow

ITEMS = 6  # items per order: the N+1
ORDERS = 24
SEARCHES = 4
CHECKOUTS = 3
SLOW_MS = 120


def shop(provider: TracerProvider, stock_url: str) -> Starlette:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    # A statement that is slow for a reason SQLite cannot see: a function that waits.
    db.create_function("wait_ms", 1, lambda ms: time.sleep(ms / 1000) or 0)
    db.execute("CREATE TABLE items (id INTEGER, order_id INTEGER, sku TEXT)")
    db.execute("CREATE TABLE customers (id INTEGER, email TEXT)")
    db.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "ann@example.com"), (2, "bob@example.com")])
    db.executemany("INSERT INTO items VALUES (?, ?, ?)", [(i, i % 50, f"sku-{i}") for i in range(300)])

    async def order(request):
        trace.get_current_span().set_attribute("http.route", "/orders/{id}")
        time.sleep(float(request.query_params["delay"]) / 1000)
        cursor = db.cursor()
        for item in range(ITEMS):  # one query per item: the N+1 a test should find
            cursor.execute(
                f"SELECT sku FROM items WHERE id = {item} AND order_id = {request.path_params['id']}"
            )
            cursor.fetchall()
        return JSONResponse({"ok": True})

    async def checkout(request):
        trace.get_current_span().set_attribute("http.route", "/checkout")
        async with httpx.AsyncClient() as client:  # an outbound call, to another service
            await client.get(stock_url)
        db.cursor().execute("SELECT count(*) FROM items WHERE order_id = 7").fetchall()
        return JSONResponse({"ok": True})

    async def search(request):
        trace.get_current_span().set_attribute("http.route", "/search")
        cursor = db.cursor()
        cursor.execute(f"SELECT id FROM customers WHERE email = 'ann@example.com' AND wait_ms({SLOW_MS}) = 0")
        cursor.fetchall()
        return JSONResponse({"ok": True})

    routes = [Route("/orders/{id}", order), Route("/search", search), Route("/checkout", checkout)]
    return OpenTelemetryMiddleware(Starlette(routes=routes), tracer_provider=provider)


def stock_service(provider: TracerProvider) -> Starlette:
    """Another service the shop calls over HTTP (a real loopback server): its spans continue the trace."""

    async def stock(request):
        trace.get_current_span().set_attribute("http.route", "/stock")
        return JSONResponse({"in_stock": True})

    return OpenTelemetryMiddleware(Starlette(routes=[Route("/stock", stock)]), tracer_provider=provider)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = RumhouseServer(tmp_path_factory.mktemp("backend-e2e") / "data").start()
    try:
        token = ingest_token(server, "demo")
        providers = []
        for name in ("shop", "stock"):
            one = TracerProvider(resource=Resource.create({"service.name": name}))
            exporter = OTLPSpanExporter(
                endpoint=f"{server.url}/v1/traces", headers={"authorization": f"Bearer {token}"}
            )
            one.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=100_000))
            providers.append(one)
        provider, stock_provider = providers
        port = free_port()
        config = uvicorn.Config(
            stock_service(stock_provider), host="127.0.0.1", port=port, log_level="warning"
        )
        stock = uvicorn.Server(config)
        threading.Thread(target=stock.run, daemon=True).start()
        wait_until(lambda: stock.started, timeout=10)
        SQLite3Instrumentor().instrument(tracer_provider=provider)
        HTTPXClientInstrumentor().instrument(tracer_provider=provider)
        rng = random.Random(7)
        # Spread evenly from 10 to 200 ms (in random order): a percentile sits between two close delays, so a
        # request that took a few ms more than its delay moves it by little.
        delays = [10 + 8 * i + rng.random() * 3 for i in range(ORDERS)]
        rng.shuffle(delays)
        try:
            app = shop(provider, f"http://127.0.0.1:{port}/stock")

            async def drive():
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://shop"
                ) as client:
                    for i, delay in enumerate(delays):
                        assert (await client.get(f"/orders/{i + 1}?delay={delay}")).status_code == 200
                    for _ in range(SEARCHES):
                        assert (await client.get("/search")).status_code == 200
                    for _ in range(CHECKOUTS):
                        assert (await client.get("/checkout")).status_code == 200

            run_in_thread(anyio.run, drive)
            for p in providers:
                p.shutdown()
            stock.should_exit = True
        finally:
            SQLite3Instrumentor().uninstrument()
            HTTPXClientInstrumentor().uninstrument()
        expected = ORDERS + SEARCHES + 2 * CHECKOUTS  # a checkout's stock call is a server span too
        count = "SELECT count() FROM rumhouse.otel_traces WHERE SpanKind = 'Server'"
        try:
            wait_until(lambda: server.scalar(count) == expected, timeout=30)
        except AssertionError:
            kinds = server.sql(
                "SELECT SpanKind, http_route, count() AS n FROM rumhouse.otel_traces GROUP BY 1, 2"
            )
            raise AssertionError(f"expected {expected} server spans: {kinds}") from None
        wait_rolled_up(server)
        yield server, delays
    finally:
        server.close()


def api(server, route: str, **params) -> list[dict]:
    # The last hour up to a minute from now: "1h" ends at the current second, before the newest spans.
    now = int(time.time() * 1000)
    window = {"from": str(now - 3_600_000), "to": str(now + 60_000)}
    answer = server.client.get(f"/api/v1{route}", params={"site": "demo", **window, **params}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def test_endpoint_percentiles_follow_the_injected_delays(served):
    server, delays = served
    rows = {(r["service"], r["route"]): r for r in api(server, "/server/endpoints")}
    orders = rows[("shop", "/orders/{id}")]
    assert orders["requests"] == ORDERS and orders["errors"] == 0
    assert rows[("shop", "/search")]["requests"] == SEARCHES
    assert rows[("stock", "/stock")]["requests"] == CHECKOUTS  # the outbound calls' own server side
    for key, level in (("p50", 50), ("p95", 95), ("p99", 99)):
        expected = numpy.percentile(delays, level)
        # Never under the delay (1 ms resolution, rounded up); the app's own work (six SQLite queries)
        # takes a few ms more.
        assert expected <= orders[key] <= expected + 20, (key, orders[key], expected)


def test_the_slow_statement_is_the_slow_list_with_an_example_trace(served):
    server, _ = served
    statements = api(server, "/database/statements", slow_ms="100")
    slow = [s for s in statements if s["slow_calls"]]
    assert [(s["statement"], s["slow_calls"], s["calls"]) for s in slow] == [
        ("SELECT id FROM customers WHERE email = ? AND wait_ms(?) = ?", SEARCHES, SEARCHES)
    ]
    assert slow[0]["p50"] >= SLOW_MS
    # The example trace is a /search request; the literal values were never stored.
    route = server.scalar(
        "SELECT http_route FROM rumhouse.otel_traces"
        f" WHERE TraceId = '{slow[0]['slowest_trace_id']}' AND SpanKind = 'Server'"
    )
    assert route == "/search"
    assert not server.scalar(
        "SELECT count() FROM rumhouse.otel_traces WHERE position(toString(SpanAttributes), 'ann@') > 0"
    )
    # The slow-query list, call by call: each of the four searches, with the request it ran in.
    calls = api(server, "/database/slow-calls", slow_ms="100")
    assert len(calls) == SEARCHES and {c["route"] for c in calls} == {"/search"}
    assert all(c["duration_ms"] >= SLOW_MS for c in calls)
    assert [c["duration_ms"] for c in calls] == sorted((c["duration_ms"] for c in calls), reverse=True)
    assert len({c["trace_id"] for c in calls}) == SEARCHES
    per_item = [
        s for s in statements if s["statement"] == "SELECT sku FROM items WHERE id = ? AND order_id = ?"
    ]
    assert per_item[0]["calls"] == ORDERS * ITEMS


def test_the_n_plus_one_and_the_index_candidate_are_found(served):
    server, _ = served
    [found] = api(server, "/database/n-plus-one")
    assert (found["statement"], found["route"]) == (
        "SELECT sku FROM items WHERE id = ? AND order_id = ?",
        "/orders/{id}",
    )
    assert (found["requests"], found["max_runs"], found["avg_runs"]) == (ORDERS, ITEMS, ITEMS)
    candidates = {
        (c["table"], c["column"]): c for c in api(server, "/database/index-candidates", slow_ms="100")
    }
    assert set(candidates) == {("customers", "email")}
    assert candidates[("customers", "email")]["slow_calls"] == SEARCHES


def test_requests_open_as_waterfalls(served):
    server, delays = served
    endpoints = {r["route"]: r for r in api(server, "/server/endpoints") if r["service"] == "shop"}

    def waterfall(route):
        trace_id = endpoints[route]["slowest_trace_id"]
        answer = server.client.get(
            "/api/v1/trace", params={"site": "demo", "trace_id": trace_id}, headers=ADMIN
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    # The slowest order: its delay is the application's own time; its item queries the database's.
    order = waterfall("/orders/{id}")
    assert [r["db_system"] for r in order["rows"] if r["kind"] == "Client"] == ["sqlite"] * ITEMS
    assert order["duration_ms"] >= max(delays) and order["application_ms"] >= max(delays) - 1
    assert 0 < order["database_ms"] < order["duration_ms"] - max(delays) + 1 and order["outbound_ms"] == 0
    # A checkout: the stock service's spans are in the same trace, under the outbound call.
    checkout = waterfall("/checkout")
    assert {r["service"] for r in checkout["rows"]} == {"shop", "stock"}
    assert checkout["outbound_ms"] > 0 and checkout["database_ms"] > 0
