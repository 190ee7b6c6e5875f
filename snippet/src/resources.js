// Resources, summarized per page view by initiator, file extension and host (the server tells the
// type from the first two: ingest/rows.py): count, bytes, cache hits, durations and the slowest one.
// Summaries go with each beacon (so a page view may have several rows per type and host: sum them).
// The server stores hosts as names without the port, as the page's host is stored, and counts a
// resource as third party when its host name differs from the page's.
//
// Read from the browser's Resource Timing buffer when a beacon is assembled, not with a live
// observer, whose callback would run after every batch of resources while the page loads (about ten
// times on a typical page). When that buffer is full (250 entries unless the page enlarges it), later
// entries only reach observers, so from then on a live observer collects them; the few that arrive
// between the buffer filling and the browser's `resourcetimingbufferfull` event are lost.
import { config } from './config.js';
import { hook, FLUSH } from './hooks.js';
import { push } from './queue.js';
import { P, ms, observe, on } from './util.js';

/** The host of an absolute URL, as written in it; the server takes out a user and a port. */
const hostname = (url) => (url.split('/')[2] || '').slice(0, 253);

export const resources = () => {
  let groups = {};
  const add = (entries) =>
    entries.forEach((e) => {
      // Entry names are absolute URLs: split, not parsed (new URL() is costly per resource).
      const url = e.name.split(/[?#]/)[0];
      const host = hostname(url);
      const i = e.initiatorType,
        // The file's extension: with the initiator, the server tells the type (script, img, font, ...).
        x = (url.match(/\.(\w{1,8})$/) || [])[1],
        key = [i, x, host].join();
      // Our own beacons are not the page's resources.
      if (i == 'beacon' || url == config._endpoint) return;
      const g = (groups[key] = groups[key] || { k: 'res', i, x, h: host, n: 0, tb: 0, eb: 0, db: 0, ch: 0, d: 0, dm: -1 });
      g.n++;
      g.tb += e.transferSize || 0;
      g.eb += e.encodedBodySize || 0;
      g.db += e.decodedBodySize || 0;
      // Served from a cache: a body, but nothing transferred.
      if (!e.transferSize && e.decodedBodySize) g.ch++;
      g.d += e.duration;
      if (e.duration > g.dm) {
        g.dm = e.duration;
        g.su = url.slice(0, 2048);
      }
    });
  let seen = 0;
  let live;
  // What the buffer got since the last read; a page that cleared it starts it over.
  const read = () => {
    const all = P.getEntriesByType('resource');
    add(all.slice(all.length < seen ? 0 : seen));
    seen = all.length;
  };
  on(P, 'resourcetimingbufferfull', () => {
    if (!live) {
      read();
      live = observe('resource', add, { buffered: false });
    }
  });
  hook(FLUSH, () => {
    live ? add(live.takeRecords()) : read();
    for (const key in groups) {
      const g = groups[key];
      g.d = ms(g.d, 1e9);
      g.dm = ms(g.dm);
      push(g);
    }
    groups = {};
  });
};
