"""Beacon fields that rum.js 0.2 added, through a real server: what the page says about itself
(rumhouse.label, rumhouse.set, data-sample) lands on the page view and every event row of its beacon,
raw navigation times become the breakdown; beacons of older snippets, without them, keep working."""

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


def test_raw_navigation_times_become_the_breakdown(server):
    """rum.js 0.2 sends Navigation Timing's raw times; the server computes the phases as the snippet did."""
    pv = secrets.token_hex(8)
    # redirect 0-30, DNS 35-47, TCP 47-60 then TLS 60-78, request 80, first byte 260, last byte 285,
    # DOM complete 695, load event end 1320.
    times = [0, 30, 35, 47, 47, 60, 78, 80, 260, 285, 695, 1320]
    body = {"site": "demo", "pv": pv, "url": "https://shop.example/", "last": True, "now": 2000}
    assert server.post(orjson.dumps({**body, "nav": {"t": times, "size": 1800}})).status_code == 204
    wait_until(lambda: server.sql(f"SELECT 1 FROM rumhouse.page_views WHERE page_view_id = '{pv}'"))
    [view] = server.sql(
        "SELECT redirect_ms, dns_ms, connect_ms, tls_ms, server_ms, download_ms, render_ms, load_ms, transfer_size "
        f"FROM rumhouse.page_views WHERE page_view_id = '{pv}'"
    )
    assert view == {
        "redirect_ms": 30,
        "dns_ms": 12,
        "connect_ms": 13,
        "tls_ms": 18,
        "server_ms": 180,
        "download_ms": 25,
        "render_ms": 410,
        "load_ms": 1320,
        "transfer_size": 1800,
    }
    # Plain http (no TLS) and a page left before its load event.
    pv = secrets.token_hex(8)
    times = [0, 0, 2, 2, 2, 0, 9, 10, 50, 60, 0, 0]
    assert server.post(orjson.dumps({**body, "pv": pv, "nav": {"t": times}})).status_code == 204
    wait_until(lambda: server.sql(f"SELECT 1 FROM rumhouse.page_views WHERE page_view_id = '{pv}'"))
    [view] = server.sql(
        "SELECT redirect_ms, dns_ms, connect_ms, tls_ms, server_ms, render_ms, load_ms "
        f"FROM rumhouse.page_views WHERE page_view_id = '{pv}'"
    )
    assert view == {
        "redirect_ms": 0,
        "dns_ms": 0,
        "connect_ms": 7,
        "tls_ms": 0,
        "server_ms": 40,
        "render_ms": None,
        "load_ms": None,
    }
    assert server.post(orjson.dumps({**body, "pv": pv, "seq": 1, "nav": {"t": [1, 2]}})).status_code == 400


def test_relative_api_urls_are_resolved_against_the_page(server):
    pv = secrets.token_hex(8)
    calls = [
        {"k": "api", "m": "GET", "u": "/api/users/12345", "s": 200, "d": 40},
        {"k": "api", "m": "GET", "u": "orders/991", "s": 200, "d": 40},
        {"k": "api", "m": "GET", "u": "//cdn.example/x/1", "s": 200, "d": 40},
        {"k": "api", "m": "GET", "u": "https://api.example:8443/v1/items", "s": 200, "d": 40},
    ]
    body = {
        "site": "demo",
        "pv": pv,
        "url": "https://shop.example:8080/shop/cart?x=1",
        "last": True,
        "ev": calls,
    }
    assert server.post(orjson.dumps(body)).status_code == 204
    wait_until(lambda: len(server.sql(f"SELECT 1 FROM rumhouse.api_calls WHERE page_view_id = '{pv}'")) == 4)
    endpoints = [
        r["endpoint"]
        for r in server.sql(f"SELECT endpoint FROM rumhouse.api_calls WHERE page_view_id = '{pv}'")
    ]
    assert sorted(endpoints) == sorted(
        [
            "shop.example:8080/api/users/:id",
            "shop.example:8080/shop/orders/:id",
            "cdn.example/x/:id",
            "api.example:8443/v1/items",
        ]
    )


def test_resource_types_are_told_from_the_initiator_and_extension(server):
    pv = secrets.token_hex(8)
    kinds = [
        ("fetch", "", "fetch"),
        ("xmlhttprequest", "json", "fetch"),
        ("css", "woff2", "font"),
        ("link", "TTF", "font"),
        ("script", "js", "script"),
        ("img", "", "img"),
        ("css", "png", "img"),
        ("link", "css", "css"),
        ("other", "css", "css"),
        ("navigation", "", "other"),
    ]
    events = [
        {"k": "res", "i": i, "x": x, "h": f"h{n}.example:8443", "n": 1} for n, (i, x, _) in enumerate(kinds)
    ]
    events.append({"k": "res", "t": "script", "h": "old.example", "n": 1})  # a snippet before 0.2
    body = {"site": "demo", "pv": pv, "url": "https://h0.example/", "last": True, "ev": events}
    assert server.post(orjson.dumps(body)).status_code == 204
    wait_until(lambda: len(server.sql(f"SELECT 1 FROM rumhouse.resources WHERE page_view_id = '{pv}'")) == 11)
    rows = server.sql(
        f"SELECT resource_host, type, third_party FROM rumhouse.resources WHERE page_view_id = '{pv}'"
    )
    got = {r["resource_host"]: (r["type"], r["third_party"]) for r in rows}
    expected = {f"h{n}.example": (kind, int(n != 0)) for n, (_, _, kind) in enumerate(kinds)}
    assert got == {**expected, "old.example": ("script", 1)}
