"""The dashboard in Debian's Chromium (Playwright): sign in, the cards show the API's figures, the time
range and a dimension filter change them, a CSV export downloads the API's CSV; no console errors.
Screenshots go to test-artifacts/dashboard/."""

import io
import math
import secrets
import time
from collections import Counter
from datetime import datetime, timedelta

import orjson
import pytest
from pypdf import PdfReader

from support.chromium import TALL, launch, require_chromium
from support.load import wait_until
from support.otlp import attr, ingest_token, post_spans, span, wait_rolled_up
from support.reading_data import THRESHOLDS  # noqa: F401  (the seeded data's thresholds, same as the API's)
from support.server import REPO

ARTIFACTS = REPO / "test-artifacts" / "dashboard"

pytestmark = pytest.mark.browser


def format_metric(metric: str, value: float) -> str:
    """The dashboard's format.js, written again here."""
    if metric == "CLS":
        return f"{value:.3f}"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{math.floor(value + 0.5)} ms"  # JavaScript's Math.round: halves up, not to even


@pytest.fixture(scope="module")
def browser(playwright):
    require_chromium("the dashboard test")
    browser = launch(playwright)
    yield browser
    browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": TALL}, accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on(
        "console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.problems = problems
    yield page
    context.close()


def wait_ready(page):
    # A selector, not wait_for_function: that evaluates its predicate with eval() in the page, which the
    # dashboard's Content-Security-Policy forbids (as it should).
    # Once the screen's panels are drawn (ready), those within half a screen of it load (loading again,
    # for a moment): ready or error is looked for until it holds.
    for _ in range(5):
        page.wait_for_selector("body[data-state='ready'], body[data-state='error']", state="attached")
        state = page.evaluate("document.body.dataset.state")
        if state != "loading":
            break
    assert state == "ready", page.inner_text("#status")


def check_cards(page, summary):
    rows = {r["metric"]: r for r in summary["rows"]}
    assert rows
    for metric in ("LCP", "INP", "CLS", "FCP", "TTFB", "FID"):
        card = page.locator(f"[data-testid=card-{metric}]")
        if metric not in rows:
            assert "no samples" in card.inner_text()
            continue
        row = rows[metric]
        assert float(card.get_attribute("data-p75")) == pytest.approx(row["p75"], rel=1e-6)
        assert card.locator(".p75").inner_text() == format_metric(metric, row["p75"])
        assert card.locator(".samples").inner_text() == f"{row['samples']:,} samples"
        for cls, share in (("good", row["good"]), ("ni", row["needs_improvement"]), ("poor", row["poor"])):
            text = card.locator(f".{cls}-share").inner_text()
            # One decimal; JavaScript rounds halves up where Python rounds them to even.
            assert text.endswith("%") and abs(float(text[:-1]) - share * 100) <= 0.05 + 1e-9, (
                metric,
                cls,
                text,
            )


def add_filter(page, dimension: str, value: str):
    page.select_option("#dimension", dimension)
    page.wait_for_selector(
        f"#dimension-value[data-ready={dimension}] option[value='{value}']", state="attached"
    )
    page.select_option("#dimension-value", value)
    wait_ready(page)
    assert page.locator(f"[data-dimension={dimension}]").inner_text().startswith(f"{dimension}: {value}")


def add_filter_value(page, dimension: str, value: str):
    """Another value of a dimension already filtered (the chips of that dimension then say both)."""
    page.select_option("#dimension", dimension)
    page.wait_for_selector(
        f"#dimension-value[data-ready={dimension}] option[value='{value}']", state="attached"
    )
    page.select_option("#dimension-value", value)
    page.wait_for_selector(f"[data-dimension={dimension}][data-value='{value}']")
    ready_again(page)


def show(page, selector: str):
    """Scrolls to a panel and waits for it to draw the view in force (panels load as they come near the
    screen)."""
    page.locator(selector).scroll_into_view_if_needed()
    page.wait_for_selector(f"{selector}[data-drawn-at]", state="attached")


def ready_again(page):
    page.wait_for_selector("body[data-state='ready']", state="attached")
    wait_ready(page)


