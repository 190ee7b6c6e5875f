"""OTLP benchmark: spans/s through the real server (POST /v1/traces) into the embedded engine.

Starts `rumhouse serve` on a loopback port with a fresh data folder and an ingest token, and sends it the
protobuf body OpenTelemetry's own encoder makes of a batch of 512 realistic spans (a server span, its
database and outbound calls, with their attributes), the batch size of the SDK's BatchSpanProcessor, from
a few keep-alive connections at once. Then it checks that every span answered 200 is stored (zero loss).
The same generator measures a bare ASGI app that reads the body and answers (benchmarks/reference_app.py, the same uvicorn)
in the same run: rumhouse's figure is also given as a ratio of it, which compares across machines.

    python benchmarks/otlp.py              # 15 s of load
    python benchmarks/otlp.py --smoke      # a short run, as in CI (then benchmarks/compare.py)

Each side runs `--rounds` times (2) and keeps its best round: on a shared machine other work only ever
slows a round down, so the best is the steadiest figure (one round of each moved the ratio by about 15%).

Prints the figures and writes them as JSON (benchmarks/results/otlp.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.server import ADMIN_TOKEN, RumhouseServer, free_port

BATCH = 512


def batch_body() -> bytes:
    """512 spans as the SDK's exporter encodes them: requests of a shop API with two children each."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-api", "host.name": "web-1"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    while len(memory.get_finished_spans()) < BATCH:
        n = len(memory.get_finished_spans())
        with tracer.start_as_current_span(
            "GET /orders/{id}",
            kind=trace.SpanKind.SERVER,
            attributes={
                "http.request.method": "GET",
                "http.route": "/orders/{id}",
                "http.response.status_code": 200,
                "url.path": f"/orders/{n}",
                "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
            },
        ):
            with tracer.start_as_current_span(
                "SELECT shop.orders",
                kind=trace.SpanKind.CLIENT,
                attributes={
                    "db.system.name": "postgresql",
                    "db.namespace": "shop",
                    "db.query.text": f"SELECT id, total FROM orders WHERE id = {n} AND customer = 'c{n}'",
                },
            ):
                pass
            with tracer.start_as_current_span(
                "POST",
                kind=trace.SpanKind.CLIENT,
                attributes={"server.address": "payments.example", "http.request.method": "POST"},
            ):
                pass
    return encode_spans(memory.get_finished_spans()[:BATCH]).SerializeToString()


async def load(url: str, headers: dict, body: bytes, seconds: float, connections: int) -> tuple[int, int]:
    """(requests answered 200, requests refused) in `seconds`."""
    ok = refused = 0
    deadline = time.monotonic() + seconds

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal ok, refused
        while time.monotonic() < deadline:
            answer = await client.post(url, content=body, headers=headers)
            if answer.is_success:  # 200 from rumhouse, 204 from the reference
                ok += 1
            else:
                refused += 1

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(one(client) for _ in range(connections)))
    return ok, refused


def measure_reference(body: bytes, seconds: float, connections: int) -> float:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(ROOT / "benchmarks"),
            "reference_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        started = time.monotonic()
        ok, _ = asyncio.run(
            load(
                f"http://127.0.0.1:{port}/v1/traces",
                {"content-type": "application/x-protobuf"},
                body,
                seconds,
                connections,
            )
        )
        return ok * BATCH / (time.monotonic() - started)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each side; the best is kept")
    parser.add_argument("--smoke", action="store_true", help="5 s, as in CI")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "otlp.json")
    args = parser.parse_args()
    seconds = 5.0 if args.smoke else args.seconds
    body = batch_body()
    print(f"batch: {BATCH} spans, {len(body)} bytes of protobuf")

    with tempfile.TemporaryDirectory() as folder:
        # Throughput, not policy: no per-site request limit (its default, 100/s, is near what this sends).
        server = RumhouseServer(Path(folder) / "data", RUMHOUSE_OTLP_RATE_LIMIT="0").start()
        try:
            made = server.client.post(
                "/api/v1/tokens",
                json={"role": "ingest", "sites": ["demo"]},
                headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            token = made.json()["token"]
            headers = {"authorization": f"Bearer {token}", "content-type": "application/x-protobuf"}
            ok = refused = 0
            spans_per_second = 0.0
            for _ in range(args.rounds):
                started = time.monotonic()
                done, no = asyncio.run(
                    load(f"{server.url}/v1/traces", headers, body, seconds, args.connections)
                )
                elapsed = time.monotonic() - started
                spans_per_second = max(spans_per_second, done * BATCH / elapsed)
                ok, refused = ok + done, refused + no
            server.sql("SELECT 1")  # flushes the buffer
            stored = server.scalar("SELECT count() FROM rumhouse.otel_traces")
        finally:
            server.close()
    acknowledged = ok * BATCH
    reference = max(measure_reference(body, seconds, args.connections) for _ in range(args.rounds))
    ratio = spans_per_second / reference if reference else 0.0
    print(
        f"rumhouse: {spans_per_second:,.0f} spans/s, best of {args.rounds} rounds ({ok} batches, {refused} refused)"
    )
    print(f"reference (bare ASGI app, 200): {reference:,.0f} spans/s; ratio {ratio:.3f}")
    print(
        f"stored {stored:,} of {acknowledged:,} acknowledged spans: {'no loss' if stored == acknowledged else 'LOSS'}"
    )
    args.out.write_text(
        json.dumps(
            {
                "spans_per_second": round(spans_per_second),
                "reference_spans_per_second": round(reference),
                "ratio_to_reference": round(ratio, 4),
                "acknowledged": acknowledged,
                "stored": stored,
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if stored == acknowledged else 1


if __name__ == "__main__":
    sys.exit(main())
