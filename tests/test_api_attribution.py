"""GET /api/v1/vitals/attribution against figures computed here from the beacons sent: each group's samples,
share, p75 and the p75 of each part (exact: linear interpolation between closest ranks)."""

from __future__ import annotations

import random
import secrets

import orjson

from support.load import wait_until
from support.reading_data import quantile
from support.server import ADMIN_TOKEN

HEADERS = {"authorization": f"Bearer {ADMIN_TOKEN}"}


def send_lcp(server, path: str, rng: random.Random) -> list[dict]:
    sent = []
    for _ in range(40):
        element = rng.choice(["#hero", "html>body>main>img.card", "#title"])
        parts = [rng.randint(50, 800), rng.randint(0, 500), rng.randint(0, 1500), rng.randint(0, 300)]
        url = "" if element == "#title" else f"https://cdn.example/{element[-4:]}.jpg"
        value = sum(parts)
        event = {
            "k": "vital",
            "n": "LCP",
            "v": value,
            "a": element,
            "p": parts,
            **({"u": url} if url else {}),
        }
        body = {
            "site": "demo",
            "pv": secrets.token_hex(8),
            "url": f"https://shop.example{path}",
            "last": True,
        }
        assert server.post(orjson.dumps({**body, "ev": [event]})).status_code == 204
        sent.append({"element": element, "url": url, "value": value, "parts": parts})
    return sent


def test_lcp_by_element_and_by_image(server):
    path = f"/attr-{secrets.token_hex(4)}/"
    sent = send_lcp(server, path, random.Random(5))
    where = f"SELECT count() AS n FROM rumhouse.vitals WHERE path = '{path}'"
    wait_until(lambda: server.sql(where)[0]["n"] == len(sent))

    answer = server.client.get(
        "/api/v1/vitals/attribution", params={"site": "demo", "path": path, "metric": "LCP"}, headers=HEADERS
    )
    assert answer.status_code == 200, answer.text
    got = {r["key"]: r for r in answer.json()["rows"]}
    assert set(got) == {s["element"] for s in sent}
    for element, row in got.items():
        mine = [s for s in sent if s["element"] == element]
        assert row["samples"] == len(mine)
        assert row["share"] == len(mine) / len(sent)
        assert row["p75"] == quantile([s["value"] for s in mine], 0.75)
        for i, part in enumerate(("ttfb", "load_delay", "load_duration", "render_delay")):
            assert row[f"{part}_p75"] == quantile([s["parts"][i] for s in mine], 0.75), part
        assert row["input_delay_p75"] is None and row["shift_p75"] is None
    rows = answer.json()["rows"]
    assert [r["samples"] for r in rows] == sorted((r["samples"] for r in rows), reverse=True)

    by_url = server.client.get(
        "/api/v1/vitals/attribution",
        params={"site": "demo", "path": path, "metric": "LCP", "by": "url", "format": "csv"},
        headers=HEADERS,
    )
    assert by_url.status_code == 200 and by_url.text.startswith("key,samples,share,p75")
    urls = {line.split(",")[0] for line in by_url.text.splitlines()[1:]}
    assert urls == {s["url"] for s in sent}  # '' for the text element, which has no image


def test_bad_questions_are_400(server):
    for params in (
        {"metric": "LCP", "by": "script"},
        {"metric": "TTFB"},
        {"by": "nope"},
        {"source": "rollup"},
    ):
        answer = server.client.get(
            "/api/v1/vitals/attribution", params={"site": "demo", **params}, headers=HEADERS
        )
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["error"] == "bad_request"
