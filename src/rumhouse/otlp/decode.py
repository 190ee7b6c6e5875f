"""An OTLP/HTTP request body -> the protobuf message it carries, or why not (OTLP 1.x, "OTLP/HTTP").

Protobuf (`application/x-protobuf`) or JSON (`application/json`), optionally gzip-compressed
(`Content-Encoding: gzip`). JSON follows the OTLP specification, not protobuf's JSON mapping: trace and
span ids are hex (protobuf's mapping says base64), enums are integers, 64-bit integers may be strings; the
ids are turned into base64 before protobuf's own JSON parser reads the rest. A body that decompresses to
more than `max_bytes` is refused (a small gzip bomb must not take the memory).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


class BadRequest(Exception):
    """The body cannot be read; the message says why, in one line."""


def inflate(body: bytes, encoding: str, max_bytes: int) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise BadRequest(f"Content-Encoding {encoding!r} is not supported: send gzip or none")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise BadRequest(f"the gzip body is corrupt: {exc}") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise BadRequest(f"the body is over {max_bytes} bytes once decompressed")
    if not inflater.eof:
        raise BadRequest("the gzip body is cut short")
    return out


def parse(message: Message, body: bytes, media_type: str) -> Message:
    """Fill `message` (an Export*ServiceRequest) from the body."""
    if media_type == PROTOBUF:
        try:
            message.ParseFromString(body)
        except (DecodeError, RecursionError) as exc:
            raise BadRequest(f"the protobuf body does not decode: {exc}") from None
        return message
    if media_type == JSON:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"the JSON body does not parse: {exc}") from None
        if not isinstance(document, dict):
            raise BadRequest("the JSON body must be an object")
        for holder, key in _ids(document):
            value = holder[key]
            try:
                holder[key] = base64.b64encode(bytes.fromhex(value)).decode() if value else ""
            except (TypeError, ValueError):
                raise BadRequest(f"{key} must be hex, got {str(value)[:40]!r}") from None
        try:
            json_format.ParseDict(document, message, ignore_unknown_fields=True, max_recursion_depth=64)
        except (json_format.ParseError, RecursionError, ValueError, TypeError) as exc:
            raise BadRequest(
                f"the JSON body is not an OTLP request: {str(exc).splitlines()[0][:300]}"
            ) from None
        return message
    raise BadRequest(f"Content-Type must be {PROTOBUF} or {JSON}")


_ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _ids(node) -> Iterator[tuple[dict, str]]:
    """Every (object, key) holding a trace or span id, anywhere in the document (spans, links, exemplars)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in _ID_KEYS and isinstance(value, str):
                    yield item, key
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
