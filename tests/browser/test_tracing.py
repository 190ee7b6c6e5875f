"""A page's API calls linked to their backend traces, in Chromium: the page allows one origin in
data-trace-origins, and its fetch and XHR calls there carry a W3C traceparent; the backend is a real
Starlette app instrumented with OpenTelemetry's ASGI middleware (which continues the trace from that
header), exporting its spans over OTLP to the rumhouse server under test. A call to another origin carries
no header (no preflight), and is linked through the Server-Timing header its response names the trace in.
The test knows each request's trace from the backend's side and checks what rumhouse stored and answers.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route

from support.otlp import ADMIN, ingest_token
from support.server import free_port

from .conftest import USER_AGENT
from .helpers import q, views, wait_for
from .pages import ON_LOAD
from .site import Page, Site

pytestmark = pytest.mark.browser

DOCUMENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
DB_MS = 30


class Backend:
    """The shop's API on two loopback ports (two origins), its spans exported to rumhouse."""

    def __init__(self, rumhouse_url: str, token: str, site_origin: str) -> None:
        self.seen: dict[str, dict] = {}  # call name -> traceparent received, trace id served, headers
        self.provider = TracerProvider(resource=Resource.create({"service.name": "shop-api"}))
        exporter = OTLPSpanExporter(
            endpoint=f"{rumhouse_url}/v1/traces", headers={"authorization": f"Bearer {token}"}
        )
        self.provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = self.provider.get_tracer("shop")

        async def order(request):
            span = trace.get_current_span()
            span.set_attribute("http.route", "/api/orders/{how}")
            with tracer.start_as_current_span(
                "SELECT orders",
                kind=trace.SpanKind.CLIENT,
                attributes={"db.system.name": "sqlite", "db.query.text": "SELECT * FROM orders WHERE id = ?"},
            ):
                await asyncio.sleep(DB_MS / 1000)
            context = span.get_span_context()
            served = f"{context.trace_id:032x}"
            self.seen[request.path_params["how"]] = {
                "traceparent": request.headers.get("traceparent"),
                "trace_id": served,
                "page_header": request.headers.get("x-page"),
            }
            timing = f'db;dur={DB_MS};desc="orders", traceparent;desc="00-{served}-{context.span_id:016x}-01"'
            return JSONResponse(
                {
                    "traceparent": request.headers.get("traceparent"),
                    "page_header": request.headers.get("x-page"),
                },
                headers={"server-timing": timing},
            )

        app = OpenTelemetryMiddleware(
            Starlette(routes=[Route("/api/orders/{how}", order)]), tracer_provider=self.provider
        )
        self.app = CORSMiddleware(
            app,
            allow_origins=[site_origin],
            allow_headers=["traceparent", "x-page"],
            expose_headers=["server-timing"],
        )
        self.servers = []
        self.ports = [free_port(), free_port()]

    def __enter__(self) -> Backend:
        for port in self.ports:
            server = uvicorn.Server(
                uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
            )
            threading.Thread(target=server.run, daemon=True).start()
            self.servers.append(server)
        for server in self.servers:
            wait_for(lambda s=server: s.started, timeout=10)
        return self

    def __exit__(self, *exc) -> None:
        for server in self.servers:
            server.should_exit = True
        self.provider.shutdown()

    def origin(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"


def page_for(backend: Backend) -> Page:
    traced, other = backend.origin(0), backend.origin(1)
    script = (
        "onLoad(function () {"
        f" var calls = [fetch('{traced}/api/orders/fetch').then(function (r) {{ return r.json() }}),"
        # A Request with the page's own header: both headers must arrive.
        f"  fetch(new Request('{traced}/api/orders/request', {{headers: {{'x-page': 'kept'}}}})).then(function (r) {{ return r.json() }}),"
        f"  fetch('{other}/api/orders/other').then(function (r) {{ return r.json() }}),"
        "  new Promise(function (done) { var x = new XMLHttpRequest();"
        f"   x.open('GET', '{traced}/api/orders/xhr'); x.onloadend = function () {{ done(JSON.parse(x.responseText)) }}; x.send() }})];"
        " Promise.all(calls).then(function (answers) { window.answers = answers; window.done = true }) })"
    )
    return Page(
        head=f'<meta name="traceparent" content="00-{DOCUMENT_TRACE}-00f067aa0ba902b7-01">{ON_LOAD}',
        body="<h1>Orders</h1><script>" + script + "</script>",
        reference=False,
        attrs=f'data-site="demo" data-trace-origins="{traced}"',
    )


@pytest.fixture(scope="module")
def traced(rumhouse, tab):
    page = tab
    token = ingest_token(rumhouse, "demo")
    with Site({}, rumhouse.origin) as site, Backend(rumhouse.url, token, site.origin) as backend:
        site.pages["/traced/"] = page_for(backend)
        page.goto(site.origin + "/traced/")
        page.wait_for_function("window.done", timeout=15_000)
        answers = page.evaluate("window.answers")
        page.goto("about:blank")  # the page view ends: its final beacon goes
        (view,) = views(rumhouse, "/traced/")
        calls = wait_for(
            lambda: (
                (
                    found := rumhouse.sql(
                        "SELECT endpoint, method, status, trace_id, server_timing FROM rumhouse.api_calls"
                        f" WHERE page_view_id = {q(view['page_view_id'])}"
                    )
                )
                and len(found) == 4
                and found
            )
        )
        spans = wait_for(
            lambda: (
                (
                    n := rumhouse.scalar(
                        "SELECT count() FROM rumhouse.otel_traces WHERE ServiceName = 'shop-api'"
                    )
                )
                >= 8
                and n
            )
        )
        yield {"view": view, "calls": calls, "seen": dict(backend.seen), "answers": answers, "spans": spans}


@pytest.fixture(scope="module")
def tab(browser):
    context = browser.new_context(user_agent=USER_AGENT)
    p = context.new_page()
    yield p
    context.close()


def call(calls, how):
    [found] = [c for c in calls if c["endpoint"].endswith(f"/api/orders/{how}")]
    return found


def test_calls_to_allowed_origins_carry_a_traceparent_and_keep_the_pages_headers(traced):
    seen = traced["seen"]
    for how in ("fetch", "request", "xhr"):
        header = seen[how]["traceparent"]
        assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", header), header
        # The backend continued the browser's trace: the stored call names the trace the backend served.
        assert header.split("-")[1] == seen[how]["trace_id"]
        assert call(traced["calls"], how)["trace_id"] == seen[how]["trace_id"]
    assert seen["request"]["page_header"] == "kept"
    # Each call its own trace.
    assert len({seen[h]["trace_id"] for h in ("fetch", "request", "xhr")}) == 3
    # The page got its answers as usual.
    assert [a["page_header"] for a in traced["answers"]] == [None, "kept", None, None]


def test_other_origins_get_no_header_and_are_linked_through_server_timing(traced):
    seen = traced["seen"]
    assert seen["other"]["traceparent"] is None
    other = call(traced["calls"], "other")
    assert other["trace_id"] == seen["other"]["trace_id"]
    assert other["server_timing"]["db"] == pytest.approx(DB_MS)


def test_the_document_names_its_trace(traced):
    assert traced["view"]["trace_id"] == DOCUMENT_TRACE


def test_a_stored_call_opens_its_backend_trace(traced, rumhouse):
    fetch_trace = traced["seen"]["fetch"]["trace_id"]
    # Up to a minute from now: "1h" ends at the current second, and the calls may be younger than that.
    now = int(time.time() * 1000)
    window = {"from": str(now - 3_600_000), "to": str(now + 60_000)}
    listed = rumhouse.client.get(
        "/api/v1/api-calls/traced", params={"site": "demo", "limit": "100", **window}, headers=ADMIN
    )
    assert listed.status_code == 200, listed.text
    [row] = [r for r in listed.json()["rows"] if r["trace_id"] == fetch_trace]
    assert (row["path"], row["backend_services"], row["backend_route"]) == (
        "/traced/",
        ["shop-api"],
        "/api/orders/{how}",
    )
    assert row["backend_spans"] >= 2 and row["backend_ms"] >= DB_MS
    # The waterfall: the server span the call reached, the database span inside it.
    waterfall = rumhouse.client.get(
        "/api/v1/trace", params={"site": "demo", "trace_id": fetch_trace}, headers=ADMIN
    )
    assert waterfall.status_code == 200, waterfall.text
    answer = waterfall.json()
    assert [r["route"] for r in answer["rows"] if r["kind"] == "Server"] == ["/api/orders/{how}"]
    assert [r["db_system"] for r in answer["rows"] if r["kind"] == "Client"] == ["sqlite"]
    assert answer["database_ms"] >= DB_MS - 1
    # The backend's server span is a child of the span the browser named in its traceparent.
    parent = traced["seen"]["fetch"]["traceparent"].split("-")[2]
    assert (
        rumhouse.scalar(
            f"SELECT count() FROM rumhouse.otel_traces WHERE TraceId = {q(fetch_trace)} AND ParentSpanId = {q(parent)}"
        )
        >= 1
    )
