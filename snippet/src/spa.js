// Single-page apps: a history route change (a new path through pushState, replaceState or popstate;
// with data-routes="hash" also a new route in the fragment) starts a new page view ("soft"), so that
// what happens after the change belongs to the new route, and ends the old one with its final beacon
// once the interaction that changed the route has been measured (lifecycle.js, `hold`).
import { emit, FLUSH, START } from './hooks.js';
import { hold } from './lifecycle.js';
import { newPageView, pv, route } from './pageview.js';
import { W, now, on, safe } from './util.js';

export const spa = () => {
  const change = safe(() => {
    if (route() != pv._path) {
      const old = pv;
      // What the old view loaded until now goes with it.
      emit(FLUSH);
      newPageView('soft', now(), old._url);
      old._et = pv._st;
      old._ie = pv._ic;
      emit(START);
      hold(old);
    }
  });
  const history = W.history;
  ['pushState', 'replaceState'].forEach((name) => {
    const original = history[name];
    history[name] = function () {
      const result = original.apply(this, arguments);
      change();
      return result;
    };
  });
  on(W, 'popstate', change);
  on(W, 'hashchange', change);
};
