"""What the page says about itself (rumhouse.label, rumhouse.set, data-sample) lands on the page view and
on every event row of the beacon that carried it; old beacons without it keep working."""

from __future__ import annotations

import secrets

import orjson

from support.load import wait_until

EVENTS = [
    {"k": "vital", "n": "LCP", "v": 1200},
    {"k": "error", "m": "payment failed", "t": "manual", "ts": 10},
    {"k": "api", "m": "GET", "u": "https://shop.example/api/cart", "s": 200, "d": 40, "ts": 20},
    {"k": "res", "t": "img", "h": "cdn.example", "n": 2},
    {"k": "measure", "n": "checkout", "v": 800, "ts": 30},
]
TABLES = ("page_views", "vitals", "errors", "api_calls", "resources", "measures")


def beacon(pv: str, **extra) -> bytes:
    body = {"site": "demo", "pv": pv, "url": "https://shop.example/p/123", "last": True, "now": 100}
    return orjson.dumps({**body, "nav": {"server": 50}, "ev": EVENTS, **extra})


def labels(server, pv: str) -> dict[str, tuple]:
    def all_there():
        return all(server.sql(f"SELECT 1 FROM rumhouse.{t} WHERE page_view_id = '{pv}'") for t in TABLES)

    wait_until(all_there, timeout=20)
    return {
        t: tuple(
            server.sql(f"SELECT label, custom FROM rumhouse.{t} WHERE page_view_id = '{pv}'")[0].values()
        )
        for t in TABLES
    }


def test_label_and_custom_dimensions_on_every_row(server):
    pv = secrets.token_hex(8)
    sent = beacon(pv, lb="product", cd={"plan": "pro", "ab": "checkout-v2"}, sr=0.25)
    assert server.post(sent).status_code == 204
    got = labels(server, pv)
    assert got == {t: ("product", {"plan": "pro", "ab": "checkout-v2"}) for t in TABLES}
    [view] = server.sql(f"SELECT sample_rate FROM rumhouse.page_views WHERE page_view_id = '{pv}'")
    assert view["sample_rate"] == 0.25
    [error] = server.sql(f"SELECT kind FROM rumhouse.errors WHERE page_view_id = '{pv}'")
    assert error["kind"] == "manual"


def test_a_beacon_without_them_stores_empty_labels_and_rate_1(server):
    pv = secrets.token_hex(8)
    assert server.post(beacon(pv)).status_code == 204
    assert labels(server, pv) == {t: ("", {}) for t in TABLES}
    [view] = server.sql(f"SELECT sample_rate FROM rumhouse.page_views WHERE page_view_id = '{pv}'")
    assert view["sample_rate"] == 1


def test_bounds_are_checked(server):
    pv = secrets.token_hex(8)
    for bad in ({"sr": 0}, {"sr": 1.5}, {"lb": "x" * 65}, {"cd": {f"k{i}": "v" for i in range(11)}}):
        response = server.post(beacon(pv, **bad))
        assert response.status_code == 400, bad


def test_secrets_in_labels_are_scrubbed(server):
    pv = secrets.token_hex(8)
    assert (
        server.post(
            beacon(pv, lb="user@example.com", cd={"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"})
        ).status_code
        == 204
    )
    label, custom = labels(server, pv)["vitals"]
    assert "example.com" not in label and "eyJ" not in custom["token"]
