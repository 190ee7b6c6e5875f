"""The snippet's cost to the pages it sits on, measured in Debian's Chromium.

1. Main-thread time spent in rum.js's own code on a typical page (text, images, scripts, stylesheets, a fetch,
   an XHR, a click, a layout shift, an error, a custom measure and a periodic flush):
   the evaluation of the script and every callback it registered (performance observers, event listeners,
   timers, animation frames), timed by wrappers that an init script puts around those registrations before the
   page runs. Not included: the few operations rum.js adds inside the page's own fetch and XHR calls.
2. Its effect on the page's load: the same page loaded with and without the snippet, alternately, with the
   median of the page's load event end, First Contentful Paint and the browser's total script time.

    python benchmarks/snippet_overhead.py [--runs 15]

Needs /usr/bin/chromium and the built src/rumhouse/static/rum.js. Beacons go to the test site itself, so no
rumhouse server runs while measuring.
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

from browser.conftest import CHROMIUM, CHROMIUM_ARGS, USER_AGENT  # noqa: E402
from browser.site import Page, Site  # noqa: E402

RUM_JS = (ROOT / "src" / "rumhouse" / "static" / "rum.js").read_text()

# Wraps every callback that code registers while `inRum` is set, and times it (nested calls are counted once).
TIMING = """
(() => {
  let inRum = false, total = 0, calls = 0, evalMs = 0, t0 = 0;
  const timed = (fn) => function () {
    if (inRum) return fn.apply(this, arguments);
    inRum = true; const t = performance.now();
    try { return fn.apply(this, arguments) } finally { total += performance.now() - t; calls++; inRum = false }
  };
  const wrap = (obj, name, i) => {
    const orig = obj[name];
    obj[name] = function (...a) { if (inRum && typeof a[i] == 'function') a[i] = timed(a[i]); return orig.apply(this, a) };
  };
  wrap(EventTarget.prototype, 'addEventListener', 1);
  wrap(window, 'setTimeout', 0); wrap(window, 'setInterval', 0); wrap(window, 'requestAnimationFrame', 0);
  const PO = window.PerformanceObserver;
  const Wrapped = function (cb) { return new PO(inRum ? timed(cb) : cb) };
  Wrapped.prototype = PO.prototype;
  Object.defineProperty(Wrapped, 'supportedEntryTypes', { get: () => PO.supportedEntryTypes });
  window.PerformanceObserver = Wrapped;
  window.__rum = {
    start() { inRum = true; t0 = performance.now() },
    stop() { evalMs = performance.now() - t0; inRum = false },
    result() { return { evalMs, callbackMs: total, callbacks: calls } },
  };
})();
"""

HEAD = (
    "<style>body{margin:0;font:16px sans-serif} .card{display:inline-block;margin:4px}</style>"
    + "".join(f'<link rel="stylesheet" href="/asset/style{i}.css">' for i in range(2))
    + "".join(f'<script src="/asset/script{i}.js" defer></script>' for i in range(3))
)
BODY = (
    "<header><h1>A typical page</h1><nav>" + " ".join(f'<a href="#s{i}">Section {i}</a>' for i in range(8))
    + "</nav></header><main>"
    + "".join(f"<section id='s{i}'><h2>Section {i}</h2><p>" + "Lorem ipsum dolor sit amet. " * 20 + "</p></section>"
              for i in range(8))
    + "".join(f'<img class="card" src="/img/p.png?i={i}&w=120&h=80&noise=1" width="120" height="80">'
              for i in range(12))
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


WEB_VITALS = (ROOT / "snippet" / "node_modules" / "web-vitals" / "dist" / "web-vitals.iife.js")


def web_vitals_page() -> Page:
    """The same page with Google's web-vitals instead (five metrics, values only kept): a yardstick for
    what this machine makes of a measuring script."""
    code = WEB_VITALS.read_text()
    head = (
        f"<script>window.__rum && __rum.start()</script><script>{code}</script>"
        "<script>var kept = []; ['onFCP', 'onLCP', 'onCLS', 'onINP', 'onTTFB'].forEach(function (f) {"
        " webVitals[f](function (m) { kept.push(m.name, m.value) }) })</script>"
        "<script>window.__rum && __rum.stop()</script>"
    )
    return Page(head=HEAD + head, body=BODY, reference=False, snippet=False)


def repeat_view_page(site_origin: str) -> Page:
    """rum.js as a normal cached script, for a visitor's later page views: the browser then has the file
    and V8's compiled code cached (made after the script's second run)."""
    snippet = (
        "<script>window.__rum && __rum.start()</script>"
        f'<script src="/rum.js" data-site="demo" data-endpoint="{site_origin}/beacon" data-flush="1"></script>'
        "<script>window.__rum && __rum.stop()</script>"
    )
    return Page(head=HEAD + snippet, body=BODY, reference=False, snippet=False)


def page_html(site_origin: str, with_snippet: bool) -> Page:
    snippet = ""
    if with_snippet:
        # Inline, so that its evaluation can be timed by the scripts around it; configured as from the tag.
        snippet = (
            "<script>window.__rum && __rum.start()</script>"
            f'<script data-site="demo" data-endpoint="{site_origin}/beacon" data-flush="1">{RUM_JS}</script>'
            "<script>window.__rum && __rum.stop()</script>"
        )
    return Page(head=HEAD + snippet, body=BODY, reference=False, snippet=False)


def median(values):
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="page loads with and without the snippet, each")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    pages: dict[str, Page] = {}
    with Site(pages, "") as site, sync_playwright() as pw:
        pages["/with/"] = page_html(site.origin, True)
        pages["/without/"] = page_html(site.origin, False)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     ignore_default_args=["--disable-back-forward-cache"])

        pages["/repeat/"] = repeat_view_page(site.origin)
        if WEB_VITALS.exists():
            pages["/web-vitals/"] = web_vitals_page()

        # 1. The snippet's own main-thread time (and web-vitals', for scale).
        own: dict[str, list[dict]] = {path: [] for path in ("/with/", "/repeat/", "/web-vitals/") if path in pages}
        for _ in range(args.runs):
            for path in own:
                context = browser.new_context(user_agent=USER_AGENT, viewport={"width": 1280, "height": 720})
                context.add_init_script(TIMING)
                page = context.new_page()
                if path == "/repeat/":  # two earlier views of the site: the script and its code are cached
                    for _ in range(2):
                        page.goto(site.origin + path)
                        page.wait_for_load_state("load")
                        page.wait_for_timeout(100)
                page.goto(site.origin + path)
                page.wait_for_load_state("load")
                page.wait_for_timeout(300)
                page.click("#buy")
                page.wait_for_timeout(1200)  # one periodic flush (data-flush=1)
                # Headless Chromium does not hide a page behind another tab, so the hidden-page flush is not
                # measured here; it does what the periodic flush does, plus three takeRecords() calls.
                own[path].append(page.evaluate("__rum.result()"))
                context.close()

        # 2. The page's load with and without the snippet.
        loads: dict[str, list[dict]] = {"/with/": [], "/without/": []}
        for run in range(-1, args.runs):  # run -1 warms the browser and the site up, and is not counted
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
    print(f"rum.js: {len(code)} B raw, {len(gzip.compress(code, 9))} B gzip, "
          f"{len(brotli.compress(code, quality=11))} B brotli")
    print(f"\n1. Main-thread time on a typical page (median of {args.runs} loads; target for rum.js: < 1 ms)")
    for path, label in (("/with/", "rum.js, first page view"), ("/repeat/", "rum.js, third page view (cached)"),
                        ("/web-vitals/", "web-vitals 6, first page view (for scale)")):
        if path not in own:
            continue
        runs = own[path]
        totals = [r["evalMs"] + r["callbackMs"] for r in runs]
        print(f"   {label}")
        print(f"     evaluation and set-up : {median([r['evalMs'] for r in runs]):6.2f} ms")
        print(f"     callbacks             : {median([r['callbackMs'] for r in runs]):6.2f} ms"
              f" in {median([r['callbacks'] for r in runs]):.0f} calls")
        print(f"     total                 : {median(totals):6.2f} ms (min {min(totals):.2f}, max {max(totals):.2f})")
    print(f"\n2. The page's load, median of {args.runs} loads each, without -> with rum.js")
    for key, label in (("load", "load event end"), ("fcp", "first contentful paint"), ("script_ms", "script time")):
        a = median([t[key] for t in loads["/without/"] if t[key] is not None])
        b = median([t[key] for t in loads["/with/"] if t[key] is not None])
        print(f"   {label:23s}: {a:7.1f} ms -> {b:7.1f} ms ({b - a:+.1f} ms)")


if __name__ == "__main__":
    main()
