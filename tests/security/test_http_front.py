"""The HTTP front against idle, slow and oversized clients, on a real server (limits from conftest.py:
2 s for a request head, 50 connections per client address, 300 in all). Attackers connect from other
loopback addresses than the well-behaved client (127.0.0.1), as distinct hosts would."""

from __future__ import annotations

import socket
import time

import orjson
import pytest

from support.server import ADMIN_TOKEN

pytestmark = pytest.mark.slow  # waits out the front's time limits

BEACON = orjson.dumps(
    {
        "site": "demo",
        "pv": "frontfrontfront1",
        "url": "https://a.example/p",
        "ev": [{"k": "vital", "n": "LCP", "v": 900}],
    }
)


def connect(server, source: str) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", server.port))
    return sock


def closed_by_server(sock: socket.socket, wait: float = 0.0) -> bool:
    """Whether the server closes the connection within `wait` seconds (reading whatever it answers first)."""
    deadline = time.monotonic() + (wait or 0.05)
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def already_closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


def refused(server, reason: str) -> float:
    return server.metric("rumhouse_connections_refused_total", reason=reason)


def well_behaved_client_is_served(server) -> None:
    response = server.post(BEACON)
    assert response.status_code == 204, response.text
    assert server.client.get("/healthz").status_code == 200


def test_one_address_cannot_hold_more_than_its_share(server):
    before = refused(server, "per_client")
    socks = [connect(server, "127.0.0.2") for _ in range(120)]
    try:
        time.sleep(0.5)
        closed = sum(already_closed(s) for s in socks)
        assert closed == 70, closed  # 50 are allowed to stay
        assert refused(server, "per_client") == before + 70
        well_behaved_client_is_served(server)
    finally:
        for s in socks:
            s.close()


def test_a_request_head_that_never_ends_is_answered_408_and_closed(server):
    before = refused(server, "head_timeout")
    sock = connect(server, "127.0.0.3")
    try:
        sock.sendall(b"POST /beacon HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
        started = time.monotonic()
        sock.settimeout(10)
        answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 ") and b"head_timeout" in answer
        assert 1.5 < time.monotonic() - started < 6
        assert closed_by_server(sock, 2)
        assert refused(server, "head_timeout") >= before + 1
        well_behaved_client_is_served(server)
    finally:
        sock.close()


def test_a_connection_that_sends_nothing_is_closed(server):
    sock = connect(server, "127.0.0.4")
    try:
        assert not already_closed(sock)
        assert closed_by_server(sock, 6)
    finally:
        sock.close()


def test_an_oversized_head_is_answered_431(server):
    before = refused(server, "head_too_large")
    for size in (100_000, 5_000_000):  # one read, and a stream of many
        sock = connect(server, "127.0.0.5")
        try:
            sock.settimeout(10)
            try:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed while we were still sending
            answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 431 ") and b"head_too_large" in answer, answer[:100]
        finally:
            sock.close()
    assert refused(server, "head_too_large") == before + 2
    well_behaved_client_is_served(server)


def test_a_body_that_never_arrives_is_cut_off(server):
    before = refused(server, "body_timeout")
    sock = connect(server, "127.0.0.6")
    try:
        # The SQL route reads its body with no deadline of its own (the beacon endpoint has one).
        sock.sendall(
            b"POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + ADMIN_TOKEN.encode()
            + b"\r\nContent-Length: 100\r\n\r\nSELECT"
        )
        assert closed_by_server(sock, 12)
        assert refused(server, "body_timeout") >= before + 1
    finally:
        sock.close()


def test_when_every_place_is_taken_idle_connections_make_room(server):
    before = refused(server, "evicted_idle")
    socks = []
    try:
        for n in range(320):  # from many addresses, each under its own cap: only the total is reached
            socks.append(connect(server, f"127.0.9.{1 + n // 40}"))
        time.sleep(0.3)
        for _ in range(5):
            well_behaved_client_is_served(server)
        assert refused(server, "evicted_idle") > before
    finally:
        for s in socks:
            s.close()


def test_ipv6_clients_are_counted_by_their_64_block():
    from rumhouse.clients import client_group

    assert client_group("2001:db8:1:2:aaaa::1") == client_group("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_group("2001:db8:1:3::1") != client_group("2001:db8:1:2::1")
    assert client_group("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_group("192.0.2.7") == "192.0.2.7"
