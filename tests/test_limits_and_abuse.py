"""The public endpoint under abuse: size limits read on the fly, rate limits per site and per client,
and a property-based fuzz of the decoder and the handler."""

import json
import socket
import time

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumhouse.drops import Drop
from rumhouse.ingest.pipeline import Incoming, Pipeline
from rumhouse.sites import SiteRegistry, parse_sites
from rumhouse.writer import Accepted
from support.load import assert_accounting
from support.server import CHROME_UA, RumhouseServer

CAP = 65_536


def padded(size: int) -> bytes:
    """A valid beacon of exactly `size` bytes: unknown fields are ignored, so one can pad it."""
    head = b'{"site":"demo","pv":"padpadpad%06d","url":"https://a.example/","pad":"' % (size % 1_000_000)
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_the_cap_is_accepted_and_cap_plus_one_is_not(server):
    assert len(padded(CAP)) == CAP
    assert server.post(padded(CAP)).status_code == 204
    over = server.post(padded(CAP + 1))
    assert over.status_code == 413 and over.text.startswith("too_large:")


def test_an_endless_chunked_body_is_refused_before_it_ends(server):
    """Chunked, no Content-Length, announced as huge and never finished: the 413 comes after about
    64 KiB, while the client still has almost all of its body to send."""
    chunk = b"x" * 8192
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /beacon HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: text/plain\r\n\r\n"
        )
        sent = 0
        answer = b""
        sock.settimeout(0.05)
        while sent < 10_000_000 and not answer:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                pass
        assert answer.startswith(b"HTTP/1.1 413")
        assert sent < 1_000_000, f"the server read {sent} bytes before answering"


def read_answer(sock: socket.socket) -> bytes:
    """One whole HTTP answer: the head, then as many body bytes as Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.mark.slow  # waits for the body timeout
def test_a_stalled_body_times_out(tmp_path):
    server = RumhouseServer(tmp_path / "data", RUMHOUSE_BODY_TIMEOUT="1").start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            # 7 of the 500 announced bytes, then nothing: only the server's timeout can end this.
            sock.sendall(b'POST /beacon HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"site"')
            started = time.monotonic()
            answer = read_answer(sock)
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408") and b"timeout:" in answer
        assert 0.95 <= waited < 5, f"answered after {waited:.2f} s, the limit being 1 s"
        # A slow body that completes within the limit is taken, while stalled ones around it are cut off.
        body = padded(300)
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow,
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as stalled,
        ):
            stalled.sendall(b"POST /beacon HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{")
            slow.sendall(
                b"POST /beacon HTTP/1.1\r\nHost: x\r\nUser-Agent: %s\r\nContent-Length: %d\r\n\r\n%s"
                % (CHROME_UA.encode(), len(body), body[:100])
            )
            time.sleep(0.6)
            slow.sendall(body[100:])
            assert read_answer(slow).startswith(b"HTTP/1.1 204")
            assert read_answer(stalled).startswith(b"HTTP/1.1 408")
        assert server.metric("rumhouse_beacons_dropped_total", reason="timeout") == 2
        assert server.metric("rumhouse_beacons_accepted_total") == 1
    finally:
        server.close()


RATE_CONFIG = """
[[sites]]
key = "flood"
origins = ["*"]
rate_limit = 20
burst = 20

