"""WebSockets in Chromium: a page with the WebSocket add-on (rum-ws.js, loaded first) opens sockets to a
real WebSocket server (Starlette under uvicorn on a loopback port):

- echo: three messages sent (text 5 and 7 characters, 10 binary bytes), echoed back, closed by the page
  (1000);
- refused: the server turns the handshake down: it never opens, and closes with 1006;
- dropped: the server sends 100 and 50 characters and closes with its own code 4001;
- kept: still open when the page is left, reported then, without a close code.

The server counts its connections in an OpenTelemetry up-down counter `websocket.connections`, exported
over OTLP to rumhouse when the test says (while the kept socket is open, and after it closed). What
rumhouse stores and answers is checked against what the server saw.
"""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from support.otlp import ADMIN, ingest_token
from support.server import free_port

from .conftest import USER_AGENT
from .helpers import q, views, wait_for
from .pages import ON_LOAD
from .site import Page, Site

pytestmark = pytest.mark.browser


class SocketServer:
    """The page's WebSocket server, counting its connections in websocket.connections."""

    def __init__(self, rumhouse_url: str, token: str) -> None:
        exporter = OTLPMetricExporter(
            endpoint=f"{rumhouse_url}/v1/metrics", headers={"authorization": f"Bearer {token}"}
        )
        # Exported when the test flushes (an hour between periodic exports: never in a test).
        self.reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        self.meters = MeterProvider(
            metric_readers=[self.reader],
            resource=Resource.create({"service.name": "chat", "host.name": "ws-1"}),
        )
        connections = self.meters.get_meter("chat").create_up_down_counter("websocket.connections")
        self.open = 0
        self.received: list[int] = []  # sizes of the messages the echo socket got

        async def echo(ws: WebSocket):
            await ws.accept()
            self.open += 1
            connections.add(1)
            try:
                while True:
                    message = await ws.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    if message.get("text") is not None:
                        self.received.append(len(message["text"]))
                        await ws.send_text(message["text"])
                    else:
                        self.received.append(len(message["bytes"]))
                        await ws.send_bytes(message["bytes"])
            except WebSocketDisconnect:
                pass
            finally:
                connections.add(-1)  # before the count the test waits on
                self.open -= 1

        async def refuse(ws: WebSocket):
            await ws.close(code=1008)  # before accepting: the handshake is refused (HTTP 403)

        async def drop(ws: WebSocket):
            await ws.accept()
            await ws.send_text("a" * 100)
            await ws.send_text("b" * 50)
            await ws.close(code=4001)

        app = Starlette(
            routes=[WebSocketRoute("/ws/echo", echo), WebSocketRoute("/ws/refuse", refuse),
                    WebSocketRoute("/ws/drop", drop)]
        )  # fmt: skip
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )

    def __enter__(self) -> SocketServer:
        threading.Thread(target=self.server.run, daemon=True).start()
        wait_for(lambda: self.server.started, timeout=10)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.meters.shutdown()

    def export(self) -> None:
        assert self.meters.force_flush()


def page_for(port: int) -> Page:
    base = f"ws://127.0.0.1:{port}/ws"
    script = f"""
onLoad(function () {{
  var closed = 0, done = function () {{ if (++closed == 3) window.done = true }};
  var echo = new WebSocket('{base}/echo?token=secret'), answers = 0;
  echo.binaryType = 'arraybuffer';
  echo.onopen = function () {{ echo.send('hello'); echo.send('world!!'); echo.send(new Uint8Array(10).buffer) }};
  echo.onmessage = function () {{ if (++answers == 3) echo.close(1000) }};
  echo.onclose = done;
  new WebSocket('{base}/refuse').onclose = done;
  new WebSocket('{base}/drop').onclose = done;
  window.kept = new WebSocket('{base}/echo');
  window.kept.onopen = function () {{ window.keptOpen = true }};
}});
"""
    return Page(
        first='<script src="{rum}/rum-ws.js"></script>',
        head=ON_LOAD,
        body=f"<h1>Chat</h1><script>{script}</script>",
        reference=False,
    )


