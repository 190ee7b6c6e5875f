"""Scrubbing, case by case: what a visitor's browser may put in a beacon that must not be stored. Each
case as the function sees it, then all of them through a real server and out of the stored rows."""

from __future__ import annotations

import secrets

import orjson
import pytest

from rumhouse.ingest.privacy import UrlScrubber, bare_host, scrub_text, strip_url, template_path

SECRET_TOKEN = "x7Kp2mQ9vL4nR8sT1wY6zAb3"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

TEXT_CASES = [
    ("e-mail", "no user jane@example.com", "jane@example.com"),
    ("percent-encoded e-mail", "at https://a.example/u/jane%40example.com/x.js:1:2", "jane%40example.com"),
    ("percent-encoded e-mail in text", "lookup jane%40example.com failed", "jane%40example.com"),
    ("token pair", "request failed: token=" + SECRET_TOKEN, SECRET_TOKEN),
    ("api key pair", "apiKey: sk_live_51Hx9q2eZvKYlo2C", "sk_live_51Hx9q2eZvKYlo2C"),
    ("password pair", "login password=hunter22 rejected", "hunter22"),
    ("bearer", "401 with Authorization: Bearer " + SECRET_TOKEN, SECRET_TOKEN),
    ("jwt", "bad jwt " + JWT, "eyJhbGciOiJIUzI1NiJ9"),
    ("token in a URL path", "GET https://api.example/reset/" + SECRET_TOKEN + " 500", SECRET_TOKEN),
    ("id in a URL path", "GET https://api.example/users/123456/orders 404", "123456"),
    ("credentials in a URL", "fetch https://bob:s3cretpw@api.example/x failed", "s3cretpw"),
    ("query in a URL", "fetch https://api.example/x?session=abcdef123 failed", "abcdef123"),
    ("phone, international", "call +44 20 7946 0958 now", "7946 0958"),
    ("phone, plain", "callback (555) 123-4567 failed", "123-4567"),
    ("long hex token", "cache key 5f3a9c1e8b7d6a4f2e1c0b9a5f3a9c1e", "5f3a9c1e8b7d6a4f2e1c0b9a5f3a9c1e"),
]


@pytest.mark.parametrize("text, secret", [c[1:] for c in TEXT_CASES], ids=[c[0] for c in TEXT_CASES])
def test_free_text_loses_it(text, secret):
    assert secret not in scrub_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "TypeError: Cannot read properties of undefined (reading 'map')",
        "at render (https://shop.example/static/main.3f9a8b7c.js:1:23456)",
        "f@https://a.example/app.js:1:2",
        "ChunkLoadError: Loading chunk 42 failed.",
        "Uncaught RangeError: Maximum call stack size exceeded",
        "price 1999 is above 1000",
        "2026-12-01T10:00:00Z",
    ],
)
def test_ordinary_error_text_is_kept(text):
    assert scrub_text(text) == text


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/orders/a1b2c3d4", "/orders/:id"),
        ("/u/Xk9fQ2pL7", "/u/:token"),
        ("/invoices/INV0012345", "/invoices/:id"),
        ("/blog/black-friday-deals-2026", "/blog/black-friday-deals-2026"),
        ("/products/iPhone15", "/products/iPhone15"),
        ("/static/main.3f9a8b7c.js", "/static/main.3f9a8b7c.js"),
        ("/docs/v2/getting-started", "/docs/v2/getting-started"),
    ],
)
def test_short_ids_in_paths(path, expected):
    assert template_path(path) == expected


def test_allow_listed_query_values_lose_emails_and_tokens():
    scrub = UrlScrubber(("utm_*",))
    _, _, query = scrub.page(
        f"https://a.example/?utm_source=jane%40example.com&utm_campaign={SECRET_TOKEN}"
        "&utm_medium=email&utm_content=2026"
    )
    assert "jane" not in query and SECRET_TOKEN not in query
    assert "utm_medium=email" in query and "utm_content=2026" in query


def test_urls_and_hosts_lose_credentials():
    assert strip_url("https://bob:pw@cdn.example/a.js?x=1") == "https://cdn.example/a.js"
    assert strip_url("https://bob:pw@cdn.example:8443/a.js") == "https://cdn.example:8443/a.js"
    assert bare_host("bob:pw@cdn.example") == "cdn.example"
    assert bare_host("bob@cdn.example") == "cdn.example"
    assert bare_host("<script>") == ""


def test_nothing_of_it_is_stored(server):
    pv = secrets.token_hex(8)
    beacon = {
        "site": "demo",
        "pv": pv,
        "url": f"https://a.example/reset/{SECRET_TOKEN}?utm_source=jane%40example.com",
        "nav": {"dns": 1},
        "ev": [
            {
                "k": "vital",
                "n": "LCP",
                "v": 1500,
                "a": f"img.hero https://cdn.example/i.png?sig={SECRET_TOKEN}",
            },
            {
                "k": "error",
                "m": "fetch failed: token=" + SECRET_TOKEN + " for jane@example.com",
                "src": "https://bob:s3cretpw@a.example/app.js",
                "stack": "at x (https://a.example/u/jane%40example.com/a.js:1:2)",
            },
            {
                "k": "res",
                "t": "img",
                "h": "bob:s3cretpw@cdn.example",
                "n": 1,
                "su": "https://bob:s3cretpw@cdn.example/slow.png",
            },
            {
                "k": "measure",
                "n": "checkout",
                "v": 1,
                "tags": {"user": "jane@example.com", "auth": "Bearer " + SECRET_TOKEN},
            },
        ],
    }
    assert server.post(orjson.dumps(beacon)).status_code == 204
    stored = []
    for table in ("page_views", "vitals", "errors", "resources", "measures"):
        stored += server.sql(f"SELECT * FROM rumhouse.{table} WHERE page_view_id = '{pv}'")
    assert len(stored) == 5
    text = orjson.dumps(stored).decode()
    for secret in (SECRET_TOKEN, "jane", "s3cretpw", "bob:"):
        assert secret not in text, (secret, text)
