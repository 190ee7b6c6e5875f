"""Hosts and processes: the OpenTelemetry system-metrics instrumentation exports this machine's CPU and
memory (and its own process's) through the official OTLP exporter to a real server, which shows them per
host as psutil, read here independently, sees them; then the hosts preset's alerts fire and resolve on a
simulated clock over a 45-minute timeline of points sent every 10 s (OTLP JSON, known values).

The timeline of host db-1 (memory used share, CPU idle share):
- memory 0.5, but 0.85 in minutes 5-14: the 80% warning, held 5 minutes, fires, then resolves;
- memory 0.95 for 30 s at minute 20: critical at once, resolved the next minute;
- CPU idle 0.05 (95% busy) in minutes 25-38: the CPU warning, held 10 minutes, fires.
Host web-1 stays calm throughout: each host is judged on its own.
"""

from __future__ import annotations

import statistics
import time

import orjson
import psutil
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from support.alert_replay import RECORDER, first_sustained, replay_alerts
from support.load import wait_until
from support.otlp import ADMIN, ingest_token
from support.server import CONFIG, RumhouseServer

pytestmark = pytest.mark.slow

MINUTE = 60
LENGTH = 45 * MINUTE
STEP = 10  # seconds between points, as the instrumentation sends them by default
CPUS = 2
RULES = (
    """
[[alerts]]
preset = "hosts"
site = "demo"
channels = ["rec"]
"""
    + RECORDER
)


def memory_at(host: str, second: int) -> float:
    if host != "db-1":
        return 0.4
    minute = second // MINUTE
    if 20 * MINUTE <= second < 20 * MINUTE + 30:
        return 0.95
    return 0.85 if 5 <= minute < 15 else 0.5


def idle_at(host: str, second: int) -> float:
    return 0.05 if host == "db-1" and 25 <= second // MINUTE < 39 else 0.7


