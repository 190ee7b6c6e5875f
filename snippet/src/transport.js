// Sends one beacon body: navigator.sendBeacon as text/plain (no CORS preflight), falling back to
// fetch with keepalive, which also survives the page being unloaded.
import { W, N } from './util.js';

// Taken before api.js wraps fetch, so that our own beacons are never reported as API calls.
const originalFetch = W.fetch;

export const transmit = (url, body) => {
  try {
    // sendBeacon returns false when the browser will not queue it (over its in-flight quota).
    if (N.sendBeacon(url, body)) return;
  } catch (e) {}
  try {
    originalFetch(url, { method: 'POST', body, keepalive: true }).catch(() => {});
  } catch (e) {}
};
