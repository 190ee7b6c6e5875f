// Largest Contentful Paint: the last candidate entry while the page was visible. The browser stops
// reporting candidates at the first input and buffers them, so the value is read from that buffer
// once it is final: at the first flush after an input (there is a first-input entry), or when the
// page view ends. Nothing of ours runs on each candidate or on the page's clicks and keys.
import { hook, END, FLUSH } from './hooks.js';
import { hiddenAt } from './lifecycle.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { activation, buffered, sel } from './util.js';

export const lcp = () => {
  const view = pv;
  const finish = (final) => {
    if (due('LCP', view) && (final || (buffered('first-input') || []).length)) {
      let last;
      (buffered('largest-contentful-paint') || []).forEach((e) => e.startTime < hiddenAt && (last = e));
      if (last) vital('LCP', last.startTime - activation(), sel(last.element), view);
    }
  };
  hook(FLUSH, () => finish());
  hook(END, () => finish(1));
};
