// A tiny event bus that lets the metric modules take part in a page view's life without the
// entry file knowing about each of them.

/**
 * A page view is hidden (`last` false) or ends (`last` true: left, or replaced by a route change):
 * report its values. Handlers get the view and `last`.
 */
export const END = 0;
/** A new page view started (route change or back/forward-cache restore): reset per-view state. */
export const START = 1;
/** A beacon is about to be assembled: add pending summaries to the queue. */
export const FLUSH = 2;

const hooks = [[], [], []];

export const hook = (name, fn) => hooks[name].push(fn);

export const emit = (name, a, b) =>
  hooks[name].forEach((fn) => {
    try {
      fn(a, b);
    } catch (e) {}
  });

/** What the inline stub captured before rum.js ran, by kind (e error, r rejection, a API call): each
 * module handles its own (index.js, `takeOver`). */
export const early = {};
