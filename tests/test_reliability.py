"""Nothing answered 204 is lost: store outages, kill -9, a damaged spool, a full spool, SIGTERM.
Each test runs a real server process on the embedded engine; store failures are injected at the storage
boundary (tests/support/faulty_server.py)."""

import signal
import time

import pytest

from support.load import Load, assert_accounting, assert_exactly_once, wait_until
from support.server import RumhouseServer

pytestmark = pytest.mark.slow  # outages, kills and restarts of real servers: a minute in all

MAGIC = b"RHS2"  # the spool's record marker (docs/reliability.md)


def spool_empty(server) -> bool:
    return (
        server.metric("rumhouse_spool_bytes") == 0 and server.metric("rumhouse_spool_segments_waiting") == 0
    )


def spool_files(server) -> list:
    return sorted((server.data_dir / "spool").glob("*.seg"))


def test_a_30_second_store_outage_under_steady_load_loses_nothing(tmp_path):
    server = RumhouseServer(tmp_path / "data", faulty=True).start()
    try:
        load = Load(server.url, rate=100, prefix="outage").start()
        time.sleep(3)
        server.fail_flag.touch()  # the store goes down
        time.sleep(30)
        assert server.metric("rumhouse_spool_bytes") > 0
        assert server.metric_sum("rumhouse_insert_errors_total") > 0
        server.fail_flag.unlink()  # and comes back
        time.sleep(3)
        load.stop()
        assert load.statuses[204] > 3000 and set(load.statuses) == {204}, load.statuses
        wait_until(lambda: spool_empty(server), timeout=60)
        assert spool_files(server) == []
        assert_exactly_once(server, load)
        assert_accounting(server)
        assert server.metric_sum("rumhouse_rows_replayed_total") > 0
    finally:
        server.close()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_server_stopped_in_the_middle_of_a_load_loses_nothing_after_a_restart(tmp_path, sig):
    """kill -9: the spool on disk has every accepted beacon. SIGTERM: the shutdown inserts them."""
    server = RumhouseServer(tmp_path / "data").start()
    load = Load(server.url, rate=None, threads=4, prefix="stop").start()
    time.sleep(3)
    server.stop(sig)
    load.stop()
    assert load.statuses[204] > 100
    server.start()  # same data folder: replays what the spool holds
    try:
        wait_until(lambda: spool_empty(server), timeout=60)
        assert_exactly_once(server, load)
        assert_accounting(server)
    finally:
        server.close()


def test_a_damaged_last_segment_recovers_every_intact_record(tmp_path):
    # A flush interval longer than the test: every beacon stays in one unsealed segment.
    server = RumhouseServer(tmp_path / "data", RUMHOUSE_FLUSH_INTERVAL="60").start()
    load = Load(server.url, rate=None, threads=1, prefix="torn")
    sent = []
    for n in range(50):
        body, ids = load.beacon(n)
        assert server.post(body).status_code == 204
        sent.append(ids)
    server.stop(signal.SIGKILL)
    [segment] = spool_files(server)
    data = bytearray(segment.read_bytes())
    starts = [i for i in range(len(data)) if data.startswith(MAGIC, i)]
    assert len(starts) == 50
    data[starts[10] + 20] ^= 0xFF  # a bit rot inside record 10's payload
    del data[len(data) - 7 :]  # and a torn last record, as a crash mid-write leaves it
    segment.write_bytes(bytes(data))

    server.start()
    try:
        wait_until(lambda: spool_empty(server), timeout=60)
        intact = {eid for n, ids in enumerate(sent) if n not in (10, 49) for eid in ids}
        load.accepted = intact
        load.attempted = {eid for ids in sent for eid in ids}
        assert_exactly_once(server, load)
        assert server.metric("rumhouse_spool_corrupt_records_total") == 2
        recovered = {
            t: server.metric("rumhouse_rows_recovered_total", table=t)
            for t in ("vitals", "measures", "beacons")
        }
        assert recovered == {"vitals": 48 * 2, "measures": 48 * 3, "beacons": 48}
        assert server.client.get("/healthz").status_code == 200
    finally:
        server.close()


def test_a_full_spool_answers_503_and_loses_nothing(tmp_path):
    server = RumhouseServer(tmp_path / "data", faulty=True, RUMHOUSE_SPOOL_MAX_BYTES="20000").start()
    try:
        assert server.client.get("/readyz").status_code == 200
        server.fail_flag.touch()
        load = Load(server.url, rate=None, threads=1, prefix="full")
        answers = []
        for n in range(200):
            body, ids = load.beacon(n)
            load.attempted.update(ids)
            response = server.post(body)
            answers.append(response.status_code)
            if response.status_code == 204:
                load.accepted.update(ids)
            elif response.status_code == 503:
                assert response.headers["retry-after"].isdigit()
                assert response.text.startswith("overloaded:")
        assert 204 in answers and answers[-1] == 503
        assert set(answers) == {204, 503}
        ready = server.client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["reason"] == "spool_full"

        server.fail_flag.unlink()
        wait_until(lambda: spool_empty(server), timeout=60)
        assert server.client.get("/readyz").status_code == 200
        assert_exactly_once(server, load)
        assert_accounting(server)
        assert server.metric("rumhouse_beacons_dropped_total", reason="overloaded") == answers.count(503)
    finally:
        server.close()


def test_sigterm_with_the_store_down_leaves_the_rows_in_the_spool(tmp_path):
    server = RumhouseServer(tmp_path / "data", faulty=True).start()
    server.fail_flag.touch()
    load = Load(server.url, rate=None, threads=2, prefix="downterm").start()
    time.sleep(2)
    server.stop(signal.SIGTERM)
    load.stop()
    assert load.statuses[204] > 50
    records = sum(f.read_bytes().count(MAGIC) for f in spool_files(server))
    assert records == load.statuses[204]  # one spool record per accepted beacon, all on disk
    server.fail_flag.unlink()
    server.start()
    try:
        wait_until(lambda: spool_empty(server), timeout=60)
        assert_exactly_once(server, load)
    finally:
        server.close()
