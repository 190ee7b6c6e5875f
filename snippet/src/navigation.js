// The page load's Navigation Timing, for its breakdown: the raw times below (ms since the time origin,
// in this order, 0 for a phase that did not happen), from which the server computes the phases
// (ingest/schema.py, Nav); and the document's Server-Timing entries (a site's backend can report its
// database time there). Raw times rather than phases: the arithmetic costs nothing on the server.
import { WEEK, ms, navEntry } from './util.js';

const TIMES =
  'redirectStart redirectEnd domainLookupStart domainLookupEnd connectStart secureConnectionStart connectEnd requestStart responseStart responseEnd domComplete loadEventEnd'.split(
    ' ',
  );

export const navigation = () => {
  const n = navEntry();
  return n.responseStart > 0
    ? { t: TIMES.map((k) => ms(n[k], WEEK)), size: n.transferSize, st: (n.serverTiming || []).slice(0, 20).map((t) => [t.name.slice(0, 64), ms(t.duration)]) }
    : {};
};
