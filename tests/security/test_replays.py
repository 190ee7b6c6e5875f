"""A beacon sent again (a browser's retry, an attacker's replay) is answered like the first and stored
once, in every table; the repeats are counted as dropped duplicates, so the accounting still holds."""

from __future__ import annotations

import secrets

import orjson

from support.load import assert_accounting

TABLES = ("page_views", "vitals", "errors", "api_calls", "resources", "measures", "beacons")


def beacon(pv: str, seq: int) -> bytes:
    return orjson.dumps(
        {
            "site": "demo",
            "pv": pv,
            "seq": seq,
            "url": "https://a.example/p",
            "nav": {"dns": 1} if seq == 0 else None,
            "ev": [
                {"k": "vital", "n": "LCP" if seq == 0 else "CLS", "v": 0.1 if seq else 1200},
                {"k": "error", "m": f"oops {seq}"},
                {"k": "api", "m": "GET", "u": "https://a.example/api/x", "s": 200, "d": 5},
                {"k": "res", "t": "img", "n": 1},
                {"k": "measure", "n": "m", "v": 1},
            ],
        }
    )


def stored(server, pv: str) -> dict[str, int]:
    return {t: server.scalar(f"SELECT count() FROM rumhouse.{t} WHERE page_view_id = '{pv}'") for t in TABLES}


def test_a_replayed_beacon_is_stored_once_in_every_table(server):
    pv = secrets.token_hex(8)
    duplicates_before = server.metric("rumhouse_events_dropped_total", reason="duplicate")
    for _ in range(5):
        assert server.post(beacon(pv, 0)).status_code == 204
    assert stored(server, pv) == dict.fromkeys(TABLES, 1)
    # 4 repeats of 6 events (the page view and five events) each.
    assert server.metric("rumhouse_events_dropped_total", reason="duplicate") == duplicates_before + 24
    # The page view's next beacon is a new one, and is stored; its replay is not.
    assert server.post(beacon(pv, 1)).status_code == 204
    assert server.post(beacon(pv, 1)).status_code == 204
    assert stored(server, pv) == {
        "page_views": 1,
        "vitals": 2,
        "errors": 2,
        "api_calls": 2,
        "resources": 2,
        "measures": 2,
        "beacons": 2,
    }
    assert_accounting(server)
