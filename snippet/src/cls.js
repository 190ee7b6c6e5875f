// Cumulative Layout Shift, as the metric is defined: the largest session window of shifts not
// caused by input (a window ends after a 1 s gap or 5 s in all), over the page view's whole life.
// Reported at every hide when it changed, and when the page view ends. Each shift belongs to the page
// view it happened in (a route change starts over). Attribution, as web-vitals' attribution build: the
// largest shift of that window, its element, score, time and the document's loading state then.
import { hook, END } from './hooks.js';
import { hiddenAt, viewAt } from './lifecycle.js';
import { vital } from './queue.js';
import { P, WEEK, loadState, ms, observe, sel } from './util.js';

export const cls = () => {
  const add = (e) => {
    const view = viewAt(e.startTime);
    if (view && !e.hadRecentInput) {
      // _m: the largest window's sum, _s: the current window's, _f/_l: its first and last shift, _b: its
      // largest and _n that one's element, _w: the largest window's largest shift and _a its element.
      const c = view._c || (view._c = { _m: 0, _s: 0 });
      if (c._s && e.startTime - c._l.startTime < 1000 && e.startTime - c._f.startTime < 5000) {
        c._s += e.value;
      } else {
        c._s = e.value;
        c._f = c._b = e;
      }
      c._l = e;
      // A later shift of the same score wins, as in web-vitals; its element is named now, while it is
      // in the page (_n).
      if (e.value >= c._b.value) {
        c._b = e;
        c._n = sel((e.sources.find((s) => s.node && s.node.nodeType == 1) || e.sources[0] || {}).node);
      }
      if (c._s > c._m) {
        c._m = c._s;
        c._w = c._b;
        c._a = c._n;
      }
    }
  };
  const po = observe('layout-shift', (entries) => entries.forEach(add));
  if (po)
    hook(END, (view, last) => {
      po.takeRecords().forEach(add);
      const c = view._c || {},
        w = c._w;
      // Not for a page load that was not painted while visible (left before its first paint, or opened
      // in a background tab), as in web-vitals, which reports CLS only after FCP. Route changes and
      // restores have no paint entry of their own.
      if (view._st || P.getEntriesByName('first-contentful-paint').some((e) => e.startTime < hiddenAt))
        vital('CLS', c._m || 0, view, w && { a: c._a || undefined, p: [w.value, ms(w.startTime - view._st, WEEK)], l: loadState(w.startTime) }, last);
    });
};
