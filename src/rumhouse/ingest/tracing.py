"""What links a page to its backend: W3C traceparent values and Server-Timing headers, read from what the
page sent (rum.js: the traceparent a call carried, the response's Server-Timing header, the document's
Server-Timing entries and <meta name="traceparent">). Hostile input like the rest of a beacon: anything
that does not parse is left out, never an error.
"""

from __future__ import annotations

import re

# version-traceid-parentid-flags (https://www.w3.org/TR/trace-context/#traceparent-header); a version
# other than 00 may add fields after these, which a reader of version 00 ignores.
_TRACEPARENT = re.compile(
    r"^\s*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|\s*$)", re.IGNORECASE
)
# One Server-Timing entry: a name, then ;-separated parameters whose values are tokens or quoted strings
# (which may hold commas and semicolons).
_VALUE = r'"(?:[^"\\]|\\.)*"|[^;,\s]*'
_ENTRY = re.compile(
    rf"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)((?:\s*;\s*[^;,=\s]+(?:\s*=\s*(?:{_VALUE}))?)*)\s*(?:,|$)"
)
_PARAM = re.compile(rf"\s*;\s*([^;,=\s]+)(?:\s*=\s*({_VALUE}))?")
MAX_ENTRIES = 20


def trace_id(traceparent: str) -> str:
    """The trace id of a traceparent value, lower case; "" when it is not one (or the invalid version ff,
    or an all-zero id)."""
    found = _TRACEPARENT.match(traceparent or "")
    if not found or found.group(1).lower() == "ff" or set(found.group(2)) == {"0"}:
        return ""
    return found.group(2).lower()


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def server_timing(header: str) -> tuple[dict[str, float], str]:
    """A Server-Timing header: {name: duration ms} (at most 20, names cut at 64 characters, a missing or
    unreadable dur as 0), and the desc of an entry named traceparent ("" when none)."""
    durations: dict[str, float] = {}
    traceparent = ""
    position = 0
    while position < len(header) and len(durations) < MAX_ENTRIES:
        entry = _ENTRY.match(header, position)
        if not entry or entry.end() == position:
            break
        position = entry.end()
        name, params = (
            entry.group(1)[:64],
            dict((key.lower(), _unquote(value or "")) for key, value in _PARAM.findall(entry.group(2))),
        )
        try:
            duration = min(max(float(params.get("dur", "0") or 0), 0.0), 3_600_000.0)
        except ValueError:
            duration = 0.0
        if duration != duration:  # NaN
            duration = 0.0
        durations.setdefault(name, duration)
        if name == "traceparent" and not traceparent:
            traceparent = params.get("desc", "")
    return durations, traceparent
