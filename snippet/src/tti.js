// Time to Interactive, approximated after Lighthouse's definition: the end of the last long task
// (50 ms or more, from the Long Tasks API) before the first 5 s window without long tasks that
// starts after First Contentful Paint; FCP itself when no long task follows it. Unlike Lighthouse,
// network quiet (at most two requests in flight) is not required: a page cannot observe it cheaply.
// Not sent when the page view ends before such a window has passed.
import { pv } from './pageview.js';
import { vital } from './queue.js';
import { P, now, observe, safe } from './util.js';

const QUIET = 5000;

export const tti = () => {
  const view = pv;
  const tasks = [];
  const po = observe('longtask', (entries) => entries.forEach((e) => tasks.push(e)));
  const check = safe(() => {
    const paint = P.getEntriesByName('first-contentful-paint')[0];
    let t = paint && paint.startTime;
    if (t) {
      po.takeRecords().forEach((e) => tasks.push(e));
      tasks
        .sort((a, b) => a.startTime - b.startTime)
        .forEach((e) => {
          if (e.startTime < t + QUIET && e.startTime + e.duration > t) t = e.startTime + e.duration;
        });
      if (now() > t + QUIET) return vital('TTI', t, 0, view), po.disconnect();
    }
    // A route change ends the page load: no TTI then.
    view == pv ? setTimeout(check, t ? t + QUIET - now() + 50 : QUIET) : po.disconnect();
  });
  if (po) check();
};
