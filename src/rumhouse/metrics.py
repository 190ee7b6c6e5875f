"""rumhouse's own health, in the Prometheus text format at /metrics.

The counters are built so that, once the buffer is empty,

    events_accepted = sum(rows_inserted{table != "beacons"}) + sum(events_dropped)

holds exactly, and beacons_received = beacons_accepted + sum(beacons_dropped).
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from rumhouse import __version__
from rumhouse.drops import BEACON_REASONS, EVENT_REASONS
from rumhouse.tables import TABLES

CONTENT_TYPE = CONTENT_TYPE_LATEST
# The *_created series double the output and say nothing a scraper needs.
disable_created_metrics()


class LoopCounter:
    """A counter that only the event loop's thread increments: a plain integer, no lock.

    prometheus_client's Counter takes a lock on every increment (about 0.5 µs), and the beacon endpoint
    counts three things per beacon, on the hot path. `LoopCounters` exposes these to the registry."""

    __slots__ = ("documentation", "name", "value")

    def __init__(self, name: str, documentation: str) -> None:
        self.name, self.documentation, self.value = name, documentation, 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class LoopCounters:
    """The collector that puts LoopCounters in a registry."""

    def __init__(self, registry: CollectorRegistry, *counters: LoopCounter) -> None:
        self.counters = counters
        registry.register(self)

    def collect(self):
        for counter in self.counters:
            yield CounterMetricFamily(counter.name, counter.documentation, value=counter.value)


class Metrics:
    def __init__(self) -> None:
        # One registry per app, so that tests can build several apps in one process.
        self.registry = registry = CollectorRegistry(auto_describe=True)
        # The process: CPU seconds, resident and virtual memory, open files, start time (from /proc, on
        # Linux), the Python that runs it, and which rumhouse this is.
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        Info("rumhouse_build", "This rumhouse: its version", registry=registry).info({"version": __version__})
        self.beacons_received = LoopCounter("rumhouse_beacons_received", "Beacons posted to /beacon")
        self.beacons_accepted = LoopCounter(
            "rumhouse_beacons_accepted", "Beacons answered 204 and buffered for insert"
        )
        self.beacons_dropped = Counter(
            "rumhouse_beacons_dropped", "Beacons not stored, by reason", ["reason"], registry=registry
        )
        self.events_accepted = LoopCounter(
            "rumhouse_events_accepted",
            "Events in accepted beacons (a page view's navigation breakdown counts as one)",
        )
        LoopCounters(registry, self.beacons_received, self.beacons_accepted, self.events_accepted)
        self.events_dropped = Counter(
            "rumhouse_events_dropped",
            "Events of accepted beacons not stored, by reason",
            ["reason"],
            registry=registry,
        )
        self.rows_inserted = Counter(
            "rumhouse_rows_inserted", "Rows inserted into ClickHouse, by table", ["table"], registry=registry
        )
        self.rows_recovered = Counter(
            "rumhouse_rows_recovered",
            "Rows inserted from spool segments a previous run left, by table",
            ["table"],
            registry=registry,
        )
        self.rows_replayed = Counter(
            "rumhouse_rows_replayed",
            "Rows inserted by replaying spool segments from disk, by table",
            ["table"],
            registry=registry,
        )
        self.otlp_requests = Counter(
            "rumhouse_otlp_requests",
            "OTLP/HTTP requests (/v1/traces, /v1/metrics), by signal and outcome (accepted, bad_request, ...)",
            ["signal", "outcome"],
            registry=registry,
        )
        self.otlp_rejected = Counter(
            "rumhouse_otlp_rejected",
            "Spans and data points refused inside accepted OTLP requests (partial_success), by signal",
            ["signal"],
            registry=registry,
        )
        self.vitals_settled = Counter(
            "rumhouse_vitals_settled",
            "CLS and INP values moved from vital_updates into vitals once final (settle.py)",
            registry=registry,
        )
        self.api_refused = Counter(
            "rumhouse_api_refused",
            "/api/v1 requests answered 4xx or 5xx, by the error word of the answer (bad_request, forbidden, ...)",
            ["reason"],
            registry=registry,
        )
        self.spool_bytes = Gauge("rumhouse_spool_bytes", "Bytes in the spool on disk", registry=registry)
        self.spool_segments = Gauge(
            "rumhouse_spool_segments_waiting",
            "Spool segments waiting to be replayed into the store",
            registry=registry,
        )
        self.spool_oldest_age = Gauge(
            "rumhouse_spool_oldest_age_seconds",
            "Age of the oldest spool segment waiting, 0 when none",
            registry=registry,
        )
        self.spool_corrupt_records = Counter(
            "rumhouse_spool_corrupt_records",
            "Spool records skipped at replay: torn or failing their checksum",
            registry=registry,
        )
        self.insert_errors = Counter(
            "rumhouse_insert_errors",
            "Failed inserts (the rows stay spooled and are retried), by table",
            ["table"],
            registry=registry,
        )
        self.buffer_rows = Gauge(
            "rumhouse_buffer_rows",
            "Rows waiting in memory for the next flush, by table",
            ["table"],
            registry=registry,
        )
        self.flush_seconds = Histogram(
            "rumhouse_flush_seconds",
            "Time to insert one flush of the buffer",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        # Make every series visible from the start, at 0: an alert on a rate needs the series to exist.
        for reason in BEACON_REASONS:
            self.beacons_dropped.labels(reason.value)
        for reason in EVENT_REASONS:
            self.events_dropped.labels(reason.value)
        for word in ("bad_request", "unauthorized", "forbidden", "not_found", "too_large"):
            self.api_refused.labels(word)
        for table in TABLES:
            self.rows_inserted.labels(table)
            self.rows_recovered.labels(table)
            self.rows_replayed.labels(table)
            self.insert_errors.labels(table)
            self.buffer_rows.labels(table).set(0)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def refused(self, reason: str) -> None:
        """An API request refused (or failed) with this error word."""
        self.api_refused.labels(reason).inc()
