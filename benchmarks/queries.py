"""Dashboard query benchmark: the latency of each dashboard query at 1M and 10M page views, raw vs rollup.

Fills a fresh data folder with synthetic page views spread over the last 29 days (each with 5 vitals,
2 API calls, 3 resource rows and an error on 1 in 20), by INSERT ... SELECT from numbers() into the
raw tables, so the materialized views fill the hourly rollups as they would in production. Then runs
every query the dashboard sends, through the same functions the API routes call, with source=raw and
source=rollup, for the 24h, 7d and 30d windows, and prints the median of a few runs of each.

    python benchmarks/queries.py                  # 1M, then 10M page views (about 10 minutes on 2 cores)
    python benchmarks/queries.py --smoke          # 20k and 100k page views, as in CI
    python benchmarks/queries.py --sizes 1000000  # any sizes, ascending
    python benchmarks/queries.py --data-dir D --sizes 10000000  # fill D, or measure D as an earlier run left it

A folder from an earlier run is migrated (an upgrade at that size: the time is printed) and measured
without filling again; its rows stay spread over the 29 days before that run, so the windows, which
end now, hold a little less than on the day it was filled.

"dashboard" is the sum of the dashboard's panel queries: what one dashboard load costs on the server
(the embedded store answers parameterized queries one at a time). With --browser, the data folder is
then served by a real `rumhouse serve`, and Chromium (/usr/bin/chromium, Playwright) loads the dashboard
at / on a 1440 x 900 screen and signs in: the time from the click to each panel of the first screen drawn,
then, panel by panel, from scrolling to it to its drawing (panels load as they come near the screen),
for a first and repeated loads.
Writes benchmarks/results/queries.json.
Figures from a shared 2-core machine are noisy: compare runs on one machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from starlette.datastructures import QueryParams

from rumhouse.api import events, navigation, vitals
from rumhouse.api.filters import parse_filters
from rumhouse.store.embedded import EmbeddedStore
from rumhouse.store.migrations import DAILY_TABLES, ROLLUP_TABLES, migrate

# The dashboard's panels (dashboard/src/main.js and tables.js), in the order it sends them.
DASHBOARD = [
    ("vitals summary", vitals.summary, {}),
    ("p75 time series", vitals.timeseries, {}),
    ("breakdown by path", navigation.breakdown, {"by": "path", "limit": "8"}),
    ("pages by impact", vitals.pages, {"metric": "LCP", "limit": "20"}),
    ("errors", events.errors, {"limit": "20"}),
    ("API endpoints", events.api_calls, {"limit": "20"}),
    ("resources by host", events.resources, {"by": "host", "limit": "20"}),
]
# Not on the first screen, but asked for by filters: a split, and a summary with one filter.
EXTRA = [
    ("split by browser", vitals.split, {"by": "browser", "metric": "LCP"}),
    ("summary, browser=Chrome", vitals.summary, {"browser": "Chrome"}),
]
RANGES = ("24h", "7d", "30d")
ROLLUPS = ROLLUP_TABLES + DAILY_TABLES

PICK = "{arr}[cityHash64(number, {salt}) % length({arr}) + 1]"
DIMS = {
    "path": PICK.format(
        arr="['/', '/products', '/products/:id', '/cart', '/checkout', '/blog/:slug', '/search', '/account']",
        salt=1,
    ),
    "browser": PICK.format(
        arr="['Chrome', 'Chrome', 'Chrome', 'Safari', 'Safari', 'Firefox', 'Edge', 'Samsung Internet']",
        salt=2,
    ),
    "os": PICK.format(arr="['Windows', 'Mac OS X', 'Android', 'iOS', 'Linux']", salt=3),
    "device_type": PICK.format(arr="['desktop', 'mobile', 'mobile', 'tablet']", salt=4),
    "country": PICK.format(arr="['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA', 'NL', '']", salt=5),
    "connection_type": PICK.format(arr="['4g', '4g', '4g', '3g', '']", salt=6),
    "release": PICK.format(arr="['v1', 'v2', 'v3']", salt=7),
}
# Random over the last 29 days (clear of the 30-day TTL of the raw tables), fixed by the row number.
TIME = "fromUnixTimestamp64Milli(toInt64({end_ms:Int64} - cityHash64(number, 0) % 2505600000))"
DIM_SELECT = (
    f"{TIME} AS time, 'demo' AS site, toString(number) AS page_view_id, 'www.example.com' AS host, "
    + ", ".join(f"{expr} AS {col}" for col, expr in DIMS.items())
    + ", 'navigate' AS navigation_type"
)
DIM_COLUMNS = "time, site, page_view_id, host, " + ", ".join(DIMS) + ", navigation_type"
U = "(cityHash64(number, {salt}) % 100000 / 100000.0)"  # uniform [0, 1)


def lognormal(median: float, salt: int) -> str:
    # exp of a sum of three uniforms: bell-shaped, skewed like real timings.
    return f"{median} * exp(1.2 * ({U.format(salt=salt)} + {U.format(salt=salt + 1)} + {U.format(salt=salt + 2)} - 1.5))"


INSERTS = {
    "page_views": (
        f"INSERT INTO rumhouse.page_views ({DIM_COLUMNS}, dns_ms, connect_ms, tls_ms, server_ms, download_ms,"
        " render_ms, load_ms) SELECT "
        + DIM_SELECT
        + ", "
        + ", ".join(lognormal(m, 10 + 3 * i) for i, m in enumerate((15, 25, 30, 250, 40, 600, 2200)))
        + " FROM numbers({start:UInt64}, {count:UInt64})"
    ),
    "vitals": (
        f"INSERT INTO rumhouse.vitals ({DIM_COLUMNS}, name, value) SELECT {DIM_COLUMNS}, m.1, m.2 FROM"
        f" (SELECT {DIM_SELECT}, [('LCP', {lognormal(2000, 40)}), ('FCP', {lognormal(1300, 43)}),"
        f" ('CLS', {lognormal(0.05, 46)}), ('INP', {lognormal(150, 49)}), ('TTFB', {lognormal(600, 52)})] AS ms"
        " FROM numbers({start:UInt64}, {count:UInt64})) ARRAY JOIN ms AS m"
    ),
    "api_calls": (
        f"INSERT INTO rumhouse.api_calls ({DIM_COLUMNS}, method, endpoint, status, duration_ms)"
        f" SELECT {DIM_COLUMNS}, c.1, c.2, if(cityHash64(page_view_id, c.2) % 20 = 0, 500, 200), c.3 FROM"
        f" (SELECT {DIM_SELECT}, [('GET', concat('api.example.com/items/', toString(number % 40)), {lognormal(120, 60)}),"
        f" ('POST', 'api.example.com/cart', {lognormal(200, 63)})] AS calls"
        " FROM numbers({start:UInt64}, {count:UInt64})) ARRAY JOIN calls AS c"
    ),
    "resources": (
        f"INSERT INTO rumhouse.resources ({DIM_COLUMNS}, type, resource_host, third_party, count, transfer_bytes,"
        " encoded_bytes, decoded_bytes, cache_hits, duration_total_ms, duration_max_ms)"
        f" SELECT {DIM_COLUMNS}, r.1, r.2, r.3, 4, 40000, 36000, 120000, cityHash64(page_view_id) % 5, 400, 180 FROM"
        f" (SELECT {DIM_SELECT}, [('script', 'www.example.com', 0), ('img', 'cdn.example.net', 1),"
        " ('font', concat('fonts', toString(number % 3), '.gstatic.test'), 1)] AS res"
        " FROM numbers({start:UInt64}, {count:UInt64})) ARRAY JOIN res AS r"
    ),
    "errors": (
        f"INSERT INTO rumhouse.errors ({DIM_COLUMNS}, kind, message, source, stack, count)"
        f" SELECT {DIM_SELECT}, 'error', concat('TypeError: thing ', toString(number % 7), ' is undefined'),"
        " 'https://www.example.com/app.js', 'at f (app.js:1:2)', 1"
        " FROM numbers({start:UInt64}, {count:UInt64}) WHERE number % 20 = 0"
    ),
}


def fill(store: EmbeddedStore, start: int, count: int, end_ms: int, chunk: int = 1_000_000) -> float:
    began = time.perf_counter()
    for offset in range(start, start + count, chunk):
        n = min(chunk, start + count - offset)
        for sql in INSERTS.values():
            store.command(sql, {"start": offset, "count": n, "end_ms": end_ms})
    merge_rollups(store)
    return time.perf_counter() - began


def merge_rollups(store: EmbeddedStore) -> None:
    # As background merges would, in time. Each INSERT ... SELECT above writes its own parts into
    # every hourly and daily rollup, each part with a row per key and hour (or day): unmerged, a
    # 30-day question would merge ten states per key and day at 10M instead of one, and the figures
    # would depend on how far the background merges had got.
    for table in ROLLUPS:
        store.command(f"OPTIMIZE TABLE rumhouse.{table} FINAL")


def timed(fn, store, filters, params, runs: int) -> tuple[float, float]:
    """Median wall-clock ms, and median CPU ms of this process (chDB runs in it): on a shared machine
    the CPU time moves much less with the other work than the wall-clock time does."""
    fn(store, filters, params)  # warm: the first run reads from disk into the page cache
    times, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn(store, filters, params)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return statistics.median(times), statistics.median(cpu)


def measure(store: EmbeddedStore, runs: int, sources: tuple[str, ...] = ("raw", "rollup")) -> list[dict]:
    results = []
    for range_name in RANGES:
        filters_base = QueryParams({"range": range_name})
        totals = {"raw": 0.0, "rollup": 0.0, "raw_cpu": 0.0, "rollup_cpu": 0.0}
        for name, fn, extra in DASHBOARD + EXTRA:
            row = {"range": range_name, "query": name}
            for source in ("raw", "rollup"):
                if source not in sources:
                    row[source] = None
                    continue
                params = QueryParams({**filters_base, **extra, "source": source})
                filters = parse_filters(params, "demo")
                row[source], row[f"{source}_cpu"] = timed(fn, store, filters, params, runs)
                if (name, fn, extra) in DASHBOARD:
                    totals[source] += row[source]
                    totals[f"{source}_cpu"] += row[f"{source}_cpu"]
            results.append(row)
        results.append(
            {
                "range": range_name,
                "query": "dashboard (all panels)",
                **{key: total if key.split("_")[0] in sources else None for key, total in totals.items()},
            }
        )
    return results


def print_table(size: int, rows: list[dict], counts: dict) -> None:
    print(f"\n{size:,} page views ({', '.join(f'{t} {n:,}' for t, n in counts.items())} rows)")
    print(
        f"{'window':>6}  {'query':<26} {'raw ms':>9} {'rollup ms':>10} {'speed-up':>9} {'rollup cpu ms':>14}"
    )
    for r in rows:
        raw, rollup = r["raw"], r["rollup"]
        speed = f"{raw / rollup:8.1f}x" if raw and rollup else "        -"
        raw_text = f"{raw:9.1f}" if raw is not None else "        -"
        rollup_text = f"{rollup:10.1f}" if rollup is not None else "         -"
        cpu = r.get("rollup_cpu")
        cpu_text = f"{cpu:14.1f}" if cpu is not None else f"{'-':>14}"
        print(f"{r['range']:>6}  {r['query']:<26} {raw_text} {rollup_text} {speed} {cpu_text}")


# Each panel of the dashboard stamps data-asked-at and data-drawn-at (performance.now()) when it asks for
# its answer and when it has drawn it; a panel loads when it comes near the screen, the screen's own
# panels first, all asked at once (dashboard/src/main.js).
PANELS = """() => [...document.querySelectorAll('#dashboard .panel:not([hidden])')]
  .filter((p) => p.id !== 'reports-panel' && !['explorer', 'page-view', 'error-view', 'trace'].includes(p.id))
  .map((p) => [p.dataset.table ? `[data-table="${p.dataset.table}"]` : `#${p.id}`,
               p.dataset.askedAt ? Number(p.dataset.askedAt) : null])"""
SCROLL_TO = "(selector) => { document.querySelector(selector).scrollIntoView({ block: 'start' }); return performance.now(); }"


def dashboard_load(data_dir: Path, loads: int = 3) -> list[dict]:
    """On a 1440 x 900 screen, in Chromium against a real server on the folder: seconds from "Sign in" to
    each panel of the first screen drawn, then for every other panel, from scrolling to it to its drawing."""
    sys.path.insert(0, str(ROOT / "tests"))
    from playwright.sync_api import sync_playwright

    from support.chromium import launch
    from support.server import ADMIN_TOKEN, RumhouseServer

    server = RumhouseServer(data_dir).start(timeout=300)
    times = []

    def ready(page) -> None:
        # A selector, not wait_for_function: the dashboard's Content-Security-Policy forbids eval.
        for _ in range(5):  # ready, then loading again for the panels half a screen ahead: until it holds
            page.wait_for_selector(
                "body[data-state='ready'], body[data-state='error']", state="attached", timeout=60_000
            )
            if page.evaluate("document.body.dataset.state") != "loading":
                break
        if page.evaluate("document.body.dataset.state") != "ready":
            raise RuntimeError(f"the dashboard failed: {page.inner_text('#status')}")

    try:
        with sync_playwright() as p:
            browser = launch(p)
            for _ in range(loads):
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(server.url + "/")
                page.fill("#token", ADMIN_TOKEN)
                clicked = page.evaluate("performance.now()")
                page.click("#sign-in button[type=submit]")
                ready(page)
                asked = {k: v for k, v in page.evaluate(PANELS) if v is not None}
                first_asked = min(asked.values())
                first = {}
                for selector, at in asked.items():
                    if at <= first_asked + 50:  # the screen's panels, asked at sign-in
                        page.wait_for_selector(f"{selector}[data-drawn-at]", state="attached", timeout=60_000)
                        first[selector] = (
                            float(page.get_attribute(selector, "data-drawn-at")) - clicked
                        ) / 1000
                scrolled = {}
                for selector, _ in page.evaluate(PANELS):
                    if selector in first or not page.is_visible(selector):
                        continue  # drawn with the first screen, or hidden (a chart of a table without rows)
                    began = page.evaluate(SCROLL_TO, selector)
                    page.wait_for_selector(f"{selector}[data-drawn-at]", state="attached", timeout=60_000)
                    drawn_at = float(page.get_attribute(selector, "data-drawn-at"))
                    scrolled[selector] = max(0.0, drawn_at - began) / 1000
                ready(page)
                times.append({"first_screen": first, "scrolled": scrolled})
                page.close()
            browser.close()
    finally:
        server.close()
    return times


def print_loads(loads: list[dict], size: int) -> None:
    print(f"\ndashboard at / in Chromium (1440 x 900), {size:,} page views:")
    for i, load in enumerate(loads, 1):
        first, scrolled = load["first_screen"], load["scrolled"]
        slowest = sorted(scrolled.items(), key=lambda kv: -kv[1])[:4]
        print(
            f"  load {i}: first screen, {len(first)} panels, every one drawn {max(first.values()):.2f} s after"
            f" sign-in; {len(scrolled)} more, each drawn after scrolling to it in at most"
            f" {max(scrolled.values(), default=0):.2f} s ({', '.join(f'{k} {t:.2f}' for k, t in slowest)})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes, a quick check that it all runs")
    parser.add_argument("--sizes", type=int, nargs="+", help="page-view counts, ascending")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (median is printed)")
    parser.add_argument("--data-dir", type=Path, help="data folder (default: a temporary one)")
    parser.add_argument(
        "--sources",
        nargs="+",
        choices=("raw", "rollup"),
        default=["raw", "rollup"],
        help="what to time (raw answers at 10M take minutes in all)",
    )
    parser.add_argument(
        "--browser",
        action="store_true",
        help="at the largest size, time the dashboard's load in Chromium against a real server",
    )
    args = parser.parse_args()
    sizes = args.sizes or ([20_000, 100_000] if args.smoke else [1_000_000, 10_000_000])
    runs = 2 if args.smoke else args.runs
    end_ms = int(datetime.now(UTC).timestamp() * 1000)

    with tempfile.TemporaryDirectory(prefix="rumhouse-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        store = EmbeddedStore(data_dir)
        began = time.perf_counter()
        applied = migrate(store)
        if applied:
            print(f"applied {len(applied)} migrations in {time.perf_counter() - began:.1f} s", flush=True)
        # A folder kept from an earlier run (--data-dir) is measured as it is, from its own size on.
        report, done = [], store.query("SELECT count() FROM rumhouse.page_views").scalar()
        for size in sorted(sizes):
            if size < done:
                print(f"skipped {size:,}: the folder already holds {done:,} page views", flush=True)
                continue
            if size > done:
                seconds = fill(store, done, size - done, end_ms)
                print(f"inserted {size - done:,} page views with their events in {seconds:.1f} s", flush=True)
            else:
                merge_rollups(store)
            done = size
            counts = {
                t: store.query(f"SELECT count() FROM rumhouse.{t}").scalar()
                for t in ("page_views", "vitals", "vitals_hourly", "page_views_hourly")
            }
            assert counts["page_views"] == size, counts
            rows = measure(store, runs, tuple(args.sources))
            print_table(size, rows, counts)
            report.append({"page_views": size, "rows": counts, "queries": rows})
        store.close()
        if args.browser:
            loads = dashboard_load(data_dir)
            print_loads(loads, done)
            report[-1]["dashboard_load_seconds"] = loads
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "queries.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
