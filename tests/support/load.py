"""Steady beacon load from background threads, remembering which events were answered 204.

Each beacon is its own page view, with 2 vitals and 3 custom measures whose tag `eid` is an event id
unique across the run, so a test can check every accepted event is stored exactly once.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter

import httpx
import orjson

from rumhouse.tables import EVENT_TABLES
from support.server import CHROME_UA

MEASURES_PER_BEACON = 3


class Load:
    def __init__(
        self,
        url: str,
        *,
        rate: float | None = 200,
        threads: int = 2,
        site: str = "demo",
        prefix: str = "load",
    ) -> None:
        self.url = url.rstrip("/") + "/beacon"
        self.rate = rate
        self.threads = threads
        self.site = site
        self.prefix = prefix
        self.accepted: set[str] = set()  # event ids answered 204
        self.attempted: set[str] = set()  # event ids sent, answered or not
        self.statuses: Counter = Counter()
        self.errors = 0
        self._numbers = itertools.count()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def beacon(self, n: int) -> tuple[bytes, list[str]]:
        pv = f"{self.prefix}{n:010d}"
        ids = [f"{pv}-{i}" for i in range(MEASURES_PER_BEACON)]
        body = {
            "site": self.site,
            "pv": pv,
            "url": f"https://a.example/load/{n % 7}",
            "last": True,
            "ev": [
                {"k": "vital", "n": "FCP", "v": 100 + n % 500},
                {"k": "vital", "n": "LCP", "v": 900 + n % 900},
            ]
            + [{"k": "measure", "n": "load", "v": i, "tags": {"eid": eid}} for i, eid in enumerate(ids)],
        }
        return orjson.dumps(body), ids

    def _work(self) -> None:
        interval = self.threads / self.rate if self.rate else 0.0
        with httpx.Client(
            timeout=10, headers={"user-agent": CHROME_UA, "content-type": "text/plain"}
        ) as client:
            next_at = time.monotonic()
            while not self._stop.is_set():
                body, ids = self.beacon(next(self._numbers))
                with self._lock:
                    self.attempted.update(ids)
                try:
                    status = client.post(self.url, content=body).status_code
                except httpx.HTTPError:
                    with self._lock:
                        self.errors += 1
                    time.sleep(0.05)
                    continue
                with self._lock:
                    self.statuses[status] += 1
                    if status == 204:
                        self.accepted.update(ids)
                if interval:
                    next_at += interval
                    time.sleep(max(0.0, next_at - time.monotonic()))

    def start(self) -> Load:
        for _ in range(self.threads):
            worker = threading.Thread(target=self._work, daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(30)


def stored_event_ids(server, prefix: str) -> Counter:
    rows = server.sql(
        "SELECT tags['eid'] AS eid, count() AS n FROM rumhouse.measures "
        f"WHERE startsWith(page_view_id, '{prefix}') GROUP BY eid"
    )
    return Counter({row["eid"]: row["n"] for row in rows})


def assert_exactly_once(server, load: Load) -> None:
    """Every event answered 204 is stored once; nothing is stored twice or out of nowhere."""
    stored = stored_event_ids(server, load.prefix)
    missing = load.accepted - set(stored)
    assert not missing, f"{len(missing)} accepted events are missing, e.g. {sorted(missing)[:3]}"
    doubled = {eid: n for eid, n in stored.items() if n != 1}
    assert not doubled, f"{len(doubled)} events are stored more than once, e.g. {list(doubled.items())[:3]}"
    assert set(stored) <= load.attempted
    vitals = server.sql(
        "SELECT page_view_id, count() AS n FROM rumhouse.vitals "
        f"WHERE startsWith(page_view_id, '{load.prefix}') GROUP BY page_view_id HAVING n != 2"
    )
    assert vitals == []


def beacon_rows(server, table: str) -> int:
    """Rows of `table` that beacons made: the settling pass's own rows (vitals moved out of vital_updates
    once final, and its markers there) are left out, as the rollups are."""
    if table == "vital_updates":
        return int(server.scalar("SELECT countIf(settled = 0) FROM rumhouse.vital_updates"))
    stored = int(server.scalar(f"SELECT count() FROM rumhouse.{table}"))
    if table == "vitals":
        stored -= int(server.metric("rumhouse_vitals_settled_total"))
    return stored


def assert_accounting(server) -> None:
    """This process's identity: events accepted = rows inserted + events dropped + rows still waiting."""
    accepted = server.metric("rumhouse_events_accepted_total")
    inserted = sum(server.metric("rumhouse_rows_inserted_total", table=t) for t in EVENT_TABLES)
    waiting = sum(server.metric("rumhouse_buffer_rows", table=t) for t in EVENT_TABLES)
    dropped = server.metric_sum("rumhouse_events_dropped_total")
    assert accepted == inserted + dropped + waiting, (accepted, inserted, dropped, waiting)


def wait_until(predicate, timeout: float = 60, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(interval)


def run_in_thread(fn, *args):
    """Runs fn(*args) in a thread of its own and returns what it returns (or raises what it raised): for an
    event loop of a test's own, since Playwright's sync API, alive for the whole session, holds the main
    thread's."""
    import threading

    outcome: dict = {}

    def target():
        try:
            outcome["value"] = fn(*args)
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
