"""The snippet's cost to the pages it sits on, measured in Debian's Chromium.

1. Main-thread time of rum.js on a typical page (text, images, scripts, stylesheets, a fetch, an XHR, a
   click, a layout shift, an error, a custom measure, a periodic flush, and the final beacon when the page is
   left), from a Chrome trace of the whole page view (benchmarks/trace_time.py): the script's evaluation,
   every callback the browser calls in it, each with the browser work done inside it (`getEntriesByType`,
   `sendBeacon`, ...), and its code that the page's own code calls (the `fetch` and XHR wrappers), sampled
   by V8's CPU profiler. The main figure is the main thread's CPU time, which does not count the time the
   thread waited for a core on a busy machine; wall time is printed too. Medians of `--runs` page views.
   Printed for:
   - rum.js on a visitor's first page view, and on a third page view (the script and V8's compiled code
     cached), both loaded as the tag says (`defer`);
   - web-vitals 6 with its five metrics wired (values only kept, nothing sent), on the same page, first and
     third page view, measured the same way (for scale);
   - three controls, for the part no script can avoid: a script of rum.js's size that does nothing (a
     comment); rum.js's text inside a function that is never called (parsed, never run); and a script that
     only sends two 1 KB beacons with `sendBeacon`, one after a second and one at `pagehide`, as any RUM
     script must (the browser's own cost of a request).
2. Its effect on the page's load: the same page loaded with and without the snippet, alternately, with the
   median of the page's load event end, First Contentful Paint and the browser's total script time.

    python benchmarks/snippet_overhead.py [--runs 9] [--also OTHER_RUM_JS]

`--also` measures another build of rum.js in the same run (e.g. `git show main:src/rumhouse/static/rum.js`),
for a before/after comparison under the same machine load. Needs /usr/bin/chromium and the built
src/rumhouse/static/rum.js. Beacons go to the test site itself, so no rumhouse server runs while measuring.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from trace_time import CATEGORIES, script_time

from browser.conftest import PAGE_ARGS, USER_AGENT
from browser.site import Page, Site
from support.chromium import launch

RUM_JS = (ROOT / "src" / "rumhouse" / "static" / "rum.js").read_text()
WEB_VITALS = ROOT / "snippet" / "node_modules" / "web-vitals" / "dist" / "web-vitals.iife.js"
# web-vitals as a site would wire it: five metrics, values kept.
# The least a RUM script does: send what it measured, periodically and when the page is left.
BEACONS_ONLY = (
    "(function () { var url = location.origin + '/beacon', body = JSON.stringify({x: 'x'.repeat(1000)});"
    " setTimeout(function () { navigator.sendBeacon(url, body) }, 1000);"
    " addEventListener('pagehide', function () { navigator.sendBeacon(url, body) }) })();"
)
WEB_VITALS_INIT = (
    "\n;var kept = []; ['onFCP', 'onLCP', 'onCLS', 'onINP', 'onTTFB'].forEach(function (f) {"
    " webVitals[f](function (m) { kept.push(m.name, m.value) }) });"
)

HEAD = (
    "<style>body{margin:0;font:16px sans-serif} .card{display:inline-block;margin:4px}</style>"
    + "".join(f'<link rel="stylesheet" href="/asset/style{i}.css">' for i in range(2))
    + "".join(f'<script src="/asset/script{i}.js" defer></script>' for i in range(3))
)
BODY = (
    "<header><h1>A typical page</h1><nav>"
    + " ".join(f'<a href="#s{i}">Section {i}</a>' for i in range(8))
    + "</nav></header><main>"
    + "".join(
        f"<section id='s{i}'><h2>Section {i}</h2><p>" + "Lorem ipsum dolor sit amet. " * 20 + "</p></section>"
        for i in range(8)
    )
    + "".join(
        f'<img class="card" src="/img/p.png?i={i}&w=120&h=80&noise=1" width="120" height="80">'
        for i in range(12)
    )
    + '<button id="buy">Buy</button></main>'
    "<script>addEventListener('load', function () {"
    " fetch('/api/products/123?delay=50').then(function (r) { return r.json() });"
    " var x = new XMLHttpRequest(); x.open('GET', '/api/cart'); x.send();"
    " setTimeout(function () { var b = document.createElement('div'); b.style.height = '60px';"
    "  document.querySelector('main').prepend(b) }, 100);"
    " setTimeout(function () { throw new Error('a page error') }, 150);"
    " document.getElementById('buy').addEventListener('click', function () {"
    "  var t = performance.now(); while (performance.now() - t < 20) {} if (window.rumhouse) rumhouse.measure('buy', 20) });"
    "})</script>"
)


def tagged(src: str, attrs: str = "") -> Page:
    return Page(
        head=HEAD + f'<script src="{src}" {attrs} defer></script>', body=BODY, reference=False, snippet=False
    )


def median(values):
    return statistics.median(values) if values else float("nan")


def page_view(browser, site, path: str, views: int = 1) -> bytes:
    """A trace of the last of `views` page views at `path` in one browser context: load, a click, a second
    and a half (a periodic flush with data-flush=1), then leaving the page (the final beacon)."""
    context = browser.new_context(user_agent=USER_AGENT, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    for _ in range(views - 1):  # earlier views: the script in the HTTP cache, then its compiled code
        page.goto(site.origin + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)
    page.goto(site.origin + "/blank")
    browser.start_tracing(page=page, categories=CATEGORIES)
    page.goto(site.origin + path)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    page.click("#buy")
    page.wait_for_timeout(1200)
    page.goto(site.origin + "/blank")
    page.wait_for_timeout(200)
    trace = browser.stop_tracing()
    context.close()
    return trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="page views of each kind")
    parser.add_argument("--also", type=Path, help="another build of rum.js to measure in the same run")
    parser.add_argument(
        "--load-only", action="store_true", help="only part 2, the page's load with and without"
    )
    parser.add_argument("--rum-only", action="store_true", help="part 1 for rum.js (and --also) only")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    pages: dict[str, Page] = {}
    scripts = {
        "/rum.js": RUM_JS,
        "/control/empty.js": "/*" + "x" * (len(RUM_JS) - 4) + "*/",
        "/control/unrun.js": "(function () {" + RUM_JS + "\n});",
        "/control/beacons.js": BEACONS_ONLY,
    }
    rum_attrs = 'data-site="demo" data-endpoint="{origin}/beacon" data-flush="1"'
    with Site(pages, "", scripts) as site, sync_playwright() as pw:
        attrs = rum_attrs.format(origin=site.origin)
        # (label, path, script URL, views in one context)
        kinds = [
            ("rum.js, first page view", "/with/", "/rum.js", 1),
            ("rum.js, third page view (cached)", "/with/", "/rum.js", 3),
        ]
        pages["/with/"] = tagged("/rum.js", attrs)
        pages["/without/"] = Page(head=HEAD, body=BODY, reference=False, snippet=False)
        if args.also:
            scripts["/also/rum.js"] = args.also.read_text()
            pages["/also/"] = tagged("/also/rum.js", attrs)
            kinds += [
                (f"{args.also.name}, first page view", "/also/", "/also/rum.js", 1),
                (f"{args.also.name}, third page view (cached)", "/also/", "/also/rum.js", 3),
            ]
        if WEB_VITALS.exists() and not args.rum_only:
            scripts["/wv/web-vitals.js"] = WEB_VITALS.read_text() + WEB_VITALS_INIT
            pages["/web-vitals/"] = tagged("/wv/web-vitals.js")
            kinds += [
                ("web-vitals 6, five metrics, first page view", "/web-vitals/", "/wv/web-vitals.js", 1),
                ("web-vitals 6, third page view (cached)", "/web-vitals/", "/wv/web-vitals.js", 3),
            ]
        pages["/control/empty/"] = tagged("/control/empty.js")
        pages["/control/unrun/"] = tagged("/control/unrun.js")
        pages["/control/beacons/"] = tagged("/control/beacons.js")
        kinds += [
            ("control: a comment of rum.js's size", "/control/empty/", "/control/empty.js", 1),
            ("control: rum.js parsed, never run", "/control/unrun/", "/control/unrun.js", 1),
            ("control: two sendBeacon calls, nothing else", "/control/beacons/", "/control/beacons.js", 1),
        ][: 0 if args.rum_only else 3]
        browser = launch(pw, *PAGE_ARGS, ignore_default_args=["--disable-back-forward-cache"])

        # 1. Main-thread time, the kinds interleaved so that a change in the machine's load hits all alike.
        own: dict[str, list] = {label: [] for label, *_ in kinds}
        for _ in range(0 if args.load_only else args.runs):
            for label, path, url, views in kinds:
                measured = script_time(page_view(browser, site, path, views), site.origin + url)
                if measured:
                    own[label].append(measured)

        # 2. The page's load with and without the snippet.
        loads: dict[str, list[dict]] = {"/with/": [], "/without/": []}
        if args.also:
            loads["/also/"] = []
        for run in range(-1, 0 if args.rum_only else args.runs):  # run -1 warms up, and is not counted
            for path in sorted(loads, reverse=run % 2 == 1):  # alternate which goes first
                context = browser.new_context(user_agent=USER_AGENT, viewport={"width": 1280, "height": 720})
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable")
                page.goto(site.origin + path)
                page.wait_for_load_state("load")
                page.wait_for_timeout(200)
                timing = page.evaluate(
                    "({load: performance.getEntriesByType('navigation')[0].loadEventEnd,"
                    " fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime})"
                )
                metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
                timing["script_ms"] = metrics.get("ScriptDuration", 0) * 1000
                if run >= 0:
                    loads[path].append(timing)
                context.close()
        browser.close()

    code = RUM_JS.encode()
    print(
        f"rum.js: {len(code)} B raw, {len(gzip.compress(code, 9))} B gzip, "
        f"{len(brotli.compress(code, quality=11))} B brotli"
    )
    print(
        f"\n1. Main-thread time of one page view, ms: CPU (wall), median of {args.runs} (target for rum.js: < 1 ms)"
    )
    print(
        f"   {'':46s} {'evaluation':>15s} {'callbacks':>20s} {'called by page':>15s} {'total':>15s}  total min..max"
    )
    for label, runs in own.items():
        if not runs:
            print(f"   {label:46s} (did not run)")
            continue
        cpu = [r.cpu for r in runs]
        print(
            f"   {label:46s} {median([r.eval_cpu for r in runs]):6.2f} ({median([r.eval_wall for r in runs]):6.2f})"
            f" {median([r.callbacks_cpu for r in runs]):6.2f} ({median([r.callbacks_wall for r in runs]):6.2f})"
            f" x{median([r.calls for r in runs]):<3.0f} {median([r.sampled_cpu for r in runs]):6.2f}"
            f" ({median([r.sampled_wall for r in runs]):6.2f})"
            f" {median(cpu):6.2f} ({median([r.wall for r in runs]):6.2f})  {min(cpu):.2f}..{max(cpu):.2f}"
        )
    print(
        f"\n2. The page's load, median of {args.runs} loads each, without -> with the script; the difference is"
        " the median of the paired loads' differences, with their interquartile range"
    )
    for path, name in (("/with/", "rum.js"), ("/also/", args.also.name if args.also else "")):
        if path not in loads:
            continue
        print(f"   {name}:")
        for key, label in (
            ("load", "load event end"),
            ("fcp", "first contentful paint"),
            ("script_ms", "script time"),
        ):
            without = [t[key] for t in loads["/without/"]]
            with_ = [t[key] for t in loads[path]]
            pairs = [b - a for a, b in zip(without, with_, strict=True) if a is not None and b is not None]
            a = median([x for x in without if x is not None])
            b = median([x for x in with_ if x is not None])
            q1, _, q3 = statistics.quantiles(pairs, n=4) if len(pairs) >= 2 else (float("nan"),) * 3
            print(
                f"     {label:23s}: {a:7.1f} ms -> {b:7.1f} ms, difference {median(pairs):+.1f} ms"
                f" (interquartile {q1:+.1f}..{q3:+.1f})"
            )


if __name__ == "__main__":
    main()
