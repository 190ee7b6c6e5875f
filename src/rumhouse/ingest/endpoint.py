"""`POST /beacon`: the HTTP edge of ingestion, a bare ASGI app because it is the hot path.

It reads the body up to the size limit (with or without Content-Length: a chunked body is cut off as
soon as it passes the limit, not read whole), hands it to the pipeline and the writer with the other
beacons of this pass of the event loop (batching.py), and answers. It also answers the CORS preflight
that `fetch` with `application/json` triggers.
"""

from __future__ import annotations

import asyncio
import time

from rumhouse.clients import ClientAddress
from rumhouse.drops import Drop, Reason
from rumhouse.ingest.batching import BeaconBatches
from rumhouse.ingest.pipeline import Incoming, Pipeline
from rumhouse.metrics import Metrics
from rumhouse.rate_limits import TokenBuckets, retry_after
from rumhouse.sites import SiteRegistry
from rumhouse.writer import Writer

_ACCEPTED_TYPES = frozenset({b"", b"text/plain", b"application/json"})
_PREFLIGHT_HEADERS = [
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"content-type"),
    (b"access-control-max-age", b"86400"),
]


# The usual answer, built once (uvicorn reads these messages and never changes them).
_ACCEPTED = {"type": "http.response.start", "status": 204, "headers": []}
_EMPTY_BODY = {"type": "http.response.body", "body": b""}

# Seconds a client should wait after a 503: the spool drains at insert speed.
OVERLOADED_RETRY_AFTER = 5


class BodyDeadlines:
    """Cancels body reads that run past their deadline, with one timer for all of them.

    `asyncio.timeout` per request costs about 6 µs (a timer armed and cancelled each time), more than
    decoding a beacon; nearly every body has arrived whole with its headers, so the deadline almost never
    fires. Here a request costs one dict entry, and a sweep runs every quarter of the limit (at most every
    second) while some read is under way: a stalled body is cut off between 1 and 1.25 times the limit.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.every = min(1.0, seconds / 4)
        self._reading: dict[asyncio.Task, float] = {}
        self._expired: set[asyncio.Task] = set()
        self._sweeping = False

    def watch(self, task: asyncio.Task) -> None:
        loop = task.get_loop()
        self._reading[task] = loop.time() + self.seconds
        if not self._sweeping:
            self._sweeping = True
            loop.call_later(self.every, self._sweep, loop)

    def done(self, task: asyncio.Task) -> bool:
        """Stop watching `task`; True when its deadline had passed (and cancelled it)."""
        self._reading.pop(task, None)
        if task in self._expired:
            self._expired.discard(task)
            return True
        return False

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for task, deadline in list(self._reading.items()):
            if deadline <= now:
                del self._reading[task]
                self._expired.add(task)
                task.cancel()
        if self._reading:
            loop.call_later(self.every, self._sweep, loop)
        else:
            self._sweeping = False


class BeaconEndpoint:
    def __init__(
        self,
        pipeline: Pipeline,
        writer: Writer,
        metrics: Metrics,
        sites: SiteRegistry,
        *,
        max_body_bytes: int,
        country_header: str,
        body_timeout: float = 10.0,
        ip_limits: TokenBuckets | None = None,
        client_address: ClientAddress | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.writer = writer
        self.metrics = metrics
        self.sites = sites
        self.max_body_bytes = max_body_bytes
        self.country_header = country_header.encode("latin-1")
        self.body_timeout = body_timeout
        self.deadlines = BodyDeadlines(body_timeout)
        self.ip_limits = ip_limits or TokenBuckets(0, 1)
        self.client_address = client_address or ClientAddress(())
        self.batches = BeaconBatches(pipeline, writer, metrics)

    async def __call__(self, scope, receive, send) -> None:
        origin = user_agent = country = content_type = content_length = forwarded_for = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                content_length = value
            elif name == self.country_header:
                country = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
        cors = []
        if origin and self.sites.preflight_allows(origin):
            cors = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]

        method = scope["method"]
        if method == "OPTIONS":
            status = 204 if cors else 403
            await _answer(send, status, cors + _PREFLIGHT_HEADERS if cors else [], b"")
            return
        if method != "POST":
            await _answer(send, 405, [(b"allow", b"POST, OPTIONS")], b"method_not_allowed: use POST\n")
            return

        self.metrics.beacons_received.inc()
        peer = scope["client"][0] if scope.get("client") else None
        key = self.client_address.rate_key(peer, forwarded_for)
        wait = self.ip_limits.take(hash(key)) if key is not None else 0.0
        body: bytes | Drop | None
        if wait:
            body = Drop(Reason.RATE_LIMITED, "this client is over its rate limit", retry_after(wait))
        else:
            body = await self._read(receive, content_type, content_length)
        if body is None:  # the client went away mid-body: nobody to answer
            self.metrics.beacons_dropped.labels(Reason.DISCONNECTED.value).inc()
            return
        if isinstance(body, Drop):
            self.metrics.beacons_dropped.labels(body.reason.value).inc()
            await _refuse(send, cors, body)
            return
        # The pipeline's outcome, counted by the batch as it is decided.
        result = await self.batches.submit(Incoming(body, origin, user_agent or "", country, time.time()))
        if isinstance(result, Drop):
            await _refuse(send, cors, result)
        elif cors:
            await _answer(send, 204, cors, b"")
        else:  # nearly every beacon: same-origin, or sent without CORS
            await send(_ACCEPTED)
            await send(_EMPTY_BODY)

    async def _read(self, receive, content_type, content_length) -> bytes | Drop | None:
        """The body, or why it is not taken (None: the client went away)."""
        if content_type is not None:
            media_type = content_type.split(b";", 1)[0].strip().lower()
            if media_type not in _ACCEPTED_TYPES:
                return Drop(Reason.UNSUPPORTED_MEDIA_TYPE, "send text/plain or application/json")
        if content_length is not None:
            try:
                declared = int(content_length)
            except ValueError:
                declared = -1
            if declared > self.max_body_bytes:
                return Drop(Reason.TOO_LARGE, f"the body is over {self.max_body_bytes} bytes")
        if self.writer.is_full():
            return Drop(Reason.OVERLOADED, "the spool is full, retry later", OVERLOADED_RETRY_AFTER)
        task = asyncio.current_task()
        assert task is not None  # an ASGI app always runs in a task
        self.deadlines.watch(task)
        try:
            body = await _read_body(receive, self.max_body_bytes)
        except asyncio.CancelledError:
            # Our deadline, and nobody else's cancel (a shutdown) on top of it: answer 408.
            if self.deadlines.done(task) and task.uncancel() == 0:
                return Drop(Reason.TIMEOUT, f"the body did not arrive within {self.body_timeout:g} s")
            raise
        # A sweep that cancels the task always lands inside the read above (a cancel while a step is
        # pending is thrown in at that step), so past this point the deadline never fired.
        self.deadlines.done(task)
        return body


async def _read_body(receive, limit: int) -> bytes | Drop | None:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return Drop(Reason.TOO_LARGE, f"the body is over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks) if len(chunks) > 1 else chunks[0]


async def _refuse(send, cors: list, drop: Drop) -> None:
    headers = list(cors)
    if drop.retry_after:
        headers.append((b"retry-after", str(drop.retry_after).encode()))
    body = b"" if drop.status == 204 else (drop.message() + "\n").encode("utf-8")
    await _answer(send, drop.status, headers, body)


async def _answer(send, status: int, headers: list, body: bytes) -> None:
    if body:
        headers = headers + [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