def gauge(name: str, points: list[tuple[int, float, dict]]) -> dict:
    def attrs(a: dict) -> list:
        return [
            {"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}}
            for k, v in a.items()
        ]

    data = [{"timeUnixNano": str(t), "asDouble": v, "attributes": attrs(a)} for t, v, a in points]
    return {"name": name, "gauge": {"dataPoints": data}}


def timeline_body(host: str, t0: int) -> bytes:
    memory, cpu = [], []
    for second in range(0, LENGTH, STEP):
        t = (t0 + second) * 10**9
        memory.append((t, memory_at(host, second), {"state": "used"}))
        memory.append((t, 1 - memory_at(host, second), {"state": "free"}))
        for c in range(CPUS):
            cpu.append((t, idle_at(host, second), {"state": "idle", "cpu": c}))
            cpu.append((t, 1 - idle_at(host, second), {"state": "user", "cpu": c}))
    resource = {"attributes": [{"key": "host.name", "value": {"stringValue": host}},
                               {"key": "service.name", "value": {"stringValue": "agent"}}]}  # fmt: skip
    metrics = [gauge("system.memory.utilization", memory), gauge("system.cpu.utilization", cpu)]
    return orjson.dumps({"resourceMetrics": [{"resource": resource, "scopeMetrics": [{"metrics": metrics}]}]})


@pytest.fixture(scope="module")
def hosts_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hosts") / "data"
    server = RumhouseServer(folder, config=CONFIG + RULES, RUMHOUSE_ALERT_INTERVAL="0").start()
    yield server, folder
    server.close()


def test_the_instrumentation_reports_this_machine_as_psutil_sees_it(hosts_server):
    server, _ = hosts_server
    token = ingest_token(server, "demo")
    exporter = OTLPMetricExporter(
        endpoint=f"{server.url}/v1/metrics", headers={"authorization": f"Bearer {token}"}
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    resource = Resource.create({"service.name": "shop", "host.name": "this-machine"})
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    instrumentor = SystemMetricsInstrumentor()
    instrumentor.instrument(meter_provider=provider)
    try:
        seen = []
        for _ in range(3):
            time.sleep(0.3)
            memory = psutil.virtual_memory()
            seen.append(memory.used / memory.total)  # "used" as the semantic conventions define it
            assert reader.force_flush()
    finally:
        instrumentor.uninstrument()
        provider.shutdown()

    def listed():
        now = int(time.time() * 1000)
        window = {"site": "demo", "from": str(now - 3_600_000), "to": str(now + 60_000)}
        answer = server.client.get("/api/v1/hosts", params=window, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        return {r["host"]: r for r in answer.json()["rows"]}

    wait_until(lambda: listed().get("this-machine", {}).get("memory_points", 0) >= 3)
    host = listed()["this-machine"]
    # Memory: the used share psutil reported around each export (the machine is shared: a margin).
    assert min(seen) - 0.05 <= host["memory_last"] <= max(seen) + 0.05
    assert 0 <= host["cpu_mean"] <= host["cpu_max"] <= 1 and host["cpu_points"] >= 2
    assert host["memory_used_bytes"] > 0 and host["process_memory_bytes"] > 0
    assert abs(host["memory_used_bytes"] / psutil.virtual_memory().total - host["memory_last"]) < 0.1


@pytest.fixture(scope="module")
def replayed(hosts_server):
    server, folder = hosts_server
    token = ingest_token(server, "demo")
    t0 = (int(time.time()) // MINUTE - 120) * MINUTE
    for host in ("db-1", "web-1"):
        answer = server.client.post(
            "/v1/metrics",
            content=timeline_body(host, t0),
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        assert answer.status_code == 200, answer.text
    points = 2 * (LENGTH // STEP) * (2 + 2 * CPUS)
    wait_until(
        lambda: (
            server.scalar("SELECT count() FROM rumhouse.otel_metrics_gauge WHERE ServiceName = 'agent'")
            == points
        )
    )
    series = server.client.get(
        "/api/v1/hosts/timeseries",
        params={"site": "demo", "host": "db-1", "from": str(t0 * 1000), "to": str((t0 + LENGTH) * 1000)},
        headers=ADMIN,
    )
    assert series.status_code == 200, series.text
    server.stop()
    result = replay_alerts(folder, RULES, t0, t0 + LENGTH + 5 * MINUTE, MINUTE)
    server.start()
    return t0, result, series.json()


def fired(result, rule):
    return [c for c in result["changes"] if c["rule"] == rule and c["to"] == "firing"]


def window_values(t0, t, values):
    return [values(s) for s in range(0, LENGTH, STEP) if t - MINUTE <= t0 + s < t]


def test_the_points_come_back_at_the_resolution_they_were_sent(replayed):
    _, _, series = replayed
    assert series["bucket_seconds"] == 0 and len(series["rows"]) == LENGTH // STEP
    for i, point in enumerate(series["rows"]):
        assert point["memory"] == pytest.approx(memory_at("db-1", i * STEP))
        assert point["cpu"] == pytest.approx(1 - idle_at("db-1", i * STEP))


def test_memory_over_80_percent_for_5_minutes_warns_and_over_90_is_critical_at_once(replayed):
    t0, result, _ = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 6)]

    def mean_memory_over(limit):
        return lambda t: (
            (v := window_values(t0, t, lambda s: memory_at("db-1", s))) and statistics.fmean(v) > limit
        )

    [warning] = fired(result, "hosts.memory[db-1]")
    assert warning["at"] == first_sustained(times, mean_memory_over(0.8), 5 * MINUTE) == t0 + 11 * MINUTE
    [critical] = fired(result, "hosts.memory-critical[db-1]")
    assert critical["at"] == t0 + 21 * MINUTE and critical["value"] == pytest.approx(0.95)
    resolved = [
        c["at"]
        for c in result["changes"]
        if c["rule"] == "hosts.memory-critical[db-1]" and c["to"] == "resolved"
    ]
    assert resolved == [t0 + 22 * MINUTE]
    doc = next(
        d for d in result["sent"] if d["kind"] == "firing" and d["alerts"][0]["rule"] == critical["rule"]
    )
    assert doc["summary"].startswith("[rumhouse] CRITICAL FIRING") and doc["alerts"][0]["subject"] == "db-1"


def test_cpu_over_80_percent_for_10_minutes_warns_and_calm_hosts_stay_quiet(replayed):
    t0, result, _ = replayed
    times = [t0 + m * MINUTE for m in range(0, LENGTH // MINUTE + 6)]
    busy = lambda t: (
        (v := window_values(t0, t, lambda s: 1 - idle_at("db-1", s))) and statistics.fmean(v) > 0.8
    )
    [cpu] = fired(result, "hosts.cpu[db-1]")
    assert cpu["at"] == first_sustained(times, busy, 10 * MINUTE) == t0 + 36 * MINUTE
    assert not [c for c in result["changes"] if "[web-1]" in c["rule"] and c["to"] == "firing"]
