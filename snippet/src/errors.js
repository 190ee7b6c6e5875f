// Client errors: uncaught exceptions (`error`) and unhandled promise rejections. Identical errors
// still waiting in the queue are counted on one event; a page view reports at most 25 events.
import { pv } from './pageview.js';
import { push } from './queue.js';
import { hook, START } from './hooks.js';
import { W, ms, on, now } from './util.js';

const MAX = 25;

const trim = (stack) => stack && String(stack).split('\n').slice(0, 12).join('\n').slice(0, 4000);

export const errors = () => {
  let seen = {};
  let count = 0;
  // `error` is the thrown value: its stack is read only for an error not seen yet, since reading a stack
  // makes V8 format it (and find the source positions of every frame), the costly part of an error.
  const report = (m, src, line, col, error, t) => {
    const key = [m, src, line, col].join();
    const e = seen[key];
    if (e && pv._q.includes(e)) e.n++;
    else if (count++ < MAX)
      push((seen[key] = { k: 'error', m: String(m).slice(0, 1024), src: src && src.slice(0, 2048), line, col, stack: trim(error && error.stack), n: 1, t, ts: ms(now(), 6048e5) }));
  };
  hook(START, () => (seen = {}, count = 0));
  on(W, 'error', (e) => {
    // Failed resource loads also reach a capture listener; they are not script errors.
    if (e.message) report(e.message, e.filename, e.lineno, e.colno, e.error, 'error');
  });
  on(W, 'unhandledrejection', (e) => {
    const r = e.reason;
    report(r instanceof Error ? r.name + ': ' + r.message : r, '', 0, 0, r, 'rejection');
  });
};
