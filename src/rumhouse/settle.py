"""Settling: the CLS and INP reports that wait in rumhouse.vital_updates become one row per page view and
metric in rumhouse.vitals once their value is final.

rum.js reports CLS and INP at every hide, because a hidden tab may never run again (a mobile browser
kills it), and once more, for good, when the page view ends (`r` 1 and 2 on the wire, ingest/schema.py).
A plain quantile over rumhouse.vitals, and the rollups fed from it, must count each page view once, so
those reports are not vitals rows yet. A page view's value is final, and settles, when

- its final report arrived: at the next pass; or
- no report came for `after` seconds (RUMHOUSE_SETTLE_AFTER, default 1800): the tab was closed or killed
  without a final beacon; its latest report is the value.

A pass reads the reports of the last hour before the cut-off (the first pass after a start reads them
all, to catch up after the server was down), the candidates among them, leaves out the ones already in
rumhouse.vitals, inserts the rest there and then writes a marker (`settled` 1) for each candidate into
vital_updates. A pass cut short between the two inserts is finished by the next one without doubling a
row (the check against rumhouse.vitals); a report arriving after its page view settled (a tab that came
back after more than `after` seconds) is kept in vital_updates only.
On one machine, the worker that evaluates alerts settles (runtime.py); with several machines on one
ClickHouse, RUMHOUSE_SETTLE_INTERVAL=0 on all but one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from rumhouse.metrics import Metrics
from rumhouse.store.base import Store, StoreError, encode_rows
from rumhouse.tables import COLUMNS

log = logging.getLogger("rumhouse.settle")

MAX_PER_PASS = 20_000
_KEY = ("site", "page_view_id", "name")
_CARRIED = tuple(c for c in COLUMNS["vitals"] if c not in _KEY)


def _latest(column: str) -> str:
    """The column of the latest (or the final) report; times as epoch seconds, whatever the server's zone."""
    latest = f"argMax({column}, (final, seq))"
    return f"toUnixTimestamp64Milli({latest}) / 1000 AS time" if column == "time" else f"{latest} AS {column}"


_CANDIDATES = f"""
SELECT site, page_view_id, name, {", ".join(_latest(c) for c in _CARRIED)}
FROM rumhouse.vital_updates
WHERE received >= toDateTime64({{since:Float64}}, 3)
GROUP BY site, page_view_id, name
HAVING max(settled) = 0 AND (max(final) = 1 OR max(received) < toDateTime64({{cutoff:Float64}}, 3))
ORDER BY min(received)
LIMIT {MAX_PER_PASS}
"""

# Which of one site's candidates are in rumhouse.vitals already (a pass cut short after that insert).
_ALREADY = """
SELECT page_view_id, name FROM rumhouse.vitals
WHERE site = {site:String} AND name IN ('CLS', 'INP') AND time >= toDateTime64({since:Float64}, 3)
  AND has(splitByChar(',', {ids:String}), page_view_id)
"""

_MARKER_COLUMNS = ("time", "site", "page_view_id", "name", "settled", "received")


class Settler:
    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        *,
        after: float,
        interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.after = after
        self.interval = interval
        self.clock = clock
        self._first = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def settle(self, now: float | None = None) -> int:
        """One pass; returns how many rows went into rumhouse.vitals."""
        now = self.clock() if now is None else now
        since = 0.0 if self._first else now - self.after - 3600
        found = self.store.query(_CANDIDATES, {"cutoff": now - self.after, "since": since})
        self._first = False
        if not found.rows:
            return 0
        rows = found.dicts()
        fresh = [r for r in rows if (r["site"], r["page_view_id"], r["name"]) not in self._already(rows)]
        if fresh:
            columns = COLUMNS["vitals"]
            data = encode_rows([tuple(r[c] for c in columns) for r in fresh])
            self.store.insert("rumhouse.vitals", columns, data)
        markers = [(r["time"], r["site"], r["page_view_id"], r["name"], 1, now) for r in rows]
        self.store.insert("rumhouse.vital_updates", _MARKER_COLUMNS, encode_rows(markers))
        self.metrics.vitals_settled.inc(len(fresh))
        return len(fresh)

    def _already(self, rows: list[dict]) -> set[tuple[str, str, str]]:
        by_site: dict[str, list[dict]] = {}
        for r in rows:
            by_site.setdefault(r["site"], []).append(r)
        found = set()
        for site, some in by_site.items():
            answer = self.store.query(
                _ALREADY,
                {
                    "site": site,
                    "since": min(r["time"] for r in some),
                    "ids": ",".join({r["page_view_id"] for r in some}),
                },
            )
            found |= {(site, pv, name) for pv, name in answer.rows}
        return found

    # The thread that runs a pass every `interval` seconds in the server.

    def start(self) -> None:
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="rumhouse-settle", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.settle()
            except StoreError as exc:
                log.warning("settling vitals failed (the next pass retries): %s", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
