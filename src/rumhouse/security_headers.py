"""Headers every answer carries: no MIME sniffing, no referrer, never framed by another site, and a
Content-Security-Policy that lets the dashboard load only its own files (its script and style are files
of this server; the charts draw on canvas). Over HTTPS, HSTS too."""

from __future__ import annotations

COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
CSP = (b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       b"font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE = [*COMMON, (b"content-security-policy", CSP)]
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """ASGI middleware: adds PAGE (and HSTS over https) to every HTTP answer that does not set them."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*PAGE, HSTS] if scope.get("scheme") == "https" else PAGE

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                headers = list(message.get("headers", ()))
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
