// fetch and XHR calls the page makes: method (as written: the server upper-cases it, GET when none), URL (without its query string and fragment, as the page
// wrote it: the server resolves a relative one against the page's URL and templates id-like segments), status (0 when the request failed) and duration until the response headers
// (fetch) or the end of the request (XHR). rumhouse's own beacons use the unwrapped fetch. Calls the
// inline stub saw before rum.js ran come through `early`, with their start and end.
//
// Tracing: a call to an origin of data-trace-origins carries a W3C `traceparent` header with a new trace
// id, sent with the call (`tr`), so the backend's spans of that request are found from it. None by
// default: the header makes a cross-origin call preflighted (CORS), which the API must allow. The
// response's Server-Timing header (`st`, where CORS exposes it) comes too: a backend that names its trace
// there (traceparent;desc="00-...") is linked without any header sent.
import { config } from './config.js';
import { early } from './hooks.js';
import { push } from './queue.js';
import { W, WEEK, ms, now, on, safe } from './util.js';

const record = safe((method, url, status, start, end, tp, st) =>
  push({ k: 'api', m: method && String(method).slice(0, 16), u: String(url).split(/[?#]/)[0].slice(0, 2048), s: status, d: ms((end || now()) - start), ts: ms(start, WEEK), tr: tp, st: st && st.slice(0, 1024) }),
);

/** 32 random hex digits (a UUID's: secure contexts only, where crypto.randomUUID exists). */
const hex = () => crypto.randomUUID().replace(/-/g, '');

/** A traceparent header value for a call to `url`, when its origin is allow-listed; else undefined. */
const traceparent = (url) => config._trace && config._trace.includes(new URL(url, location).origin) && '00-' + hex() + '-' + hex().slice(16) + '-01';

export const calls = () => {
  early.a = record;
  const fetch = W.fetch;
  if (fetch)
    W.fetch = function (input, init) {
      const start = now();
      const url = input.url || input;
      const tp = safe(() => {
        const tp = traceparent(url);
        // The page's headers (from init, else from its Request), and ours.
        if (tp) (init = { ...init, headers: new Headers((init && init.headers) || input.headers) }).headers.set('traceparent', tp);
        return tp;
      })();
      const response = fetch.call(this, input, init);
      try {
        const method = (init && init.method) || input.method;
        response.then(
          (r) => record(method, url, r.status, start, 0, tp, r.headers.get('server-timing')),
          () => record(method, url, 0, start, 0, tp),
        );
      } catch (e) {}
      return response;
    };

  const xhr = W.XMLHttpRequest && XMLHttpRequest.prototype;
  if (xhr) {
    // Kept aside, not as properties of the page's XHR objects.
    const calls = new WeakMap();
    const { open, send } = xhr;
    // Our bookkeeping never throws; the page's own call still does where the browser's would.
    xhr.open = function (method, url) {
      safe(() => calls.set(this, [method, url]))();
      return open.apply(this, arguments);
    };
    xhr.send = function () {
      const start = now();
      safe(() => {
        const call = calls.get(this);
        const tp = traceparent(call[1]);
        tp && this.setRequestHeader('traceparent', tp);
        on(this, 'loadend', () => record(call[0], call[1], this.status, start, 0, tp, this.getResponseHeader('server-timing')));
      })();
      return send.apply(this, arguments);
    };
  }
};
