/* rumhouse placeholder snippet: navigation breakdown, TTFB, FCP and LCP, sent once when the page is hidden.
   The full snippet is built from snippet/ and replaces this file. */
(function () {
  try {
    var s = document.currentScript, site = s && s.getAttribute("data-site");
    if (!site || !window.performance || !performance.getEntriesByType || !navigator.sendBeacon) return;
    var endpoint = s.getAttribute("data-endpoint") || new URL(s.src).origin + "/beacon";
    var pv = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
    var ev = [], sent = false, lcp;
    var vital = function (n, v) { if (v >= 0) ev.push({ k: "vital", n: n, v: v }); };
    new PerformanceObserver(function (l) {
      l.getEntries().forEach(function (e) { if (e.name === "first-contentful-paint") vital("FCP", e.startTime); });
    }).observe({ type: "paint", buffered: true });
    new PerformanceObserver(function (l) { var e = l.getEntries(); lcp = e[e.length - 1].startTime; })
      .observe({ type: "largest-contentful-paint", buffered: true });
    var send = function (e) {
      if (sent || (e.type === "visibilitychange" && document.visibilityState !== "hidden")) return;
      sent = true;
      var n = performance.getEntriesByType("navigation")[0], nav;
      if (n) {
        vital("TTFB", n.responseStart);
        nav = { dns: n.domainLookupEnd - n.domainLookupStart, connect: n.connectEnd - n.connectStart,
          server: n.responseStart - n.requestStart, download: n.responseEnd - n.responseStart,
          render: n.domComplete > 0 ? n.domComplete - n.responseEnd : undefined,
          load: n.loadEventEnd > 0 ? n.loadEventEnd : undefined, size: n.transferSize };
      }
      if (lcp !== undefined) vital("LCP", lcp);
      navigator.sendBeacon(endpoint, JSON.stringify({ v: 1, site: site, pv: pv, url: location.href,
        ref: document.referrer, now: performance.now(), last: true, wd: !!navigator.webdriver,
        nt: n && n.type === "back_forward" ? "back_forward" : n && n.type === "reload" ? "reload" : "navigate",
        nav: nav, ev: ev }));
    };
    addEventListener("visibilitychange", send, true);
    addEventListener("pagehide", send, true);
  } catch (e) { /* never break the host page */ }
})();
