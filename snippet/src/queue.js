// The events of the current page view, waiting for the next beacon.
import { pv } from './pageview.js';
import { ms } from './util.js';

// Errors, API calls, resources and measures together; vitals always get through.
const CAP = 300;

export let queue = [];

/** Queues an event for the current page view, unless the view has reached its cap. */
export const push = (ev) => pv._n++ < CAP && queue.push(ev);

/** Queues a Web Vital once per page view: only for `view`, and only the first report of `name`. */
export const vital = (name, value, attribution, view) => {
  if (view == pv && !pv._sent[name]) {
    pv._sent[name] = 1;
    queue.push({ k: 'vital', n: name, v: name == 'CLS' ? Math.min(value, 100) : ms(value), a: attribution || undefined });
  }
};

/** Whether `name` is still to be reported for `view` (and `view` is still the current page view). */
export const due = (name, view) => view == pv && !pv._sent[name];

/** Empties the queue and returns what it held. */
export const take = () => {
  const q = queue;
  queue = [];
  return q;
};
