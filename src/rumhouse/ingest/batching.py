"""Beacons that arrive in the same pass of the event loop go through the pipeline and into the writer
together.

Under load, one pass of the loop reads a request from many connections at once (32 at a time in the
ingest benchmark). The endpoint hands each body to `BeaconBatches.submit` and waits; at the end of the
pass `_run` takes them all through the pipeline one after the other, appends the accepted ones to the
spool in one `write()` and to the writer's buffer in one go, and only then lets the endpoint answer.
Compared with one beacon at a time this saves a system call per beacon, and running the same code for
every beacon in a row keeps it in the CPU's caches instead of alternating with HTTP handling: the
event loop's thread, which limits beacons/s, took 15-40% more of them on the development machine
(docs/performance.md). Nothing is answered 204 before its rows are in the spool, as before.

Outcomes are counted here, when they are decided, not by the endpoint after its wait: a request
cancelled while waiting (at shutdown) cannot leave a stored beacon uncounted.
"""

from __future__ import annotations

import asyncio

from rumhouse.drops import Drop
from rumhouse.ingest.pipeline import Incoming, Pipeline
from rumhouse.metrics import Metrics
from rumhouse.writer import Accepted, Writer


class BeaconBatches:
    def __init__(self, pipeline: Pipeline, writer: Writer, metrics: Metrics) -> None:
        self.pipeline = pipeline
        self.writer = writer
        self.metrics = metrics
        self._pending: list[tuple[Incoming, asyncio.Future]] = []

    def submit(self, incoming: Incoming) -> asyncio.Future:
        """A future for the beacon's outcome: its Drop, or its Accepted rows once they are spooled."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._pending:
            loop.call_soon(self._run)  # after every request this pass of the loop has started
        self._pending.append((incoming, future))
        return future

    def _run(self) -> None:
        pending, self._pending = self._pending, []
        process = self.pipeline.process
        results: list[Accepted | Drop | None] = []
        for incoming, future in pending:
            try:
                results.append(process(incoming))
            except Exception as exc:
                future.set_exception(exc)
                results.append(None)
        accepted = [result for result in results if type(result) is Accepted]
        failure = None
        try:
            if accepted:
                self.writer.add_many(accepted)
        except Exception as exc:
            failure = exc
        metrics = self.metrics
        for (_, future), result in zip(pending, results, strict=True):
            if result is None:  # its exception is set above
                continue
            if isinstance(result, Accepted):
                if failure is not None:  # not kept: that request fails, and nothing is counted
                    if not future.done():
                        future.set_exception(failure)
                    continue
                metrics.beacons_accepted.inc()
                metrics.events_accepted.inc(result.events)
                for reason, count in result.dropped.items():
                    metrics.events_dropped.labels(reason.value).inc(count)
            else:
                metrics.beacons_dropped.labels(result.reason.value).inc()
            if not future.done():  # cancelled meanwhile: counted all the same, nobody to answer
                future.set_result(result)
