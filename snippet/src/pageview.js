// The current page view. A page load starts one; a single-page-app route change and a
// back/forward-cache restore each start another, with its own id.
import { D, navEntry, activation } from './util.js';

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
    _sent: {}, // vitals already reported
    _n: 0, // events queued, against the per-view cap
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
