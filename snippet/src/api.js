// fetch and XHR calls the page makes: method, URL (without its query string and fragment, as the page
// wrote it: the server resolves a relative one against the page's URL and templates id-like segments), status (0 when the request failed) and duration until the response headers
// (fetch) or the end of the request (XHR). rumhouse's own beacons use the unwrapped fetch. Calls the
// inline stub saw before rum.js ran come through `early`, with their start and end.
import { early } from './hooks.js';
import { push } from './queue.js';
import { W, WEEK, ms, now, on, safe } from './util.js';

const record = safe((method, url, status, start, end) =>
  push({ k: 'api', m: String(method || 'GET').toUpperCase().slice(0, 16), u: String(url).split(/[?#]/)[0].slice(0, 2048), s: status, d: ms((end || now()) - start), ts: ms(start, WEEK) }),
);

export const calls = () => {
  early.a = record;
  const fetch = W.fetch;
  if (fetch)
    W.fetch = function (input, init) {
      const start = now();
      const response = fetch.apply(this, arguments);
      try {
        const method = (init && init.method) || input.method;
        const url = input.url || input;
        response.then(
          (r) => record(method, url, r.status, start),
          () => record(method, url, 0, start),
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
        if (call) on(this, 'loadend', () => record(call[0], call[1], this.status, start));
      })();
      return send.apply(this, arguments);
    };
  }
};
