// Small helpers shared by every module. Everything that runs on a browser callback goes through
// `safe`, so that nothing the snippet does can throw into the host page.

export const W = window;
export const D = document;
export const N = navigator;
export const P = W.performance; // read from window: a browser without it gets undefined, not an error
export const now = () => P.now();

/** Wraps a function so that it never throws; it returns undefined instead. */
export const safe = (fn) =>
  function () {
    try {
      return fn.apply(this, arguments);
    } catch (e) {}
  };

/** A duration in whole ms, clamped into the beacon's bounds (0 to `max`, default one hour). */
export const ms = (x, max) => Math.min(Math.round(Math.max(x, 0)), max || 36e5);

/** A week in ms: the bound of times since the page's time origin. */
export const WEEK = 6048e5;

/** A capture listener that never throws. */
export const on = (target, type, fn) => target.addEventListener(type, safe(fn), true);

/** Observes one performance entry type, buffered; undefined when the browser lacks it. */
export const observe = (type, cb, opts) => {
  try {
    if (PerformanceObserver.supportedEntryTypes.includes(type)) {
      const po = new PerformanceObserver(safe((list) => cb(list.getEntries())));
      po.observe(Object.assign({ type, buffered: true }, opts));
      return po;
    }
  } catch (e) {}
};

/**
 * The entries of one type that the browser has buffered so far, read at once: a buffered observer's
 * records are there as soon as it observes, so its callback never runs. Undefined when the browser
 * lacks the type. Cheaper than a live observer for what is only needed when a beacon is assembled.
 */
export const buffered = (type) => {
  const po = observe(type, Object);
  if (po) {
    const list = po.takeRecords();
    po.disconnect();
    return list;
  }
};

/**
 * The element's selector as web-vitals' attribution build writes it (its getSelector), so that both name
 * an element alike: `#hero`, `html>body>main>div.card.wide`, at most 100 characters, from the nearest
 * ancestor with an id. Empty when there is no element. (A text node is `#text`, where web-vitals writes
 * `TEXT`.)
 */
export const sel = (node) => {
  let s = '';
  try {
    while (node.nodeType != 9) {
      const part = node.id
        ? '#' + node.id
        : [node.nodeName.toLowerCase(), ...[...(node.classList || [])].sort()].join('.');
      if (s.length + part.length > 99) return s || part;
      s = s ? part + '>' + s : part;
      if (node.id) break;
      node = node.parentNode;
    }
  } catch (e) {}
  return s;
};

/** The document's navigation entry (Navigation Timing level 2). */
export const navEntry = () => P.getEntriesByType('navigation')[0] || {};

/** When the page was activated: later than 0 only for a prerendered page. */
export const activation = () => navEntry().activationStart || 0;

/** Interactions (clicks, taps, key presses) on the page so far, where the browser counts them. */
export const count = () => P.interactionCount || 0;

/**
 * The document's loading state at time `t`, as web-vitals' getLoadState tells it, by number (the server
 * names them): 0 loading, 1 dom-interactive, 2 dom-content-loaded, 3 complete.
 */
export const loadState = (t) => {
  const n = navEntry();
  return D.readyState == 'loading' || t < n.domInteractive
    ? 0
    : !n.domContentLoadedEventStart || t < n.domContentLoadedEventStart
      ? 1
      : !n.domComplete || t < n.domComplete
        ? 2
        : 3;
};