[[sites]]
key = "calm"
origins = ["*"]
"""


def beacon(site: str, n: int) -> bytes:
    return orjson.dumps(
        {
            "site": site,
            "pv": f"{site}{n:08d}",
            "url": "https://a.example/",
            "ev": [{"k": "vital", "n": "LCP", "v": 1000 + n}],
        }
    )


def test_a_flooding_site_gets_429s_while_another_site_is_served(tmp_path):
    server = RumhouseServer(tmp_path / "data", config=RATE_CONFIG).start()
    try:
        flood, calm = [], []
        started = time.monotonic()
        for n in range(600):  # the flooding site sends many times its 20/s
            response = server.post(beacon("flood", n))
            flood.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.text.startswith("rate_limited:")
            if n % 6 == 0:
                calm.append(server.post(beacon("calm", n)).status_code)
        elapsed = time.monotonic() - started
        assert set(calm) == {204} and len(calm) == 100
        accepted = flood.count(204)
        assert flood.count(429) == 600 - accepted
        assert 20 <= accepted <= 20 + 20 * elapsed + 1  # the burst, then the rate
        assert server.scalar("SELECT count() FROM rumhouse.vitals WHERE site = 'flood'") == accepted
        assert server.scalar("SELECT count() FROM rumhouse.vitals WHERE site = 'calm'") == 100
        assert server.metric("rumhouse_beacons_dropped_total", reason="rate_limited") == 600 - accepted
        assert_accounting(server)
    finally:
        server.close()


def test_a_flooding_client_gets_429s_while_another_client_is_served(tmp_path):
    # Behind a trusted proxy on loopback, the client is the address in X-Forwarded-For.
    server = RumhouseServer(
        tmp_path / "data",
        RUMHOUSE_TRUSTED_PROXIES="127.0.0.1/32",
        RUMHOUSE_IP_RATE_LIMIT="10",
        RUMHOUSE_IP_BURST="10",
    ).start()
    try:
        flooder = [
            server.post(beacon("demo", n), headers={"x-forwarded-for": "198.51.100.7"}).status_code
            for n in range(200)
        ]
        other = [
            server.post(beacon("demo", 1000 + n), headers={"x-forwarded-for": "198.51.100.8"}).status_code
            for n in range(10)
        ]
        assert flooder.count(429) >= 150
        assert other == [204] * 10
        # A forged header from an untrusted peer is not believed: that client is the socket's address.
        assert server.metric("rumhouse_beacons_dropped_total", reason="rate_limited") == flooder.count(429)
    finally:
        server.close()


# --- fuzzing ---

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=10,
)
event_like = st.fixed_dictionaries(
    {"k": st.sampled_from(["vital", "error", "api", "res", "measure", "x"])},
    optional={
        "n": st.sampled_from(["LCP", "CLS", "x"]) | json_values,
        "v": json_values,
        "m": json_values,
        "u": json_values,
        "s": json_values,
        "d": json_values,
        "t": json_values,
        "tags": json_values,
    },
)
beacon_like = st.fixed_dictionaries(
    {
        "site": st.sampled_from(["demo", "shop", "nope"]) | json_values,
        "pv": st.sampled_from(["abcdefgh12", "x"]) | json_values,
        "url": st.text(max_size=60) | json_values,
    },
    optional={
        "ev": st.lists(event_like, max_size=5) | json_values,
        "nav": json_values,
        "ctx": json_values,
        "seq": json_values,
        "now": json_values,
        "v": json_values,
        "nt": json_values,
    },
)


def dumps(value) -> bytes:
    """The standard library's encoder: unlike orjson it writes integers past 64 bits (and Infinity)."""
    return json.dumps(value).encode()


bodies = st.one_of(
    beacon_like.map(dumps),
    json_values.map(dumps),
    st.binary(max_size=200),
    beacon_like.map(dumps).flatmap(
        lambda b: st.integers(0, max(0, len(b) - 1)).map(lambda i: b[:i] + b"\xff" + b[i + 1 :])
    ),
)
pipeline = Pipeline(
    SiteRegistry(
        parse_sites({"sites": [{"key": "demo"}, {"key": "shop", "origins": ["https://s.example"]}]})
    ),
    query_allowlist=("utm_*",),
    drop_bots=True,
)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, origin=st.sampled_from([None, "https://s.example", "https://evil.example"]))
def test_fuzz_the_pipeline_never_raises(body, origin):
    result = pipeline.process(Incoming(body, origin, CHROME_UA, "de", time.time()))
    assert isinstance(result, (Drop, Accepted))
    if isinstance(result, Drop):
        assert 400 <= result.status < 500 or result.status == 204
        assert "\n" not in result.message()


@pytest.mark.slow
@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=bodies)
def test_fuzz_the_handler_answers_every_input_with_204_or_4xx(server, body):
    response = server.post(body)
    assert response.status_code in (204, 400, 401, 403, 413, 415), response.text
    if response.status_code != 204:
        assert response.text.endswith("\n") and response.text.count("\n") == 1


def test_per_ip_limits_behind_a_proxy_on_the_same_host(tmp_path):
    """No RUMHOUSE_TRUSTED_PROXIES: a proxy on loopback is trusted by default, so its clients are limited
    one by one; IPv6 clients share a bucket per /64; an address taken from X-Forwarded-For is never
    exempt, even a loopback one; the operator's own loopback traffic (no header) stays unlimited."""
    server = RumhouseServer(tmp_path / "data", RUMHOUSE_IP_RATE_LIMIT="1", RUMHOUSE_IP_BURST="5").start()
    try:

        def statuses(forwarded: list[str | None], start: int) -> list[int]:
            return [
                server.post(
                    beacon("demo", start + n), headers={"x-forwarded-for": f} if f else {}
                ).status_code
                for n, f in enumerate(forwarded)
            ]

        assert statuses(["198.51.100.7"] * 10, 0).count(429) >= 4
        assert statuses(["198.51.100.8"] * 3, 100) == [204] * 3
        # Ten addresses of one /64 are one client; another /64 is another.
        rotating = statuses([f"2001:db8:1:2::{n + 1:x}" for n in range(10)], 200)
        assert rotating.count(429) >= 4
        assert statuses(["2001:db8:1:3::1"] * 3, 300) == [204] * 3
        # A forged loopback address behind the proxy is a client like any other.
        assert statuses(["127.0.0.9"] * 10, 400).count(429) >= 4
        assert statuses([None] * 20, 500) == [204] * 20
    finally:
        server.close()
