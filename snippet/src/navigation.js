// The page load's Navigation Timing entry, whole (its toJSON(): times in ms since the time origin, sizes,
// and the document's Server-Timing entries with their descriptions): the server reads the phases of the
// breakdown from it (ingest/schema.py, NavEntry), and never its URL. Whole rather than picked here: the
// picking costs nothing on the server, and every byte of rum.js counts.
// `tp`: the document's own traceparent from a <meta name="traceparent"> (a Server-Timing entry named
// traceparent comes with the entry), so the page view opens the backend trace that served it.
import { D, navEntry } from './util.js';

// The entry goes as it is: JSON.stringify calls its toJSON(). (The server ignores an entry without a
// response start, as some browsers report.)
export const navigation = () => ({ n: navEntry(), tp: (D.getElementsByName('traceparent')[0] || {}).content });
