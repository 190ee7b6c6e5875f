// Largest Contentful Paint: the last candidate entry, final at the first trusted input
// (keydown or click: the browser stops reporting candidates then) or when the page is hidden.
import { hook, END } from './hooks.js';
import { hiddenAt } from './lifecycle.js';
import { pv } from './pageview.js';
import { vital } from './queue.js';
import { W, activation, observe, on, sel } from './util.js';

export const lcp = () => {
  const view = pv;
  let value, element, done;
  const process = (entries) =>
    entries.forEach((e) => {
      if (e.startTime < hiddenAt) {
        value = e.startTime - activation();
        element = sel(e.element);
      }
    });
  const po = observe('largest-contentful-paint', process);
  const finish = (e) => {
    if (po && !done && (!e || e.isTrusted)) {
      done = 1;
      process(po.takeRecords());
      po.disconnect();
      if (value >= 0) vital('LCP', value, element, view);
    }
  };
  on(W, 'keydown', finish);
  on(W, 'click', finish);
  hook(END, () => finish());
};
