"""Rate limits: token buckets per site and per client IP (beacons) and per site (OTLP requests), so one
flooding site or client cannot starve the others. A refused request is answered 429 with `Retry-After`:
when the bucket has a token again.

Client IPs (clients.py) are used for nothing else: bucket keys are the process's salted `hash()` of the
client's group, so not even memory holds the raw IP beyond the request.
"""

from __future__ import annotations

import math
import time


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
