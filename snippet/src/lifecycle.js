// When beacons go: every `data-flush` seconds, when the page becomes hidden (the last moment that
// mobile browsers reliably give us) and on pagehide (the page view's final beacon). Also starts a
// new page view when the page comes back from the back/forward cache.
import { flush } from './beacon.js';
import { emit, END, START } from './hooks.js';
import { newPageView, pv } from './pageview.js';
import { vital } from './queue.js';
import { D, P, W, activation, now, on, safe } from './util.js';

/** When the page was first hidden (Infinity while it has not been): paints after it don't count. */
export let hiddenAt;

/** Ends the current page view's reporting: final metric values, then a beacon. */
export const end = (last) => {
  // Nothing is left to do once the final beacon went: leaving a page fires pagehide, then
  // visibilitychange (a page restored from the back/forward cache is a new page view).
  if (!pv._last) {
    emit(END);
    flush(last);
    pv._last = last;
  }
};

const raf = (fn) => requestAnimationFrame(safe(fn));

export const lifecycle = (flushMs) => {
  // Set here, not when the file is evaluated: only browsers that passed the entry's checks get here.
  // A prerendered page is hidden until it is shown (activated): only later hides count.
  hiddenAt =
    D.visibilityState == 'hidden'
      ? 0
      : (
          P.getEntriesByType('visibility-state').find((e) => e.name == 'hidden' && e.startTime >= activation()) || {
            startTime: 1 / 0,
          }
        ).startTime;
  on(D, 'visibilitychange', (e) => {
    if (D.visibilityState == 'hidden') {
      hiddenAt = Math.min(hiddenAt, e.timeStamp);
      end();
    }
  });
  on(W, 'pagehide', () => end(true));
  on(W, 'pageshow', (e) => {
    if (e.persisted) {
      // Restored from the back/forward cache: a new page view, whose paints are the first frame
      // after the restore (as web-vitals and CrUX count them).
      newPageView('restore', e.timeStamp, D.referrer);
      emit(START);
      const view = pv;
      vital('TTFB', 0, 0, view);
      raf(() =>
        raf(() => {
          const t = now() - e.timeStamp;
          vital('FCP', t, 0, view);
          vital('LCP', t, 0, view);
        }),
      );
    }
  });
  setInterval(safe(() => flush()), flushMs);
};
