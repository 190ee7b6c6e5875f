"""Streamed AI answers and repeated prompts, from a real app in a process of its own, on OpenTelemetry's
latest GenAI conventions (OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental) with message content
captured on spans (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only), as a user would switch
them on (read once per process: hence the child process):
- its questions go through the official OpenAI client, instrumented by openai-v2;
- its streamed answers through a streaming client of its own, instrumented the way instrumentations built
  on OpenTelemetry's GenAI utilities are (opentelemetry-util-genai: TelemetryHandler and SyncStreamWrapper,
  which set gen_ai.response.time_to_first_chunk). openai-v2 2.4b0, the newest release, does not time the
  first chunk of its streams.

The local OpenAI-compatible server streams each answer's first chunk after a delay the request names;
the app asks one question several times word for word. Checked against what the test asked for:
- time to first chunk per model (p50) against the injected delays (never less, a few ms more);
- no prompt or answer text is stored, only a hash of the prompt;
- the caching suggestion: the repeated prompt, its calls, and its repeats' share of the AI cost (the
  configuration's prices times the tokens the server reported).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time

import numpy
import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
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
FIRST_CHUNK_MS = [40, 80, 120, 160, 200, 240]
REPEATED = "What are your opening hours?"
UNIQUE = [f"Is item {i} in stock?" for i in range(4)]
REPEATS = 6
SLACK_MS = 60  # what the client, the loopback and a busy machine may add to a delay


def tokens_of(text: str) -> tuple[int, int]:
    """The usage the fake reports for a prompt: known to the test without asking the store."""
    return 1000 + 10 * len(text), 200 + len(text)


def fake_openai() -> Starlette:
    async def chat(request):
        body = await request.json()
        text = body["messages"][-1]["content"]
        prompt, completion = tokens_of(text)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        base = {"id": "chatcmpl-1", "created": int(time.time()), "model": "gpt-4o-mini-2024-07-18"}
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
            return JSONResponse({**base, "object": "chat.completion", "choices": [choice], "usage": usage})

        async def chunks():
            await asyncio.sleep(int(text.split()[1]) / 1000)  # "stream <ms>": the first chunk's delay
            for i, word in enumerate(("It", " is", " open", ".")):
                delta = {"role": "assistant", "content": word} if i == 0 else {"content": word}
                choice = {"index": 0, "delta": delta, "finish_reason": None}
                yield (
                    b"data: "
                    + orjson.dumps({**base, "object": "chat.completion.chunk", "choices": [choice]})
                    + b"\n\n"
                )
                await asyncio.sleep(0.005)
            end = {"index": 0, "delta": {}, "finish_reason": "stop"}
            yield (
                b"data: "
                + orjson.dumps({**base, "object": "chat.completion.chunk", "choices": [end]})
                + b"\n\n"
            )
            yield (
                b"data: "
                + orjson.dumps({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
                + b"\n\n"
            )
            yield b"data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


APP = """
import json, sys
import httpx
import openai
from opentelemetry.util.genai.handler import TelemetryHandler
from opentelemetry.util.genai.stream import SyncStreamWrapper
from opentelemetry.util.genai.types import Error, InputMessage, Text
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

job = json.loads(sys.argv[1])
provider = TracerProvider(resource=Resource.create({"service.name": "concierge"}))
exporter = OTLPSpanExporter(endpoint=job["otlp"], headers={"authorization": "Bearer " + job["token"]})
provider.add_span_processor(SimpleSpanProcessor(exporter))
OpenAIInstrumentor().instrument(tracer_provider=provider)
client = openai.OpenAI(base_url=job["base"], api_key="test", max_retries=0)
handler = TelemetryHandler(tracer_provider=provider)


# The app's own streaming client, instrumented with OpenTelemetry's GenAI utilities.
class Chunks(SyncStreamWrapper):

    def _process_chunk(self, chunk):
        invocation = self._self_invocation
        invocation.response_model_name = chunk.get("model")
        if chunk.get("usage"):
            invocation.input_tokens = chunk["usage"]["prompt_tokens"]
            invocation.output_tokens = chunk["usage"]["completion_tokens"]

    def _on_stream_end(self):
        self._self_invocation.stop()

    def _on_stream_error(self, error):
        self._self_invocation.fail(Error(type=type(error), message=str(error)))


# One client for every stream, made before them: a client of its own per call (httpx.stream) loads the CA
# certificates inside the time to the first chunk, tens of ms the provider never spent.
streaming = httpx.Client()


def sse(text):
    body = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": text}]}
    with streaming.stream("POST", job["base"] + "/chat/completions", json=body) as answer:
        for line in answer.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                yield json.loads(line[6:])


