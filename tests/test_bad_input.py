"""Bad input: each case gets its documented status and one-line reason, stores nothing, is counted by
reason at /metrics, and never causes a 5xx."""

import secrets

import httpx
import orjson
import pytest

from support.server import CHROME_UA

TABLES = ("page_views", "vitals", "errors", "api_calls", "resources", "measures", "beacons")


def beacon(**fields) -> dict:
    body = {"site": "demo", "pv": secrets.token_hex(8), "url": "https://a.example/p", "ev": []}
    body.update(fields)
    return body


def vital(value, name="LCP") -> dict:
    return {"k": "vital", "n": name, "v": value}


def total_rows(server) -> int:
    return sum(server.scalar(f"SELECT count() FROM rumhouse.{t}") for t in TABLES)


CASES = [
    # id, body, extra post arguments, status, reason, what the one-line answer must mention
    ("truncated-json", orjson.dumps(beacon(ev=[vital(1)]))[:-7], {}, 400, "bad_json", "truncated"),
    ("empty-body", b"", {}, 400, "bad_json", ""),
    ("not-an-object", b"[1, 2, 3]", {}, 400, "invalid", "Expected `object`"),
    ("wrong-type", orjson.dumps(beacon(seq="first")), {}, 400, "invalid", "$.seq"),
    ("wrong-event-kind", orjson.dumps(beacon(ev=[{"k": "nope"}])), {}, 400, "invalid", "$.ev[0]"),
    ("missing-field", orjson.dumps({"site": "demo", "url": "https://a.example/"}), {}, 400, "invalid", "pv"),
    (
        "nan",
        orjson.dumps(beacon()).replace(b'"ev":[]', b'"ev":[{"k":"vital","n":"LCP","v":NaN}]'),
        {},
        400,
        "bad_json",
        "malformed",
    ),
    (
        "infinity",
        orjson.dumps(beacon()).replace(b'"ev":[]', b'"ev":[{"k":"vital","n":"LCP","v":1e400}]'),
        {},
        400,
        "invalid",
        "$.ev[0].v",
    ),
    ("negative", orjson.dumps(beacon(ev=[vital(-5)])), {}, 400, "invalid", "$.ev[0].v"),
    ("huge", orjson.dumps(beacon(ev=[vital(1e15)])), {}, 400, "invalid", "$.ev[0].v"),
    ("huge-cls", orjson.dumps(beacon(ev=[vital(150, "CLS")])), {}, 400, "invalid", "$.ev[0].v"),
    (
        "huge-count",
        orjson.dumps(beacon(ev=[{"k": "res", "t": "img", "n": 10**12}])),
        {},
        400,
        "invalid",
        "$.ev[0].n",
    ),
    ("1001-events", orjson.dumps(beacon(ev=[{"k": "res", "t": "img"}] * 1001)), {}, 400, "invalid", "$.ev"),
    ("10000-events", orjson.dumps(beacon(ev=[vital(1)] * 10_000)), {}, 413, "too_large", "65536"),
    (
        "long-string",
        orjson.dumps(beacon(ev=[{"k": "error", "m": "x" * 5000}])),
        {},
        400,
        "invalid",
        "$.ev[0].m",
    ),
    (
        "100kb-string",
        orjson.dumps(beacon(url="https://a.example/" + "x" * 100_000)),
        {},
        413,
        "too_large",
        "",
    ),
    ("1mb-body", orjson.dumps(beacon(rel="x" * 1_000_000)), {}, 413, "too_large", ""),
    (
        "not-utf8",
        orjson.dumps(beacon(rel="ZZZZ")).replace(b"ZZZZ", b"\xff\xfe\xfa\xfb"),
        {},
        400,
        "bad_encoding",
        "",
    ),
    # Deeper than msgspec recurses, inside a field the beacon format does not know (so only skipped).
    (
        "deeply-nested-unknown-field",
        orjson.dumps(beacon(zz="NEST")).replace(b'"NEST"', b"[" * 20_000 + b"]" * 20_000),
        {},
        400,
        "bad_json",
        "nested too deeply",
    ),
    ("bad-page-view-id", orjson.dumps(beacon(pv="<script>alert(1)</script>")), {}, 400, "invalid", "$.pv"),
    ("future-version", orjson.dumps(beacon(v=2)), {}, 400, "invalid", "$.v"),
    ("unknown-site", orjson.dumps(beacon(site="nope")), {}, 401, "unknown_site", "nope"),
    (
        "disallowed-origin",
        orjson.dumps(beacon(site="shop")),
        {"origin": "https://evil.example"},
        403,
        "origin_not_allowed",
        "evil.example",
    ),
    ("no-origin-for-restricted-site", orjson.dumps(beacon(site="shop")), {}, 403, "origin_not_allowed", ""),
    (
        "unsupported-media-type",
        orjson.dumps(beacon()),
        {"content_type": "application/x-www-form-urlencoded"},
        415,
        "unsupported_media_type",
        "",
    ),
]


