// Time to First Byte: the navigation's responseStart, relative to the page's activation. Read when
// the first beacon is assembled, not when the file is evaluated.
import { hook, FLUSH } from './hooks.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { activation, navEntry, now } from './util.js';

export const ttfb = () => {
  const view = pv;
  hook(FLUSH, () => {
    const t = due('TTFB', view) && navEntry().responseStart;
    // Some browsers report 0 or a time in the future (see web-vitals' getNavigationEntry).
    if (t > 0 && t < now()) vital('TTFB', t - activation(), view);
  });
};
