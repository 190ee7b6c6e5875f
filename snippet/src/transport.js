// Sends one beacon body: navigator.sendBeacon as text/plain (no CORS preflight), falling back to
// fetch with keepalive, which also survives the page being unloaded. Both share the browser's
// 64 KiB budget for requests in flight at unload; over it, while the page is still open, a plain
// fetch still gets the beacon out. Before consent (data-consent="wait") beacons wait in memory.
import { config } from './config.js';
import { W, N } from './util.js';

// Taken before api.js wraps fetch, so that our own beacons are never reported as API calls.
const originalFetch = W.fetch;

const post = (url, body, keepalive) => originalFetch(url, { method: 'POST', body, keepalive });

let waiting = [];

export const transmit = (url, body) => {
  if (config._consent < 1) return config._consent || waiting.push([url, body]);
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

/** After a consent decision: sends what waited for it, or drops it. */
export const release = () => {
  const w = waiting;
  waiting = [];
  w.forEach((b) => transmit(b[0], b[1]));
};
