"""Beacons posted over HTTP to a real server land in the embedded engine with the right values."""

import secrets
import time

import orjson
import pytest

from support.server import CHROME_UA

SAFARI_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


def new_pv() -> str:
    return secrets.token_hex(8)


def full_beacon(pv: str) -> dict:
    return {
        "v": 1,
        "site": "demo",
        "pv": pv,
        "seq": 0,
        "last": True,
        "url": "https://shop.example/users/12345/orders?token=s3cr3t&utm_source=news#top",
        "ref": "https://www.google.com/search?q=shoes",
        "rel": "v2.1.0",
        "nt": "reload",
        "now": 5000,
        "wd": False,
        "nav": {
            "redirect": 0,
            "dns": 12,
            "connect": 20.5,
            "tls": 18,
            "server": 180,
            "download": 25,
            "render": 410,
            "load": 1320,
            "size": 18400,
            "st": [["db", 42.5], ["cache", 1.25]],
        },
        "ctx": {"et": "4g", "rtt": 50, "dl": 10, "sd": False, "mem": 8, "cpu": 8, "vw": 1280, "vh": 720},
        "ev": [
            {"k": "vital", "n": "TTFB", "v": 240},
            {"k": "vital", "n": "FCP", "v": 620.5},
            {"k": "vital", "n": "LCP", "v": 1180, "a": "img.hero"},
            {"k": "vital", "n": "CLS", "v": 0.042},
            {
                "k": "api",
                "m": "post",
                "u": "https://shop.example/api/cart/991?x=1",
                "s": 201,
                "d": 85.5,
                "ts": 1500,
            },
            {
                "k": "error",
                "m": "Failed for jane.doe@example.com",
                "src": "https://shop.example/app.js?v=9",
                "line": 10,
                "col": 5,
                "stack": "at f (https://shop.example/app.js?v=9:10:5)",
                "n": 3,
                "ts": 2100,
            },
            {
                "k": "res",
                "t": "script",
                "h": "cdn.example",
                "tp": True,
                "n": 4,
                "tb": 1000,
                "eb": 900,
                "db": 3000,
                "ch": 1,
                "d": 400,
                "dm": 150,
                "su": "https://cdn.example/lib/5f3a9c1e8b7d6a4f2e1c0b9a.js?cb=1",
            },
            {"k": "measure", "n": "checkout", "v": 321.5, "tags": {"step": "pay"}, "ts": 4000},
        ],
    }


def test_text_plain_beacon_lands_in_every_table(server):
    pv = new_pv()
    before = time.time()
    response = server.post(orjson.dumps(full_beacon(pv)), headers={"cf-ipcountry": "de"})
    after = time.time()
    assert response.status_code == 204, response.text

    where = f"WHERE page_view_id = '{pv}'"
    [view] = server.sql(
        f"SELECT *, toUnixTimestamp64Milli(time) / 1000 AS t FROM rumhouse.page_views {where}"
    )
    assert view["host"] == "shop.example"
    assert view["path"] == "/users/:id/orders"
    assert view["query"] == "utm_source=news"
    assert view["referrer_host"] == "www.google.com"
    assert (view["browser"], view["browser_version"], view["os"], view["device_type"]) == (
        "Chrome",
        "131",
        "Windows",
        "desktop",
    )
    assert view["country"] == "DE"
    assert (view["connection_type"], view["release"], view["navigation_type"]) == ("4g", "v2.1.0", "reload")
    assert (view["dns_ms"], view["connect_ms"], view["tls_ms"], view["server_ms"]) == (12, 20.5, 18, 180)
    assert (view["download_ms"], view["render_ms"], view["load_ms"], view["transfer_size"]) == (
        25,
        410,
        1320,
        18400,
    )
    assert view["server_timing"] == {"db": 42.5, "cache": 1.25}
    assert (view["rtt"], view["cpu_cores"], view["viewport_width"], view["save_data"]) == (50, 8, 1280, 0)
    # The page view began `now` = 5 s before the beacon was sent, by the page's own clock.
    assert before - 5 - 0.01 <= view["t"] <= after - 5 + 0.01

    vitals = server.sql(
        f"SELECT name, value, attribution, path, country FROM rumhouse.vitals {where} ORDER BY name"
    )
    assert [(v["name"], v["value"], v["attribution"]) for v in vitals] == [
        ("CLS", 0.042, ""),
        ("FCP", 620.5, ""),
        ("LCP", 1180, "img.hero"),
        ("TTFB", 240, ""),
    ]
    assert {(v["path"], v["country"]) for v in vitals} == {("/users/:id/orders", "DE")}

    [call] = server.sql(f"SELECT method, endpoint, status, duration_ms FROM rumhouse.api_calls {where}")
    assert call == {
        "method": "POST",
        "endpoint": "shop.example/api/cart/:id",
        "status": 201,
        "duration_ms": 85.5,
    }

    [error] = server.sql(
        f"SELECT kind, message, source, line, col, stack, count, fingerprint FROM rumhouse.errors {where}"
    )
    assert error["message"] == "Failed for :email"
    assert error["source"] == "https://shop.example/app.js"
    assert error["stack"] == "at f (https://shop.example/app.js:10:5)"
    assert (error["kind"], error["line"], error["col"], error["count"]) == ("error", 10, 5, 3)
    assert error["fingerprint"] != 0

    [res] = server.sql(f"SELECT * EXCEPT (time) FROM rumhouse.resources {where}")
    assert (res["type"], res["resource_host"], res["third_party"], res["count"]) == (
        "script",
        "cdn.example",
        1,
        4,
    )
    assert (res["transfer_bytes"], res["encoded_bytes"], res["decoded_bytes"], res["cache_hits"]) == (
        1000,
        900,
        3000,
        1,
    )
    assert res["slowest_url"] == "https://cdn.example/lib/:id.js"

    [measure] = server.sql(f"SELECT name, value, tags FROM rumhouse.measures {where}")
    assert measure == {"name": "checkout", "value": 321.5, "tags": {"step": "pay"}}

    [beacon] = server.sql(f"SELECT seq, last, events FROM rumhouse.beacons {where}")
    assert beacon == {"seq": 0, "last": 1, "events": 9}


