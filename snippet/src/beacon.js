// Assembles the queued events of the current page view into beacons (format v1, see
// docs/beacon.md) and sends them, split so that none exceeds 64 KiB or 1,000 events.
import { config } from './config.js';
import { context } from './context.js';
import { emit, FLUSH } from './hooks.js';
import { navigation } from './navigation.js';
import { pv } from './pageview.js';
import { queue, take } from './queue.js';
import { transmit } from './transport.js';
import { N, ms, now } from './util.js';

const LIMIT = 65000; // bytes; browsers refuse unload requests over 64 KiB
const WEEK = 6048e5;

const send = (ev, last) => {
  const beacon = {
    site: config._site,
    pv: pv._id,
    url: pv._url,
    seq: pv._seq,
    last,
    ref: pv._ref,
    rel: config._release,
    nt: pv._nt,
    now: ms(now(), WEEK),
    st: ms(pv._st, WEEK),
    wd: !!N.webdriver,
    // The first beacon of a page view makes its row in page_views; only a page load has timings.
    nav: pv._seq ? undefined : pv._st ? {} : navigation(),
    ctx: context(),
    ev,
  };
  const body = JSON.stringify(beacon);
  // A character takes at most 3 bytes in UTF-8: only a long body needs counting (a Blob costs more).
  if (ev.length > 1 && (ev.length > 1000 || (body.length * 3 > LIMIT && new Blob([body]).size > LIMIT))) {
    const half = ev.length >> 1;
    send(ev.slice(0, half), false);
    send(ev.slice(half), last);
  } else {
    pv._seq++;
    transmit(config._endpoint, body);
  }
};

/**
 * Sends what is queued. A page view's first beacon goes even without events (it carries the
 * navigation breakdown), and so does its last one (`last`), so the server can tell it arrived.
 */
export const flush = (last) => {
  emit(FLUSH);
  if (queue.length || last || !pv._seq) send(take(), !!last);
};
