// First Contentful Paint, as web-vitals measures it: the paint entry's start, relative to the
// page's activation, counted only if the page was visible then.
import { hook, END } from './hooks.js';
import { hiddenAt } from './lifecycle.js';
import { pv } from './pageview.js';
import { vital } from './queue.js';
import { activation, observe } from './util.js';

export const fcp = () => {
  const view = pv;
  const handle = (entries) =>
    entries.forEach(
      (e) => e.name == 'first-contentful-paint' && e.startTime < hiddenAt && vital('FCP', e.startTime - activation(), 0, view),
    );
  const po = observe('paint', handle);
  // An entry not yet delivered when the page view ends is still taken.
  if (po) hook(END, () => handle(po.takeRecords()));
};
