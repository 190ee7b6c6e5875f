// First Contentful Paint, as web-vitals measures it: the paint entry's start, relative to the
// page's activation, counted only if the page was visible then. Read from the browser's buffer when
// a beacon is assembled: nothing of ours runs while the page paints. Attribution: the time to first
// byte (the rest is from first byte to paint) and the document's loading state then.
//
// Time to First Byte, beside it: the navigation's responseStart, relative to the page's activation,
// read when the first beacon is assembled (vital() sends each once).
import { hook, FLUSH } from './hooks.js';
import { hiddenAt } from './lifecycle.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { P, activation, loadState, ms, navEntry, now } from './util.js';

export const fcp = () => {
  const view = pv;
  hook(FLUSH, () => {
    const a = activation(),
      t = navEntry().responseStart;
    // Some browsers report 0 or a time in the future (see web-vitals' getNavigationEntry).
    t > 0 && t < now() && vital('TTFB', t - a, view);
    due('FCP', view) &&
      P.getEntriesByName('first-contentful-paint').forEach(
        (e) => e.startTime < hiddenAt && vital('FCP', e.startTime - a, view, { p: [ms(t - a)], l: loadState(e.startTime) }),
      );
  });
};