def test_json_beacon_from_allowed_origin_gets_cors_headers(server):
    pv = new_pv()
    body = {
        "site": "shop",
        "pv": pv,
        "url": "https://shop.example/",
        "ev": [{"k": "vital", "n": "INP", "v": 72}],
    }
    response = server.post(orjson.dumps(body), content_type="application/json", origin="https://shop.example")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert server.sql(f"SELECT site, name, value FROM rumhouse.vitals WHERE page_view_id = '{pv}'") == [
        {"site": "shop", "name": "INP", "value": 72}
    ]
    # No navigation breakdown, no page_views row: that row comes from the beacon that carries `nav`.
    assert server.scalar(f"SELECT count() FROM rumhouse.page_views WHERE page_view_id = '{pv}'") == 0


def test_preflight_is_answered_for_allowed_origins_only(server):
    ok = server.client.options(
        "/beacon", headers={"origin": "http://localhost:3000", "access-control-request-method": "POST"}
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in ok.headers["access-control-allow-methods"]


def test_a_page_view_over_several_beacons_stores_each_metric_once(server):
    pv = new_pv()
    first = {
        "site": "demo",
        "pv": pv,
        "url": "https://a.example/",
        "seq": 0,
        "now": 1000,
        "nav": {"dns": 1},
        "ev": [{"k": "vital", "n": "FCP", "v": 500}, {"k": "vital", "n": "LCP", "v": 900}],
    }
    # A buggy or replayed snippet repeats LCP with another value: the first report stands.
    last = {
        "site": "demo",
        "pv": pv,
        "url": "https://a.example/",
        "seq": 1,
        "last": True,
        "now": 9000,
        "ev": [{"k": "vital", "n": "LCP", "v": 2000}, {"k": "vital", "n": "CLS", "v": 0.1}],
    }
    dropped_before = server.metric("rumhouse_events_dropped_total", reason="duplicate")
    assert server.post(orjson.dumps(first)).status_code == 204
    assert server.post(orjson.dumps(last)).status_code == 204
    rows = server.sql(f"SELECT name, value FROM rumhouse.vitals WHERE page_view_id = '{pv}' ORDER BY name")
    assert rows == [
        {"name": "CLS", "value": 0.1},
        {"name": "FCP", "value": 500},
        {"name": "LCP", "value": 900},
    ]
    assert server.metric("rumhouse_events_dropped_total", reason="duplicate") == dropped_before + 1
    beacons = server.sql(
        f"SELECT seq, last, events FROM rumhouse.beacons WHERE page_view_id = '{pv}' ORDER BY seq"
    )
    assert beacons == [{"seq": 0, "last": 0, "events": 3}, {"seq": 1, "last": 1, "events": 1}]


def test_a_metric_the_browser_cannot_measure_is_absent_not_zero(server):
    pv = new_pv()
    body = {
        "site": "demo",
        "pv": pv,
        "url": "https://a.example/",
        "nav": {"dns": 0, "load": None},
        "ev": [{"k": "vital", "n": "FCP", "v": 800}, {"k": "vital", "n": "TTFB", "v": 90}],
    }
    assert server.post(orjson.dumps(body), user_agent=SAFARI_UA).status_code == 204
    names = [
        r["name"]
        for r in server.sql(f"SELECT name FROM rumhouse.vitals WHERE page_view_id = '{pv}' ORDER BY name")
    ]
    assert names == ["FCP", "TTFB"]
    [view] = server.sql(
        f"SELECT dns_ms, load_ms, device_type, browser FROM rumhouse.page_views WHERE page_view_id = '{pv}'"
    )
    assert view == {"dns_ms": 0, "load_ms": None, "device_type": "mobile", "browser": "Mobile Safari"}


def test_chunked_body_without_content_length_is_accepted(server):
    pv = new_pv()
    body = orjson.dumps(
        {"site": "demo", "pv": pv, "url": "https://a.example/", "ev": [{"k": "vital", "n": "FCP", "v": 1}]}
    )
    response = server.client.post(
        "/beacon",
        content=iter([body[:10], body[10:]]),
        headers={"user-agent": CHROME_UA, "content-type": "text/plain"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 204
    assert server.scalar(f"SELECT count() FROM rumhouse.vitals WHERE page_view_id = '{pv}'") == 1


@pytest.mark.parametrize(
    "path, stored",
    [
        ("/", "/"),
        ("/products/42", "/products/:id"),
        ("/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301/items", "/orders/:id/items"),
        ("/u/jane%40example.com", "/u/:email"),
        ("/reset/eyJhbGciOiJIUzI1NiJ9abc123XYZ", "/reset/:token"),
        ("/blog/black-friday-deals-2026", "/blog/black-friday-deals-2026"),
    ],
)
def test_paths_are_templated_before_storage(server, path, stored):
    pv = new_pv()
    body = {
        "site": "demo",
        "pv": pv,
        "url": f"https://a.example{path}?email=x@y.z",
        "ev": [{"k": "vital", "n": "FCP", "v": 1}],
    }
    assert server.post(orjson.dumps(body)).status_code == 204
    assert server.sql(f"SELECT path FROM rumhouse.vitals WHERE page_view_id = '{pv}'") == [{"path": stored}]
