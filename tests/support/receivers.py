"""Real local receivers for the channel tests: an HTTP server that records what it is sent (webhook
and Slack payloads) and answers a status chosen per path, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from support.server import free_port


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class HttpReceiver:
    """POSTs are recorded per path; `statuses[path]` is a list of statuses to answer in turn (the
    last one repeats), 200 when none is set."""

    received: list[Received] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)

    def start(self) -> HttpReceiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                owner.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                queue = owner.statuses.get(self.path, [200])
                status = queue.pop(0) if len(queue) > 1 else queue[0]
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Collect:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


class SmtpReceiver:
    def start(self) -> SmtpReceiver:
        self.handler = _Collect()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    @property
    def messages(self):
        return self.handler.messages

    def stop(self) -> None:
        self.controller.stop()
