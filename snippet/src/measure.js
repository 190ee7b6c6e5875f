// The public API for custom measures: rumhouse.measure("checkout", ms, {step: "pay"}).
import { pv } from './pageview.js';
import { push } from './queue.js';
import { WEEK, ms, now } from './util.js';

/** Records a custom measure (a finite number within ±1e12) with up to 10 string tags. */
export const measure = (name, value, tags) => {
  if (pv && name && Math.abs(value) <= 1e12) {
    const t = {};
    Object.keys(tags || {})
      .slice(0, 10)
      .forEach((k) => (t[k.slice(0, 64)] = String(tags[k]).slice(0, 256)));
    push({ k: 'measure', n: String(name).slice(0, 64), v: +value, tags: t, ts: ms(now(), WEEK) });
  }
};
