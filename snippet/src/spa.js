// Single-page apps: a history route change (a new path through pushState, replaceState or
// popstate) ends the current page view with its final beacon and starts a new one ("soft"), so that
// what happens after the change belongs to the new route.
import { emit, START } from './hooks.js';
import { end } from './lifecycle.js';
import { newPageView, pv } from './pageview.js';
import { W, now, on, safe } from './util.js';

export const spa = () => {
  const route = safe(() => {
    if (location.pathname != pv._path) {
      const from = pv._url;
      end(true);
      newPageView('soft', now(), from);
      emit(START);
    }
  });
  const history = W.history;
  ['pushState', 'replaceState'].forEach((name) => {
    const original = history[name];
    history[name] = function () {
      const result = original.apply(this, arguments);
      route();
      return result;
    };
  });
  on(W, 'popstate', route);
};
