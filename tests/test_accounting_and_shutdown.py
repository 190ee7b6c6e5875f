"""Nothing accepted is lost: accepted = inserted + dropped, exactly, and SIGTERM flushes the buffer."""

import random
import secrets
import signal

import orjson

from rumhouse.tables import EVENT_TABLES
from support.load import beacon_rows
from support.server import RumhouseServer


def random_beacon(rng: random.Random, pv: str, seq: int, metrics: list[str]) -> dict:
    events = [
        {"k": "vital", "n": name, "v": round(rng.uniform(0, 0.5 if name == "CLS" else 4000), 3)}
        for name in metrics
    ]
    events += [
        {
            "k": "api",
            "m": "GET",
            "u": f"https://a.example/api/{rng.randint(1, 99)}",
            "s": 200,
            "d": rng.uniform(1, 900),
        }
        for _ in range(rng.randint(0, 3))
    ]
    events += [{"k": "error", "m": f"boom {rng.randint(1, 3)}"} for _ in range(rng.randint(0, 1))]
    events += [{"k": "res", "t": t, "h": "a.example", "n": rng.randint(1, 9)} for t in ("script", "img")]
    events += [{"k": "measure", "n": "m", "v": rng.uniform(-5, 5)} for _ in range(rng.randint(0, 2))]
    body = {
        "site": "demo",
        "pv": pv,
        "seq": seq,
        "url": f"https://a.example/p/{rng.randint(1, 5)}",
        "ev": events,
    }
    if seq == 0:
        body["nav"] = {"dns": rng.uniform(0, 50), "load": rng.uniform(100, 5000)}
    return body


def expected_events(body: dict) -> int:
    return len(body["ev"]) + (1 if "nav" in body else 0)


def table_rows(server) -> dict[str, int]:
    return {t: beacon_rows(server, t) for t in EVENT_TABLES}


def test_accepted_equals_inserted_plus_dropped_under_mixed_load(tmp_path):
    rng = random.Random(7)
    server = RumhouseServer(tmp_path / "data").start()
    try:
        sent_events = 0
        duplicates = 0
        bad = bots = 0
        for i in range(300):
            pv = secrets.token_hex(8)
            first = random_beacon(rng, pv, 0, ["FCP", "TTFB"])
            # Every fifth page view repeats FCP in its last beacon: one duplicate each.
            second = random_beacon(rng, pv, 1, ["LCP", "CLS"] + (["FCP"] if i % 5 == 0 else []))
            for body in (first, second):
                assert server.post(orjson.dumps(body)).status_code == 204
                sent_events += expected_events(body)
            duplicates += i % 5 == 0
            if i % 10 == 0:
                assert server.post(orjson.dumps(first)[:-3]).status_code == 400
                bad += 1
            if i % 15 == 0:
                assert server.post(orjson.dumps(second), user_agent="Googlebot/2.1").status_code == 204
                bots += 1

        server.sql("SELECT 1")  # the SQL route flushes the buffer first
        accepted = server.metric("rumhouse_events_accepted_total")
        dropped = server.metric_sum("rumhouse_events_dropped_total")
        inserted = {t: server.metric("rumhouse_rows_inserted_total", table=t) for t in EVENT_TABLES}
        stored = table_rows(server)

        assert accepted == sent_events
        assert server.metric("rumhouse_events_dropped_total", reason="duplicate") == duplicates == 60
        assert dropped == duplicates
        assert sum(inserted.values()) == sent_events - duplicates
        assert stored == {t: int(n) for t, n in inserted.items()}
        assert accepted == sum(stored.values()) + dropped
        # Whole beacons: received = accepted + dropped, by reason.
        assert server.metric("rumhouse_beacons_accepted_total") == 600
        assert server.metric("rumhouse_beacons_dropped_total", reason="bad_json") == bad
        assert server.metric("rumhouse_beacons_dropped_total", reason="bot") == bots
        assert server.metric("rumhouse_beacons_received_total") == 600 + bad + bots
        assert server.metric_sum("rumhouse_buffer_rows") == 0
    finally:
        server.close()


def test_sigterm_flushes_buffered_events_and_a_restart_keeps_them(tmp_path):
    # A flush interval far longer than the test: the events are still in memory at SIGTERM.
    server = RumhouseServer(
        tmp_path / "data", RUMHOUSE_FLUSH_INTERVAL="60", RUMHOUSE_FLUSH_ROWS="1000000"
    ).start()
    rng = random.Random(11)
    sent = 0
    pvs = []
    for _ in range(200):
        pv = secrets.token_hex(8)
        body = random_beacon(rng, pv, 0, ["FCP", "LCP", "TTFB"])
        assert server.post(orjson.dumps(body)).status_code == 204
        sent += expected_events(body)
        pvs.append(pv)
    assert server.metric_sum("rumhouse_buffer_rows") > 0, "the events should still be buffered"
    assert server.metric("rumhouse_events_accepted_total") == sent

    # uvicorn shuts down gracefully, then re-raises the signal, so the exit status is -SIGTERM.
    assert server.stop(signal.SIGTERM) in (0, -signal.SIGTERM)

    server.start()  # same data folder
    try:
        stored = table_rows(server)
        assert sum(stored.values()) == sent
        assert stored["page_views"] == 200
        assert server.scalar("SELECT uniqExact(page_view_id) FROM rumhouse.vitals") == 200
        assert server.scalar("SELECT count() FROM rumhouse.beacons") == 200
    finally:
        server.close()
