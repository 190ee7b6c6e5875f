"""GET /rum.js: the snippet (built from snippet/ into static/rum.js), with its gzip and brotli versions
made once at start-up; GET /rum-stub.js: the inline stub's text (static/rum-stub.js), to paste into a
page's <head> (docs/snippet.md, "Early capture"; loading it from here would defeat its purpose); GET
/rum-ws.js: the WebSocket add-on (static/rum-ws.js, docs/snippet.md "WebSockets")."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
from starlette.requests import Request
from starlette.responses import Response

SNIPPET = Path(__file__).parent / "static" / "rum.js"
STUB = Path(__file__).parent / "static" / "rum-stub.js"
WEBSOCKETS = Path(__file__).parent / "static" / "rum-ws.js"


def snippet_response_factory(path: Path = SNIPPET):
    """The file at `path`, with gzip and brotli versions made once at start-up."""
    source = path.read_bytes()
    variants = {"gzip": gzip.compress(source, 9), "br": brotli.compress(source, quality=11)}

    async def rum_js(request: Request) -> Response:
        accepted = request.headers.get("accept-encoding", "")
        headers = {
            "cache-control": "public, max-age=3600",
            "vary": "Accept-Encoding",
            "access-control-allow-origin": "*",
        }
        for encoding in ("br", "gzip"):
            if encoding in variants and encoding in accepted:
                headers["content-encoding"] = encoding
                return Response(variants[encoding], media_type="text/javascript", headers=headers)
        return Response(source, media_type="text/javascript", headers=headers)

    return rum_js
