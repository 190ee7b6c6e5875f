// Interaction to Next Paint, as defined by Chrome and web-vitals: from Event Timing entries
// grouped by interactionId (an interaction's latency is its longest entry), the interaction at
// the 98th percentile, estimated as the (n/50)th longest of the page view's n interactions: the
// longest one when there are fewer than 50. Only entries of 40 ms or more are observed (plus the
// first input, read from the browser's buffer), so the ten longest are always known and the
// observer's callback runs for slow interactions only. Over the page view's whole life: reported at
// every hide when it changed, and when the page view ends; an interaction belongs to the page view it
// started in, so the one whose handler changed the route is the old route's (lifecycle.js, `hold`).
//
// Attribution, as web-vitals' attribution build computes it: the target and event type; the input
// delay, processing and presentation delay, from the entries painted in the same frame (within 8 ms);
// the longest script that ran during the interaction (Long Animation Frames API); the loading state.
import { hook, END } from './hooks.js';
import { held, release, viewAt } from './lifecycle.js';
import { vital } from './queue.js';
import { P, buffered, count, loadState, observe, safe, sel } from './util.js';

export const inp = () => {
  const process = (entries) =>
    entries.forEach((e) => {
      const id = e.interactionId,
        view = viewAt(e.startTime);
      if (id && view) {
        // The view's ten longest interactions, longest first.
        const s = (view._i = view._i || []);
        let i = s.find((x) => x._id == id);
        if (!i) s.push((i = { _id: id, _d: 0, _e: 0 }));
        const end = e.startTime + e.duration;
        if (e.duration > i._d) {
          // A longer entry painted in another frame: the handlers of its frame count, not the earlier one's.
          if (Math.abs(end - i._r) > 8) i._p = i._e = 0;
          i._d = e.duration;
          i._x = e;
          i._r = end;
        }
        // The first handler's start and the last one's end, of the entries painted in the same frame
        // (within 8 ms) as the interaction's longest one.
        if (Math.abs(end - i._r) <= 8) {
          i._p = i._p ? Math.min(i._p, e.processingStart) : e.processingStart;
          i._e = Math.max(i._e, e.processingEnd);
        }
        // Named once, while the element is in the page (web-vitals too).
        i._t = i._t || sel(e.target);
        s.sort((a, b) => b._d - a._d).splice(10);
        // The interaction that changed the route has been painted: the old view can end (after this).
        if (view == held && end >= held._et) setTimeout(safe(release));
      }
    });
  // The longest script of the animation frames during the interaction, from `start` to the end of its
  // handlers: [source URL, function, invoker, how long it ran within that time].
  const script = (start, to) => {
    let found,
      longest = 0;
    (buffered('long-animation-frame') || []).forEach(
      (f) =>
        f.startTime + f.duration >= start &&
        f.startTime <= to &&
        f.scripts.forEach((s) => {
          const d = s.startTime + s.duration - Math.max(start, s.startTime);
          if (d > longest) {
            longest = d;
            found = [s.sourceURL.slice(0, 2048), s.sourceFunctionName.slice(0, 256), s.invoker.slice(0, 256), Math.round(d)];
          }
        }),
    );
    return found;
  };
  const po = observe('event', process, { durationThreshold: 40 });
  if (po && 'interactionId' in PerformanceEventTiming.prototype)
    hook(END, (view, last) => {
      process(po.takeRecords());
      process(P.getEntriesByType('first-input'));
      const s = view._i || [],
        n = (view._ie || count()) - view._ic,
        i = s[Math.min(s.length - 1, (n / 50) | 0)];
      let x;
      if (i) {
        // When the handlers started (not before the input) and ended (not after the paint), and the paint.
        const e = i._x,
          t = e.startTime,
          p = Math.max(i._p, t),
          paint = Math.max(t + e.duration, p),
          done = Math.min(i._e, paint);
        x = { a: i._t || undefined, e: e.name, l: loadState(t), p: [p - t, done - p, paint - done].map(Math.round), s: script(t, done) };
      }
      // Interactions counted but none of 40 ms or more seen (only possible without a first-input entry,
      // after a restore or a route change): web-vitals reports 8 ms, the Event Timing granularity.
      if (i || n) vital('INP', i ? i._d : 8, view, x, last);
    });
};
