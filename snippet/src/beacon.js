// Assembles a page view's queued events into beacons (format v1, see docs/beacon.md) and sends them,
// split so that none exceeds 64 KiB or 1,000 events.
import { config } from './config.js';
import { context } from './context.js';
import { emit, FLUSH } from './hooks.js';
import { navigation } from './navigation.js';
import { pv } from './pageview.js';
import { transmit } from './transport.js';
import { N, WEEK, ms, now } from './util.js';

const LIMIT = 65000; // bytes; browsers refuse unload requests over 64 KiB

const send = (view, ev, last) => {
  const beacon = {
    site: config._site,
    pv: view._id,
    url: view._url,
    seq: view._seq,
    last,
    ref: view._ref,
    rel: config._release,
    nt: view._nt,
    now: ms(now(), WEEK),
    st: ms(view._st, WEEK),
    wd: N.webdriver,
    // The first beacon of a page view makes its row in page_views; only a page load has timings.
    nav: view._seq ? undefined : view._st ? {} : navigation(),
    ctx: context(),
    ev,
    lb: view._lb,
    cd: config._custom,
    sr: config._rate,
  };
  const body = JSON.stringify(beacon);
  // A character takes at most 3 bytes in UTF-8: only a long body needs counting (a Blob costs more).
  if (ev.length > 1 && (ev.length > 1000 || (body.length * 3 > LIMIT && new Blob([body]).size > LIMIT))) {
    const half = ev.length >> 1;
    send(view, ev.slice(0, half), false);
    send(view, ev.slice(half), last);
  } else {
    view._seq++;
    if (config._debug) console.debug('rumhouse', beacon);
    transmit(config._endpoint, body);
  }
};

/**
 * Sends what `view` (default: the current page view) has queued; for the current one, the modules add
 * their pending values first. A page view's first beacon goes even without events (it carries the
 * navigation breakdown), and so does its last one (`last`), so the server can tell it arrived.
 */
export const flush = (view, last) => {
  view = view || pv;
  if (view == pv) emit(FLUSH);
  const q = view._q;
  if (!view._x && (q.length || last || !view._seq)) {
    view._q = [];
    send(view, q, !!last);
  }
};
