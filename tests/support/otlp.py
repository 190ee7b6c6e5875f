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


def wait_rolled_up(server, timeout: float = 30) -> None:
    """Waits until the API's span questions count every span the server accepted. An SDK sends in
    batches, each stored by its own insert; ClickHouse commits an insert's rows to otel_traces before its
    materialized views have run; and the API reads on connections of its own: for a moment after the
    spans are there, a question on the rollups can count fewer of them. What a test asks is asked once
    the API sees them all."""
    import time

    from rumhouse.tables import EVENT_TABLES
    from support.load import wait_until

    def all_stored() -> bool:
        accepted = server.metric("rumhouse_events_accepted_total")
        inserted = sum(server.metric("rumhouse_rows_inserted_total", table=t) for t in EVENT_TABLES)
        return accepted == inserted + server.metric_sum("rumhouse_events_dropped_total")

    def api_sees_all() -> bool:
        now = int(time.time() * 1000)
        window = {"from": str(now - 399 * 86_400_000), "to": str(now + 3_600_000), "limit": "1000"}
        counts = server.sql(
            "SELECT site, countIf(SpanKind = 'Server') AS server, countIf(db_system != '') AS db"
            " FROM rumhouse.otel_traces GROUP BY site"
        )
        for row in counts:
            asked = {**window, "site": row["site"]}
            endpoints = server.client.get("/api/v1/server/endpoints", params=asked, headers=ADMIN).json()
            statements = server.client.get("/api/v1/database/statements", params=asked, headers=ADMIN).json()
            if sum(r["requests"] for r in endpoints["rows"]) != int(row["server"]):
                return False
            if sum(r["calls"] for r in statements["rows"]) != int(row["db"]):
                return False
        return True

    wait_until(all_stored, timeout=timeout)
    wait_until(api_sees_all, timeout=timeout)
