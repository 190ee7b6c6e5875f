"""Thread placement: the event loop gets a CPU of its own.

The event loop's thread runs all of ingestion's Python (HTTP, the pipeline, the spool write) under the
GIL, so it is what limits beacons/s. ClickHouse's threads (inserts, rollup views, merges) and the writer
would otherwise share its CPU now and then; the kernel then time-slices them with the loop, and each
switch costs the loop its caches. On the 2-core development machine, pinning the loop alone on one CPU
and everything else of the process on the others took 20% more beacons/s (docs/performance.md).

chDB starts its threads lazily, and a new thread inherits the mask of the thread that starts it (for
threads started by the loop: the loop's CPU). So a background thread places every thread of the
process once a second, not once at start-up.

The loop's CPU is kept to itself only while the loop is busy (it used BUSY of a CPU or more in the last
second: beacons arriving). While it idles, the other threads may use its CPU too: on 2 CPUs, keeping
one for an idle loop halved what the dashboard's queries could use (the suggestions of a site with 10M
page views took 1.0 s instead of 0.5 s).

`rumhouse serve` does this when `RUMHOUSE_PIN_EVENT_LOOP` is on (the default), it runs one worker
process, and it may use two CPUs or more. Several rumhouse processes on one machine would all pick the
same CPU: turn it off for them.
"""

from __future__ import annotations

import logging
import os
import threading
import time

log = logging.getLogger("rumhouse.placement")
BUSY = 0.2  # share of a CPU the loop used in the last second from which it keeps its CPU to itself


def plan(allowed: set[int]) -> tuple[int, set[int]] | None:
    """The event loop's CPU and the others' CPUs, or None when there is nothing to separate.

    The highest-numbered CPU goes to the loop: CPU 0 is where the kernel tends to handle interrupts."""
    if len(allowed) < 2:
        return None
    loop_cpu = max(allowed)
    return loop_cpu, allowed - {loop_cpu}


class ThreadPlacement:
    """Pins the calling thread (the event loop's) to one CPU, and keeps every other thread of the
    process off it."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.loop_thread = threading.get_native_id()
        self._loop_clock = time.pthread_getcpuclockid(threading.get_ident())  # the loop's CPU time
        self.loop_cpu: int | None = None
        self.others: set[int] = set()
        self.reserved = True  # whether the loop's CPU is the loop's alone (while it is busy)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Pin the calling thread and start placing the others; False when this machine gives no room."""
        chosen = plan(os.sched_getaffinity(0))
        if chosen is None:
            return False
        self.loop_cpu, self.others = chosen
        try:
            os.sched_setaffinity(0, {self.loop_cpu})  # 0: the calling thread only
        except OSError as exc:  # a container that forbids it: run unpinned
            log.warning("could not pin the event loop to CPU %d: %s", self.loop_cpu, exc)
            return False
        self.place_others()
        self._thread = threading.Thread(target=self._run, name="rumhouse-placement", daemon=True)
        self._thread.start()
        return True

    def place_others(self) -> None:
        allowed = self.others if self.reserved or self.loop_cpu is None else self.others | {self.loop_cpu}
        for name in os.listdir("/proc/self/task"):
            tid = int(name)
            if tid == self.loop_thread:
                continue
            try:
                if os.sched_getaffinity(tid) != allowed:
                    os.sched_setaffinity(tid, allowed)
            except OSError:  # the thread ended meanwhile
                pass

    def _run(self) -> None:
        # Looked at four times per `every`: a burst of beacons gets the loop's CPU back within a quarter,
        # the queries get it after a whole `every` of idleness.
        tick, idle = self.every / 4, 0
        cpu, wall = time.clock_gettime(self._loop_clock), time.monotonic()
        while not self._stop.wait(tick):
            cpu_now, wall_now = time.clock_gettime(self._loop_clock), time.monotonic()
            busy = (cpu_now - cpu) / max(wall_now - wall, 1e-3) >= BUSY
            cpu, wall = cpu_now, wall_now
            idle = 0 if busy else idle + 1
            self.reserved = busy or (self.reserved and idle < 4)
            self.place_others()

    def stop(self) -> None:
        """Stop placing, and give the loop's thread every CPU back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.loop_cpu is not None:
            try:
                os.sched_setaffinity(0, self.others | {self.loop_cpu})
            except OSError:
                pass
