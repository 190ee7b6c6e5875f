"""URL scrubbing and path templating: what may be stored of a URL."""

import pytest

from rumhouse.ingest.privacy import (
    UrlScrubber,
    bare_host,
    endpoint_of,
    host_of,
    scrub_text,
    strip_url,
    template_path,
)


@pytest.mark.parametrize(
    "path, expected",
    [
        ("", "/"),
        ("/", "/"),
        ("/users/12345", "/users/:id"),
        ("/users/12345/", "/users/:id/"),
        ("/a/1/b/2", "/a/:id/b/:id"),
        ("/o/3F2504E0-4F89-11D3-9A0C-0305E82C3301", "/o/:id"),
        ("/o/507f1f77bcf86cd799439011", "/o/:id"),  # a MongoDB ObjectId
        ("/u/jane.doe@example.com/settings", "/u/:email/settings"),
        ("/u/jane.doe%40example.com", "/u/:email"),
        ("/verify/x7Kp2mQ9vL4nR8sT1wY6zA", "/verify/:token"),
        ("/static/5f3a9c1e8b7d6a4f2e1c0b9a.js", "/static/:id.js"),
        ("/static/main.3f9a8b7c.js", "/static/main.3f9a8b7c.js"),
        ("/blog/black-friday-deals-2026", "/blog/black-friday-deals-2026"),
        ("/products/iphone-15-pro-max-256gb", "/products/iphone-15-pro-max-256gb"),
        ("/v2/docs", "/v2/docs"),
        ("no-leading-slash/42", "/no-leading-slash/:id"),
    ],
)
def test_template_path(path, expected):
    assert template_path(path) == expected


def test_page_urls_keep_only_allow_listed_parameters():
    scrub = UrlScrubber(("utm_*", "ref"))
    assert scrub.page("https://shop.example/p/9?token=abc&utm_source=x&UTM_Medium=y&ref=z#frag") == (
        "shop.example",
        "/p/:id",
        "utm_source=x&UTM_Medium=y&ref=z",
    )
    assert UrlScrubber(()).page("https://a.example/?utm_source=x") == ("a.example", "/", "")
    assert UrlScrubber(("utm_*",)).page("not a url") == ("", "/not a url", "")
    assert UrlScrubber(("utm_*",)).page("http://[broken/") == ("", "/", "")


def test_other_urls():
    assert host_of("https://www.google.com/search?q=me") == "www.google.com"
    assert host_of("") == ""
    assert endpoint_of("https://api.example:8443/v1/orders/77?expand=1") == "api.example:8443/v1/orders/:id"
    assert endpoint_of("https://api.example:443/x") == "api.example/x"
    assert strip_url("https://cdn.example/a/123.png?sig=s3cr3t") == "https://cdn.example/a/:id.png"


def test_error_text_loses_emails_and_query_strings():
    assert scrub_text("No user bob@example.org found") == "No user :email found"
    assert (
        scrub_text("at load (https://a.example/app.js?token=abc:10:5)")
        == "at load (https://a.example/app.js:10:5)"
    )
    assert scrub_text("fetch https://api.example/x?key=1 failed") == "fetch https://api.example/x failed"
    assert (
        scrub_text("f@https://a.example/app.js:1:2") == "f@https://a.example/app.js:1:2"
    )  # Firefox stack frame


@pytest.mark.parametrize(
    ("reported", "stored"),
    [
        ("cdn.example", "cdn.example"),
        ("cdn.example:8443", "cdn.example"),
        ("127.0.0.1:8123", "127.0.0.1"),
        ("[::1]:8080", "::1"),
        ("CDN.Example:443", "cdn.example"),
        ("bad:port:x", "bad"),
    ],
)
def test_resource_hosts_are_stored_without_their_port(reported, stored):
    assert bare_host(reported) == stored
