// rum-ws.js, the WebSocket add-on: for pages that use WebSockets (docs/snippet.md, "WebSockets"). It is
// a file of its own so that rum.js stays within its size budget and pages without sockets pay nothing.
// Load it before the page's scripts open their sockets, and before rum.js:
//   <script src="https://rum.example.com/rum-ws.js"></script>
//
// Per socket: its URL (without query string and fragment), how long it took to open (absent when it never
// did), how long it lived from its creation to its close, its close code (absent while it was still open
// when the page was left), and the messages and bytes it received and sent (a text message counts its
// length in UTF-16 code units). Reported when it closes, or when the page is left while it is open, as
// rumhouse.measure("rumhouse.websocket", lifetime, {u, o, c, mi, mo, bi, bo}): the page API's queue (the
// inline stub's, or one of its own until rum.js takes it over) carries it, and the server stores it in
// rumhouse.websockets, not among the measures (ingest/rows.py).
((W) => {
  const WS = W.WebSocket;
  const now = () => performance.now();
  // Never into the page: a wrapper of ours that throws is a socket of theirs that fails.
  const safe = (fn) => {
    try {
      fn();
    } catch (e) {}
  };
  const size = (d) => (d && (d.byteLength ?? d.size ?? d.length)) || 0;
  // The sockets still open -> [start, tags]: kept aside, not as properties of the page's sockets.
  const open = new Map();
  const report = (s) =>
    safe(() => {
      const [start, tags] = open.get(s);
      open.delete(s);
      const r = (W.rumhouse = W.rumhouse || { q: [] });
      const args = ['rumhouse.websocket', now() - start, tags];
      r.measure ? r.measure(...args) : r.q.push(['measure', args]);
    });
  // Loaded twice: the first copy measures.
  if (WS && !WS.rumhouse) {
    W.WebSocket = class extends WS {
      constructor() {
        super(...arguments);
        const start = now();
        const tags = { u: String(arguments[0]).split(/[?#]/)[0].slice(0, 256), mi: 0, mo: 0, bi: 0, bo: 0 };
        open.set(this, [start, tags]);
        this.addEventListener('open', () => (tags.o = Math.round(now() - start)));
        this.addEventListener('message', (e) => (tags.mi++, (tags.bi += size(e.data))));
        this.addEventListener('close', (e) => ((tags.c = e.code), report(this)));
      }
      send(data) {
        safe(() => {
          const tags = open.get(this)[1];
          tags.mo++;
          tags.bo += size(data);
        });
        return super.send(data);
      }
    };
    W.WebSocket.rumhouse = 1;
    // Still open when the page is left: reported with its time so far, before rum.js sends its last
    // beacon (its pagehide listener comes later, as this file is loaded first).
    W.addEventListener('pagehide', () => open.forEach((_, s) => report(s)), true);
  }
})(window);
