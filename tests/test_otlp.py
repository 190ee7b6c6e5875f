"""OTLP/HTTP into a real rumhouse server, from a real backend: a Starlette app instrumented with
OpenTelemetry's own SDK, ASGI and sqlite3 instrumentations, exporting through the official OTLP HTTP
exporter (protobuf, gzip). The same spans sent as OTLP JSON store the same rows. Tokens, media types and
malformed bodies are refused with the status the specification names and a reason."""

from __future__ import annotations

import base64
import gzip
import sqlite3
import time

import httpx
import orjson
import pytest
from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from support.load import assert_accounting, run_in_thread, wait_until
from support.otlp import ingest_token
from support.server import ADMIN_TOKEN

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
DELAYS = {"fast": 0.005, "slow": 0.12}


def backend(provider: TracerProvider) -> Starlette:
    """A small shop API: one route that sleeps a known time and runs SQL with literal values in it."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE orders (id INTEGER, email TEXT, total REAL)")

    async def order(request):
        # The bare ASGI middleware knows no routes: the app names its route, as a framework's own
        # instrumentation does.
        trace.get_current_span().set_attribute("http.route", "/orders/{speed}")
        time.sleep(DELAYS[request.path_params["speed"]])
        cursor = db.cursor()
        cursor.execute("INSERT INTO orders VALUES (42, 'ann@example.com', 19.5)")
        cursor.execute("SELECT total FROM orders WHERE email = 'ann@example.com' AND id IN (1, 2, 42)")
        cursor.fetchall()
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/orders/{speed}", order)])
    return OpenTelemetryMiddleware(app, tracer_provider=provider)


def spans_of(server, service: str) -> list[dict]:
    return server.sql(
        "SELECT TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, Duration, StatusCode,"
        " SpanAttributes, site, http_route, http_method, http_status, db_system, db_statement, duration_ms"
        f" FROM rumhouse.otel_traces WHERE ServiceName = '{service}' ORDER BY Timestamp, SpanId"
    )


def test_an_instrumented_app_exports_its_spans(server):
    token = ingest_token(server, "demo")
    try:
        provider = TracerProvider(
            resource=Resource.create({"service.name": "shop-api", "rumhouse.site": "shop"})
        )
        exporter = OTLPSpanExporter(
            endpoint=f"{server.url}/v1/traces",
            headers={"authorization": f"Bearer {token}"},
            compression=Compression.Gzip,
        )
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        SQLite3Instrumentor().instrument(tracer_provider=provider)
        app = backend(provider)

        async def drive():
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://shop"
            ) as client:
                for speed in ("fast", "slow", "fast"):
                    assert (await client.get(f"/orders/{speed}")).status_code == 200

        import anyio

        run_in_thread(anyio.run, drive)
        provider.shutdown()
    finally:
        SQLite3Instrumentor().uninstrument()

    def arrived():
        found = spans_of(server, "shop-api")
        return (
            len([r for r in found if r["SpanKind"] == "Server"]) == 3
            and len([r for r in found if r["db_system"]]) == 6
        )

    wait_until(arrived, timeout=20)
    rows = spans_of(server, "shop-api")
    servers = [r for r in rows if r["SpanKind"] == "Server"]
    assert len(servers) == 3
    # The site is the token's, whatever the sender said; the route and method are columns of their own.
    assert {r["site"] for r in rows} == {"demo"}
    assert {(r["http_route"], r["http_method"], r["http_status"]) for r in servers} == {
        ("/orders/{speed}", "GET", 200)
    }
    # 1 ms precision: each request's duration covers its known delay.
    slow = [r for r in servers if r["duration_ms"] >= DELAYS["slow"] * 1000]
    assert len(slow) == 1 and abs(slow[0]["Duration"] / 1e6 - slow[0]["duration_ms"]) < 1e-6
    # Statements are stored without their values; the spans hang under their request.
    statements = {r["db_statement"] for r in rows if r["db_system"] == "sqlite"}
    assert statements == {
        "INSERT INTO orders VALUES (?)",  # a list of values is one ?, as IN (...) is
        "SELECT total FROM orders WHERE email = ? AND id IN (?)",
    }
    assert not [r for r in rows if "ann@example.com" in orjson.dumps(r).decode()]
    for db_span in (r for r in rows if r["db_system"] == "sqlite"):
        assert db_span["TraceId"] in {s["TraceId"] for s in servers} and len(db_span["TraceId"]) == 32
    assert server.metric("rumhouse_otlp_requests_total", signal="traces", outcome="accepted") >= 1
    server.sql("SELECT 1")
    assert_accounting(server)


def otlp_json(request) -> bytes:
    """The OTLP JSON encoding of a request: protobuf's JSON mapping, with hex ids as OTLP says."""
    document = json_format.MessageToDict(request)

    def hexify(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                    node[key] = base64.b64decode(value).hex()
                else:
                    hexify(value)
        elif isinstance(node, list):
            for item in node:
                hexify(item)

    hexify(document)
    return orjson.dumps(document)


def test_json_and_protobuf_of_the_same_spans_store_the_same_rows(server):
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "twin"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests")
    with (
        tracer.start_as_current_span(
            "GET /items/{id}", kind=trace.SpanKind.SERVER, attributes={"http.route": "/items/{id}", "n": 3}
        ),
        tracer.start_as_current_span(
            "SELECT", kind=trace.SpanKind.CLIENT, attributes={"db.system.name": "postgresql"}
        ) as db,
    ):
        db.add_event("retry", {"attempt": 2})
    spans = memory.get_finished_spans()
    message = encode_spans(spans)
    as_protobuf = message.SerializeToString()
    as_json = otlp_json(message)

    first = ingest_token(server, "demo")
    second = ingest_token(server, "shop")
    sent = server.client.post(
        "/v1/traces",
        content=gzip.compress(as_protobuf),
        headers={
            "authorization": f"Bearer {first}",
            "content-type": "application/x-protobuf",
            "content-encoding": "gzip",
        },
    )
    assert sent.status_code == 200 and sent.headers["content-type"] == "application/x-protobuf"
    sent = server.client.post(
        "/v1/traces",
        content=as_json,
        headers={"authorization": f"Bearer {second}", "content-type": "application/json"},
    )
    assert sent.status_code == 200 and sent.json() == {}

    def rows(site):
        return server.sql(
            "SELECT Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, Duration, SpanAttributes,"
            f" Events.Name, Events.Attributes FROM rumhouse.otel_traces WHERE ServiceName = 'twin' AND site = '{site}'"
            " ORDER BY SpanId"
        )

    wait_until(lambda: len(rows("demo")) == 2 and len(rows("shop")) == 2, timeout=20)
    assert rows("demo") == rows("shop")
    by_name = {r["SpanName"]: r for r in rows("demo")}
    assert by_name["SELECT"]["ParentSpanId"] == by_name["GET /items/{id}"]["SpanId"]
    assert by_name["SELECT"]["TraceId"] == format(spans[0].context.trace_id, "032x")
    assert by_name["SELECT"]["Events.Name"] == ["retry"] and by_name["SELECT"]["Events.Attributes"] == [
        {"attempt": "2"}
    ]
    assert by_name["GET /items/{id}"]["SpanAttributes"] == {"http.route": "/items/{id}", "n": "3"}


@pytest.mark.parametrize(
    ("headers", "body", "status", "says"),
    [
        ({"authorization": ""}, b"", 401, "Bearer"),
        ({"authorization": "Bearer rh_nope_nope"}, b"", 401, "Bearer"),
        ({"authorization": f"Bearer {ADMIN_TOKEN}"}, b"", 403, "ingest token"),
        ({"content-type": "text/plain"}, b"x", 415, "application/x-protobuf"),
        ({"content-type": "application/x-protobuf"}, b"\xff\xff\xff", 400, "does not decode"),
        ({"content-type": "application/json"}, b"{not json", 400, "does not parse"),
        (
            {"content-type": "application/json"},
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
            400,
            "hex",
        ),
        ({"content-type": "application/json"}, b'{"resourceSpans": 5}', 400, "not an OTLP request"),
        ({"content-type": "application/x-protobuf", "content-encoding": "br"}, b"x", 400, "gzip"),
        ({"content-type": "application/x-protobuf", "content-encoding": "gzip"}, b"not gzip", 400, "gzip"),
    ],
)
def test_bad_requests_get_their_status_and_a_reason(server, headers, body, status, says):
    token = ingest_token(server, "demo")
    sent_headers = {"authorization": f"Bearer {token}", "content-type": "application/json", **headers}
    answer = server.client.post("/v1/traces", content=body, headers=sent_headers)
    assert answer.status_code == status, answer.text
    assert says in answer.text or says in answer.content.decode("utf-8", "replace")


def test_an_ingest_token_cannot_read_the_api(server):
    token = ingest_token(server, "demo")
    answer = server.client.get(
        "/api/v1/vitals/summary", params={"site": "demo"}, headers={"authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden"


def test_invalid_spans_are_refused_one_by_one_with_partial_success(server):
    token = ingest_token(server, "demo")
    now = time.time_ns()  # recent: older rows would fall to the table's retention
    good = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "ok",
        "startTimeUnixNano": str(now),
        "endTimeUnixNano": str(now + 500_000_000),
    }
    bad = {**good, "spanId": "0000000000000000", "name": "bad"}
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "partial"}}]},
                "scopeSpans": [{"spans": [good, bad]}],
            }
        ]
    }
    answer = server.client.post(
        "/v1/traces",
        content=orjson.dumps(body),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert answer.status_code == 200
    partial = answer.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1" and "span_id" in partial["errorMessage"]
    wait_until(lambda: len(spans_of(server, "partial")) == 1, timeout=20)
    assert spans_of(server, "partial")[0]["Duration"] == 500_000_000


def test_metrics_from_the_sdk_land_in_the_gauge_sum_and_histogram_tables(server):
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.metrics import Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    token = ingest_token(server, "demo")
    exporter = OTLPMetricExporter(
        endpoint=f"{server.url}/v1/metrics", headers={"authorization": f"Bearer {token}"}
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
    provider = MeterProvider(resource=Resource.create({"service.name": "meters"}), metric_readers=[reader])
    meter = provider.get_meter("tests")
    requests = meter.create_counter("app.requests")
    durations = meter.create_histogram("http.server.request.duration", unit="s")
    meter.create_observable_gauge(
        "db.client.connection.count", callbacks=[lambda options: [Observation(7, {"state": "used"})]]
    )
    for seconds in (0.01, 0.2, 0.4):
        durations.record(seconds, {"http.route": "/orders/{id}"})
        requests.add(1, {"http.route": "/orders/{id}"})
    provider.shutdown()  # exports once more, and last

    def point(table, name):
        return server.sql(
            f"SELECT * EXCEPT (ResourceAttributes, ScopeAttributes), site FROM rumhouse.{table}"
            f" WHERE ServiceName = 'meters' AND MetricName = '{name}'"
        )

    wait_until(lambda: point("otel_metrics_histogram", "http.server.request.duration"), timeout=20)
    (histogram,) = point("otel_metrics_histogram", "http.server.request.duration")
    assert (histogram["Count"], histogram["Min"], histogram["Max"]) == (3, 0.01, 0.4)
    assert abs(histogram["Sum"] - 0.61) < 1e-9 and sum(histogram["BucketCounts"]) == 3
    assert histogram["Attributes"] == {"http.route": "/orders/{id}"} and histogram["site"] == "demo"
    (counter,) = point("otel_metrics_sum", "app.requests")
    assert (counter["Value"], counter["IsMonotonic"], counter["AggregationTemporality"]) == (3, True, 2)
    (gauge,) = point("otel_metrics_gauge", "db.client.connection.count")
    assert (gauge["Value"], gauge["Attributes"]) == (7, {"state": "used"})
