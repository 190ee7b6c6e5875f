// Cumulative Layout Shift, as the metric is defined: the largest session window of shifts not
// caused by input (a window ends after a 1 s gap or 5 s in all). Reported when the page view ends;
// a route change starts over.
import { hook, END, START } from './hooks.js';
import { pv } from './pageview.js';
import { vital } from './queue.js';
import { buffered, observe, sel } from './util.js';

export const cls = () => {
  let max, session, first, last, biggest, source;
  const reset = () => {
    max = session = 0;
    first = last = source = undefined;
  };
  const process = (entries) =>
    entries.forEach((e) => {
      if (!e.hadRecentInput) {
        if (session && e.startTime - last.startTime < 1000 && e.startTime - first.startTime < 5000) {
          session += e.value;
        } else {
          session = e.value;
          first = biggest = e;
        }
        last = e;
        if (e.value > biggest.value) biggest = e;
        if (session > max) {
          max = session;
          source = sel((biggest.sources[0] || {}).node);
        }
      }
    });
  const po = observe('layout-shift', process);
  if (po) {
    reset();
    hook(START, reset);
    hook(END, () => {
      process(po.takeRecords());
      // A page load left before its first contentful paint has no CLS (as in web-vitals); route changes
      // and restores have no paint entry of their own. (Not `pv._sent.FCP`: FCP is queued at the flush
      // that follows this.)
      if (pv._st || (buffered('paint') || []).some((e) => e.name == 'first-contentful-paint')) vital('CLS', max, source, pv);
    });
  }
};
