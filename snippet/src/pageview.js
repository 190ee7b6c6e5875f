// The current page view. A page load starts one; a single-page-app route change and a
// back/forward-cache restore each start another, with its own id. Each view keeps its own queue of
// events, so that a view that ends a little after the next one started (see lifecycle.js, `hold`)
// still sends what is its own.
import { D, navEntry, activation, count } from './util.js';

/** The current page view (read it live: modules keep a reference to tell whether it changed). */
export let pv;

/** Starts a page view. `nt` is its navigation type, `st` when it started (performance.now()). */
export const newPageView = (nt, st, ref) => {
  pv = {
    // Random per page view: a timestamp and random digits, never anything about the person.
    _id: Date.now().toString(36) + Math.random().toString(36).slice(2, 10),
    _url: location.href.slice(0, 2048),
    _path: location.pathname,
    _ref: ref && ref.slice(0, 2048),
    _nt: nt,
    _st: st,
    _seq: 0,
    _q: [], // events waiting for the next beacon
    _sent: {}, // vitals reported: true once final, the value after a report that may change
    _n: 0, // events queued, against the per-view cap
    // Interactions before this view: a page load counts all of them (as web-vitals does).
    _ic: st && count(),
    // _et: when a later view took over (entries after it are not this view's); _ie: interactions then;
    // _end: the final beacon went.
  };
};

/** The navigation type of the page load, in the beacon's terms. */
export const loadType = () => {
  const t = navEntry().type;
  return D.prerendering || activation() > 0
    ? 'prerender'
    : /^(reload|back_forward)$/.test(t)
      ? t
      : 'navigate';
};
