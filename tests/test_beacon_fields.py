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


def _stored(server, table: str, pv: str, columns: str) -> list[dict]:
    wait_until(lambda: server.sql(f"SELECT 1 FROM rumhouse.{table} WHERE page_view_id = '{pv}'"))
    return server.sql(f"SELECT {columns} FROM rumhouse.{table} WHERE page_view_id = '{pv}'")


def test_the_whole_navigation_entry_becomes_the_breakdown_and_names_the_trace(server):
    """rum.js sends the navigation entry as its toJSON() writes it: the server reads the phases, the
    Server-Timing entries and the document's traceparent from it, the navigation type from `nt`, and
    never the entry's URL."""
    pv = secrets.token_hex(8)
    entry = {
        "name": "https://shop.example/p/1?email=ann@example.com",
        "entryType": "navigation",
        "redirectStart": 0, "redirectEnd": 30, "domainLookupStart": 35, "domainLookupEnd": 47,
        "connectStart": 47, "secureConnectionStart": 60, "connectEnd": 78, "requestStart": 80,
        "responseStart": 260, "responseEnd": 285, "domInteractive": 400, "domComplete": 695,
        "loadEventEnd": 1320, "transferSize": 1800, "type": "reload", "activationStart": 0,
        "serverTiming": [
            {"name": "db", "duration": 53.5, "description": ""},
            {"name": "traceparent", "duration": 0, "description": "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"},
        ],
        "notRestoredReasons": None,
    }  # fmt: skip
    body = {"site": "demo", "pv": pv, "url": "https://shop.example/p/1", "last": True, "now": 2000}
    sent = {
        **body,
        "nt": "reload",
        "nav": {"n": entry, "tp": "00-11111111111111111111111111111111-b7ad6b7169203331-01"},
    }
    assert server.post(orjson.dumps(sent)).status_code == 204
    [view] = _stored(
        server,
        "page_views",
        pv,
        "redirect_ms, dns_ms, connect_ms, tls_ms, server_ms, download_ms, render_ms, load_ms, transfer_size,"
        " server_timing, trace_id, navigation_type, query",
    )
    assert view == {
        "redirect_ms": 30, "dns_ms": 12, "connect_ms": 13, "tls_ms": 18, "server_ms": 180, "download_ms": 25,
        "render_ms": 410, "load_ms": 1320, "transfer_size": 1800,
        "server_timing": {"db": 53.5, "traceparent": 0},
        # Server-Timing wins over the <meta>; lower case.
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "navigation_type": "reload",
        "query": "",
    }  # fmt: skip
    # The <meta> alone; an entry without a response start has no timing; a browser's new navigation type
    # is read as navigate, not refused.
    pv = secrets.token_hex(8)
    meta = "00-11111111111111111111111111111111-b7ad6b7169203331-01"
    sent = {**body, "pv": pv, "nt": "teleport", "nav": {"n": {"responseStart": 0, "type": "x"}, "tp": meta}}
    assert server.post(orjson.dumps(sent)).status_code == 204
    [view] = _stored(server, "page_views", pv, "server_ms, load_ms, trace_id, navigation_type")
    assert view == {"server_ms": None, "load_ms": None, "trace_id": "1" * 32, "navigation_type": "navigate"}
    # Hostile values: a traceparent that is not one is left out; a negative time is refused.
    pv = secrets.token_hex(8)
    assert server.post(orjson.dumps({**body, "pv": pv, "nav": {"tp": "00-zz-1-01"}})).status_code == 204
    assert _stored(server, "page_views", pv, "trace_id") == [{"trace_id": ""}]
    bad = {**body, "pv": secrets.token_hex(8), "nav": {"n": {"responseStart": -5}}}
    assert server.post(orjson.dumps(bad)).status_code == 400


def test_calls_keep_their_trace_and_server_timing(server):
    pv = secrets.token_hex(8)
    carried = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    named = "5bf92f3577b34da6a3ce929d0e0e4736"
    events = [
        # Carried a traceparent; the response's Server-Timing has a quoted desc with a comma.
        {"k": "api", "u": "/api/a", "s": 200, "d": 40, "tr": carried, "st": 'db;dur=12.5;desc="x, y", app;dur=3'},
        # No header sent (false, as rum.js writes it); the backend named its trace in Server-Timing.
        {"k": "api", "m": "post", "u": "/api/b", "s": 201, "d": 30, "tr": False,
         "st": f'traceparent;desc="00-{named}-00f067aa0ba902b7-01"'},
        # Neither (null Server-Timing, as XHR gives for an unexposed header), and a header that is junk.
        {"k": "api", "u": "/api/c", "s": 200, "d": 20, "tr": None, "st": None},
        {"k": "api", "u": "/api/d", "s": 200, "d": 20, "st": "dur=;;;,,,=,\"unterminated"},
    ]  # fmt: skip
    body = {"site": "demo", "pv": pv, "url": "https://shop.example/", "last": True, "now": 100, "ev": events}
    assert server.post(orjson.dumps(body)).status_code == 204
    wait_until(lambda: len(server.sql(f"SELECT 1 FROM rumhouse.api_calls WHERE page_view_id = '{pv}'")) == 4)
    got = {
        r["endpoint"].rsplit("/", 1)[1]: r
        for r in server.sql(
            f"SELECT endpoint, method, trace_id, server_timing FROM rumhouse.api_calls WHERE page_view_id = '{pv}'"
        )
    }
    assert got["a"] == {
        "endpoint": "shop.example/api/a",
        "method": "GET",
        "trace_id": carried[3:35],
        "server_timing": {"db": 12.5, "app": 3},
    }
    assert (got["b"]["method"], got["b"]["trace_id"]) == ("POST", named)
    assert (got["c"]["trace_id"], got["c"]["server_timing"]) == ("", {})
    assert got["d"]["trace_id"] == ""


def test_load_states_by_number_and_stacks_cut_by_the_server(server):
    pv = secrets.token_hex(8)
    stack = "\n".join(f"at f{i} (app.js:{i}:1)" for i in range(40))
    events = [
        {"k": "vital", "n": "LCP", "v": 1200, "l": 2},
        {"k": "vital", "n": "INP", "v": 90, "l": 0},
        {"k": "error", "m": "boom", "stack": stack},
    ]
    body = {"site": "demo", "pv": pv, "url": "https://shop.example/", "last": True, "now": 100, "ev": events}
    assert server.post(orjson.dumps(body)).status_code == 204
    wait_until(lambda: len(server.sql(f"SELECT 1 FROM rumhouse.vitals WHERE page_view_id = '{pv}'")) == 2)
    states = {
        r["name"]: r["load_state"]
        for r in server.sql(f"SELECT name, load_state FROM rumhouse.vitals WHERE page_view_id = '{pv}'")
    }
    assert states == {"LCP": "dom-content-loaded", "INP": "loading"}
    [error] = _stored(server, "errors", pv, "stack")
    assert error["stack"].split("\n") == stack.split("\n")[:12]
    bad = {**body, "pv": secrets.token_hex(8), "ev": [{"k": "vital", "n": "LCP", "v": 1, "l": 7}]}
    assert server.post(orjson.dumps(bad)).status_code == 400
