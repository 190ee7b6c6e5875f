// The current page view. A page load starts one; a single-page-app route change and a
// back/forward-cache restore each start another, with its own id. Each view keeps its own queue of
// events, so that a view that ends a little after the next one started (see lifecycle.js, `hold`)
// still sends what is its own.
import { config } from './config.js';
import { count } from './util.js';

/**
 * The route: the path, or with data-routes="hash" the path and the fragment's route (`/app/#/users/1`
 * is `/app/users/1`), which is what the server stores as the page's path.
 */
export const route = () =>
  config._hash ? location.pathname.replace(/\/$/, '') + location.hash.slice(1).split('?')[0].replace(/^\/?/, '/') : location.pathname;

/** Whether data-exclude names `path`: exactly, or as a prefix before a final `*`. */
const excluded = (path) => (config._exclude || []).some((p) => (p.slice(-1) == '*' ? !path.indexOf(p.slice(0, -1)) : path == p));

/** The current page view (read it live: modules keep a reference to tell whether it changed). */
export let pv;

/** Starts a page view. `nt` is its navigation type, `st` when it started (performance.now()). */
export const newPageView = (nt, st, ref) => {
  pv = {
    // Random per page view: a timestamp and random digits, never anything about the person.
    _id: Date.now().toString(36) + Math.random().toString(36).slice(2, 10),
    _url: (config._hash ? location.origin + route() + location.search : location.href).slice(0, 2048),
    _href: location.href, // as the browser names it (soft.js)
    _path: route(),
    _x: excluded(route()), // data-exclude: this view sends nothing
    _ref: ref && ref.slice(0, 2048),
    _nt: nt,
    _st: st,
    _seq: 0,
    _q: [], // events waiting for the next beacon
    _sent: {}, // vitals reported: true once final, the value after a report that may change
    _n: 0, // events queued, against the per-view cap
    // Interactions before this view: a page load counts all of them (as web-vitals does).
    _ic: st && count(),
    // _lb: its label (rumhouse.label); _et: when a later view took over (entries after it are not this view's); _ie: interactions then;
    // _end: the final beacon went.
  };
};
