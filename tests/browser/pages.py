"""The test pages, one per scenario, each with timing the test controls (see site.py for the routes)."""

from __future__ import annotations

from .site import ROOT, Page

# The inline stub of docs/snippet.md ("Early capture"), as the build writes it.
STUB = "<script>" + (ROOT / "src" / "rumhouse" / "static" / "rum-stub.js").read_text().strip() + "</script>"

# Runs `fn` once the page has loaded (and rum.js, a deferred script, has started).
ON_LOAD = "<script>function onLoad(fn){addEventListener('load', function(){setTimeout(fn, 0)})}</script>"

# A busy loop: a long task of a known length on the main thread.
BLOCK = "<script>function block(ms){var t=performance.now(); while(performance.now()-t<ms){}}</script>"


def visibility(hidden: bool) -> str:
    """A script for the head, before any other: the page's visibility is the test's to set (`setHidden(true)`).
    Headless Chromium reports every page visible, even one opened in the background, so hiding a tab and
    coming back is played at the boundary both rum.js and web-vitals read: document.visibilityState and
    the visibilitychange event, as the browser gives them. The page is hidden when the test says so or
    when the browser does (leaving the page)."""
    return (
        "<script>(function () { var hidden = HIDDEN, proto = Document.prototype;"
        " var real = Object.getOwnPropertyDescriptor(proto, 'visibilityState').get;"
        " var state = function () { return hidden || real.call(document) == 'hidden' ? 'hidden' : 'visible' };"
        " var get = function (f) { return {get: f, configurable: true} };"
        " Object.defineProperty(proto, 'visibilityState', get(state));"
        " Object.defineProperty(proto, 'hidden', get(function () { return state() == 'hidden' }));"
        " window.setHidden = function (h) { hidden = h;"
        "  document.dispatchEvent(new Event('visibilitychange', {bubbles: true})) } })()</script>"
    ).replace("HIDDEN", "true" if hidden else "false")


# How many beacons the page has sent so far (sendBeacon and fetch requests show in Resource Timing).
SENT = (
    "function sent() { return performance.getEntriesByType('resource')"
    ".filter(function (r) { return r.name.indexOf('/beacon') > 0 }).length }"
)

# Inserts a block of `h` px at the top of the page: everything below moves down.
INSERT = (
    '<script>function insert(id, h){var d=document.createElement("div");d.id=id;d.style.height=h+"px";'
    'd.style.background="#fc0";document.body.insertBefore(d,document.body.firstChild)}</script>'
)