def test_dashboard(reading, demo_token, page, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(reading.url + "/")
    page.screenshot(path=str(ARTIFACTS / "1-sign-in.png"))
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    check_cards(page, reading.api("/vitals/summary", demo_token, site="demo", range="24h"))
    assert page.locator("[data-table=pages] tbody tr").count() > 0
    assert page.locator("[data-table=errors] tbody tr").count() > 0
    assert page.locator("[data-table=api-calls] tbody tr").count() > 0
    assert page.locator("[data-table=resources] tbody tr").count() > 0
    first_path = reading.api("/pages", demo_token, site="demo", range="24h", metric="LCP", limit=20)["rows"][
        0
    ]["path"]
    assert page.locator("[data-table=pages] tbody tr").first.locator("td").first.inner_text() == first_path
    page.screenshot(path=str(ARTIFACTS / "2-signed-in-24h.png"), full_page=True)

    page.select_option("#range", "7d")
    wait_ready(page)
    check_cards(page, reading.api("/vitals/summary", demo_token, site="demo", range="7d"))

    add_filter(page, "browser", "Chrome")
    filtered = reading.api("/vitals/summary", demo_token, site="demo", range="7d", browser="Chrome")
    assert filtered["source"] == "rollup"
    check_cards(page, filtered)
    assert (
        filtered["rows"][0]["samples"]
        < reading.api("/vitals/summary", demo_token, site="demo", range="7d")["rows"][0]["samples"]
    )
    page.screenshot(path=str(ARTIFACTS / "3-7d-chrome.png"), full_page=True)

    # A second filter: the raw tables answer (the rollups hold one dimension at a time).
    add_filter(page, "device", "desktop")
    both = reading.api(
        "/vitals/summary", demo_token, site="demo", range="7d", browser="Chrome", device="desktop"
    )
    assert both["source"] == "raw"
    check_cards(page, both)
    page.click("[data-dimension=device] button")
    wait_ready(page)
    check_cards(page, filtered)
    with page.expect_download() as info:
        page.locator("[data-table=pages] [data-export=csv]").click()
    saved = tmp_path / "pages.csv"
    info.value.save_as(saved)
    expected = reading.api(
        "/pages", demo_token, site="demo", range="7d", browser="Chrome", metric="LCP", limit=20, format="csv"
    )
    assert saved.read_text() == expected
    assert info.value.suggested_filename == "rumhouse-pages.csv"

    with page.expect_download() as info:
        page.locator("#cards-panel [data-export=json]").click()
    info.value.save_as(tmp_path / "summary.json")
    assert (tmp_path / "summary.json").read_text().startswith('{"source"')

    # A custom window (from / to, UTC), on whole hours as the page proposes it.
    page.select_option("#range", "custom")
    wait_ready(page)
    start, end = page.input_value("#from") + ":00Z", page.input_value("#to") + ":00Z"
    custom = reading.api(
        "/vitals/summary", demo_token, site="demo", browser="Chrome", **{"from": start, "to": end}
    )
    assert custom["source"] == "rollup"
    check_cards(page, custom)
    page.screenshot(path=str(ARTIFACTS / "4-custom-window.png"), full_page=True)

    # Reloading keeps the session (sessionStorage); signing out forgets the token.
    page.reload()
    wait_ready(page)
    page.click("#sign-out")
    assert page.locator("#sign-in").is_visible() and page.locator("#filters").is_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.problems == []


def send_backend(reading) -> list[str]:
    """Two routes of a shop's API, each request with a database call: OTLP spans of known durations."""
    token = ingest_token(reading, "demo")
    now = time.time_ns() - 120 * 10**9
    spans, traces = [], []
    for i, (route, ms, db_ms) in enumerate(
        [("/cart", 180, 40), ("/cart", 220, 130), ("/orders/{id}", 95, 20)]
    ):
        trace = secrets.token_hex(16)
        traces.append(trace)
        server = span(
            trace,
            f"GET {route}",
            2,
            now + i * 10**9,
            ms,
            [attr("http.route", route), attr("http.request.method", "GET")],
        )
        db = span(
            trace,
            "SELECT",
            3,
            now + i * 10**9 + 5 * 10**6,
            db_ms,
            [attr("db.system.name", "postgresql"), attr("db.query.text", "SELECT * FROM carts WHERE id = 1")],
        )
        db["parentSpanId"] = server["spanId"]
        spans += [server, db]
    assert post_spans(reading, token, "shop-api", spans).status_code == 200
    wait_until(
        lambda: reading.scalar("SELECT count() FROM rumhouse.otel_traces WHERE ServiceName = 'shop-api'") >= 6
    )
    wait_rolled_up(reading)
    return traces


def send_ai_and_host(reading) -> None:
    """Two AI calls of a priced model, and one host's memory and CPU point."""
    token = ingest_token(reading, "demo")
    now = time.time_ns() - 60 * 10**9
    calls = [
        span(secrets.token_hex(16), "chat gpt-4o", 3, now + i * 10**9, 900 + 100 * i,
             [attr("gen_ai.operation.name", "chat"), attr("gen_ai.provider.name", "openai"),
              attr("gen_ai.request.model", "gpt-4o"), attr("gen_ai.usage.input_tokens", 1200),
              attr("gen_ai.usage.output_tokens", 300)])
        for i in range(2)
    ]  # fmt: skip
    render = span(secrets.token_hex(16), "render", 1, now, 1500,
                  [attr("operation.name", "render-image"), attr("operation.model", "sdxl"),
                   attr("operation.cost_usd", "0.02"), attr("operation.queue_wait_ms", 250)])  # fmt: skip
    assert post_spans(reading, token, "assistant", [*calls, render]).status_code == 200
    point = {
        "timeUnixNano": str(now),
        "asDouble": 0.625,
        "attributes": [{"key": "state", "value": {"stringValue": "used"}}],
    }
    idle = {
        "timeUnixNano": str(now),
        "asDouble": 0.75,
        "attributes": [{"key": "state", "value": {"stringValue": "idle"}}],
    }
    body = {
        "resourceMetrics": [
            {
                "resource": {"attributes": [{"key": "host.name", "value": {"stringValue": "web-1"}}]},
                "scopeMetrics": [
                    {
                        "metrics": [
                            {"name": "system.memory.utilization", "gauge": {"dataPoints": [point]}},
                            {"name": "system.cpu.utilization", "gauge": {"dataPoints": [idle]}},
                        ]
                    }
                ],
            }
        ]
    }
    sent = reading.client.post(
        "/v1/metrics",
        json=body,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert sent.status_code == 200, sent.text
    wait_until(
        lambda: (
            reading.scalar(
                "SELECT count() FROM rumhouse.otel_metrics_gauge WHERE ResourceAttributes['host.name'] = 'web-1'"
            )
            == 2
        )
    )
    wait_until(
        lambda: reading.scalar("SELECT count() FROM rumhouse.otel_traces WHERE gen_ai_operation != ''") >= 2
    )


def test_backend_panels_and_the_trace_view(reading, demo_token, page):
    send_backend(reading)
    send_ai_and_host(reading)
    page.goto(reading.url + "/")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    endpoints = reading.api("/server/endpoints", demo_token, site="demo", range="24h", limit=20)["rows"]
    shown = page.locator("[data-table=server-endpoints] tbody tr")
    assert shown.count() == len(endpoints) >= 2
    for i, row in enumerate(endpoints):
        cells = shown.nth(i).locator("td")
        assert [cells.nth(k).inner_text() for k in range(4)] == [
            row["service"],
            row["method"],
            row["route"],
            f"{row['requests']:,}",
        ]
        assert cells.nth(6).inner_text() == f"{round(row['p95'])} ms"
    statements = reading.api("/database/statements", demo_token, site="demo", range="24h", limit=20)["rows"]
    assert page.locator("[data-table=db-statements] tbody tr").count() == len(statements) >= 1
    # The slow-query list: the one call over 100 ms, its route shown, its trace a button.
    slow = reading.api("/database/slow-calls", demo_token, site="demo", range="24h", limit=20)["rows"]
    assert [(r["duration_ms"], r["route"]) for r in slow] == [(130, "/cart")]
    cells = page.locator("[data-table=slow-calls] tbody tr").first.locator("td")
    assert (cells.nth(1).inner_text(), cells.nth(2).inner_text()) == ("130 ms", "/cart")
    assert (
        page.locator("[data-table=slow-calls] [data-trace]").get_attribute("data-trace")
        == slow[0]["trace_id"]
    )
    # AI calls and hosts, as the API answers them.
    [model] = reading.api("/ai/models", demo_token, site="demo", range="24h")["rows"]
    cells = page.locator("[data-table=ai-models] tbody tr").first.locator("td")
    assert (cells.nth(0).inner_text(), cells.nth(2).inner_text()) == ("gpt-4o", "2")
    assert (
        cells.nth(9).inner_text() == f"${model['cost_usd']:.4f}"
    )  # 2 x (1200 in, 300 out) at gpt-4o's price
    assert model["cost_usd"] == pytest.approx(2 * (1200 * 2.50 + 300 * 10.00) / 1e6)
    # AI calls over time: the chart says what /ai/timeseries answered; the report downloads as a PDF.
    points = reading.api("/ai/timeseries", demo_token, site="demo", range="24h")["rows"]
    calls = sum(p["calls"] for p in points)
    lowest = min(round(p["availability"] * 100, 1) for p in points if p["calls"])
    assert calls >= 2
    assert (
        page.locator("#ai-chart").get_attribute("aria-label")
        == f"{calls} AI calls; lowest availability {lowest:g}%"
    )
    with page.expect_download() as got:
        page.click("#ai-report")
    pdf = got.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "gpt-4o" in text and "demo" in text
    hosts = page.locator("[data-table=hosts] tbody tr").first.locator("td")
    assert (hosts.nth(0).inner_text(), hosts.nth(1).inner_text(), hosts.nth(3).inner_text()) == (
        "web-1",
        "25.0%",
        "62.5%",
    )
    [operation] = reading.api("/operations", demo_token, site="demo", range="24h")["rows"]
    cells = page.locator("[data-table=operations] tbody tr").first.locator("td")
    assert [cells.nth(k).inner_text() for k in (1, 2, 3, 5, 6, 8)] == [
        "render-image", "sdxl", "1", "1500 ms", "250 ms", "$0.0200"
    ]  # fmt: skip
    assert operation["cost_usd"] == pytest.approx(0.02)
    # A filter on page dimensions leaves the backend's tables as they are (spans have no browser).
    add_filter(page, "browser", "Chrome")
    assert page.locator("[data-table=server-endpoints] tbody tr").count() == len(endpoints)
    # The slowest request of the first endpoint opens as a waterfall: what /trace answers.
    slowest = endpoints[0]["slowest_trace_id"]
    shown.first.locator("[data-trace]").click()
    page.wait_for_selector("#trace:not([hidden]) .waterfall li")
    waterfall = reading.api("/trace", demo_token, site="demo", trace_id=slowest)
    assert page.locator("#trace h2 code").inner_text() == slowest
    assert page.locator("#trace .waterfall li").count() == len(waterfall["rows"]) == 2
    assert float(page.locator("#trace .trace-summary").get_attribute("data-database-ms")) == pytest.approx(
        waterfall["database_ms"]
    )
    assert page.locator("#trace .waterfall li[data-kind=Client]").count() == 1
    page.locator("#trace").screenshot(path=str(ARTIFACTS / "5-trace-1440.png"))
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("#trace").screenshot(path=str(ARTIFACTS / "6-trace-390.png"))
    assert page.problems == []


def test_a_wrong_token_is_refused(reading, page):
    page.goto(reading.url + "/")
    # The sign-in screen shows the sign-in form only: not the filter bar, not the dashboard.
    assert page.locator("#sign-in").is_visible()
    assert page.locator("#filters").is_hidden() and page.locator("#dashboard").is_hidden()
    page.fill("#token", "rh_wrong_token")
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#sign-in-error:not(:empty)")
    assert page.inner_text("#sign-in-error") == "That token is not valid."
    assert page.locator("#dashboard").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "5-wrong-token.png"))
    # The browser itself logs the 401 of the failed sign-in; nothing else may go wrong.
    assert [p for p in page.problems if "401" not in p] == []


