"""Nothing answered 200 on /v1/traces is lost, and nothing is stored twice: a 30-second store outage under
OTLP load, kill -9 in the middle of a load and a restart, a full spool (503 with Retry-After). The store's
failure is injected at its boundary (tests/support/faulty_server.py), as for beacons."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from support.load import assert_accounting, wait_until
from support.otlp import ingest_token
from support.server import RumhouseServer

pytestmark = pytest.mark.slow  # outages, kills and restarts of real servers


def batch(spans: int = 10) -> tuple[bytes, set[str]]:
    """A protobuf request of `spans` spans with fresh ids, and those ids in hex."""
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    attribute = resource.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", "outage"
    scope = resource.scope_spans.add()
    now = time.time_ns()
    ids = set()
    for _ in range(spans):
        span = scope.spans.add()
        span.trace_id, span.span_id = os.urandom(16), os.urandom(8)
        span.name, span.kind = "GET /x", 2
        span.start_time_unix_nano, span.end_time_unix_nano = now, now + 1_000_000
        ids.add(span.span_id.hex())
    return request.SerializeToString(), ids


class OtlpLoad:
    """Threads sending batches as fast as the server answers; which span ids were acknowledged."""

    def __init__(self, url: str, token: str, threads: int = 2, pause: float = 0.02) -> None:
        # A pause between batches keeps the spans of a long run within what people's SQL reads back.
        self.url, self.token, self.threads, self.pause = url, token, threads, pause
        self.acknowledged: set[str] = set()
        self.statuses: dict[int, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _run(self) -> None:
        headers = {"authorization": f"Bearer {self.token}", "content-type": "application/x-protobuf"}
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                body, ids = batch()
                try:
                    status = client.post(f"{self.url}/v1/traces", content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = 0  # the server went away: not acknowledged
                with self._lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                    if status == 200:
                        self.acknowledged |= ids
                time.sleep(self.pause if status == 200 else 0.05)

    def start(self) -> OtlpLoad:
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)


def assert_exactly_once(server, load: OtlpLoad) -> None:
    stored = [
        r["SpanId"]
        for r in server.sql("SELECT SpanId FROM rumhouse.otel_traces WHERE ServiceName = 'outage'")
    ]
    assert len(stored) == len(set(stored)), "a span was stored twice"
    assert load.acknowledged <= set(stored), f"{len(load.acknowledged - set(stored))} acknowledged spans lost"


def test_a_30_second_store_outage_under_otlp_load_loses_nothing(tmp_path):
    server = RumhouseServer(tmp_path / "data", faulty=True).start()
    try:
        load = OtlpLoad(server.url, ingest_token(server)).start()
        time.sleep(2)
        server.fail_flag.touch()  # the store goes down
        time.sleep(30)
        server.fail_flag.unlink()  # and comes back
        time.sleep(2)
        load.stop()
        assert load.statuses.get(200, 0) > 50
        # Spooled while the store was down (the token was checked before): 200, never a 500.
        assert set(load.statuses) <= {200, 503}, load.statuses
        server.sql("SELECT 1")
        wait_until(
            lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces") >= len(load.acknowledged),
            timeout=120,
        )
        assert_exactly_once(server, load)
        assert_accounting(server)
    finally:
        server.close()


def test_kill_9_in_the_middle_of_an_otlp_load_loses_nothing_after_a_restart(tmp_path):
    server = RumhouseServer(tmp_path / "data").start()
    token = ingest_token(server)
    load = OtlpLoad(server.url, token).start()
    time.sleep(3)
    server.stop(signal.SIGKILL)
    load.stop()
    assert load.statuses.get(200, 0) > 10
    server.start()
    try:
        wait_until(
            lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces") >= len(load.acknowledged),
            timeout=120,
        )
        assert_exactly_once(server, load)
    finally:
        server.close()


def test_a_full_spool_answers_503_with_retry_after(tmp_path):
    server = RumhouseServer(tmp_path / "data", faulty=True, RUMHOUSE_SPOOL_MAX_BYTES="200000").start()
    try:
        token = ingest_token(server)
        headers = {"authorization": f"Bearer {token}", "content-type": "application/x-protobuf"}
        body, acknowledged = batch()  # the token is used once before the outage, as a running backend's is
        assert server.client.post("/v1/traces", content=body, headers=headers).status_code == 200
        server.fail_flag.touch()
        answers = []
        for _ in range(100):
            body, ids = batch()
            answer = server.client.post("/v1/traces", content=body, headers=headers)
            answers.append(answer.status_code)
            if answer.status_code == 200:
                acknowledged |= ids
            else:
                assert answer.status_code == 503 and answer.headers["retry-after"].isdigit()
        assert set(answers) == {200, 503} and answers[-1] == 503
        server.fail_flag.unlink()
        wait_until(
            lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces") >= len(acknowledged), timeout=60
        )
        load = OtlpLoad(server.url, token)
        load.acknowledged = acknowledged
        assert_exactly_once(server, load)
        assert server.metric(
            "rumhouse_otlp_requests_total", signal="traces", outcome="overloaded"
        ) == answers.count(503)
    finally:
        server.close()


def test_a_site_over_its_request_rate_gets_429_and_the_sdk_retries(tmp_path):
    """Per site and worker: RUMHOUSE_OTLP_RATE_LIMIT requests per second after a burst of
    RUMHOUSE_OTLP_BURST. Past it, 429 with Retry-After and the reason; another site is not held back;
    the SDK's exporter retries a 429, and what it sent arrives once."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from support.otlp import post_spans

    server = RumhouseServer(
        tmp_path / "data", RUMHOUSE_OTLP_RATE_LIMIT="0.5", RUMHOUSE_OTLP_BURST="2"
    ).start()
    try:
        demo, shop = ingest_token(server, "demo"), ingest_token(server, "shop")
        answers = [post_spans(server, demo, "api", []) for _ in range(3)]
        assert [a.status_code for a in answers[:2]] == [200, 200]
        assert answers[2].status_code == 429
        assert int(answers[2].headers["retry-after"]) >= 1
        assert "over 0.5 OTLP requests per second" in answers[2].json()["message"]
        assert post_spans(server, shop, "api", []).status_code == 200
        assert server.metric("rumhouse_otlp_requests_total", signal="traces", outcome="rate_limited") == 1
        # The SDK, for the site just out of tokens again: its first try gets 429, it backs off and sends again.
        while post_spans(server, demo, "api", []).status_code != 429:
            pass
        limited = server.metric("rumhouse_otlp_requests_total", signal="traces", outcome="rate_limited")
        provider = TracerProvider(resource=Resource.create({"service.name": "patient"}))
        exporter = OTLPSpanExporter(
            endpoint=f"{server.url}/v1/traces", headers={"authorization": f"Bearer {demo}"}
        )
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        provider.get_tracer("t").start_span("GET /slowly").end()
        provider.shutdown()
        wait_until(
            lambda: (
                server.scalar("SELECT count() FROM rumhouse.otel_traces WHERE ServiceName = 'patient'") == 1
            )
        )
        assert (
            server.metric("rumhouse_otlp_requests_total", signal="traces", outcome="rate_limited") > limited
        )
    finally:
        server.close()
