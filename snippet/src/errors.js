// Client errors: uncaught exceptions (`error`), unhandled promise rejections, and errors the page
// passes to rumhouse.error(). Identical errors still waiting in the queue are counted on one event; a
// page view reports at most 25 events. Those the inline stub caught before rum.js ran come through
// `early`, with the time they happened.
import { early, hook, START } from './hooks.js';
import { pv } from './pageview.js';
import { push } from './queue.js';
import { W, WEEK, ms, on, now } from './util.js';

const MAX = 25;

// Bounded here, cut to its first 12 frames by the server (ingest/rows.py).
const trim = (stack) => stack && String(stack).slice(0, 4000);

let seen = {};
let count = 0;

/**
 * Queues an error. `error` is the thrown value: its stack is read only for an error not seen yet, since
 * reading a stack makes V8 format it (and find the source positions of every frame), the costly part.
 */
export const report = (m, src, line, col, error, t, at) => {
  const key = [m, src, line, col].join();
  const e = seen[key];
  if (e && pv._q.includes(e)) e.n++;
  else if (count++ < MAX)
    push((seen[key] = { k: 'error', m: String(m).slice(0, 1024), src: src && src.slice(0, 2048), line, col, stack: trim(error && error.stack), n: 1, t, ts: ms(at || now(), WEEK) }));
};

export const errors = () => {
  hook(START, () => ((seen = {}), (count = 0)));
  // Failed resource loads also reach a capture listener; they are not script errors.
  const error = (e) => e.message && report(e.message, e.filename, e.lineno, e.colno, e.error, 'error', e.timeStamp);
  const rejection = (e) => {
    const r = e.reason;
    report(r instanceof Error ? r.name + ': ' + r.message : r, '', 0, 0, r, 'rejection', e.timeStamp);
  };
  on(W, 'error', (early.e = error));
  on(W, 'unhandledrejection', (early.r = rejection));
};
