// Resources, summarized per page view by type and host: count, bytes, cache hits, durations and
// the slowest one. Summaries go with each beacon (so a page view may have several rows per type
// and host: sum them). Hosts are names without the port, as the page's host is stored, and a
// resource is third party when its host name differs from the page's.
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

const type = (initiator, url) =>
  /^(fetch|xmlhttprequest)$/.test(initiator)
    ? 'fetch'
    : /\.(woff2?|ttf|otf|eot)$/.test(url)
      ? 'font'
      : initiator == 'script'
        ? 'script'
        : /^(img|image)$/.test(initiator) || /\.(png|jpe?g|gif|webp|avif|svg|ico)$/.test(url)
          ? 'img'
          : /^(link|css)$/.test(initiator) || /\.css$/.test(url)
            ? 'css'
            : 'other';

/** The host name of an absolute URL: no user, no port (`[::1]` stays bracketed, as location.hostname). */
const hostname = (url) => (url.split('/')[2] || '').replace(/^.*@|:\d*$/g, '').slice(0, 253);

export const resources = () => {
  let groups = {};
  const add = (entries) =>
    entries.forEach((e) => {
      // Entry names are absolute URLs: split, not parsed (new URL() is costly per resource).
      const url = e.name.split(/[?#]/)[0];
      const host = hostname(url);
      // Our own beacons are not the page's resources.
      if (e.initiatorType == 'beacon' || url == config._endpoint) return;
      const t = type(e.initiatorType, url);
      const g = (groups[t + host] = groups[t + host] || {
        k: 'res', t, h: host, tp: host != location.hostname, n: 0, tb: 0, eb: 0, db: 0, ch: 0, d: 0, dm: -1,
      });
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