def send_dependencies(reading) -> None:
    """Two services calling a payment provider (peer.service) that fails twice, failing their requests
    with it; one of them also calls a search API that never fails."""
    token = ingest_token(reading, "demo")
    now = time.time_ns() - 90 * 10**9
    for service, calls in (
        ("checkout", [(120, False), (140, True), (160, False)]),
        ("billing", [(300, True)]),
    ):
        spans = []
        for i, (ms, failed) in enumerate(calls):
            trace = secrets.token_hex(16)
            server = span(trace, "POST /pay", 2, now + i * 10**9, ms + 20,
                          [attr("http.route", "/pay"), attr("http.request.method", "POST")], error=failed)  # fmt: skip
            call = span(trace, "POST", 3, now + i * 10**9 + 10**6, ms,
                        [attr("peer.service", "payments"), attr("http.request.method", "POST")], error=failed)  # fmt: skip
            call["parentSpanId"] = server["spanId"]
            spans += [server, call]
            if service == "checkout":
                search = span(trace, "GET", 3, now + i * 10**9 + 2 * 10**6, 15,
                              [attr("server.address", "search.example"), attr("http.request.method", "GET")])  # fmt: skip
                search["parentSpanId"] = server["spanId"]
                spans.append(search)
        assert post_spans(reading, token, service, spans).status_code == 200
    wait_rolled_up(reading)
    viewer = reading.token("viewer", "demo")

    def counted() -> int:
        rows = reading.api("/dependencies", viewer, site="demo", range="24h")["rows"]
        return sum(r["calls"] for r in rows if r["dependency"] in ("payments", "search.example"))

    wait_until(lambda: counted() == 7)


