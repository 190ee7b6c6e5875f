"""What the OTLP tests share: an ingest token made through the API, and OTLP JSON spans sent with it."""

from __future__ import annotations

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
