"""GET /rum.js serves the built snippet, compressed when the browser accepts it, cacheable, with CORS."""

import gzip

import brotli

from support.server import REPO

SNIPPET = (REPO / "src" / "rumhouse" / "static" / "rum.js").read_bytes()


def test_rum_js_is_the_built_file_in_every_encoding(server):
    for encoding, decode in (("identity", lambda b: b), ("gzip", gzip.decompress), ("br", brotli.decompress)):
        with server.client.stream("GET", "/rum.js", headers={"accept-encoding": encoding}) as response:
            raw = b"".join(response.iter_raw())  # the bytes as sent, not decoded by httpx
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers.get("content-encoding", "identity") == encoding
        assert decode(raw) == SNIPPET
        assert "max-age" in response.headers["cache-control"]
        assert response.headers["vary"] == "Accept-Encoding"


def test_the_inline_stub_is_served_to_copy(server):
    response = server.client.get("/rum-stub.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.text.startswith("!function") and "rumhouse" in response.text
    assert len(response.content) < 1100  # stays small enough to inline in every page