def test_dependency_panels(reading, demo_token, page):
    send_dependencies(reading)
    page.goto(reading.url + "/")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    asked = {"site": "demo", "range": "24h"}
    dependencies = reading.api("/dependencies", demo_token, limit=20, **asked)["rows"]
    shown = page.locator("[data-table=dependencies] tbody tr")
    assert shown.count() == len(dependencies) >= 2
    for i, row in enumerate(dependencies):
        cells = shown.nth(i).locator("td")
        assert [cells.nth(k).inner_text() for k in (0, 1, 2, 3, 4, 6)] == [
            row["dependency"], row["kind"], ", ".join(row["callers"]), f"{row['calls']:,}",
            f"{row['availability'] * 100:.1f}%", f"{round(row['p95_ms'])} ms",
        ]  # fmt: skip
    payments = next(r for r in dependencies if r["dependency"] == "payments")
    assert (payments["calls"], payments["errors"], payments["callers"]) == (4, 2, ["billing", "checkout"])
    # A dependency over time: availability and p95 per bucket, as /dependencies/timeseries answers.
    page.select_option("#dependency-pick", label="payments (http)")
    series = reading.api("/dependencies/timeseries", demo_token, dependency="payments", kind="http", **asked)[
        "rows"
    ]
    busy = [p for p in series if p["count"]]
    lowest = min(round((1 - p["error_rate"]) * 100, 1) for p in busy)
    expected = f"{sum(p['count'] for p in busy)} calls to payments; lowest availability {lowest:g}%"
    page.wait_for_function(
        "want => document.getElementById('dependency-chart').getAttribute('aria-label') === want",
        arg=expected,
    )
    assert sum(p["count"] for p in busy) == 4 and sum(p["errors"] for p in busy) == 2
    # The map: one line per edge of the API's answer, red where over 5% of the calls failed.
    edges = reading.api("/dependencies/map", demo_token, limit=100, **asked)["rows"]
    lines = page.locator("[data-table=dependency-map] svg line")
    assert lines.count() == len(edges)
    for edge in edges:
        line = page.locator(
            f'[data-table=dependency-map] line[data-edge="{edge["caller"]} -> {edge["dependency"]}"]'
        )
        assert line.count() >= 1
        assert ("failing" in line.first.get_attribute("class")) == (edge["error_rate"] > 0.05)
    failing = page.locator('[data-table=dependency-map] line[data-edge="billing -> payments"]')
    assert "failing" in failing.get_attribute("class")  # 1 of 1 failed
    assert "search.example (http)" in page.locator("[data-table=dependency-map] svg").text_content()
    # Services failing together: payments, shared by both, with an example trace to open.
    [shared] = reading.api("/dependencies/shared-failures", demo_token, **asked)["rows"]
    cells = page.locator("[data-table=shared-failures] tbody tr").first.locator("td")
    assert [cells.nth(k).inner_text() for k in range(4)] == ["payments", "billing, checkout", "2", "100.0%"]
    assert shared["failed_requests"] == 2
    page.locator("[data-table=dependency-map]").screenshot(path=str(ARTIFACTS / "7-dependency-map-1440.png"))
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("[data-table=dependencies]").screenshot(path=str(ARTIFACTS / "8-dependencies-390.png"))
    assert page.problems == []


def send_websockets(reading) -> None:
    """A page view with three sockets (as rum-ws.js reports them) and a server's connection gauge."""
    sockets = [
        {"u": "wss://chat.example/ws/room", "o": "40", "c": "1000", "mi": "12", "mo": "3", "bi": "2400", "bo": "90"},
        {"u": "wss://chat.example/ws/room", "o": "60", "c": "1006", "mi": "2", "mo": "1", "bi": "100", "bo": "10"},
        {"u": "wss://chat.example/ws/feed", "c": "1006", "mi": "0", "mo": "0", "bi": "0", "bo": "0"},
    ]  # fmt: skip
    events = [
        {"k": "measure", "n": "rumhouse.websocket", "v": 5000 + 1000 * i, "tags": tags, "ts": 9000}
        for i, tags in enumerate(sockets)
    ]
    beacon = {"site": "demo", "pv": secrets.token_hex(8), "url": "https://a.example/chat", "last": True,
              "now": 9500, "nav": {}, "ev": events}  # fmt: skip
    assert reading.post(orjson.dumps(beacon)).status_code == 204
    token = ingest_token(reading, "demo")
    now = time.time_ns() - 30 * 10**9
    points = [{"timeUnixNano": str(now + i * 10**10), "asDouble": v} for i, v in enumerate((40, 75, 62))]
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "chat"}},
                               {"key": "host.name", "value": {"stringValue": "ws-1"}}]}  # fmt: skip
    metric = {"name": "websocket.connections", "gauge": {"dataPoints": points}}
    body = {"resourceMetrics": [{"resource": resource, "scopeMetrics": [{"metrics": [metric]}]}]}
    sent = reading.client.post("/v1/metrics", json=body, headers={"authorization": f"Bearer {token}"})
    assert sent.status_code == 200, sent.text
    wait_until(lambda: reading.scalar("SELECT count() FROM rumhouse.websockets") >= 3)
    wait_until(
        lambda: (
            reading.scalar(
                "SELECT count() FROM rumhouse.otel_metrics_gauge WHERE MetricName = 'websocket.connections'"
            )
            >= 3
        )
    )


