// First Contentful Paint, as web-vitals measures it: the paint entry's start, relative to the
// page's activation, counted only if the page was visible then. Read from the browser's buffer when
// a beacon is assembled: nothing of ours runs while the page paints. Attribution: the time to first
// byte (the rest is from first byte to paint) and the document's loading state then.
import { hook, FLUSH } from './hooks.js';
import { hiddenAt } from './lifecycle.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { P, activation, loadState, ms, navEntry } from './util.js';

export const fcp = () => {
  const view = pv;
  hook(FLUSH, () =>
    due('FCP', view) &&
    P.getEntriesByName('first-contentful-paint').forEach(
      (e) =>
        e.startTime < hiddenAt &&
        vital('FCP', e.startTime - activation(), view, { p: [ms(navEntry().responseStart - activation())], l: loadState(e.startTime) }),
    ),
  );
};
