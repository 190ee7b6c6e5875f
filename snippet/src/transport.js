// Sends one beacon body: navigator.sendBeacon as text/plain (no CORS preflight), falling back to
// fetch with keepalive, which also survives the page being unloaded. Both share the browser's
// 64 KiB budget for requests in flight at unload; over it, while the page is still open, a plain
// fetch still gets the beacon out.
import { W, N } from './util.js';

// Taken before api.js wraps fetch, so that our own beacons are never reported as API calls.
const originalFetch = W.fetch;

const post = (url, body, keepalive) => originalFetch(url, { method: 'POST', body, keepalive });

export const transmit = (url, body) => {
  try {
    // sendBeacon returns false when the browser will not queue it (over its in-flight quota).
    if (N.sendBeacon(url, body)) return;
  } catch (e) {}
  try {
    post(url, body, true)
      .catch(() => post(url, body))
      .catch(() => {});
  } catch (e) {}
};
