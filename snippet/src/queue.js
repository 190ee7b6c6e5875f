// The events of a page view, waiting in its queue for the next beacon.
import { pv } from './pageview.js';
import { ms, safe } from './util.js';

// Errors, API calls, resources and measures together; vitals always get through.
const CAP = 300;

/** The page's onVital callbacks. */
export const watchers = [];

/** Queues an event for the current page view, unless the view has reached its cap. */
export const push = (ev) => pv._n++ < CAP && pv._q.push(ev);

/**
 * Queues a Web Vital of `view` with its attribution (`x`: the beacon's `a`, `e`, `l`, `p`, `u`, `s`).
 * `last` undefined: a value final when first known, sent once. CLS and INP change over the whole page
 * life: at a hide (`last` false) the value is sent when it changed since the view's previous report, as
 * one that may still change (`r: 1`); when the view ends (`last` true) it is sent for good (`r: 2` after
 * such reports). The server keeps one value per view and metric (docs/snippet.md).
 */
export const vital = (name, value, view, x, last) => {
  const s = view._sent[name];
  if (!view._end && s !== true && (last !== false || s !== value)) {
    view._sent[name] = last === false ? value : true;
    const ev = { k: 'vital', n: name, v: name == 'CLS' ? Math.min(value, 100) : ms(value), r: last === false ? 1 : s != null ? 2 : undefined, ...x };
    view._q.push(ev);
    // The page's onVital callbacks get the event as the beacon carries it (docs/beacon.md).
    watchers.forEach((cb) => safe(cb)(ev));
  }
};

/** Whether `name` is still to be reported for `view`. */
export const due = (name, view) => !view._end && !view._sent[name];
