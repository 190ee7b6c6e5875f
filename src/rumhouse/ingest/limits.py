"""Rate limits: token buckets per site and per client IP, so one flooding site or client cannot starve
the others. A refused beacon is answered 429 with `Retry-After`: when the bucket has a token again.

Client IPs are used here and nowhere else: bucket keys are the process's salted `hash()` of the address,
so not even memory holds the raw IP beyond the request.
"""

from __future__ import annotations

import ipaddress
import math
import time
from functools import lru_cache


class TokenBuckets:
    """One bucket per key: `rate` tokens per second, holding at most `burst`."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        self._state: dict[object, tuple[float, float]] = {}

    def take(self, key: object, now: float | None = None) -> float:
        """0 when a token was taken; otherwise the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        tokens, last = self._state.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._state[key] = (tokens - 1.0, now)
            if len(self._state) > self.max_keys:
                self._forget_full(now)
            return 0.0
        self._state[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """A bucket that has refilled is the same as no bucket: drop those to bound memory."""
        refill = self.burst / self.rate
        self._state = {k: v for k, v in self._state.items() if now - v[1] < refill}


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class ClientAddress:
    """The client's IP: the socket peer, or, when the peer is a trusted proxy, the right-most address
    in X-Forwarded-For that is not itself a trusted proxy."""

    def __init__(self, trusted_proxies: tuple[str, ...]) -> None:
        self.networks = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    @lru_cache(maxsize=4096)  # noqa: B019 (one instance per app; peers repeat)
    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str | None:
        return self.resolve_forwarded(peer, forwarded_for)[0]

    def resolve_forwarded(self, peer: str | None, forwarded_for: str | None) -> tuple[str | None, bool]:
        """The client, and whether it was taken from X-Forwarded-For (then it is never the operator's own
        traffic, whatever address the header names)."""
        if not self.networks or not peer or not forwarded_for or not self.trusted(peer):
            return peer, False
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            if hop and not self.trusted(hop):
                return hop, True
        return peer, False

    def rate_key(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The key a client's beacons are limited under (its IPv4 address or IPv6 /64), or None for the
        operator's own traffic: a loopback peer that forwarded nobody (the demo, a local load test)."""
        client, forwarded = self.resolve_forwarded(peer, forwarded_for)
        if not client or (not forwarded and is_loopback(client)):
            return None
        return client_group(client)


@lru_cache(maxsize=65536)
def client_group(address: str) -> str:
    """The key a client is counted under: its IPv4 address, or its IPv6 /64 (the block one subscriber
    gets, so rotating addresses within it buys nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@lru_cache(maxsize=4096)
def is_loopback(address: str) -> bool:
    """The operator's own traffic (or an untrusted local proxy's): never limited per IP."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