@pytest.mark.parametrize(
    "body, post_args, status, reason, mention", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_counted_and_not_stored(server, body, post_args, status, reason, mention):
    rows_before = total_rows(server)
    dropped_before = server.metric("rumhouse_beacons_dropped_total", reason=reason)

    response = server.post(body, **post_args)

    assert response.status_code == status
    answer = response.text
    assert answer.startswith(reason + ":") or answer.strip() == reason
    assert answer.count("\n") == 1 and answer.endswith("\n"), "the reason is one line"
    assert mention in answer
    assert server.metric("rumhouse_beacons_dropped_total", reason=reason) == dropped_before + 1
    assert total_rows(server) == rows_before


def test_oversized_chunked_body_is_cut_off(server):
    """No Content-Length: the limit is enforced while reading."""
    dropped_before = server.metric("rumhouse_beacons_dropped_total", reason="too_large")
    chunks = iter([b'{"site":"demo","pv":"abcdefgh","url":"x","rel":"'] + [b"y" * 16_384] * 64)
    response = server.client.post("/beacon", content=chunks, headers={"user-agent": CHROME_UA})
    assert response.status_code == 413
    assert response.text.startswith("too_large:")
    assert server.metric("rumhouse_beacons_dropped_total", reason="too_large") == dropped_before + 1


@pytest.mark.parametrize(
    "user_agent, fields",
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", {}),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            {},
        ),
        ("curl/8.5.0", {}),
        ("", {}),
        (CHROME_UA, {"wd": True}),  # navigator.webdriver: the page is driven by automation
    ],
    ids=["googlebot", "headless-chrome", "curl", "no-user-agent", "webdriver"],
)
def test_bots_get_204_but_nothing_is_stored(server, user_agent, fields):
    rows_before = total_rows(server)
    dropped_before = server.metric("rumhouse_beacons_dropped_total", reason="bot")
    response = server.post(orjson.dumps(beacon(ev=[vital(100)], **fields)), user_agent=user_agent)
    assert response.status_code == 204
    assert server.metric("rumhouse_beacons_dropped_total", reason="bot") == dropped_before + 1
    assert total_rows(server) == rows_before


def test_other_methods_are_refused(server):
    assert server.client.get("/beacon").status_code == 405
    assert server.client.put("/beacon", content=b"{}").status_code == 405


def test_no_input_gives_a_5xx(server):
    """A sweep of mangled beacons: every answer is 204 or 4xx, and the server stays healthy."""
    good = orjson.dumps(
        beacon(nav={"dns": 1}, ev=[vital(1), {"k": "api", "m": "GET", "u": "https://x/", "s": 200, "d": 1}])
    )
    statuses = set()
    for cut in range(0, len(good), 3):
        for mangled in (good[:cut], good[:cut] + b"\x00" + good[cut:], good[:cut] + b"}" + good[cut + 1 :]):
            statuses.add(server.post(mangled).status_code)
    assert statuses <= {204, 400, 401, 403, 413, 415}
    assert all(s < 500 for s in statuses)
    assert server.client.get("/healthz").status_code == 200


def test_a_client_that_disconnects_mid_body_is_counted(server):
    import socket

    before = server.metric("rumhouse_beacons_dropped_total", reason="disconnected")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /beacon HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"{" * 10)
    for _ in range(50):
        if server.metric("rumhouse_beacons_dropped_total", reason="disconnected") == before + 1:
            break
        httpx.get(server.url + "/healthz")
    assert server.metric("rumhouse_beacons_dropped_total", reason="disconnected") == before + 1
