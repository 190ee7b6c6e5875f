"""The OpenAPI document is made from the operations' types, covers every /api/v1 route, gives each body
and answer a real schema, and the check that every answer of the suite goes through
(support/openapi_check.py) fails on one that does not fit."""

from __future__ import annotations

import re

import orjson
import pytest

from rumhouse.app import create_app
from rumhouse.settings import Settings
from support.openapi_check import AnswerMismatch, _document, check
from support.server import ADMIN_TOKEN


def test_every_api_route_is_in_the_document(tmp_path):
    app = create_app(Settings.from_env({"RUMHOUSE_DATA_DIR": str(tmp_path)}))
    routes = {
        (method, route.path.replace(":path}", "}"))  # a parameter that may hold slashes, {name} in OpenAPI
        for route in app.routes
        if route.path.startswith("/api/v1")
        for method in (route.methods or ()) - {"HEAD"}
    }
    documented = {(m.upper(), path) for path, ops in _document()["paths"].items() for m in ops}
    assert routes == documented
    assert len(routes) >= 30


def _resolved(schema: dict) -> dict:
    name = schema["$ref"].rsplit("/", 1)[1]
    return _document()["components"]["schemas"][name]


def test_every_body_and_answer_has_a_schema_of_its_own():
    for path, ops in _document()["paths"].items():
        for method, op in ops.items():
            where = f"{method} {path}"
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                assert _resolved(body["schema"]).get("properties"), where
            for status, answer in op["responses"].items():
                content = answer.get("content", {}).get("application/json")
                if content is None:
                    assert status == "204", where
                    continue
                shape = _resolved(content["schema"])
                assert shape.get("properties"), where
                if shape["title"].startswith("TableAnswer"):  # a table: its rows are a type of their own too
                    rows = shape["properties"]["rows"]["items"]
                    assert _resolved(rows).get("properties"), where
            for p in op["parameters"]:
                assert p["schema"], (where, p["name"])


SUMMARY_ROW = {
    "metric": "LCP",
    "unit": "ms",
    "samples": 3,
    "p50": 1.0,
    "p75": 2.0,
    "p95": 3.0,
    "p99": 3.0,
    "good": 1.0,
    "needs_improvement": 0.0,
    "poor": 0.0,
    "p75_ci_low": 1.0,
    "p75_ci_high": 3.0,
    "enough": False,
    "rating": "good",
    "good_threshold": 2500,
    "poor_threshold": 4000,
}


def answer(rows: list) -> bytes:
    return orjson.dumps({"source": "raw", "filters": {}, "columns": list(SUMMARY_ROW), "rows": rows})


def test_the_check_accepts_what_fits_and_refuses_what_does_not():
    ok = answer([SUMMARY_ROW])
    check("GET", "/api/v1/vitals/summary", 200, "application/json", ok)
    check("GET", "/api/v1/vitals/summary", 200, "text/csv; charset=utf-8", b"metric\nLCP\n")
    check("GET", "/api/v1/budgets/status", 400, "application/json", b'{"error":"bad_request","message":"x"}')
    with pytest.raises(AnswerMismatch, match=re.escape("at rows/0/samples")):
        check(
            "GET",
            "/api/v1/vitals/summary",
            200,
            "application/json",
            answer([{**SUMMARY_ROW, "samples": "3"}]),
        )
    with pytest.raises(AnswerMismatch, match="rating"):
        check(
            "GET",
            "/api/v1/vitals/summary",
            200,
            "application/json",
            answer([{**SUMMARY_ROW, "rating": "ok"}]),
        )
    with pytest.raises(AnswerMismatch, match="'message' is a required property"):
        check("GET", "/api/v1/budgets/status", 400, "application/json", b'{"error":"bad_request"}')
    with pytest.raises(AnswerMismatch, match="answered 418"):
        check("GET", "/api/v1/budgets/status", 418, "application/json", b"{}")
    with pytest.raises(AnswerMismatch, match="text/html"):
        check("GET", "/api/v1/budgets/status", 200, "text/html", b"<p>")


def test_the_served_document_is_the_one_checked(server):
    served = server.client.get("/api/v1/openapi.json", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    assert served.status_code == 200
    assert served.json() == orjson.loads(orjson.dumps(_document()))


def test_a_huge_body_is_refused_while_it_is_read(server):
    """Every operation with a body reads at most 64 KiB of it: past that, 413 in the one error form."""
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"}
    huge = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    for method, path in (("POST", "/api/v1/budgets"), ("POST", "/api/v1/alerts/any/ack")):
        answer = server.client.request(method, path, content=huge, headers=admin)
        assert answer.status_code == 413, (path, answer.text)
        assert answer.json()["error"] == "too_large"
    assert server.client.get("/healthz").status_code == 200


def test_a_body_that_never_ends_is_a_400_not_a_server_error(server):
    """A client that sends part of a body and goes away: the operation answers (and the audit log
    records) 400 incomplete_body, not a server error."""
    import socket
    import time
    from datetime import UTC, datetime

    since = datetime.now(UTC).replace(tzinfo=None).isoformat()
    for path in ("/api/v1/budgets", "/api/v1/sql"):
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".encode()
            )
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}

    def recorded():
        rows = server.client.get("/api/v1/audit", params={"since": since}, headers=admin).json()["rows"]
        return sorted((r["route"], r["status"]) for r in rows if r["method"] == "POST")

    deadline = time.monotonic() + 15
    while len(recorded()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert recorded() == [("/api/v1/budgets", 400), ("/api/v1/sql", 400)]
    assert server.client.get("/healthz").status_code == 200


def test_every_refusal_is_counted_by_its_reason(server):
    """Each /api/v1 refusal adds one to rumhouse_api_refused_total{reason=<its error word>}."""
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    asks = [
        ("bad_request", "GET", "/api/v1/pages", {"params": {"metric": "X"}, "headers": admin}),
        ("unauthorized", "GET", "/api/v1/sites", {}),
        ("not_found", "GET", "/api/v1/budgets/no-such-budget", {"headers": admin}),
        ("too_large", "POST", "/api/v1/budgets", {"content": b"x" * 70_000, "headers": admin}),
        ("refused", "POST", "/api/v1/sql", {"content": "SELECT * FROM system.users", "headers": admin}),
    ]
    for reason, method, path, options in asks:
        before = server.metric("rumhouse_api_refused_total", reason=reason) or 0
        answer = server.client.request(method, path, **options)
        assert answer.status_code >= 400 and answer.json()["error"] == reason, answer.text
        assert server.metric("rumhouse_api_refused_total", reason=reason) == before + 1, reason
