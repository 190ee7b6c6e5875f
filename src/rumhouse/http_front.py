"""The HTTP front: uvicorn's httptools protocol, with the limits that keep idle and slow clients from
taking the server down (uvicorn itself has none for a connection that never finishes its request head).

- A request head (request line and headers) must arrive within `head_timeout` seconds of the connection
  or of the request's first byte, and be at most `max_head_bytes`: else 408 or 431, and the connection
  closes. A body must arrive within `body_timeout` (+ a margin, so that the beacon endpoint's own 408 is
  the usual answer).
- At most `per_client` connections per client address (IPv6 grouped by /64, the block one subscriber
  gets), except from trusted proxies, which carry many clients: past that, a new connection is closed
  at once.
- At most `total` connections: past that, the connection idle for longest (no request in flight) is
  closed to make room; only when none is idle is the new one closed.

Every refusal is counted at /metrics (`rumhouse_connections_refused_total`, by reason).
"""

from __future__ import annotations

import asyncio
import resource
from collections import OrderedDict
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from rumhouse.clients import ClientAddress, client_group
from rumhouse.security_headers import COMMON

SWEEP_EVERY = 0.5  # seconds
REASONS = ("per_client", "total", "evicted_idle", "head_timeout", "head_too_large", "body_timeout")


@dataclass(frozen=True)
class FrontLimits:
    head_timeout: float = 10.0
    body_timeout: float = 15.0
    max_head_bytes: int = 32 << 10
    per_client: int = 256
    total: int = 10_000