@pytest.fixture(scope="module")
def sockets(rumhouse, browser):
    token = ingest_token(rumhouse, "demo")
    context = browser.new_context(user_agent=USER_AGENT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        with Site({}, rumhouse.origin) as site, SocketServer(rumhouse.url, token) as server:
            site.pages["/chat/"] = page_for(server.port)
            page.goto(site.origin + "/chat/")
            page.wait_for_function("window.done && window.keptOpen", timeout=15_000)
            assert wait_for(lambda: server.open == 1), server.open
            server.export()  # the kept socket open: 1 connection
            page.goto("about:blank")  # the page view ends (the kept socket is reported)
            # The left page may wait in the back/forward cache with its socket; closing the tab ends it.
            page.close()
            assert wait_for(lambda: server.open == 0), server.open
            server.export()  # none
            wait_for(
                lambda: (
                    rumhouse.scalar(
                        "SELECT count() FROM rumhouse.otel_metrics_sum WHERE MetricName = 'websocket.connections'"
                    )
                    == 2
                )
            )
            (view,) = views(rumhouse, "/chat/")
            rows = wait_for(
                lambda: (
                    (
                        found := rumhouse.sql(
                            "SELECT * FROM rumhouse.websockets"
                            f" WHERE page_view_id = {q(view['page_view_id'])} ORDER BY time"
                        )
                    )
                    and len(found) == 4
                    and found
                )
            )
            yield {"view": view, "rows": rows, "received": list(server.received), "errors": errors}
    finally:
        context.close()


def by_path(rows: list[dict], path: str, still_open: bool | None = None) -> dict:
    [row] = [
        r
        for r in rows
        if r["endpoint"].endswith(path) and (still_open is None or (r["close_code"] is None) == still_open)
    ]
    return row


def test_each_socket_with_its_messages_bytes_and_close(sockets):
    rows = sockets["rows"]
    assert len(rows) == 4 and sockets["errors"] == []
    echo = by_path(rows, "/ws/echo", still_open=False)
    # Its URL without the query string (a token in it is not stored).
    assert echo["endpoint"].startswith("127.0.0.1:") and "token" not in echo["endpoint"]
    assert (echo["messages_out"], echo["messages_in"], echo["close_code"]) == (3, 3, 1000)
    assert echo["bytes_out"] == echo["bytes_in"] == sum(sockets["received"]) == 5 + 7 + 10
    assert echo["open_ms"] is not None and 0 <= echo["open_ms"] <= echo["lifetime_ms"]
    refused = by_path(rows, "/ws/refuse")
    assert refused["open_ms"] is None and refused["close_code"] == 1006
    assert refused["messages_in"] == refused["messages_out"] == 0
    dropped = by_path(rows, "/ws/drop")
    assert (dropped["close_code"], dropped["messages_in"], dropped["bytes_in"]) == (4001, 2, 150)
    kept = by_path(rows, "/ws/echo", still_open=True)
    assert kept["open_ms"] is not None and kept["messages_in"] == kept["messages_out"] == 0
    # Created while the page loaded: after the page view started, before it ended.
    for row in rows:
        assert row["time"] >= sockets["view"]["time"]
    # Nothing of it among the page's measures.
    assert not [m for m in rows if m.get("name")]


def test_the_api_per_endpoint_and_the_servers_connections(sockets, rumhouse):
    now = int(time.time() * 1000)  # "1h" ends at this second: the last points may be in the next one
    window = {"site": "demo", "from": str(now - 3_600_000), "to": str(now + 60_000)}
    answer = rumhouse.client.get("/api/v1/websockets", params={**window, "path": "/chat/"}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    rows = {r["endpoint"].split("/", 1)[1]: r for r in answer.json()["rows"]}
    echo = rows["ws/echo"]
    assert (echo["connections"], echo["opened"], echo["open_at_exit"], echo["abnormal_closes"]) == (
        2,
        2,
        1,
        0,
    )
    assert (echo["messages_out"], echo["bytes_in"]) == (3, 22)
    assert echo["close_codes"] == {"1000": 1}
    refused, dropped = rows["ws/refuse"], rows["ws/drop"]
    assert (refused["never_opened"], refused["abnormal_closes"], refused["connect_p50_ms"]) == (1, 1, None)
    assert dropped["close_codes"] == {"4001": 1} and dropped["abnormal_closes"] == 1
    stored = sockets["rows"]
    expected_lifetimes = sorted(r["lifetime_ms"] for r in stored if r["endpoint"].endswith("/ws/echo"))
    assert echo["lifetime_p50_ms"] == pytest.approx(sum(expected_lifetimes) / 2, rel=1e-6)
    # The server's gauge: 1 while the kept socket was open, 0 after.
    servers = rumhouse.client.get("/api/v1/websockets/servers", params=window, headers=ADMIN).json()["rows"]
    [chat] = [s for s in servers if s["host"] == "ws-1"]

    assert (chat["connections_max"], chat["connections_last"], chat["points"]) == (1, 0, 2)
    # A budget on the connections a host holds: its highest, over its limit.
    budget = {"name": "ws-connections", "site": "demo", "metric": "websocket_connections", "stat": "max",
              "limit": 0.5, "window": "1h", "min_samples": 1}  # fmt: skip
    made = rumhouse.client.post("/api/v1/budgets", json=budget, headers=ADMIN)
    assert made.status_code == 201, made.text
    status = rumhouse.client.get("/api/v1/budgets/status", params={"site": "demo"}, headers=ADMIN).json()
    [row] = [b for b in status["budgets"] if b["name"] == "ws-connections"]
    assert (row["value"], row["state"]) == (1, "breached")
