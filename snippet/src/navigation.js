// The navigation breakdown of the page load, from Navigation Timing, and the document's
// Server-Timing entries (a site's backend can report its database time there).
import { ms, navEntry } from './util.js';

const span = (from, to) => (to > 0 ? ms(to - from) : undefined);

export const navigation = () => {
  const n = navEntry();
  // secureConnectionStart is 0 on http: the whole connect phase is TCP then.
  const tls = n.secureConnectionStart;
  return n.responseStart > 0
    ? {
        redirect: ms(n.redirectEnd - n.redirectStart),
        dns: span(n.domainLookupStart, n.domainLookupEnd),
        connect: span(n.connectStart, tls > 0 ? tls : n.connectEnd),
        tls: tls > 0 ? span(tls, n.connectEnd) : 0,
        server: span(n.requestStart, n.responseStart),
        download: span(n.responseStart, n.responseEnd),
        render: span(n.responseEnd, n.domComplete),
        load: span(n.startTime, n.loadEventEnd),
        size: n.transferSize,
        st: (n.serverTiming || []).slice(0, 20).map((t) => [t.name.slice(0, 64), ms(t.duration)]),
      }
    : {};
};
