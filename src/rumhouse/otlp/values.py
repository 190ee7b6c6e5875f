"""OpenTelemetry values as the Collector's ClickHouse exporter stores them: attributes as a map of strings
(arrays and maps as JSON), times as DateTime64(9), kinds and status codes as words."""

from __future__ import annotations

import base64
from collections.abc import Iterable

import orjson

MAX_ATTRIBUTES = 128  # per map; the rest are dropped (the SDK's default limit is 128 too)
MAX_VALUE = 4096  # characters of one attribute value


def any_value(v) -> object:
    """An AnyValue as a plain Python value (for JSON)."""
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "int_value":
        return v.int_value
    if kind == "double_value":
        return v.double_value
    if kind == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    return None


def as_string(v) -> str:
    kind = v.WhichOneof("value")
    if kind == "string_value":
        text = v.string_value
    elif kind == "int_value":
        text = str(v.int_value)
    elif kind == "bool_value":
        text = "true" if v.bool_value else "false"
    elif kind == "double_value":
        text = repr(v.double_value)
    elif kind is None:
        text = ""
    else:
        text = orjson.dumps(any_value(v)).decode()
    return text[:MAX_VALUE]


def attributes(kvs: Iterable, extra: dict[str, str] | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for kv in kvs:
        if len(out) >= MAX_ATTRIBUTES:
            break
        out[kv.key[:256]] = as_string(kv.value)
    if extra:
        out.update(extra)
    return out


def nanos(ns: int) -> str:
    """Unix nanoseconds as a DateTime64(9) insert value: seconds.nanoseconds, the seconds written with ten
    digits (ClickHouse reads a shorter number as a date: 0 is a point's "no start time"), at most
    9999999999 (year 2286; DateTime64's range ends in 2299)."""
    seconds = min(ns // 1_000_000_000, 9_999_999_999)
    return f"{seconds:010d}.{ns % 1_000_000_000:09d}"


SPAN_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
STATUS_CODES = ("Unset", "Ok", "Error")
