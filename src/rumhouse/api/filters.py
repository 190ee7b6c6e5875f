"""The filters every reading route takes, from HTTP query parameters: site, time range (range, or
from and to) and page dimensions, checked and turned into a `Filters` (query/filters.py builds the SQL).
A value the route cannot use is a ParamError, answered 400 with its message."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import QueryParams

from rumhouse.query.filters import DEFAULT_RANGE, DIMENSIONS, MAX_WINDOW, RANGES, Filters, window

MAX_VALUE = 2048
MAX_VALUES = 20  # of one dimension


class ParamError(ValueError):
    """A query parameter has a value the route cannot use; answered 400 with this message."""


def parse_time(name: str, raw: str) -> datetime:
    """ISO 8601 (a naive time is UTC) or milliseconds since the epoch."""
    try:
        if raw.isdigit():
            return datetime.fromtimestamp(int(raw) / 1000, tz=UTC)
        parsed = datetime.fromisoformat(raw)  # Python 3.11+ reads a trailing Z too
    except (ValueError, OverflowError):
        raise ParamError(
            f"{name} must be an ISO 8601 time or milliseconds since the epoch, got {raw!r}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_filters(params: QueryParams, site: str, now: datetime | None = None) -> Filters:
    given_from, given_to = params.get("from"), params.get("to")
    if given_from or given_to:
        if not (given_from and given_to):
            raise ParamError("from and to go together")
        start, end = parse_time("from", given_from), parse_time("to", given_to)
        range_name = "custom"
    else:
        range_name = params.get("range", DEFAULT_RANGE)
        if range_name not in RANGES:
            raise ParamError(f"range must be one of {', '.join(RANGES)}, or give from and to")
        start, end = window(range_name, now)
    if end <= start:
        raise ParamError("to must be after from")
    if end - start > MAX_WINDOW:
        raise ParamError(f"a time window is at most {MAX_WINDOW.days} days")
    dims = {}
    for name in DIMENSIONS:
        chosen = params.getlist(name)  # repeated for several values: browser=Chrome&browser=Firefox
        if not chosen:
            continue
        if len(chosen) > MAX_VALUES:
            raise ParamError(f"{name} takes at most {MAX_VALUES} values")
        if any(len(value) > MAX_VALUE for value in chosen):
            raise ParamError(f"{name} is longer than {MAX_VALUE} characters")
        dims[name] = tuple(dict.fromkeys(chosen))
    return Filters(site, start, end, range_name, dims)