def test_websocket_panels(reading, demo_token, page):
    send_websockets(reading)
    page.goto(reading.url + "/")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    rows = reading.api("/websockets", demo_token, site="demo", range="24h", limit=20)["rows"]
    room = next(r for r in rows if r["endpoint"] == "chat.example/ws/room")
    assert (room["connections"], room["abnormal_closes"], room["messages_in"]) == (2, 1, 14)
    assert room["close_codes"] == {"1000": 1, "1006": 1}
    shown = page.locator("[data-table=websockets] tbody tr")
    assert shown.count() == len(rows)
    cells = shown.nth(rows.index(room)).locator("td")
    assert [cells.nth(k).inner_text() for k in (0, 1, 2, 3, 6, 9)] == [
        "chat.example/ws/room", "2", "0", "1", "14", "1000×1 1006×1"
    ]  # fmt: skip
    servers = reading.api("/websockets/servers", demo_token, site="demo", range="24h")["rows"]
    [chat] = [s for s in servers if s["host"] == "ws-1"]
    assert (chat["connections_last"], chat["connections_max"]) == (62, 75)
    cells = page.locator("[data-table=websocket-servers] tbody tr").nth(servers.index(chat)).locator("td")
    assert [cells.nth(k).inner_text() for k in range(3)] == ["ws-1", "62", "75"]
    assert page.problems == []


def test_operations_compared_across_sites_sorted_as_chosen(reading, demo_token, page):
    token = ingest_token(reading, "demo")
    now = time.time_ns() - 60 * 10**9
    jobs = [
        span(secrets.token_hex(16), "export", 1, now, 300, [attr("operation.name", "export-csv"),
             attr("operation.cost_usd", "0.5")]),
        span(secrets.token_hex(16), "encode", 1, now, 4000, [attr("operation.name", "encode-video"),
             attr("operation.cost_usd", "0.01")]),
    ]  # fmt: skip
    assert post_spans(reading, token, "studio", jobs).status_code == 200
    wait_until(
        lambda: (
            reading.scalar(
                "SELECT count() FROM rumhouse.otel_traces WHERE operation_name IN ('export-csv', 'encode-video')"
            )
            == 2
        )
    )
    page.goto(reading.url + "/")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)

    def shown() -> list[list[str]]:
        rows = page.locator("[data-table=operations-compare] tbody tr")
        return [[rows.nth(i).locator("td").nth(k).inner_text() for k in (0, 2)] for i in range(rows.count())]

    for sort in ("cost", "time", "error_rate", "success_rate"):
        expected = reading.api("/operations/compare", demo_token, period="30d", sort=sort, limit=50)["rows"]
        assert len(expected) >= 2
        if sort != "cost":
            page.select_option("#ops-sort", sort)
        want = [[r["site"], r["name"]] for r in expected]
        page.wait_for_function(
            "want => JSON.stringify([...document.querySelectorAll('[data-table=operations-compare] tbody tr')]"
            ".map(tr => [tr.cells[0].textContent, tr.cells[2].textContent])) === JSON.stringify(want)",
            arg=want,
        )
        assert shown() == want
    costs = reading.api("/operations/compare", demo_token, period="30d", sort="cost", limit=50)["rows"]
    assert costs[0]["name"] == "export-csv"  # 0.5 US dollars, the most
    times = reading.api("/operations/compare", demo_token, period="30d", sort="time", limit=50)["rows"]
    assert times[0]["name"] == "encode-video"  # 4 s, the slowest
    assert page.problems == []


