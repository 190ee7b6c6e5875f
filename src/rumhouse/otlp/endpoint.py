"""POST /v1/traces and /v1/metrics: OTLP/HTTP from backends (OpenTelemetry SDKs, Collectors).

A request goes: ingest token (401 without, 403 for a token of another role) -> media type (415) -> room in
the spool (503 with Retry-After) -> body within its limit (413) -> decompressed and decoded (400 with
the reason, as a google.rpc.Status in the request's encoding) -> rows, in a worker thread -> on the spool
-> 200 with the Export*ServiceResponse, whose partial_success counts what was refused and says why. The
site is the token's: whatever the sender put in `rumhouse.site` is overwritten. Counted at /metrics as
rumhouse_otlp_requests_total{signal, outcome}; accepted spans and points are events of the accounting
identity (events accepted = rows inserted + dropped + waiting), refused ones rumhouse_otlp_rejected_total.
"""

from __future__ import annotations

import time

import anyio
import orjson
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from rumhouse.auth import bearer
from rumhouse.metrics import Metrics
from rumhouse.otlp.decode import JSON, PROTOBUF, BadRequest, inflate, parse
from rumhouse.otlp.metrics import metric_rows
from rumhouse.otlp.spans import Converted, span_rows
from rumhouse.rate_limits import TokenBuckets, retry_after
from rumhouse.store.base import StoreError
from rumhouse.tokens import Principal, hash_token
from rumhouse.writer import Accepted, Writer

RETRY_AFTER = 5  # seconds, when the spool is full
KNOWN_TOKEN_SECONDS = 3600.0  # a token checked within this long still sends while the store is down


class Signal:
    def __init__(self, name: str, request, response, convert) -> None:
        self.name = name
        self.request = request
        self.response = response
        self.convert = convert  # (request message, site) -> {table: Converted}


SIGNALS = {
    "/v1/traces": Signal(
        "traces",
        trace_service_pb2.ExportTraceServiceRequest,
        trace_service_pb2.ExportTraceServiceResponse,
        lambda message, site: {"otel_traces": span_rows(message, site)},
    ),
    "/v1/metrics": Signal(
        "metrics",
        metrics_service_pb2.ExportMetricsServiceRequest,
        metrics_service_pb2.ExportMetricsServiceResponse,
        metric_rows,
    ),
}


def _status(code: int, message: str, media_type: str) -> bytes:
    """A google.rpc.Status (code, message): JSON, or its protobuf encoding by hand (two fields)."""
    if media_type == JSON:
        return orjson.dumps({"code": code, "message": message})
    text = message.encode("utf-8")
    size = len(text)
    varint = bytearray()
    while True:
        byte, size = size & 0x7F, size >> 7
        varint.append(byte | (0x80 if size else 0))
        if not size:
            break
    return bytes((0x08, code)) + b"\x12" + bytes(varint) + text


