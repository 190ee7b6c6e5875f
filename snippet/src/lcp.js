// Largest Contentful Paint: the last candidate entry while the page was visible. The browser stops
// reporting candidates at the first input and buffers them, so the value is read from that buffer
// once it is final: at the first flush after an input (there is a first-input entry), or when the
// page view ends or is hidden. Nothing of ours runs on each candidate or on the page's clicks and keys.
//
// Attribution, as web-vitals' attribution build computes it: the element, the image's URL, and the
// four parts of the value: time to first byte, resource load delay (until the image's request
// started), resource load duration, element render delay (from the image loaded to its paint).
import { hook, END, FLUSH } from './hooks.js';
import { hiddenAt } from './lifecycle.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { P, activation, buffered, ms, navEntry, sel } from './util.js';

export const lcp = () => {
  const view = pv;
  const finish = (final) => {
    if (due('LCP', view) && (final || (buffered('first-input') || []).length)) {
      let last;
      (buffered('largest-contentful-paint') || []).forEach((e) => e.startTime < hiddenAt && (last = e));
      if (last) {
        const start = activation(),
          value = last.startTime - start,
          ttfb = Math.max(0, navEntry().responseStart - start),
          url = last.url,
          // The image's own resource entry, requested before it was painted.
          res = url && P.getEntriesByType('resource').filter((e) => e.name == url && (e.requestStart || e.startTime) <= last.startTime).pop(),
          requested = Math.max(ttfb, res ? (res.requestStart || res.startTime) - start : 0),
          loaded = Math.min(value, Math.max(requested, res ? res.responseEnd - start : 0));
        vital('LCP', value, view, {
          a: sel(last.element) || (last.id && '#' + last.id) || undefined,
          u: url.slice(0, 2048) || undefined,
          p: [ttfb, requested - ttfb, loaded - requested, value - loaded].map((x) => ms(x)),
        });
      }
    }
  };
  hook(FLUSH, () => finish());
  hook(END, (v) => v == view && finish(1));
};
