"""Operation and WebSocket-connection alerts on a simulated clock: 40 minutes of a render queue's spans
(operation.name) and of a chat server's gauge `websocket.connections` (OTLP JSON, two hours ago) into a
real `rumhouse serve`; then the real evaluator steps through them minute by minute
(support/alert_replay.py), and the expected times are worked out here from what was sent.

- render-image runs every 20 s; in minutes 12-17 one run in two fails (error rate rule, per operation)
  and in minutes 30-31 every run fails (failures in a row);
- the chat server reports its connections every 10 s: 80, but 150 in minutes 20-25 (a threshold of 120
  on the highest point of each minute, held 2 minutes, per host).
"""

from __future__ import annotations

import secrets

import pytest

from support.alert_replay import RECORDER, changes, first_sustained, replay_alerts
from support.load import wait_until
from support.otlp import attr, ingest_token, post_spans, span
from support.server import CONFIG, RumhouseServer

pytestmark = pytest.mark.slow

MINUTE = 60
LENGTH = 40 * MINUTE
RULES = (
    """
[[alerts]]
name = "ops-errors"
site = "demo"
metric = "operation_error_rate"
above = 0.2
each = "operation"
window = "5m"
min_samples = 5
channels = ["rec"]

[[alerts]]
name = "ops-stuck"
site = "demo"
metric = "operation_failures_in_a_row"
above = 2
each = "operation"
window = "10m"
min_samples = 1
severity = "critical"
channels = ["rec"]

[[alerts]]
name = "ws-connections"
site = "demo"
metric = "websocket_connections"
stat = "max"
above = 120
window = "1m"
for = "2m"
each = "host"
min_samples = 1
channels = ["rec"]
"""
    + RECORDER
)


def runs(t0: int) -> list[dict]:
    out = []
    for i, second in enumerate(range(0, LENGTH, 20)):
        minute = second // MINUTE
        failed = (12 <= minute < 18 and i % 2 == 0) or 30 <= minute < 32
        out.append({"start": t0 + second + 0.5, "failed": failed})
    return out


def points(t0: int) -> list[dict]:
    return [
        {"at": t0 + second + 1, "value": 150.0 if 20 <= second // MINUTE < 26 else 80.0}
        for second in range(0, LENGTH, 10)
    ]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ops-ws-alerts") / "data"
    server = RumhouseServer(folder, config=CONFIG + RULES).start()
    t0 = (int(server.scalar("SELECT toUnixTimestamp(now())")) // MINUTE - 120) * MINUTE
    sent, gauge = runs(t0), points(t0)
    try:
        token = ingest_token(server, "demo")
        spans = [
            span(secrets.token_hex(16), "render", 1, int(r["start"] * 1e9), 900,
                 [attr("operation.name", "render-image"), attr("operation.model", "sdxl")], error=r["failed"])
            for r in sent
        ]  # fmt: skip
        assert post_spans(server, token, "studio", spans).status_code == 200
        data = [{"timeUnixNano": str(int(p["at"] * 1e9)), "asDouble": p["value"]} for p in gauge]
        resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "chat"}},
                                   {"key": "host.name", "value": {"stringValue": "ws-1"}}]}  # fmt: skip
        metric = {"name": "websocket.connections", "gauge": {"dataPoints": data}}
        body = {"resourceMetrics": [{"resource": resource, "scopeMetrics": [{"metrics": [metric]}]}]}
        answer = server.client.post("/v1/metrics", json=body, headers={"authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.otel_traces") == len(sent), timeout=60)
        wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.otel_metrics_gauge") == len(gauge))
    finally:
        server.close()
    yield t0, sent, gauge, replay_alerts(folder, RULES, t0, t0 + LENGTH + 10 * MINUTE, MINUTE)


def episodes(times: list[int], breached, hold: int) -> list[tuple[int, int | None]]:
    """(fired at, resolved at) of each time a rule with that `for` fires, worked out from the data."""
    out: list[tuple[int, int | None]] = []
    since = None
    for t in times:
        if not breached(t):
            since = None
            if out and out[-1][1] is None:
                out[-1] = (out[-1][0], t)
            continue
        since = t if since is None else since
        if t - since >= hold and not (out and out[-1][1] is None):
            out.append((t, None))
    return out


def check(result, rule: str, times: list[int], breached, hold: int) -> None:
    expected = episodes(times, breached, hold)
    assert expected and expected[0][0] == first_sustained(times, breached, hold), rule
    fired = [c["at"] for c in changes(result, rule, "firing")]
    resolved = [c["at"] for c in changes(result, rule, "resolved")]
    assert list(zip(fired, resolved, strict=True)) == expected, rule


def test_an_operations_error_rate_and_its_failures_in_a_row(replayed):
    t0, sent, _, result = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 11)]

    def within(t, seconds):
        return sorted((r for r in sent if t - seconds <= r["start"] < t), key=lambda r: r["start"])

    def error_rate(t):
        window = within(t, 5 * MINUTE)
        return len(window) >= 5 and sum(r["failed"] for r in window) / len(window) > 0.2

    def stuck(t):
        window = within(t, 10 * MINUTE)
        trailing = 0
        for r in window:
            trailing = trailing + 1 if r["failed"] else 0
        return len(window) >= 1 and trailing > 2

    check(result, "ops-errors[studio render-image sdxl]", times, error_rate, 0)
    check(result, "ops-stuck[studio render-image sdxl]", times, stuck, 0)


def test_connections_over_the_threshold_for_two_minutes(replayed):
    t0, _, gauge, result = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 11)]

    def over(t):
        window = [p["value"] for p in gauge if t - MINUTE <= p["at"] < t]
        return bool(window) and max(window) > 120

    check(result, "ws-connections[ws-1]", times, over, 2 * MINUTE)
    [doc] = [
        d
        for d in result["sent"]
        if d["kind"] == "firing" and d["alerts"][0]["rule"] == "ws-connections[ws-1]"
    ]
    assert doc["alerts"][0]["subject"] == "ws-1"
