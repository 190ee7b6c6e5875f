// The paints of a route change, where the browser has the Soft Navigations API (Chrome): it reports a
// soft navigation once a route change made by an interaction has painted new content, measured from
// that interaction. As web-vitals (`reportSoftNavs`): FCP is its first paint after the interaction,
// and LCP the largest contentful paint of that interaction, final at the next input or at the first
// hide (the browser paints nothing while the page is hidden). Without
// the API, route changes have no FCP or LCP (docs/snippet.md); their CLS and INP are measured either
// way. TTFB is not sent for route changes (web-vitals reports 0).
import { hook, END, FLUSH } from './hooks.js';
import { lcpVital } from './lcp.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { W, buffered, count, observe } from './util.js';

export const soft = () => {
  const finish = (view, final) => {
    const nav = view._sn;
    if (nav && due('LCP', view) && (final || count() > view._ic)) {
      let last;
      (buffered('interaction-contentful-paint') || []).forEach(
        (e) => e.interactionId == nav.interactionId && (e = e.largestContentfulPaint) && (last = e),
      );
      last && lcpVital(view, last, last.renderTime, nav.startTime, 0);
    }
  };
  if (W.PerformanceSoftNavigation) {
    observe('soft-navigation', (entries) =>
      entries.forEach((e) => {
        // The route change this page view started with (the browser tells it after the paint).
        if (pv._nt == 'soft' && !pv._sn && e.name == pv._href) {
          pv._sn = e;
          vital('FCP', (e.presentationTime || e.paintTime) - e.startTime, pv);
        }
      }),
    );
    hook(FLUSH, () => finish(pv));
    hook(END, finish);
  }
};
