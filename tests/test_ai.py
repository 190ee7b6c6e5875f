"""AI calls from a real app: the official OpenAI client, instrumented with OpenTelemetry's openai-v2
instrumentation, calling a local OpenAI-compatible server that answers with known latencies and token
usage, rate-limit refusals (429) and errors (500); the app retries a refused call once, in the same trace.
Spans go through the OTLP exporter to a real `rumhouse serve` whose configuration prices the model.

What /api/v1/ai/models and /ai/usage answer is checked against figures worked out here: calls, success
rate, rate-limit hits, retries per success, availability, tokens, estimated cost (the configuration's
price), and the latency percentiles against numpy over the spans' durations.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time

import numpy
import openai
import pytest
import uvicorn
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from support.load import wait_until
from support.otlp import ADMIN, ingest_token
from support.server import CONFIG, RumhouseServer, free_port

pytestmark = pytest.mark.slow

PRICES = """
[[ai_prices]]
model = "gpt-4o-mini"
input = 0.2
output = 0.8
"""
ANSWERED = "gpt-4o-mini-2024-07-18"  # the dated model the provider says answered


def fake_openai() -> Starlette:
    """Answers chat completions as the scenario in the message says: "ok <ms> <in> <out>", "limit"
    (429, the first time a trace's key is seen), "boom" (500)."""
    refused: set[str] = set()

    async def chat(request):
        body = await request.json()
        words = body["messages"][0]["content"].split()
        if words[0] == "limit" and words[1] not in refused:
            refused.add(words[1])
            return JSONResponse({"error": {"message": "rate limited", "type": "requests"}}, status_code=429)
        if words[0] == "boom":
            return JSONResponse(
                {"error": {"message": "server error", "type": "server_error"}}, status_code=500
            )
        ms, prompt, completion = (int(w) for w in words[-3:])
        await asyncio.sleep(ms / 1000)
        model = ANSWERED if body["model"] == "gpt-4o-mini" else body["model"]
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        return JSONResponse(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
                ],
                "usage": usage,
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


@pytest.fixture(scope="module")
def ai_calls(tmp_path_factory):
    server = RumhouseServer(tmp_path_factory.mktemp("ai") / "data", config=CONFIG + PRICES).start()
    try:
        port = free_port()
        provider_server = uvicorn.Server(
            uvicorn.Config(fake_openai(), host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=provider_server.run, daemon=True).start()
        wait_until(lambda: provider_server.started, timeout=10)
        tracer_provider = TracerProvider(resource=Resource.create({"service.name": "assistant"}))
        exporter = OTLPSpanExporter(
            endpoint=f"{server.url}/v1/traces",
            headers={"authorization": f"Bearer {ingest_token(server, 'demo')}"},
        )
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
        OpenAIInstrumentor().instrument(tracer_provider=tracer_provider)
        tracer = tracer_provider.get_tracer("assistant")
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="test", max_retries=0)
        rng = random.Random(11)
        sent = {"ok": [], "limited": [], "boom": 0, "other": []}

        def ask(model: str, text: str) -> None:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])

        try:
            for _ in range(20):
                ms, prompt, completion = rng.randint(5, 60), rng.randint(10, 2000), rng.randint(5, 500)
                with tracer.start_as_current_span("answer"):
                    ask("gpt-4o-mini", f"ok {ms} {prompt} {completion}")
                sent["ok"].append((prompt, completion))
            for i in range(3):
                # Refused for the rate limit, then asked again in the same trace: a retry that succeeds.
                prompt, completion = 100 + i, 20 + i
                with tracer.start_as_current_span("answer"):
                    try:
                        ask("gpt-4o-mini", f"limit key{i} 5 {prompt} {completion}")
                    except openai.RateLimitError:
                        ask("gpt-4o-mini", f"limit key{i} 5 {prompt} {completion}")
                sent["limited"].append((prompt, completion))
            for _ in range(2):
                with tracer.start_as_current_span("answer"), pytest.raises(openai.InternalServerError):
                    ask("gpt-4o-mini", "boom")
                sent["boom"] += 1
            for _ in range(2):
                ask("in-house-llm", "ok 5 300 40")
                sent["other"].append((300, 40))
        finally:
            OpenAIInstrumentor().uninstrument()
            tracer_provider.shutdown()
            provider_server.should_exit = True
        calls = 20 + 2 * 3 + 2 + 2
        wait_until(
            lambda: (
                server.scalar("SELECT count() FROM rumhouse.otel_traces WHERE gen_ai_operation != ''")
                == calls
            )
        )
        yield server, sent
    finally:
        server.close()


