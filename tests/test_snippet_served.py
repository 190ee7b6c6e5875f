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
