"""What the OTLP tests share: an ingest token made through the API, OTLP JSON spans (and their attributes)
of known times, and a sender for them."""

from __future__ import annotations

import secrets

import orjson

from support.server import ADMIN_TOKEN

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


def ingest_token(server, site: str = "demo") -> str:
    made = server.client.post("/api/v1/tokens", json={"role": "ingest", "sites": [site]}, headers=ADMIN)
    assert made.status_code == 201, made.text
    return made.json()["token"]


def post_spans(server, token: str, service: str, spans: list[dict]):
    """One OTLP JSON request of `spans` from `service`; the answer."""
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    body = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}
    return server.client.post(
        "/v1/traces",
        content=orjson.dumps(body),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )


def attr(key: str, value) -> dict:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}


def span(
    trace: str, name: str, kind: int, start: int, ms: float, attributes: list, error: bool = False
) -> dict:
    return {
        "traceId": trace,
        "spanId": secrets.token_hex(8),
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + int(ms * 1e6)),
        "attributes": attributes,
        "status": {"code": 2 if error else 0},
    }
