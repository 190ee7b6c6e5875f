// Largest Contentful Paint: the last candidate entry while the page was visible. The browser stops
// reporting candidates at the first input and buffers them, so the value is read from that buffer
// once it is final: at the first flush after an input (there is a first-input entry), or when the
// page view ends or is hidden. Nothing of ours runs on each candidate or on the page's clicks and keys.
// A route change's LCP comes from the Soft Navigations API (soft.js), through `lcpVital`.
//
// Attribution, as web-vitals' attribution build computes it: the element, the image's URL, and the
// four parts of the value: time to first byte, resource load delay (until the image's request
// started), resource load duration, element render delay (from the image loaded to its paint).
import { hook, END, FLUSH } from './hooks.js';
import { hiddenAt } from './lifecycle.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { P, activation, buffered, ms, navEntry, sel } from './util.js';

/**
 * Queues the LCP of `view` from its largest paint `e` (painted at `at`), measured from `start`, with
 * the first byte at `ttfb` after it.
 */
export const lcpVital = (view, e, at, start, ttfb) => {
  const value = at - start,
    url = e.url,
    // The image's own resource entry, requested before it was painted.
    res = url && P.getEntriesByType('resource').filter((r) => r.name == url && (r.requestStart || r.startTime) <= at).pop(),
    requested = Math.max(ttfb, res ? (res.requestStart || res.startTime) - start : 0),
    loaded = Math.min(value, Math.max(requested, res ? res.responseEnd - start : 0));
  vital('LCP', value, view, {
    a: sel(e.element) || (e.id && '#' + e.id) || undefined,
    u: url.slice(0, 2048) || undefined,
    p: [ttfb, requested - ttfb, loaded - requested, value - loaded].map((x) => ms(x)),
  });
};

export const lcp = () => {
  const view = pv;
  const finish = (final) => {
    if (due('LCP', view) && (final || P.getEntriesByType('first-input').length)) {
      let last;
      (buffered('largest-contentful-paint') || []).forEach((e) => e.startTime < hiddenAt && (last = e));
      const start = activation();
      last && lcpVital(view, last, last.startTime, start, Math.max(0, navEntry().responseStart - start));
    }
  };
  hook(FLUSH, () => finish());
  hook(END, (v) => v == view && finish(1));
};
