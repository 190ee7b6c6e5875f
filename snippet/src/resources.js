// Resources, summarized per page view by type and host: count, bytes, cache hits, durations and
// the slowest one. Summaries go with each beacon (so a page view may have several rows per type
// and host: sum them).
import { config } from './config.js';
import { hook, FLUSH } from './hooks.js';
import { push } from './queue.js';
import { ms, bare, observe } from './util.js';

const type = (initiator, path) =>
  /^(fetch|xmlhttprequest)$/.test(initiator)
    ? 'fetch'
    : /\.(woff2?|ttf|otf|eot)$/.test(path)
      ? 'font'
      : initiator == 'script'
        ? 'script'
        : /^(img|image)$/.test(initiator) || /\.(png|jpe?g|gif|webp|avif|svg|ico)$/.test(path)
          ? 'img'
          : /^(link|css)$/.test(initiator) || /\.css$/.test(path)
            ? 'css'
            : 'other';

export const resources = () => {
  let groups = {};
  const add = (entries) =>
    entries.forEach((e) => {
      const u = new URL(e.name);
      // Our own beacons are not the page's resources.
      if (e.initiatorType == 'beacon' || e.name.startsWith(config._endpoint)) return;
      const t = type(e.initiatorType, u.pathname);
      const g = (groups[t + u.host] = groups[t + u.host] || {
        k: 'res', t, h: u.host, tp: u.host != location.host, n: 0, tb: 0, eb: 0, db: 0, ch: 0, d: 0, dm: -1,
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
        g.su = bare(e.name);
      }
    });
  const po = observe('resource', add);
  if (po)
    hook(FLUSH, () => {
      add(po.takeRecords());
      for (const key in groups) {
        const g = groups[key];
        g.d = ms(g.d, 1e9);
        g.dm = ms(g.dm);
        push(g);
      }
      groups = {};
    });
};
