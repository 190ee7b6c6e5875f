"""Why a beacon or an event was not stored: a closed set of reasons, each with its HTTP answer.

A drop is a value returned by a pipeline step, never an exception; every one is counted by reason at
/metrics, so that accepted = inserted + dropped holds exactly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Reason(enum.StrEnum):
    BAD_JSON = "bad_json"
    INVALID = "invalid"
    BAD_ENCODING = "bad_encoding"
    UNKNOWN_SITE = "unknown_site"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    OVERLOADED = "overloaded"
    BOT = "bot"
    DISCONNECTED = "disconnected"  # the client went away before its body arrived
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"  # the body did not arrive in time (a slow or stalled client)
    # Events of an accepted beacon.
    DUPLICATE = "duplicate"  # a metric the page view already reported, or a whole beacon sent again


STATUS = {
    Reason.BAD_JSON: 400,
    Reason.INVALID: 400,
    Reason.BAD_ENCODING: 400,
    Reason.UNKNOWN_SITE: 401,
    Reason.ORIGIN_NOT_ALLOWED: 403,
    Reason.TOO_LARGE: 413,
    Reason.UNSUPPORTED_MEDIA_TYPE: 415,
    Reason.RATE_LIMITED: 429,
    Reason.TIMEOUT: 408,
    Reason.OVERLOADED: 503,
    # A bot gets 204 like anyone: telling it that it was spotted would only help it hide.
    Reason.BOT: 204,
}

# Reasons that apply to whole beacons, and to single events of an accepted beacon.
BEACON_REASONS = tuple(STATUS) + (Reason.DISCONNECTED,)
EVENT_REASONS = (Reason.DUPLICATE,)


@dataclass(frozen=True, slots=True)
class Drop:
    reason: Reason
    detail: str = ""
    retry_after: int = 0  # seconds, for 429 and 503 answers

    @property
    def status(self) -> int:
        return STATUS[self.reason]

    def message(self) -> str:
        """The one-line answer body: the reason, then what was wrong and where."""
        detail = " ".join(self.detail.split())[:300]
        return f"{self.reason.value}: {detail}" if detail else self.reason.value
