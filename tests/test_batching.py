"""Beacons that arrive together are handled together (src/rumhouse/ingest/batching.py): each still gets
its own answer, is counted once, and a failure in the batch reaches exactly the beacons it concerns.

The app runs in-process with the embedded engine; requests go through httpx's ASGI transport, started
together with asyncio.gather, so they reach the endpoint in one pass of the event loop."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from rumhouse.app import create_app
from rumhouse.settings import Settings
from rumhouse.spool import Spool
from support.server import CHROME_UA, server_env


@pytest.fixture
def app(tmp_path):
    app = create_app(Settings.from_env(server_env(tmp_path / "data", RUMHOUSE_FLUSH_INTERVAL="60")))
    app.state.runtime.start()
    yield app
    app.state.runtime.stop()


def beacon(pv: str, lcp: float = 1200.0) -> bytes:
    return json.dumps(
        {
            "site": "demo",
            "pv": pv,
            "url": "https://demo.example/a",
            "ev": [{"k": "vital", "n": "LCP", "v": lcp}, {"k": "vital", "n": "FCP", "v": 300}],
        }
    ).encode()


def post_together(app, bodies: list[bytes]) -> list[httpx.Response]:
    async def main():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("127.0.0.1", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://rumhouse") as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/beacon",
                        content=body,
                        headers={"content-type": "text/plain", "user-agent": CHROME_UA},
                    )
                    for body in bodies
                )
            )

    # A thread of its own: other tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, main()).result()


def counters(app) -> dict[tuple[str, str], float]:
    found = {}
    for family in text_string_to_metric_families(app.state.runtime.metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, sample.labels.get("reason", ""))] = sample.value
    return found


def stored_page_views(app) -> list[str]:
    runtime = app.state.runtime
    runtime.writer.flush()
    rows = runtime.store.query("SELECT DISTINCT page_view_id FROM rumhouse.vitals ORDER BY page_view_id").rows
    return [row[0] for row in rows]


def test_beacons_handled_together_get_their_own_answers_and_counts(app):
    bodies = [beacon(f"good{n:05d}") for n in range(20)]
    bodies += [
        b"{not json",
        beacon("cls00001").replace(b'"LCP", "v": 1200.0', b'"CLS", "v": 500.0'),
        json.dumps({"site": "nosuchsite", "pv": "unknown01", "url": "https://x.example/"}).encode(),
    ]
    bodies.append(beacon("good00003"))  # a repeat of a page view's metrics: taken, its vitals dropped
    answers = post_together(app, bodies)

    assert [r.status_code for r in answers[:20]] == [204] * 20
    assert [r.status_code for r in answers[20:23]] == [400, 400, 401]  # docs/beacon.md's answers
    assert [r.text.split(":")[0] for r in answers[20:23]] == ["bad_json", "invalid", "unknown_site"]
    assert answers[23].status_code == 204
    counts = counters(app)
    assert counts[("rumhouse_beacons_received_total", "")] == 24
    assert counts[("rumhouse_beacons_accepted_total", "")] == 21
    assert counts[("rumhouse_beacons_dropped_total", "bad_json")] == 1
    assert counts[("rumhouse_beacons_dropped_total", "invalid")] == 1
    assert counts[("rumhouse_beacons_dropped_total", "unknown_site")] == 1
    assert counts[("rumhouse_events_dropped_total", "duplicate")] == 2
    assert stored_page_views(app) == [f"good{n:05d}" for n in range(20)]


def test_a_spool_that_cannot_be_written_fails_its_batch_and_only_its_batch(app, monkeypatch):
    real = Spool.append_many
    failures = iter([True])

    def full_disk_once(self, payloads):
        if next(failures, False):
            raise OSError(28, "No space left on device")
        return real(self, payloads)

    monkeypatch.setattr(Spool, "append_many", full_disk_once)
    failed = post_together(app, [beacon(f"lost{n:05d}") for n in range(5)] + [b"{not json"])
    # None answered 204: none of them may be counted on. The bad body still gets its own answer.
    assert [r.status_code for r in failed] == [500] * 5 + [400]
    assert counters(app)[("rumhouse_beacons_dropped_total", "bad_json")] == 1

    taken = post_together(app, [beacon(f"kept{n:05d}") for n in range(5)])
    assert [r.status_code for r in taken] == [204] * 5
    assert counters(app)[("rumhouse_beacons_accepted_total", "")] == 5
    assert stored_page_views(app) == [f"kept{n:05d}" for n in range(5)]


def test_a_bug_on_one_beacon_fails_that_request_alone(app, monkeypatch):
    pipeline = app.state.runtime.pipeline
    real = pipeline.process

    def process(incoming):
        if b"boom" in incoming.body:
            raise RuntimeError("a bug in the pipeline")
        return real(incoming)

    monkeypatch.setattr(pipeline, "process", process)
    answers = post_together(app, [beacon("fine0001"), beacon("boom0001"), beacon("fine0002")])
    assert [r.status_code for r in answers] == [204, 500, 204]
    assert stored_page_views(app) == ["fine0001", "fine0002"]
