"""People's SQL cannot take the server's threads from the JSON API: past RUMHOUSE_SQL_CONCURRENT running
queries, one more is answered 429 with Retry-After; API exports never hand a spreadsheet a formula."""

from __future__ import annotations

import csv
import io
import secrets
import threading
import time

import orjson

from support.server import ADMIN_TOKEN

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
# Runs until the security server's 3 s limit stops it.
HEAVY = (
    "SELECT sum(cityHash64(a, b)) FROM (SELECT a FROM system.one ARRAY JOIN range(100000) AS a) AS l "
    "CROSS JOIN (SELECT b FROM system.one ARRAY JOIN range(100000) AS b) AS r"
)


def test_queries_past_the_limit_get_429_and_the_api_still_answers(server):
    answers: list = []

    def send():
        answers.append(server.client.post("/api/v1/sql", content=HEAVY, headers=ADMIN, timeout=30))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    # While people's queries hold their two places, the JSON API (its own threads) answers.
    api = server.client.get("/api/v1/vitals/summary", params={"site": "demo"}, headers=ADMIN)
    health = server.client.get("/healthz")
    for t in threads:
        t.join()
    assert api.status_code == 200 and health.status_code == 200
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(429) >= 4 and statuses.count(400) <= 2, statuses  # 400: stopped by the time limit
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["retry-after"] == "1" and refused.text.startswith('{"error":"too_many_queries"')


def test_api_csv_exports_neutralise_formulas(server):
    pv = secrets.token_hex(8)
    formula = '=HYPERLINK("http://evil.example","click")'
    beacon = {"site": "demo", "pv": pv, "url": "https://a.example/p", "ev": [{"k": "error", "m": formula}]}
    assert server.post(orjson.dumps(beacon)).status_code == 204
    server.sql("SELECT 1")  # flushes the writer: the API reads what is stored
    time.sleep(1.1)  # API windows end at the current second, truncated: let the error's second pass
    exported = server.client.get(
        "/api/v1/errors",
        params={"site": "demo", "format": "csv", "range": "1h", "source": "raw"},
        headers=ADMIN,
    )
    assert exported.status_code == 200, exported.text
    cells = [cell for row in csv.reader(io.StringIO(exported.text)) for cell in row]
    assert "'" + formula in cells, exported.text[:1500]
    assert formula not in cells
