"""AI alerts on a simulated clock: 40 minutes of GenAI spans (OTLP, two hours ago) into a real `rumhouse
serve`, then the real evaluator steps through them minute by minute (support/alert_replay.py) with the
"ai" preset (p95 over 10 s for 5 minutes; error rate over 5%) and a spending rule of the site's own (the
estimated cost of the last hour over 5 cents, at the shipped price of gpt-4o-mini).

The timeline: a call every 10 s, 2,000 tokens in and 500 out; minutes 10-19 take 12 s; in minutes 25-29
every third call fails. Expected times are worked out here from the calls as sent.
"""

from __future__ import annotations

import secrets

import numpy
import pytest

from support.alert_replay import RECORDER, changes, first_sustained, replay_alerts
from support.load import wait_until
from support.otlp import attr, ingest_token, post_spans, span
from support.server import CONFIG, RumhouseServer

pytestmark = pytest.mark.slow

MINUTE = 60
LENGTH = 40 * MINUTE
CLIENT = 3
INPUT, OUTPUT = 2000, 500
CALL_USD = (INPUT * 0.15 + OUTPUT * 0.60) / 1e6  # the shipped price of gpt-4o-mini (ai/prices.py)
SPEND_LIMIT = 0.05
RULES = (
    f"""
[[alerts]]
preset = "ai"
site = "demo"
channels = ["rec"]

[[alerts]]
name = "ai-spend"
site = "demo"
metric = "ai_cost"
above = {SPEND_LIMIT}
window = "1h"
min_samples = 1
channels = ["rec"]
"""
    + RECORDER
)


def timeline(t0: int) -> list[dict]:
    calls = []
    for i, second in enumerate(range(0, LENGTH, 10)):
        minute = second // MINUTE
        ms = 12_000.0 if 10 <= minute < 20 else 800.0 + 10 * (i % 20)
        failed = 25 <= minute < 30 and i % 3 == 0
        calls.append({"start": t0 + second + 0.5, "ms": ms, "failed": failed})
    return calls


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ai-alerts") / "data"
    server = RumhouseServer(folder, config=CONFIG + RULES).start()
    t0 = (int(server.scalar("SELECT toUnixTimestamp(now())")) // MINUTE - 120) * MINUTE
    calls = timeline(t0)
    try:
        spans = [
            span(
                secrets.token_hex(16), "chat gpt-4o-mini", CLIENT, int(c["start"] * 1e9), c["ms"],
                [attr("gen_ai.operation.name", "chat"), attr("gen_ai.provider.name", "openai"),
                 attr("gen_ai.request.model", "gpt-4o-mini"),
                 attr("gen_ai.usage.input_tokens", 0 if c["failed"] else INPUT),
                 attr("gen_ai.usage.output_tokens", 0 if c["failed"] else OUTPUT)],
                error=c["failed"],
            )
            for c in calls
        ]  # fmt: skip
        assert post_spans(server, ingest_token(server, "demo"), "assistant", spans).status_code == 200
        wait_until(
            lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces") == len(calls), timeout=60
        )
    finally:
        server.close()
    yield t0, calls, replay_alerts(folder, RULES, t0, t0 + LENGTH + 10 * MINUTE, MINUTE)


def test_slow_calls_and_errors_fire_the_preset_and_resolve(replayed):
    t0, calls, result = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 11)]

    def within(t, seconds):
        return [c for c in calls if t - seconds <= c["start"] < t]

    def slow(t):
        window = within(t, 5 * MINUTE)
        return len(window) >= 5 and numpy.percentile([c["ms"] for c in window], 95) > 10_000

    def failing(t):
        window = within(t, 5 * MINUTE)
        return len(window) >= 20 and sum(c["failed"] for c in window) / len(window) > 0.05

    for rule, breached, hold in (("ai.slow", slow, 5 * MINUTE), ("ai.errors", failing, 0)):
        expected = first_sustained(times, breached, hold)
        assert expected is not None, rule
        [fired] = changes(result, rule, "firing")
        assert fired["at"] == expected, rule
        [resolved] = changes(result, rule, "resolved")
        assert resolved["at"] == next(t for t in times if t > expected and not breached(t)), rule


def test_the_spending_rule_fires_once_the_last_hour_costs_more_than_its_limit(replayed):
    t0, calls, result = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 11)]

    def spent(t):
        return sum(CALL_USD for c in calls if t - 3600 <= c["start"] < t and not c["failed"])

    expected = next(t for t in times if spent(t) > SPEND_LIMIT)
    [fired] = changes(result, "ai-spend", "firing")
    assert fired["at"] == expected
    assert fired["value"] == pytest.approx(spent(expected))
    # Spending goes on: it does not resolve within the timeline.
    assert not changes(result, "ai-spend", "resolved")