PAGES: dict[str, Page] = {
    # The largest element is an image that the server sends after 700 ms.
    "/lcp/": Page(
        body="<h1>Largest paint</h1><p>Some text first.</p>"
        '<img id="hero" src="/img/hero.png?w=200&h=112&noise=1&delay=700" width="800" height="450">',
    ),
    # At 300 ms a 180 px block is inserted above a 1280x360 block: the block moves down by 180 px, so in
    # a 1280x720 viewport the impact region is 1280x540 (0.75 of it) and the distance 180/1280.
    "/cls/": Page(
        head="<style>body{margin:0;font:16px sans-serif} #content{height:360px;background:#ddd}</style>",
        body='<div id="content">Content that moves <button id="grow">Grow</button></div><script>'
        'function insert(id, h){var d=document.createElement("div");d.id=id;d.style.height=h+"px";'
        'd.style.background="#fc0";document.body.insertBefore(d,document.body.firstChild)}'
        # A second, smaller shift 1.3 s later: a session window of its own (0.8 * 36/1280 = 0.0225).
        'setTimeout(function(){insert("ad", 180)}, 300); setTimeout(function(){insert("small", 36)}, 1600);'
        # A shift right after a click is expected by the visitor: it does not count.
        'document.getElementById("grow").addEventListener("click", function(){insert("grown", 100)})</script>',
    ),
    # A click handler that blocks the main thread for 300 ms.
    "/inp/": Page(
        head=BLOCK,
        body='<p>Click the buttons, type a key.</p><button id="slow" style="width:240px;height:80px">Slow</button>'
        '<button id="medium">Medium</button><input id="field">'
        '<script>document.getElementById("slow").addEventListener("click", function(){'
        'block(300); this.textContent = "Done"});'
        'document.getElementById("medium").addEventListener("click", function(){block(120)});'
        'document.getElementById("field").addEventListener("keydown", function(){block(80)})</script>',
    ),
    # The server answers after 600 ms and reports its database time in Server-Timing.
    "/slow/": Page(
        delay_ms=600,
        headers={"Server-Timing": 'db;dur=123.4;desc="Database", cache;dur=5'},
        body="<h1>Slow server</h1><p>It took a while.</p>",
    ),
    # The same error thrown twice from the same place, after load.
    "/error/": Page(
        head=ON_LOAD,
        body="<h1>Errors</h1><script>\nfunction boom() { throw new Error('boom from the test page') }\n"
        "onLoad(function () { setTimeout(boom, 0); setTimeout(boom, 5); setTimeout(function(){window.done=1}, 50) })"
        "</script>",
    ),
    "/rejection/": Page(
        head=ON_LOAD,
        body="<h1>Rejection</h1><script>onLoad(function () { Promise.reject(new Error('nope from the test page'));"
        " setTimeout(function(){window.done=1}, 50) })</script>",
    ),
    # A slow fetch (400 ms, id and query in the URL), an XHR that gets a 404, and a fetch that fails.
    "/fetch/": Page(
        head=ON_LOAD,
        body="<h1>API calls</h1><script>onLoad(function () {"
        "var slow = fetch('/api/users/12345?secret=abc&delay=400').then(function (r) { return r.json() });"
        "var x = new XMLHttpRequest(); x.open('post', '/api/orders?status=404'); x.send('{}');"
        "var xhr = new Promise(function (ok) { x.onloadend = ok });"
        "var failed = fetch('http://127.0.0.1:9/nothing').catch(function () {});"
        "Promise.all([slow, xhr, failed]).then(function () { window.done = 1 }) })</script>",
    ),
    # A single-page app: the button changes the route, then the new route has an error, an API call and a
    # custom measure, which must belong to the new page view.
    "/spa/": Page(
        head=ON_LOAD,
        body='<h1>App</h1><button id="go">Go to user</button><script>'
        'document.getElementById("go").addEventListener("click", function () {'
        'history.pushState({}, "", "/spa/users/42"); document.querySelector("h1").textContent = "User 42";'
        'fetch("/api/users/42").then(function () {'
        '  rumhouse.measure("route_render", 12.5, {route: "user"});'
        '  setTimeout(function () { throw new Error("error on the new route") }, 0);'
        "  setTimeout(function () { window.done = 1 }, 20) }) })</script>",
    ),
    # Many resources of every type, first and third party (localhost is another host than 127.0.0.1).
    "/resources/": Page(
        head="".join(f'<link rel="stylesheet" href="/asset/style{i}.css">' for i in range(3))
        + "".join(
            f'<link rel="preload" as="font" type="font/woff2" crossorigin href="/asset/font{i}.woff2">'
            for i in range(2)
        )
        + "".join(f'<script src="/asset/script{i}.js"></script>' for i in range(5)),
        body="<h1>Resources</h1>"
        + "".join(f'<img src="/img/r.png?i={i}&w=20&h=20" width="20" height="20">' for i in range(30))
        + "".join(
            f'<img src="http://localhost:{{port}}/img/t.png?i={i}&w=20&h=20" width="20" height="20">'
            for i in range(8)
        )
        + '<img src="/img/slow.png?w=20&h=20&delay=1500" width="20" height="20">',
    ),
    # More resources than the browser's Resource Timing buffer holds (250 entries).
    "/overflow/": Page(
        body="<h1>Overflow</h1>"
        + "".join(f'<img src="/img/o.png?i={i}&w=4&h=4" width="4" height="4">' for i in range(300)),
    ),
    # A page that prerenders the next one with speculation rules, then navigates to it after 2 s. The
    # prerendered page adds its largest text 300 ms after it is shown, then leaves after 1.5 s.
    "/prerender/": Page(
        reference=False,
        snippet=False,
        body='<p>Start</p><script type="speculationrules">{"prerender": [{"source": "list", "urls": ["/prerendered/"]}]}'
        '</script><script>setTimeout(function () { location.href = "/prerendered/" }, 2000)</script>',
    ),
    "/prerendered/": Page(
        body="<p>Prerendered</p><script>function shown() {"
        " setTimeout(function () { var p = document.createElement('p'); p.id = 'late'; p.style.fontSize = '40px';"
        "  p.textContent = 'Shown after activation. '.repeat(12); document.body.appendChild(p) }, 300);"
        " setTimeout(function () { location.href = '/blank' }, 1500) }"
        " document.prerendering ? document.addEventListener('prerenderingchange', shown) : shown()</script>",
    ),
    # Pages that are left: by navigating, by closing the tab, by going into the back/forward cache.
    "/leave/": Page(body='<h1>Leave me</h1><a id="away" href="/blank">away</a>'),
    "/close/": Page(body="<h1>Close me</h1>"),
    "/bfcache/": Page(
        body='<h1>Back and forth</h1><a id="away" href="/blank">away</a>'
        "<script>addEventListener('pageshow', function (e) { if (e.persisted) window.restored = 1 })</script>",
    ),
    # Long tasks of 400 ms at 500 ms and 200 ms at 2000 ms, then quiet: TTI is the end of the second one.
    # Flushes every second, to see the timer at work.
    "/tti/": Page(
        head=BLOCK,
        flush_s=1,
        body="<h1>Time to interactive</h1><script>"
        "setTimeout(function () { block(400) }, 500 - performance.now());"
        "setTimeout(function () { block(200); window.lastTaskEnd = performance.now() }, 2000 - performance.now());"
        "</script>",
    ),
    # Browsers without what the snippet needs: it must do nothing, and not throw.
    "/unsupported/": Page(
        reference=False,
        head="<script>window.PerformanceObserver = undefined</script>",
        body="<h1>Old browser</h1><script>window.addEventListener('load', function () {"
        " rumhouse.measure('still_works', 1); window.done = 1 })</script>",
    ),
    # Sampled out (data-sample="0"), or no data-site: nothing is sent, and the public API still works.
    "/sampled/": Page(
        attrs='data-site="demo" data-sample="0"',
        reference=False,
        head=ON_LOAD,
        body="<script>onLoad(function () { rumhouse.measure('x', 1); window.done = 1 })</script>",
    ),
    "/nosite/": Page(
        attrs="",
        reference=False,
        head=ON_LOAD,
        body="<script>onLoad(function () { rumhouse.measure('x', 1); window.done = 1 })</script>",
    ),
    # 250 API calls with long URLs: more than one beacon can hold, so the snippet must split them.
    "/many/": Page(
        head=ON_LOAD,
        flush_s=1,
        body="<h1>Many calls</h1><script>onLoad(function () { var all = [];"
        "for (var i = 0; i < 250; i++) all.push(fetch('/api/' + 'x'.repeat(300) + '/item' + i + '?page=' + i));"
        "Promise.all(all).then(function () { window.done = 1 }) })</script>",
    ),
    # The tag pasted twice: one copy measures, calls are not counted twice, and the page's calls work as before.
    "/twice/": Page(
        head='<script src="{rum}/rum.js" data-site="demo" defer></script>' + ON_LOAD,
        body="<h1>Twice</h1><script>onLoad(function () {"
        " fetch('/api/things').then(function (r) { return r.json() }).then(function (j) { window.fetched = j.ok;"
        "  var x = new XMLHttpRequest(); x.open('GET', '/api/other'); x.onload = function () {"
        "   window.xhrStatus = x.status; window.done = 1 }; x.send() }) })</script>",
    ),
    # Loaded, then reloaded: the second time its images come from the browser's cache.
    "/cached/": Page(
        body="<h1>Cached</h1>"
        + "".join(f'<img src="/img/c.png?i={i}&w=30&h=30" width="30" height="30">' for i in range(6)),
    ),
    # A browser that supports fewer entry types (as Safari and Firefox do): what it can measure is sent.
    "/fewer/": Page(
        first="<script>Object.defineProperty(PerformanceObserver, 'supportedEntryTypes',"
        " {get: function () { return Object.freeze(['navigation', 'paint', 'resource']) }})</script>",
        body='<h1>Fewer entry types</h1><button id="b">Click</button>',
    ),
    # 60 interactions: INP is then the second longest (the 98th percentile), not the longest. The page keeps
    # every interaction's latency (the longest Event Timing entry of each interactionId), as the browser
    # measured it, for the test's expected value: on a busy machine a 45 ms click can take 200 ms or more.
    "/interactions/": Page(
        first="<script>window.latencies = {}; new PerformanceObserver(function (list) {"
        " list.getEntries().forEach(function (e) { if (e.interactionId)"
        "  latencies[e.interactionId] = Math.max(latencies[e.interactionId] || 0, e.duration) })"
        "}).observe({type: 'event', durationThreshold: 16, buffered: true})</script>",
        head=BLOCK,
        body='<button id="b" style="width:200px;height:60px">Click</button><script>var n = 0;'
        'document.getElementById("b").addEventListener("click", function () {'
        ' n++; block(n == 1 ? 400 : n == 2 ? 200 : 45); this.textContent = "Clicked " + n })</script>',
    ),
    # A visitor who hides the tab and comes back, twice: more shifts and slower clicks after each return.
    "/return/": Page(
        first=visibility(False),
        head="<style>body{margin:0;font:16px sans-serif} #content{height:360px;background:#ddd}</style>"
        + BLOCK
        + INSERT,
        body='<div id="content">Content that moves <button id="b1">One</button> <button id="b2">Two</button></div>'
        '<script>setTimeout(function(){insert("first", 36)}, 300);'
        'document.getElementById("b1").addEventListener("click", function(){block(120); this.textContent = "1!"});'
        'document.getElementById("b2").addEventListener("click", function(){block(400); this.textContent = "2!"})'
        "</script>",
    ),
    # Opened in a background tab: hidden from the start, shown later, then a layout shift.
    "/background/": Page(
        first=visibility(True),
        head="<style>body{margin:0} #content{height:360px;background:#ddd}</style>" + INSERT,
        body='<div id="content">Opened in the background</div>',
    ),
    # A single-page app whose click handler changes the route and then works for 150 ms before the next
    # paint: that interaction is the old route's. The new route has a button of its own. The page keeps each
    # interaction's latency as the browser measured it (as /interactions/ does).
    "/spa-click/": Page(
        first="<script>window.latencies = {}; new PerformanceObserver(function (list) {"
        " list.getEntries().forEach(function (e) { if (e.interactionId)"
        "  latencies[e.interactionId] = Math.max(latencies[e.interactionId] || 0, e.duration) })"
        "}).observe({type: 'event', durationThreshold: 16, buffered: true})</script>",
        head=BLOCK,
        body='<h1>Shop</h1><button id="go" style="width:200px;height:60px">Product</button>'
        '<button id="buy" style="display:none;width:200px;height:60px">Buy</button><script>'
        'document.getElementById("go").addEventListener("click", function () {'
        ' history.pushState({}, "", "/spa-click/product"); block(150);'
        ' document.querySelector("h1").textContent = "Product page"; this.style.display = "none";'
        ' document.getElementById("buy").style.display = "block" });'
        'document.getElementById("buy").addEventListener("click", function () { block(60); this.textContent = "Bought" })'
        "</script>",
    ),
    # The recommended tag: the inline stub first, then rum.js. Before rum.js (deferred) runs, an inline script
    # throws, rejects, fetches twice, sends an XHR, and calls the page API.
    "/early/": Page(
        first=STUB,
        head="<script>rumhouse.label('early-page'); rumhouse.set('plan', 'pro'); rumhouse.measure('boot', 5);"
        "fetch('/api/early/1?delay=50'); fetch('/api/early/2', {method: 'POST'});"
        "var x = new XMLHttpRequest(); x.open('GET', '/api/early/xhr?status=404'); x.send();"
        "Promise.reject(new Error('rejected while loading'));"
        "setTimeout(function () { window.done = 1 }, 300);"
        "</script><script>throw new Error('thrown while loading')</script>",
        body="<h1>Early</h1>",
    ),
    # The page API after load: a label, custom dimensions, an error the page caught, onVital, and consent
    # given 1.5 s after load (data-consent="wait"): the beacon of the 1 s flush waits for it.
    "/api-page/": Page(
        attrs='data-site="demo" data-consent="wait" data-sample="0.999999"',
        flush_s=1,
        head=ON_LOAD,
        body="<h1>API</h1><script>window.seen = [];"
        + SENT
        + "onLoad(function () { rumhouse.label('product'); rumhouse.set('plan', 'pro'); rumhouse.set('ab', 'b');"
        " rumhouse.set('ab', null); rumhouse.onVital(function (v) { seen.push(v) });"
        " try { JSON.parse('{') } catch (e) { rumhouse.error(e) }"
        " setTimeout(function () { window.sentBefore = sent(); rumhouse.consent(true); window.done = 1 }, 1500) })"
        "</script>",
    ),
    # Consent refused: nothing is ever sent, though flushes come every second.
    "/refused/": Page(
        attrs='data-site="demo" data-consent="wait"',
        flush_s=1,
        head=ON_LOAD,
        reference=False,
        body="<h1>No</h1><script>" + SENT + "onLoad(function () { rumhouse.consent(false);"
        " setTimeout(function () { window.done = 1 }, 1500) })</script>",
    ),
    # Excluded paths send nothing; the page's route changes to a path that is not excluded do.
    "/admin/secret": Page(
        attrs='data-site="demo" data-exclude="/admin/*, /internal"',
        head=ON_LOAD,
        reference=False,
        body="<h1>Admin</h1><script>onLoad(function () { rumhouse.measure('never', 1);"
        " history.pushState({}, '', '/admin-done/'); window.done = 1 })</script>",
    ),
    # A hash router: each #/route is a page view.
    "/hash/": Page(
        attrs='data-site="demo" data-routes="hash"',
        head=ON_LOAD,
        body='<h1>Hash app</h1><a id="users" href="#/users/7">users</a><a id="cart" href="#/cart">cart</a><div id="view"></div>'
        "<script>addEventListener('hashchange', function () { document.getElementById('view').innerHTML ="
        " '<p style=\"font-size:32px\">Route ' + location.hash + ' ' + 'content '.repeat(30) + '</p>' })</script>",
    ),
    # The npm package, as an app's bundle would use it: init() in a module script, then the router.
    "/npm-app/": Page(
        snippet=False,
        head="<script type='module'>import { init } from '/npm/rumhouse.mjs';"
        " const rumhouse = init({site: 'demo', endpoint: '{rum}/beacon', release: 'npm-1'});"
        " rumhouse.label('npm'); window.again = init({site: 'other', endpoint: '{rum}/beacon'}) === rumhouse;"
        " window.go = function () { history.pushState({}, '', '/npm-app/orders/5') }; window.ready = 1</script>",
        body="<h1>Bundled app</h1>",
    ),
    "/npm-iife/": Page(
        snippet=False,
        head="<script src='/npm/rumhouse.iife.js'></script>"
        "<script>rumhouseInit({site: 'demo', endpoint: '{rum}/beacon'}).label('iife')</script>",
        body="<h1>IIFE</h1>",
    ),
    # rum.js of rumhouse 0.1, still cached in a visitor's browser, against this server.
    "/old-snippet/": Page(
        snippet=False,
        head='<script src="/rum-0.1.js" data-site="demo" data-endpoint="{rum}/beacon" defer></script>'
        + BLOCK
        + ON_LOAD,
        body='<h1>Old snippet</h1><img src="/img/o.png?w=300&h=200&noise=1" width="600" height="400">'
        '<button id="b" style="width:200px;height:60px">Buy</button><script>'
        'document.getElementById("b").addEventListener("click", function () { block(150); this.textContent = "Done" });'
        "onLoad(function () { fetch('/api/items/123?x=1'); setTimeout(function () { throw new Error('old boom') }, 0);"
        " setTimeout(function () { window.done = 1 }, 300) })</script>",
    ),
    # data-debug: every beacon is written to the console.
    "/debug/": Page(attrs='data-site="demo" data-debug', flush_s=1, body="<h1>Debug</h1>"),
    # rum.js served by the site itself, beacons sent elsewhere with data-endpoint.
    "/endpoint/": Page(
        snippet=False,
        head='<script src="/rum.js" data-site="demo" data-endpoint="{rum}/beacon" defer></script>',
        body="<h1>Own copy</h1>",
    ),
}

# The attribution tests load some scenarios again under paths of their own (rows are found by path).
for _path in ("/lcp/", "/inp/", "/cls/", "/slow/"):
    PAGES["/why" + _path] = PAGES[_path]
