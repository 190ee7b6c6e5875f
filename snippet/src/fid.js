// First Input Delay: from the first input's start until its handlers could run. The browser keeps
// the entry; it is read when a beacon is assembled. Attribution: the input's target and event type.
import { hook, FLUSH } from './hooks.js';
import { pv } from './pageview.js';
import { due, vital } from './queue.js';
import { buffered, sel } from './util.js';

export const fid = () => {
  const view = pv;
  hook(FLUSH, () =>
    due('FID', view) &&
    (buffered('first-input') || []).forEach((e) => vital('FID', e.processingStart - e.startTime, view, { a: sel(e.target) || undefined, e: e.name })),
  );
};