def ask_api(server, route: str, **params) -> list[dict]:
    now = int(time.time() * 1000)
    window = {"site": "demo", "from": str(now - 3_600_000), "to": str(now + 60_000)}
    answer = server.client.get(f"/api/v1{route}", params={**window, **params}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def cost(pairs) -> float:
    return sum(prompt * 0.2 + completion * 0.8 for prompt, completion in pairs) / 1e6


def test_calls_success_rate_limits_retries_and_cost_per_model(ai_calls):
    server, sent = ai_calls
    rows = {r["model"]: r for r in ask_api(server, "/ai/models")}
    mini = rows["gpt-4o-mini"]
    assert (mini["provider"], mini["operation"], mini["answered_by"]) == ("openai", "chat", [ANSWERED])
    # 20 answered at once, 3 refused for the rate limit then answered when retried, 2 failed.
    answered = sent["ok"] + sent["limited"]
    assert (mini["calls"], mini["successes"], mini["failures"]) == (20 + 3 + 3 + 2, 23, 5)
    assert mini["success_rate"] == pytest.approx(23 / 28)
    assert (mini["rate_limited"], mini["retries"]) == (3, 3)
    assert mini["retries_per_success"] == pytest.approx(3 / 23)
    # Availability: only the two server errors count against the provider; refusals are the app's quota.
    assert mini["availability"] == pytest.approx(1 - 2 / 28)
    assert mini["input_tokens"] == sum(p for p, _ in answered)
    assert mini["output_tokens"] == sum(c for _, c in answered)
    # The configuration's price of the model asked for (the table's default would give another figure).
    assert mini["cost_usd"] == pytest.approx(cost(answered))
    # A model nobody priced has no cost, rather than a made-up one.
    assert rows["in-house-llm"]["cost_usd"] is None and rows["in-house-llm"]["calls"] == 2
    # Latency: numpy over the spans' own durations (exact percentiles).
    durations = [
        r["duration_ms"]
        for r in server.sql(
            "SELECT duration_ms FROM rumhouse.otel_traces WHERE gen_ai_request_model = 'gpt-4o-mini'"
        )
    ]
    assert mini["p50_ms"] == pytest.approx(numpy.percentile(durations, 50))
    assert mini["p95_ms"] == pytest.approx(numpy.percentile(durations, 95))


def test_each_retry_shares_its_trace_with_the_refused_call(ai_calls):
    server, _ = ai_calls
    traces = server.sql(
        "SELECT TraceId, groupArray(StatusCode) AS statuses FROM rumhouse.otel_traces"
        " WHERE gen_ai_operation != '' GROUP BY TraceId HAVING length(statuses) > 1"
    )
    assert len(traces) == 3 and all(sorted(t["statuses"]) == ["Error", "Unset"] for t in traces)


def test_availability_over_time(ai_calls):
    server, sent = ai_calls
    points = ask_api(server, "/ai/timeseries", bucket="5")
    # A window of 61 minutes in 5-minute buckets, empty ones as zero calls.
    assert 12 <= len(points) <= 14 and len({p["time"] for p in points}) == len(points)
    busy = [p for p in points if p["calls"]]
    assert sum(p["calls"] for p in busy) == 20 + 2 * 3 + 2 + 2
    assert sum(p["failures"] for p in busy) == 3 + sent["boom"]  # refusals and errors
    assert sum(p["rate_limited"] for p in busy) == 3
    for p in busy:
        assert p["availability"] == pytest.approx(1 - (p["failures"] - p["rate_limited"]) / p["calls"])
    assert all(p["availability"] is None and p["p95_ms"] is None for p in points if not p["calls"])
    other = ask_api(server, "/ai/timeseries", bucket="60", model="in-house-llm")
    assert sum(p["calls"] for p in other) == 2 and sum(p["failures"] for p in other) == 0


def test_daily_usage_with_its_cost_and_as_csv(ai_calls):
    server, sent = ai_calls
    rows = ask_api(server, "/ai/usage", period="day")
    by_model = {r["model"]: r for r in rows}
    assert by_model["gpt-4o-mini"]["service"] == "assistant" and by_model["gpt-4o-mini"]["calls"] == 28
    assert by_model["gpt-4o-mini"]["cost_usd"] == pytest.approx(cost(sent["ok"] + sent["limited"]))
    assert {r["period"][:10] for r in rows} == {time.strftime("%Y-%m-%d", time.gmtime())}
    month = ask_api(server, "/ai/usage", period="month")
    assert sum(r["calls"] for r in month) == sum(r["calls"] for r in rows) == 30
    now = int(time.time() * 1000)
    csv = server.client.get(
        "/api/v1/ai/usage",
        params={"site": "demo", "from": str(now - 3_600_000), "to": str(now + 60_000), "format": "csv"},
        headers=ADMIN,
    )
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith(
        "period,service,route,provider,model"
    )


def test_budgets_on_ai_cost_latency_and_error_rate(ai_calls):
    server, sent = ai_calls
    spent = cost(sent["ok"] + sent["limited"])
    budgets = [
        {
            "name": "ai-spend",
            "site": "demo",
            "metric": "ai_cost",
            "limit": spent * 0.9,
            "window": "24h",
            "min_samples": 1,
        },
        {
            "name": "ai-slow",
            "site": "demo",
            "metric": "ai_duration",
            "stat": "p95",
            "limit": 10_000,
            "window": "24h",
            "min_samples": 1,
        },
        {
            "name": "ai-errors",
            "site": "demo",
            "metric": "ai_error_rate",
            "limit": 0.05,
            "window": "24h",
            "min_samples": 1,
        },
    ]
    for body in budgets:
        made = server.client.post("/api/v1/budgets", json=body, headers=ADMIN)
        assert made.status_code == 201, made.text
    status = server.client.get("/api/v1/budgets/status", params={"site": "demo"}, headers=ADMIN).json()
    rows = {r["name"]: r for r in status["budgets"]}
    # The day's spend, priced by the configuration: over a limit of 90% of it.
    assert rows["ai-spend"]["value"] == pytest.approx(spent) and rows["ai-spend"]["state"] == "breached"
    assert rows["ai-spend"]["samples"] == 30
    # Every call answered well under 10 s; 5 of the 30 failed (3 refusals, 2 errors).
    assert rows["ai-slow"]["state"] == "within" and rows["ai-slow"]["value"] < 10_000
    assert rows["ai-errors"]["value"] == pytest.approx(5 / 30) and rows["ai-errors"]["state"] == "breached"


def test_the_usage_report_as_json_and_as_a_pdf_whose_text_has_the_figures(ai_calls):
    import io

    from pypdf import PdfReader

    server, sent = ai_calls
    now = int(time.time() * 1000)
    window = {"site": "demo", "from": str(now - 3_600_000), "to": str(now + 60_000)}
    spent = cost(sent["ok"] + sent["limited"])
    report = server.client.get("/api/v1/ai/report", params=window, headers=ADMIN)
    assert report.status_code == 200, report.text
    totals = report.json()["totals"]
    assert (totals["calls"], totals["failures"], totals["unpriced_calls"]) == (30, 5, 2)
    assert totals["input_tokens"] == sum(p for p, _ in sent["ok"] + sent["limited"]) + 2 * 300
    assert totals["cost_usd"] == pytest.approx(spent)
    pdf = server.client.get("/api/v1/ai/report", params={**window, "format": "pdf"}, headers=ADMIN)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "AI usage report: demo" in text
    assert "Calls: 30 (5 failed)" in text
    assert f"Estimated cost: ${spent:,.4f}" in text and "(2 calls of unpriced models not counted)" in text
    assert "gpt-4o-mini" in text and "in-house-llm" in text and "82.1%" in text  # 23 of 28 answered


def test_suggestions_a_cheaper_model_and_the_rate_limits(ai_calls):
    """On another site: two models doing the same chat work, one cheaper per call, as fast and as
    reliable; the suggestion's impact is the share of the site's AI cost that moving saves."""
    import secrets

    from support.otlp import attr, post_spans, span

    server, _ = ai_calls
    token = ingest_token(server, "shop")
    now = time.time_ns() - 60 * 10**9
    spans, tokens = [], {"gpt-4o-mini": [], "gpt-4.1-nano": []}
    for i in range(25):
        for model, ms in (("gpt-4o-mini", 400 + i), ("gpt-4.1-nano", 380 + i)):
            prompt, completion = 1000 + 10 * i, 200 + i
            tokens[model].append((prompt, completion))
            attributes = [
                attr("gen_ai.operation.name", "chat"),
                attr("gen_ai.provider.name", "openai"),
                attr("gen_ai.request.model", model),
                attr("gen_ai.usage.input_tokens", prompt),
                attr("gen_ai.usage.output_tokens", completion),
            ]
            spans.append(span(secrets.token_hex(16), f"chat {model}", 3, now + i * 10**7, ms, attributes))
    assert post_spans(server, token, "writer", spans).status_code == 200
    wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces WHERE site = 'shop'") == 50)
    found = server.client.get("/api/v1/suggestions", params={"site": "shop"}, headers=ADMIN).json()
    [model] = [s for s in found["suggestions"] if s["kind"] == "ai_model"]
    mini = sum(p * 0.2 + c * 0.8 for p, c in tokens["gpt-4o-mini"]) / 1e6  # the configuration's price
    nano = sum(p * 0.10 + c * 0.40 for p, c in tokens["gpt-4.1-nano"]) / 1e6  # the shipped price
    saving = mini - nano  # gpt-4o-mini's 25 calls at nano's cost per call (nano made 25 calls too)
    assert (model["evidence"]["model"], model["evidence"]["instead"]) == ("gpt-4o-mini", "gpt-4.1-nano")
    assert model["impact"] == pytest.approx(saving / (mini + nano), abs=1e-4)
    # On the first site, the refusals of the rate limit (3 of 28 calls of gpt-4o-mini).
    first = server.client.get("/api/v1/suggestions", params={"site": "demo"}, headers=ADMIN).json()
    [limits] = [s for s in first["suggestions"] if s["kind"] == "ai_rate_limit"]
    assert limits["impact"] == pytest.approx(3 / 28, abs=1e-4) and limits["evidence"]["retries"] == 3
