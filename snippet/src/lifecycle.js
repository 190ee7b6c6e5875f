// When beacons go: every `data-flush` seconds, when the page becomes hidden (the last moment that
// mobile browsers reliably give us) and on pagehide (the page view's final beacon). Also starts a
// new page view when the page comes back from the back/forward cache, and ends a page view that a
// route change replaced (`hold`).
import { flush } from './beacon.js';
import { emit, END, START } from './hooks.js';
import { newPageView, pv } from './pageview.js';
import { vital } from './queue.js';
import { D, P, W, activation, now, on, safe } from './util.js';

/** When the page was first hidden (Infinity while it has not been): paints after it don't count. */
export let hiddenAt;

/**
 * A page view that a route change replaced but that has not ended yet: the interaction that changed the
 * route is still its own (as in web-vitals), and its latency is known only once the browser painted.
 */
export let held;

/**
 * Reports `view`'s values and sends its queue: at a hide (`last` falsy) what it has so far, when it
 * ends (`last`) its final beacon. Nothing is sent for a view after its final beacon (leaving a page
 * fires pagehide, then visibilitychange; a restored page is a new page view).
 */
export const end = (view, last) => {
  if (!view._end) {
    emit(END, view, !!last);
    flush(view, last);
    view._end = last;
  }
};

/** Ends the held page view, if any. */
export const release = () => {
  const view = held;
  if (view) {
    end(view, 1);
    held = 0;
  }
};

const raf = (fn) => requestAnimationFrame(safe(fn));

/**
 * Holds `view`, just replaced by a route change, until the browser reports an interaction that spans
 * the change (inp.js releases it), or half a second after the next paint, or the page is hidden.
 */
export const hold = (view) => {
  release();
  held = view;
  raf(() => setTimeout(safe(() => held == view && release()), 500));
};

/** The page view an entry that started at `t` belongs to: the current one, or the held one before it. */
export const viewAt = (t) => (t >= pv._st ? pv : held && t >= held._st ? held : 0);

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
      release();
      end(pv);
    }
  });
  on(W, 'pagehide', () => {
    release();
    end(pv, 1);
  });
  on(W, 'pageshow', (e) => {
    if (e.persisted) {
      // Restored from the back/forward cache: a new page view, whose paints are the first frame
      // after the restore (as web-vitals and CrUX count them).
      newPageView('restore', e.timeStamp, D.referrer);
      emit(START);
      const view = pv;
      vital('TTFB', 0, view);
      raf(() =>
        raf(() => {
          const t = now() - e.timeStamp;
          vital('FCP', t, view);
          vital('LCP', t, view);
        }),
      );
    }
  });
  setInterval(safe(() => flush()), flushMs);
};
