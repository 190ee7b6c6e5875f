// First Input Delay: from the first input's start until its handlers could run.
import { pv } from './pageview.js';
import { vital } from './queue.js';
import { observe } from './util.js';

export const fid = () => {
  const view = pv;
  observe('first-input', (entries) =>
    entries.forEach((e) => vital('FID', e.processingStart - e.startTime, e.name, view)),
  );
};
