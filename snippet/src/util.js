// Small helpers shared by every module. Everything that runs on a browser callback goes through
// `safe`, so that nothing the snippet does can throw into the host page.

export const W = window;
export const D = document;
export const N = navigator;
export const P = performance;
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

/** A short CSS-like name for an element, for attribution: `img#hero`, `button.buy`. */
export const sel = (el) => {
  try {
    return (el.nodeName.toLowerCase() + (el.id ? '#' + el.id : el.classList[0] ? '.' + el.classList[0] : '')).slice(0, 99);
  } catch (e) {}
};

/** A URL without its query string and fragment, at most 2048 characters. */
export const bare = (u) => {
  try {
    u = new URL(u, location.href);
    return (u.origin + u.pathname).slice(0, 2048);
  } catch (e) {
    return '';
  }
};

/** The document's navigation entry (Navigation Timing level 2). */
export const navEntry = () => P.getEntriesByType('navigation')[0] || {};

/** When the page was activated: later than 0 only for a prerendered page. */
export const activation = () => navEntry().activationStart || 0;