for ms in job["streams"]:
    invocation = handler.start_inference("openai", request_model="gpt-4o-mini", server_address="127.0.0.1")
    invocation.input_messages = [InputMessage(role="user", parts=[Text(content=f"stream {ms}")])]
    for chunk in Chunks(sse(f"stream {ms}"), invocation):
        pass
for text in job["prompts"]:
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "system", "content": "You are the shop's concierge."},
                                       {"role": "user", "content": text}])
provider.shutdown()
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = RumhouseServer(tmp_path_factory.mktemp("ai-streaming") / "data", config=CONFIG + PRICES).start()
    port = free_port()
    fake = uvicorn.Server(uvicorn.Config(fake_openai(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=fake.run, daemon=True).start()
    try:
        wait_until(lambda: fake.started, timeout=10)
        prompts = [REPEATED] * REPEATS + UNIQUE
        job = {"otlp": f"{server.url}/v1/traces", "token": ingest_token(server, "demo"),
               "base": f"http://127.0.0.1:{port}/v1", "streams": FIRST_CHUNK_MS, "prompts": prompts}  # fmt: skip
        env = {**os.environ, "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
               "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only"}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", APP, json.dumps(job)], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        calls = len(FIRST_CHUNK_MS) + len(prompts)
        wait_until(
            lambda: (
                server.scalar("SELECT count() FROM rumhouse.otel_traces WHERE gen_ai_operation != ''")
                == calls
            )
        )
        yield server, prompts
    finally:
        fake.should_exit = True
        server.close()


def window() -> dict:
    now = int(time.time() * 1000)
    return {"site": "demo", "from": str(now - 3_600_000), "to": str(now + 60_000)}


def test_time_to_first_chunk_of_streamed_answers(served):
    server, _ = served
    stored = server.sql(
        "SELECT gen_ai_ttft_ms FROM rumhouse.otel_traces WHERE gen_ai_ttft_ms IS NOT NULL ORDER BY gen_ai_ttft_ms"
    )
    assert len(stored) == len(FIRST_CHUNK_MS)
    for got, asked in zip((r["gen_ai_ttft_ms"] for r in stored), sorted(FIRST_CHUNK_MS), strict=True):
        assert asked <= got <= asked + SLACK_MS
    answer = server.client.get("/api/v1/ai/models", params=window(), headers=ADMIN)
    assert answer.status_code == 200, answer.text
    [model] = answer.json()["rows"]
    median = float(numpy.median(FIRST_CHUNK_MS))
    assert median <= model["ttft_p50_ms"] <= median + SLACK_MS
    assert model["calls"] == len(FIRST_CHUNK_MS) + REPEATS + len(UNIQUE)


def test_no_prompt_or_answer_is_stored_only_a_hash_of_the_prompt(served):
    server, _ = served
    rows = server.sql(
        "SELECT SpanAttributes, `Events.Attributes` AS events FROM rumhouse.otel_traces WHERE gen_ai_operation != ''"
    )
    text = orjson.dumps(rows).decode()
    for said in (REPEATED, *UNIQUE, "concierge", "It is open", "stream 40"):
        assert said not in text, said
    hashes = [r["SpanAttributes"].get("rumhouse.prompt_hash") for r in rows]
    assert all(hashes)  # every call had its prompt captured
    counts = sorted((hashes.count(h) for h in set(hashes)), reverse=True)
    assert counts[0] == REPEATS and counts[1:] == [1] * (len(FIRST_CHUNK_MS) + len(UNIQUE))


def test_the_caching_suggestion_for_the_repeated_prompt(served):
    server, prompts = served
    answer = server.client.get("/api/v1/suggestions", params=window(), headers=ADMIN)
    assert answer.status_code == 200, answer.text
    [cache] = [s for s in answer.json()["suggestions"] if s["kind"] == "ai_cache"]
    evidence = cache["evidence"]
    assert (evidence["model"], evidence["calls"], evidence["service"]) == (
        "gpt-4o-mini",
        REPEATS,
        "concierge",
    )

    def cost(texts):
        return sum((tokens_of(t)[0] * 0.2 + tokens_of(t)[1] * 0.8) / 1e6 for t in texts)

    streamed = [f"stream {ms}" for ms in FIRST_CHUNK_MS]
    total = cost(prompts) + cost(streamed)
    assert evidence["repeats_cost_usd"] == pytest.approx(cost([REPEATED] * (REPEATS - 1)))
    assert cache["impact"] == pytest.approx(cost([REPEATED] * (REPEATS - 1)) / total, abs=1e-4)
    assert cache["impact"] > 0.10