def test_a_hosts_cpu_and_memory_over_time(reading, demo_token, page):
    """Six points 10 s apart of a host db-1 (memory used share, and each of two CPUs' idle share)."""
    token = ingest_token(reading, "demo")
    start = (time.time_ns() // 10**9 - 600) * 10**9
    memory = [0.50, 0.55, 0.61, 0.83, 0.70, 0.64]
    idle = [(0.9, 0.7), (0.8, 0.6), (0.5, 0.3), (0.2, 0.4), (0.6, 0.6), (0.9, 0.9)]

    def point(i, value, **attrs):
        kv = [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]
        return {"timeUnixNano": str(start + i * 10 * 10**9), "asDouble": value, "attributes": kv}

    used = [point(i, m, state="used") for i, m in enumerate(memory)]
    cpus = [point(i, v, state="idle", cpu=str(c)) for i, pair in enumerate(idle) for c, v in enumerate(pair)]
    resource = {"attributes": [{"key": "host.name", "value": {"stringValue": "db-1"}}]}
    metrics = [{"name": "system.memory.utilization", "gauge": {"dataPoints": used}},
               {"name": "system.cpu.utilization", "gauge": {"dataPoints": cpus}}]  # fmt: skip
    body = {"resourceMetrics": [{"resource": resource, "scopeMetrics": [{"metrics": metrics}]}]}
    sent = reading.client.post("/v1/metrics", json=body, headers={"authorization": f"Bearer {token}"})
    assert sent.status_code == 200, sent.text
    wait_until(
        lambda: (
            reading.scalar(
                "SELECT count() FROM rumhouse.otel_metrics_gauge WHERE ResourceAttributes['host.name'] = 'db-1'"
            )
            == len(used) + len(cpus)
        )
    )
    page.goto(reading.url + "/")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    page.select_option("#range", "1h")
    wait_ready(page)
    page.select_option("#host-pick", "db-1")
    # Busy share = 1 - the mean idle share of the CPUs; memory as sent; each in percent, to a tenth.
    cpu_peak = round(max(1 - (a + b) / 2 for a, b in idle) * 100, 1)
    memory_peak = round(max(memory) * 100, 1)
    expected = f"db-1: {len(memory)} points; CPU peak {cpu_peak:g}%, memory peak {memory_peak:g}%"
    page.wait_for_function(
        "want => document.getElementById('host-chart').getAttribute('aria-label') === want", arg=expected
    )
    series = reading.api("/hosts/timeseries", demo_token, site="demo", range="1h", host="db-1")
    assert series["bucket_seconds"] == 0 and len(series["rows"]) == len(memory)  # every point as sent
    assert max(r["cpu"] for r in series["rows"]) == pytest.approx(cpu_peak / 100)
    page.locator("#host-panel").screenshot(path=str(ARTIFACTS / "9-host-1440.png"))
    assert page.problems == []


def test_a_view_in_its_url_sortable_tables_and_auto_refresh(reading, demo_token, page):
    page.clock.install()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/vitals/summary" in r.url else None)
    # A shared link: site, range, a filter and the series metric in the URL (never the token).
    page.goto(reading.url + "/?site=demo&range=7d&browser=Chrome&metric=INP")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    assert (
        page.locator("#range").input_value() == "7d" and page.locator("#series-metric").input_value() == "INP"
    )
    assert page.locator("[data-dimension=browser]").inner_text().startswith("browser: Chrome")
    check_cards(page, reading.api("/vitals/summary", demo_token, site="demo", range="7d", browser="Chrome"))
    assert "browser=Chrome" in asked[-1] and "range=7d" in asked[-1]
    assert demo_token not in page.url
    # The URL follows the view: another range, and the reloaded page shows the same.
    page.select_option("#range", "30d")
    wait_ready(page)
    assert "range=30d" in page.url and "browser=Chrome" in page.url
    page.reload()
    wait_ready(page)  # the token is still in this tab's sessionStorage
    assert page.locator("#range").input_value() == "30d"
    assert page.locator("[data-dimension=browser]").count() == 1
    # Sortable: a header orders the rows by its values, again to reverse.
    rows = reading.api(
        "/pages", demo_token, site="demo", range="30d", browser="Chrome", metric="LCP", limit=20
    )["rows"]
    assert len(rows) >= 3
    paths = page.locator("[data-table=pages] tbody tr td:first-child")
    page.click("[data-table=pages] th button[data-sort=page_views]")
    by_views = sorted(rows, key=lambda r: -r["page_views"])
    assert [r["page_views"] for r in by_views] == sorted((r["page_views"] for r in rows), reverse=True)
    shown = [
        int(t.replace(",", ""))
        for t in page.locator("[data-table=pages] tbody tr td:nth-child(2)").all_inner_texts()
    ]
    assert shown == [r["page_views"] for r in by_views]
    assert page.locator("[data-table=pages] th[aria-sort=descending]").inner_text().startswith("Page views")
    page.click("[data-table=pages] th button[data-sort=path]")
    page.click("[data-table=pages] th button[data-sort=path]")
    assert paths.all_inner_texts() == sorted(r["path"] for r in rows)
    # Several values of one filter: any of them, a chip each, kept in the URL; one removed, the other stays.
    add_filter_value(page, "browser", "Firefox")
    assert page.locator("[data-dimension=browser]").count() == 2
    assert "browser=Chrome" in page.url and "browser=Firefox" in page.url
    check_cards(
        page,
        reading.api("/vitals/summary", demo_token, site="demo", range="30d", browser=["Chrome", "Firefox"]),
    )
    page.click("[data-dimension=browser][data-value=Chrome] button")
    ready_again(page)
    assert page.locator("[data-dimension=browser]").count() == 1 and "browser=Chrome" not in page.url
    check_cards(page, reading.api("/vitals/summary", demo_token, site="demo", range="30d", browser="Firefox"))
    # Auto-refresh: nothing new until the box is ticked; then the view again every 30 s.
    before = len(asked)
    page.clock.fast_forward(31_000)
    assert len(asked) == before
    page.check("#auto-refresh")
    assert "refresh=1" in page.url
    page.clock.fast_forward(31_000)
    page.wait_for_selector("body[data-state='ready']", state="attached")
    assert len(asked) == before + 1
    page.uncheck("#auto-refresh")
    page.clock.fast_forward(61_000)
    assert len(asked) == before + 1
    assert page.problems == []


def test_cards_say_how_sure_and_the_series_has_every_bucket(reading, demo_token, page):
    page.goto(reading.url + "/?site=demo&range=7d")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    summary = {
        r["metric"]: r for r in reading.api("/vitals/summary", demo_token, site="demo", range="7d")["rows"]
    }
    for metric, row in summary.items():
        if metric == "TTI":
            continue
        card = page.locator(f"[data-testid=card-{metric}]")
        ci = (
            f"95% CI {format_metric(metric, row['p75_ci_low'])} – {format_metric(metric, row['p75_ci_high'])}"
        )
        assert card.locator(".ci").inner_text() == ci
        assert ("too-few" in card.get_attribute("class")) == (not row["enough"])
    # Narrowed to a few page views: the cards are greyed, said to be too few to judge.
    page.goto(reading.url + "/?site=demo&range=24h&path=/checkout&browser=Firefox&device=tablet")
    wait_ready(page)
    few = reading.api(
        "/vitals/summary",
        demo_token,
        site="demo",
        range="24h",
        path="/checkout",
        browser="Firefox",
        device="tablet",
    )["rows"]
    assert few and all(not r["enough"] for r in few)
    for row in few:
        if row["metric"] in ("LCP", "INP", "CLS", "FCP", "TTFB", "FID"):
            assert "too-few" in page.locator(f"[data-testid=card-{row['metric']}]").get_attribute("class")
    # The series: every bucket of the window, those without samples as gaps; several metrics on one axis.
    page.goto(reading.url + "/?site=demo&range=7d&metric=ms")
    wait_ready(page)
    series = reading.api("/vitals/timeseries", demo_token, site="demo", range="7d")["rows"]
    buckets = len({r["time"] for r in series})
    with_samples = sum(1 for r in series if r["metric"] in ("LCP", "INP", "FCP", "TTFB") and r["samples"])
    assert page.locator("#series-chart").get_attribute("aria-label") == (
        f"LCP, INP, FCP, TTFB p75: {buckets} buckets, {with_samples} with samples"
    )
    # Each release marked at the bucket it was first seen in.
    releases = reading.api("/releases", demo_token, site="demo", range="7d")["rows"]
    starts = sorted({r["time"] for r in series})
    marks = []
    for r in releases:
        seen = datetime.fromisoformat(r["first_seen"])
        inside = [
            t
            for t in starts
            if datetime.fromisoformat(t) <= seen < datetime.fromisoformat(t) + timedelta(hours=3)
        ]
        marks += [f"{r['release']}@{t}" for t in inside]
    assert marks and page.locator("#series-chart").get_attribute("data-releases") == " ".join(marks)
    # 3-hour buckets from the one the window starts in (56, or 57 when it starts inside one); some empty.
    assert buckets in (56, 57) and any(not r["samples"] for r in series)
    # The distribution of a metric, in its bands: what /vitals/histogram answered.
    page.select_option("#histogram-metric", "INP")
    spread = reading.api("/vitals/histogram", demo_token, site="demo", range="7d", metric="INP")
    shares = {band: sum(r["share"] or 0 for r in spread["rows"] if r["rating"] == band)
              for band in ("good", "needs-improvement", "poor")}  # fmt: skip

    def pct(v):  # the dashboard's: to a tenth of a percent, halves up (JavaScript's Math.round)
        return f"{math.floor(v * 1000 + 0.5) / 10:g}%"

    expected = (
        f"INP: {spread['samples']} samples; good {pct(shares['good'])}, needs improvement"
        f" {pct(shares['needs-improvement'])}, poor {pct(shares['poor'])} (thresholds 200 ms and 500 ms)"
    )
    page.wait_for_selector(f'#histogram-chart[aria-label="{expected}"]', state="attached")
    page.locator("#cards").screenshot(path=str(ARTIFACTS / "15-cards-1440.png"))
    # Beside every page view, as the Chrome UX Report would count them, with what makes them differ.
    crux = reading.api("/vitals/crux", demo_token, site="demo", range="7d")
    shown = page.locator("[data-table=crux] tbody tr")
    assert shown.count() == len(crux["rows"]) >= 4
    for i, row in enumerate(crux["rows"]):
        cells = shown.nth(i).locator("td")
        assert (cells.nth(0).inner_text(), cells.nth(2).inner_text(), cells.nth(4).inner_text()) == (
            row["metric"],
            f"{row['all_samples']:,}",
            f"{row['crux_samples']:,}",
        )
    assert page.locator("[data-table=crux] ul.notes li").count() == len(crux["notes"])
    # A browser filter is the view's own business: left out of its question, not an error.
    add_filter(page, "browser", "Firefox")
    assert page.locator("[data-table=crux] tbody tr").count() == len(crux["rows"])
    assert page.problems == []


def test_usable_at_390_px(reading, demo_token, page):
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(reading.url + "/?site=demo&range=7d")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    show(page, "[data-table=errors]")
    # An error message keeps a readable width: words per line, not a character per line.
    message = page.locator("[data-table=errors] tbody tr").first.locator("td").first
    box = message.bounding_box()
    assert box and box["width"] >= 150, box
    lines = box["height"] / float(message.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 16"))
    assert lines <= len(message.inner_text()) / 8, (lines, message.inner_text())
    # Nothing wider than the screen but what scrolls inside its panel.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    for name in ("errors", "pages", "api-calls"):
        show(page, f"[data-table={name}]")
        page.locator(f"[data-table={name}]").screenshot(path=str(ARTIFACTS / f"16-{name}-390.png"))
    assert page.problems == []


def panel_name(panel) -> str:
    return panel.get_attribute("data-table") or panel.get_attribute("id") or "panel"


def test_every_panel_at_1440_and_390(reading, demo_token, page):
    """Each panel shown, as a picture at both widths (test-artifacts/dashboard/panels/), each within the
    screen at 390 px (what is wider scrolls inside its panel)."""
    folder = ARTIFACTS / "panels"
    folder.mkdir(parents=True, exist_ok=True)
    page.goto(reading.url + "/?site=demo&range=7d")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    shown = {}
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        panels = page.locator("#dashboard .panel:visible")
        names = [panel_name(panels.nth(i)) for i in range(panels.count())]
        assert len(names) == len(set(names)), names
        shown[width] = names
        for i, name in enumerate(names):
            panel = panels.nth(i)
            if name != "reports-panel":  # two buttons, nothing to load
                show(page, f"#dashboard .panel[data-table='{name}'], #{name}")
            box = panel.bounding_box()
            assert box and box["height"] > 40, (name, box)
            if width == 390:
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, (name, box)
            panel.screenshot(path=str(folder / f"{name}-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    # The same panels at both widths, and every table panel of the page among them.
    assert shown[1440] == shown[390]
    tables = page.eval_on_selector_all("[data-table]", "els => els.map(e => e.dataset.table)")
    assert set(tables) <= set(shown[390]), set(tables) - set(shown[390])
    assert page.problems == []


def test_panels_load_as_they_come_into_view(reading, demo_token, page):
    """On a laptop's screen, the first screen's panels load at sign-in and the others only when scrolled
    to: then the panel draws what the API answers for it."""
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/" in r.url else None)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(reading.url + "/?site=demo&range=7d")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    assert page.get_attribute("#cards-panel", "data-drawn-at")
    assert any("/vitals/summary?" in u for u in asked)
    # The last table of the page: neither asked for nor drawn yet.
    bottom = "[data-table=resources]"
    assert page.get_attribute(bottom, "data-drawn-at") is None
    assert not any("/resources?" in u for u in asked)
    show(page, bottom)
    wait_ready(page)
    [url] = [u for u in asked if "/resources?" in u]
    assert "by=host" in url and "range=7d" in url
    rows = reading.api("/resources", demo_token, site="demo", range="7d", by="host", limit=20)["rows"]
    shown = page.locator(f"{bottom} tbody tr")
    assert shown.count() == len(rows) > 0
    assert [shown.nth(i).locator("td").first.inner_text() for i in range(len(rows))] == [
        r["host"] for r in rows
    ]
    # Another window: what is on the screen loads again, the panels far above wait (dimmed).
    asked.clear()
    page.select_option("#range", "24h")
    wait_ready(page)
    assert any("/resources?" in u and "range=24h" in u for u in asked)
    assert not any("/vitals/summary?" in u for u in asked)
    assert page.get_attribute("#cards-panel", "data-stale") == ""
    assert page.problems == []


def test_why_a_vital_is_what_it_is(reading, demo_token, page):
    """LCP elements and INP targets: the page views of a path sent with their attribution, grouped as the
    panel's select says; the rows are the API's, and the API's are the beacons' (counted here)."""
    path = f"/why-{secrets.token_hex(4)}/"
    sent = []
    for i in range(30):
        lcp_element, inp_target = ("#hero", "button.buy") if i % 3 else ("#banner", "a.more")
        events = [
            {
                "k": "vital",
                "n": "LCP",
                "v": 1000 + 40 * i,
                "a": lcp_element,
                "p": [200, 100, 500 + 40 * i, 200],
            },
            {
                "k": "vital",
                "n": "INP",
                "v": 100 + 10 * i,
                "a": inp_target,
                "e": "click",
                "p": [20, 60 + 10 * i, 20],
            },
        ]
        body = {
            "site": "demo",
            "pv": secrets.token_hex(8),
            "url": f"https://shop.example{path}",
            "last": True,
        }
        assert reading.post(orjson.dumps({**body, "ev": events})).status_code == 204
        sent.append((lcp_element, inp_target))
    wait_until(
        lambda: reading.sql(f"SELECT count() AS n FROM rumhouse.vitals WHERE path = '{path}'")[0]["n"] == 60
    )
    page.goto(f"{reading.url}/?site=demo&range=24h&path={path}")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    for choice, metric, by, counted in (
        ("LCP:element", "LCP", "element", Counter(e for e, _ in sent)),
        ("INP:element", "INP", "element", Counter(t for _, t in sent)),
    ):
        page.select_option("#why-pick", choice)
        answer = reading.api("/vitals/attribution", demo_token, site="demo", range="24h", path=path,
                             metric=metric, by=by, limit=20)["rows"]  # fmt: skip
        assert {r["key"]: r["samples"] for r in answer} == dict(counted)
        rows = page.locator("[data-table=why] tbody tr")
        page.wait_for_selector(f"[data-table=why] th:has-text('p75 {metric}')")
        assert rows.count() == len(answer)
        for i, r in enumerate(answer):
            cells = rows.nth(i).locator("td")
            assert cells.nth(0).inner_text() == r["key"]
            assert cells.nth(1).inner_text() == f"{r['samples']:,}"
            assert cells.nth(3).inner_text() == format_metric(metric, r["p75"])
    assert page.problems == []


def explorer_ids(page) -> list[str]:
    buttons = page.locator("#explorer [data-page-view]")
    return [buttons.nth(i).get_attribute("data-page-view") for i in range(buttons.count())]


def test_from_a_poor_share_a_bin_or_a_release_to_its_page_views(reading, demo_token, page):
    """The explorer opened from a card's poor share, a histogram bin and a release (and within a browser
    filter): the page views listed are the API's for that selection, in its order."""
    page.goto(reading.url + "/?site=demo&range=7d")
    page.fill("#token", demo_token)
    page.click("#sign-in button[type=submit]")
    wait_ready(page)
    window = {"site": "demo", "range": "7d", "limit": 100}

    def opened(action, **asked):
        page.evaluate("document.getElementById('explorer').dataset.asked = ''")
        action()
        page.wait_for_selector("#explorer:not([hidden])[data-asked]:not([data-asked=''])", state="attached")
        narrow = orjson.loads(page.get_attribute("#explorer", "data-asked"))
        assert {k: narrow[k] for k in asked} == asked
        expected = [
            r["page_view_id"] for r in reading.api("/page-views", demo_token, **window, **narrow)["rows"]
        ]
        assert expected and explorer_ids(page) == expected
        return narrow

    opened(lambda: page.click("[data-testid=card-LCP] [data-explore=poor]"), metric="LCP", rating="poor")
    # A bin of the histogram: a click over the chart's middle picks the bin under it.
    box = page.locator("#histogram-chart").bounding_box()
    narrow = opened(lambda: page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5),
                    metric="LCP")  # fmt: skip
    assert "min" in narrow
    # A release, from the release comparison: the one that appeared last (it has one before it).
    latest = reading.api("/releases", demo_token, site="demo", range="7d")["rows"][-1]["release"]
    page.select_option("#release-b", latest)
    page.wait_for_selector("#release-panel [data-explore=release]")
    opened(lambda: page.click("#release-panel [data-explore=release]"), release=latest, metric="LCP")
    # Within a browser filter: the poor LCP page views of Firefox.
    add_filter(page, "browser", "Firefox")
    window["browser"] = "Firefox"
    opened(lambda: page.click("[data-testid=card-LCP] [data-explore=poor]"), metric="LCP", rating="poor")
    assert all(r == "Firefox" for r in page.locator("#explorer tbody tr td:nth-child(4)").all_inner_texts())
    assert page.problems == []
