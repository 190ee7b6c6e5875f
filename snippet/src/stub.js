// The inline stub: pasted into the page's <head> before any other script (docs/snippet.md, "Early
// capture"), it catches what happens before rum.js runs: errors, unhandled rejections, fetch and XHR
// calls, and calls to the page API (rumhouse.label, ...). rum.js takes over from it (index.js,
// `takeOver`): it replays the queue `q`, then replaces `q` with one whose push hands an item straight
// over. From then on the stub records nothing new; a call it saw start still reports its end.
// Written for every browser that parses ES5; it never throws into the page.
(function (w, r, p) {
  r = w.rumhouse;
  // rum.js already runs (the stub was pasted after it): nothing to catch.
  if (r && !r.q) return;
  r = w.rumhouse = r || { q: [] };
  p = w.performance;
  var q = function (item) {
      r.q.push(item);
    },
    // Before rum.js took over, `q` is an array.
    early = function () {
      return r.q.splice;
    },
    // Captured events are queued as [kind, ...]: e an error, r a rejection, a an API call; calls to the
    // page API as [name, arguments].
    on = function (type, kind) {
      w.addEventListener(
        type,
        function (e) {
          early() && q([kind, e]);
        },
        true,
      );
    },
    f = w.fetch,
    x = w.XMLHttpRequest && XMLHttpRequest.prototype;
  'measure label set error consent onVital'.split(' ').forEach(function (n) {
    r[n] =
      r[n] ||
      function () {
        q([n, arguments]);
      };
  });
  on('error', 'e');
  on('unhandledrejection', 'r');
  if (f && p)
    w.fetch = function (input, init) {
      var t = p.now(),
        res = f.apply(this, arguments);
      try {
        var m = (init && init.method) || input.method,
          u = input.url || input,
          done = function (s) {
            q(['a', m, u, s, t, p.now()]);
          };
        early() &&
          res.then(
            function (a) {
              done(a.status);
            },
            function () {
              done(0);
            },
          );
      } catch (e) {}
      return res;
    };
  if (x && p && w.WeakMap) {
    var calls = new WeakMap(),
      open = x.open,
      send = x.send;
    x.open = function (m, u) {
      calls.set(this, [m, u]);
      return open.apply(this, arguments);
    };
    x.send = function () {
      var h = this,
        c = calls.get(h),
        t = p.now();
      early() &&
        c &&
        h.addEventListener('loadend', function () {
          q(['a', c[0], c[1], h.status, t, p.now()]);
        });
      return send.apply(this, arguments);
    };
  }
})(window);