class _Front:
    """The process's connections, by client group, oldest first; its limits and its refusal counts."""

    def __init__(self) -> None:
        self.limits = FrontLimits()
        self.trusted = ClientAddress(())
        self.connections: OrderedDict[GuardedHttpProtocol, str] = OrderedDict()
        self.per_group: dict[str, int] = {}
        self.refused = dict.fromkeys(REASONS, 0)
        self._sweeping: asyncio.AbstractEventLoop | None = None

    def add(self, conn: GuardedHttpProtocol, group: str) -> None:
        self.connections[conn] = group
        self.per_group[group] = self.per_group.get(group, 0) + 1

    def remove(self, conn: GuardedHttpProtocol) -> None:
        group = self.connections.pop(conn, None)
        if group is not None:
            left = self.per_group[group] - 1
            if left:
                self.per_group[group] = left
            else:
                del self.per_group[group]

    def start_sweeping(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._sweeping is not loop:
            self._sweeping = loop
            loop.call_later(SWEEP_EVERY, self.sweep, loop)

    def sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for conn in list(self.connections):
            conn.overdue(now)
        if self.connections:
            loop.call_later(SWEEP_EVERY, self.sweep, loop)
        else:
            self._sweeping = None  # the next connection starts it again

    def evict_idle(self) -> bool:
        """Close the connection idle for longest; False when every connection has a request in flight."""
        for conn in self.connections:
            if conn.idle:
                self.refused["evicted_idle"] += 1
                self.remove(conn)
                conn.transport.close()
                return True
        return False


FRONT = _Front()


class FrontCollector:
    """The front's connections and refusals for /metrics (registered by app.py), read when scraped."""

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        refused = CounterMetricFamily(
            "rumhouse_connections_refused",
            "Connections the HTTP front closed or refused, by reason",
            labels=["reason"],
        )
        for reason, count in FRONT.refused.items():
            refused.add_metric([reason], count)
        yield refused
        yield GaugeMetricFamily(
            "rumhouse_connections_open", "Connections open now", value=len(FRONT.connections)
        )


def configure(limits: FrontLimits, trusted_proxies: tuple[str, ...]) -> FrontLimits:
    """Set the process's limits (before serving). The total is kept under the open-files limit, which is
    first raised to its hard maximum: each connection is a file descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY:
        # Room for the data folder's files, the spool, and chDB's own descriptors.
        limits = FrontLimits(**{**limits.__dict__, "total": max(16, min(limits.total, soft - 512))})
    FRONT.limits = limits
    FRONT.trusted = ClientAddress(trusted_proxies)
    return limits


def _answer(status: str, body: str) -> bytes:
    """A whole response that closes the connection (sent before any app sees the request)."""
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {len(body) + 1}\r\n"
    )
    for name, value in COMMON:
        head += f"{name.decode()}: {value.decode()}\r\n"
    return f"{head}connection: close\r\n\r\n{body}\n".encode("ascii")


_HEAD_TOO_LARGE = _answer(
    "431 Request Header Fields Too Large", "head_too_large: the request head is too big"
)
_HEAD_TIMEOUT = _answer("408 Request Timeout", "head_timeout: the request head did not arrive in time")


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of this module (FRONT).

    Deadlines are plain numbers on the connection, checked by one sweep for all connections (FRONT.sweep)
    every half second, not a timer per request: arming and cancelling a timer costs microseconds on every
    beacon, a number costs nothing. A limit is enforced between its time and half a second later."""

    _phase = ""  # "head" while a request head is awaited, "body" while its body is, else ""
    _deadline = 0.0
    _head_bytes = 0

    @property
    def idle(self) -> bool:
        """No request in flight: waiting for one to begin (or for its head, which may never come)."""
        return self.cycle is None or self.cycle.response_complete

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        limits = FRONT.limits
        address = self.client[0] if self.client else ""
        group = client_group(address)
        if not FRONT.trusted.trusted(address) and FRONT.per_group.get(group, 0) >= limits.per_client:
            FRONT.refused["per_client"] += 1
            transport.close()
            return
        if len(FRONT.connections) >= limits.total and not FRONT.evict_idle():
            FRONT.refused["total"] += 1
            transport.close()
            return
        FRONT.add(self, group)
        FRONT.start_sweeping(self.loop)
        self._phase, self._deadline = "head", self.loop.time() + limits.head_timeout

    def connection_lost(self, exc) -> None:
        FRONT.remove(self)
        self._phase = ""
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._phase == "head":
            self._head_bytes += len(data)  # an upper bound of the head's size: the body may follow it
        super().data_received(data)
        if (
            self._phase == "head"
            and self._head_bytes > FRONT.limits.max_head_bytes
            and self.parser is not None
            and not self.transport.is_closing()
        ):
            self.refuse(_HEAD_TOO_LARGE, "head_too_large")  # no whole head yet, and already too much

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._phase != "head":  # a kept-alive connection: the head's clock starts with its first byte
            self._phase, self._deadline = "head", self.loop.time() + FRONT.limits.head_timeout
            if self in FRONT.connections:  # (a refused or evicted one is not, and is closing)
                FRONT.connections.move_to_end(self)  # active again: last in line for eviction

    def on_headers_complete(self) -> None:
        if self._head_bytes > FRONT.limits.max_head_bytes:  # maybe a whole large head in one read: measure it
            size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
            if size > FRONT.limits.max_head_bytes:
                self.refuse(_HEAD_TOO_LARGE, "head_too_large")
                return
        self._head_bytes = 0
        self._phase, self._deadline = "body", self.loop.time() + FRONT.limits.body_timeout
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._phase = ""
        super().on_message_complete()

    def overdue(self, now: float) -> None:
        """Called by the sweep: close this connection if its head or body is late."""
        if not self._phase or now < self._deadline or self.transport.is_closing():
            return
        if self._phase == "head":
            self.refuse(_HEAD_TIMEOUT, "head_timeout")
        else:
            FRONT.refused["body_timeout"] += 1
            self._phase = ""
            self.transport.close()

    def refuse(self, answer: bytes, reason: str) -> None:
        FRONT.refused[reason] += 1
        self._phase = ""
        self.transport.write(answer)
        self.transport.close()
