"""`rumhouse serve` gives its event loop a CPU of its own (src/rumhouse/placement.py), read back from the
kernel's own view of each thread: /proc/<pid>/task/<tid>/status."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from rumhouse.placement import plan
from support.load import wait_until
from support.server import RumhouseServer

pytestmark = pytest.mark.slow  # real servers with pinned threads: seconds each

CPUS = os.sched_getaffinity(0)


def cpus_allowed(pid: int, tid: int) -> set[int]:
    """The kernel's Cpus_allowed_list, e.g. "0-1,4", as a set."""
    for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            cpus: set[int] = set()
            for part in line.split(":", 1)[1].strip().split(","):
                low, _, high = part.partition("-")
                cpus.update(range(int(low), int(high or low) + 1))
            return cpus
    raise AssertionError(f"no Cpus_allowed_list for thread {tid}")


def threads(pid: int) -> dict[int, set[int]]:
    placed = {}
    for name in os.listdir(f"/proc/{pid}/task"):
        try:
            placed[int(name)] = cpus_allowed(pid, int(name))
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return placed


def store_something(server: RumhouseServer) -> None:
    """A beacon through to the tables, so that ClickHouse has started its insert threads."""
    body = '{"site":"demo","pv":"place0001","url":"https://demo.example/","ev":[{"k":"vital","n":"LCP","v":1200}]}'
    assert server.post(body).status_code == 204
    wait_until(
        lambda: (
            server.sql("SELECT count() AS n FROM rumhouse.vitals WHERE page_view_id = 'place0001'")[0]["n"]
            == 1
        ),
        timeout=30,
    )


def test_the_plan_keeps_one_cpu_for_the_loop():
    assert plan({0}) is None
    assert plan({0, 1}) == (1, {0})
    assert plan({2, 5, 7}) == (7, {2, 5})


@pytest.mark.skipif(len(CPUS) < 2, reason="one CPU: nothing to keep apart")
def test_the_event_loop_has_a_cpu_of_its_own_while_it_is_busy(tmp_path):
    server = RumhouseServer(tmp_path / "data").start()
    try:
        store_something(server)
        pid = server.process.pid
        loop_cpu = max(CPUS)

        def others() -> list[set[int]]:
            return [cpus for tid, cpus in threads(pid).items() if tid != pid]

        # Beacons without a pause keep the loop busy: within a second or two, no other thread may run on
        # its CPU.
        sending = threading.Event()

        def send():
            while not sending.is_set():
                server.post('{"site":"demo","pv":"busy0001","url":"https://demo.example/","ev":[]}')

        senders = [threading.Thread(target=send, daemon=True) for _ in range(4)]
        for t in senders:
            t.start()
        try:
            wait_until(lambda: all(cpus == CPUS - {loop_cpu} for cpus in others()), timeout=10)
            placed = threads(pid)
            assert placed[pid] == {loop_cpu}  # the event loop runs in the process's main thread
            assert len(placed) > 5  # chDB's pools and the writer are among them
        finally:
            sending.set()
            for t in senders:
                t.join()
        # Idle again: the others may use the loop's CPU too (the dashboard's queries get every CPU).
        wait_until(lambda: all(loop_cpu in cpus for cpus in others()), timeout=10)
        assert threads(pid)[pid] == {loop_cpu}
    finally:
        server.close()


def test_pinning_can_be_turned_off(tmp_path):
    server = RumhouseServer(tmp_path / "data", RUMHOUSE_PIN_EVENT_LOOP="0").start()
    try:
        store_something(server)
        time.sleep(1.5)  # a placement would have run by now
        # The event loop's thread keeps every CPU. (Other threads may pin themselves: OpenBLAS, which
        # numpy brings in, pins its own.)
        assert threads(server.process.pid)[server.process.pid] == CPUS
    finally:
        server.close()
