// Time to Interactive, approximated after Lighthouse's definition: the end of the last long task
// (50 ms or more, from the Long Tasks API) before the first 5 s window without long tasks that
// starts after First Contentful Paint; FCP itself when no long task follows it. Unlike Lighthouse,
// network quiet (at most two requests in flight) is not required: a page cannot observe it cheaply.
// Checked when a beacon is assembled, from the browser's buffers (up to 200 long tasks): sent by
// the first flush after such a window, not at all when the page view ends before one has passed.
//
// Total Blocking Time, sent with it: what the long tasks between FCP and TTI blocked the main thread
// beyond 50 ms each (the part of a task before FCP does not count), as Lighthouse defines it.
import { hook, FLUSH } from './hooks.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { P, activation, buffered, now } from './util.js';

const QUIET = 5000;

export const tti = () => {
  const view = pv;
  hook(FLUSH, () => {
    const tasks = due('TTI', view) && buffered('longtask');
    const paint = tasks && P.getEntriesByName('first-contentful-paint')[0];
    const fcp = paint && paint.startTime;
    let t = fcp,
      blocked = 0;
    if (t) {
      tasks
        .sort((a, b) => a.startTime - b.startTime)
        .forEach((e) => {
          const end = e.startTime + e.duration;
          if (e.startTime < t + QUIET && end > t) {
            t = end;
            blocked += Math.max(0, end - Math.max(e.startTime, fcp) - 50);
          }
        });
      if (now() > t + QUIET) {
        vital('TTI', t - activation(), view);
        vital('TBT', blocked, view);
      }
    }
  });
};
