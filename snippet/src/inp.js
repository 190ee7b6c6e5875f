// Interaction to Next Paint, as defined by Chrome and web-vitals: from Event Timing entries
// grouped by interactionId (an interaction's latency is its longest entry), the interaction at
// the 98th percentile, estimated as the (n/50)th longest of the page view's n interactions: the
// longest one when there are fewer than 50. Only entries of 40 ms or more are observed (plus the
// first input, read from the browser's buffer at the end), so the ten longest are always known and
// the observer's callback runs for slow interactions only. Reported when the page view ends.
import { hook, END, START } from './hooks.js';
import { pv } from './pageview.js';
import { vital } from './queue.js';
import { P, buffered, observe, sel } from './util.js';

const count = () => P.interactionCount || 0;

export const inp = () => {
  let longest, byId, base;
  const reset = () => {
    longest = [];
    byId = {};
    base = count();
  };
  const process = (entries) =>
    entries.forEach((e) => {
      const id = e.interactionId;
      if (id) {
        let i = byId[id];
        if (!i) longest.push((i = byId[id] = { _id: id, _d: 0 }));
        if (e.duration > i._d) {
          i._d = e.duration;
          i._a = e.name + ' ' + sel(e.target);
        }
        longest.sort((a, b) => b._d - a._d);
        longest.splice(10).forEach((x) => delete byId[x._id]);
      }
    });
  const po = observe('event', process, { durationThreshold: 40 });
  if (po && 'interactionId' in PerformanceEventTiming.prototype) {
    reset();
    hook(START, reset);
    hook(END, () => {
      process(po.takeRecords());
      // The first input, if it ended in this page view: an input whose handler changed the route
      // belongs to the new one (as with the event entries, delivered after its paint), one before a
      // restore does not.
      process((buffered('first-input') || []).filter((e) => e.startTime + e.duration >= pv._st));
      const n = count() - base;
      const i = longest[Math.min(longest.length - 1, (n / 50) | 0)];
      // Interactions counted but none of 40 ms or more seen (only possible without a first-input entry,
      // after a restore or a route change): web-vitals reports 8 ms, the Event Timing granularity.
      if (i || n) vital('INP', i ? i._d : 8, i && i._a, pv);
    });
  }
};
