// Time to First Byte: the navigation's responseStart, relative to the page's activation.
import { pv } from './pageview.js';
import { vital } from './queue.js';
import { activation, navEntry, now } from './util.js';

export const ttfb = () => {
  const t = navEntry().responseStart;
  // Some browsers report 0 or a time in the future (see web-vitals' getNavigationEntry).
  if (t > 0 && t < now()) vital('TTFB', t - activation(), 0, pv);
};