class OtlpEndpoint:
    def __init__(
        self,
        writer: Writer,
        metrics: Metrics,
        authenticate,  # token -> Principal | None (tokens.Tokens.authenticate, cached)
        *,
        max_body_bytes: int,
        max_decoded_bytes: int,
        limits: TokenBuckets | None = None,  # requests per site (RUMHOUSE_OTLP_RATE_LIMIT, _BURST)
    ) -> None:
        self.writer = writer
        self.metrics = metrics
        self.authenticate = authenticate
        self.max_body_bytes = max_body_bytes
        self.max_decoded_bytes = max_decoded_bytes
        self.limits = limits or TokenBuckets(0, 1)
        self._known: dict[str, tuple[float, Principal]] = {}  # sha256 of a token -> (when, who)

    def _remember(self, token: str, who: Principal) -> None:
        if len(self._known) > 10_000:  # bounded: only valid tokens get here, but never unbounded
            self._known.clear()
        self._known[hash_token(token)] = (time.monotonic(), who)

    def _known_while_store_is_down(self, token: str) -> Principal | None:
        seen = self._known.get(hash_token(token)) if token else None
        return seen[1] if seen is not None and time.monotonic() - seen[0] < KNOWN_TOKEN_SECONDS else None

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        signal = SIGNALS[scope["path"]]
        response = await self.answer(request, signal)
        await response(scope, receive, send)

    def refuse(
        self, signal: Signal, status: int, outcome: str, message: str, media_type: str, **headers
    ) -> Response:
        self.metrics.otlp_requests.labels(signal.name, outcome).inc()
        body = _status(
            {400: 3, 401: 16, 403: 7, 413: 3, 415: 3, 429: 8, 503: 14}.get(status, 2), message, media_type
        )
        return Response(body, status, headers=headers or None, media_type=media_type or PROTOBUF)

    async def answer(self, request: Request, signal: Signal) -> Response:
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        reply_type = JSON if media_type == JSON else PROTOBUF
        if request.method != "POST":
            return self.refuse(signal, 405, "method", "use POST", reply_type, allow="POST")
        token = bearer(request)
        try:
            who: Principal | None = (
                await anyio.to_thread.run_sync(self.authenticate, token) if token else None
            )
        except StoreError:
            # The store is down, and the spool is there for that: a token that was valid within the last
            # hour still sends; one not seen yet must wait for the store (503, the SDK retries).
            who = self._known_while_store_is_down(token)
            if who is None:
                return self.refuse(
                    signal,
                    503,
                    "store_down",
                    "the token cannot be checked now, retry later",
                    reply_type,
                    **{"retry-after": str(RETRY_AFTER)},
                )
        if who is not None:
            self._remember(token, who)
        if who is None:
            return self.refuse(
                signal,
                401,
                "unauthorized",
                "send Authorization: Bearer <ingest token>",
                reply_type,
                **{"www-authenticate": 'Bearer realm="rumhouse"'},
            )
        if who.role != "ingest" or len(who.sites) != 1:
            return self.refuse(
                signal, 403, "forbidden", "only an ingest token (of one site) may send", reply_type
            )
        if media_type not in (PROTOBUF, JSON):
            return self.refuse(signal, 415, "media_type", f"send {PROTOBUF} or {JSON}", reply_type)
        wait = self.limits.take(who.sites[0])
        if wait:
            # OTLP exporters retry a 429 after Retry-After: a burst waits instead of being lost.
            return self.refuse(
                signal,
                429,
                "rate_limited",
                f"site {who.sites[0]} is over {self.limits.rate:g} OTLP requests per second, retry later",
                reply_type,
                **{"retry-after": str(retry_after(wait))},
            )
        if self.writer.is_full():
            return self.refuse(
                signal,
                503,
                "overloaded",
                "the spool is full, retry later",
                reply_type,
                **{"retry-after": str(RETRY_AFTER)},
            )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return self.refuse(
                signal, 413, "too_large", f"the body is over {self.max_body_bytes} bytes", reply_type
            )
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_body_bytes:
                    return self.refuse(
                        signal, 413, "too_large", f"the body is over {self.max_body_bytes} bytes", reply_type
                    )
        except ClientDisconnect:
            self.metrics.otlp_requests.labels(signal.name, "disconnected").inc()
            return Response(b"", 400)
        encoding = request.headers.get("content-encoding", "").strip().lower()
        try:
            accepted, refused = await anyio.to_thread.run_sync(
                self.convert, signal, bytes(body), encoding, media_type, who.sites[0]
            )
        except BadRequest as exc:
            return self.refuse(signal, 400, "bad_request", str(exc), reply_type)
        self.metrics.otlp_requests.labels(signal.name, "accepted").inc()
        self.metrics.events_accepted.inc(accepted.events)
        answer = signal.response()
        if refused.rejected:
            self.metrics.otlp_rejected.labels(signal.name).inc(refused.rejected)
            partial = answer.partial_success
            if signal.name == "traces":
                partial.rejected_spans = refused.rejected
            else:
                partial.rejected_data_points = refused.rejected
            partial.error_message = refused.reason
        if reply_type == JSON:
            return Response(json_format.MessageToJson(answer, indent=None), media_type=JSON)
        return Response(answer.SerializeToString(), media_type=PROTOBUF)

    def convert(self, signal: Signal, body: bytes, encoding: str, media_type: str, site: str):
        """In a worker thread: decode, build rows, put them on the spool. Returns (Accepted, refused)."""
        message = parse(signal.request(), inflate(body, encoding, self.max_decoded_bytes), media_type)
        tables: dict[str, Converted] = signal.convert(message, site)
        refused = Converted()
        for converted in tables.values():
            refused.rejected += converted.rejected
            refused.reason = refused.reason or converted.reason
        rows = {table: converted.rows for table, converted in tables.items()}
        accepted = Accepted.from_rows(rows, sum(len(r) for r in rows.values()))
        if accepted.parts:
            self.writer.add(accepted)
        return accepted, refused
