// rum.js entry: reads the settings and wires the modules. Configuration (docs/snippet.md):
//   <script src="https://rum.example.com/rum.js" data-site="KEY" defer></script>
// data-endpoint (default: the script's origin + /beacon), data-release, data-flush (seconds, default
// 30), data-sample (0..1, default 1), data-consent="wait", data-exclude (paths, * as a wildcard),
// data-routes="hash", data-debug, data-trace-origins. The npm package calls `start` with the same settings (npm.js).
import { calls } from './api.js';
import { cls } from './cls.js';
import { config } from './config.js';
import { errors } from './errors.js';
import { fcp } from './fcp.js';
import { early } from './hooks.js';
import { inp } from './inp.js';
import { lcp } from './lcp.js';
import { lifecycle } from './lifecycle.js';
import { newPageView } from './pageview.js';
import { api } from './public.js';
import { resources } from './resources.js';
import { soft } from './soft.js';
import { spa } from './spa.js';
import { tti } from './tti.js';
import { D, N, W, activation, navEntry, on, safe } from './util.js';

/** Starts measuring with settings `o` (the script tag's dataset, or init()'s options). */
export const start = (o) => {
  config._site = o.site;
  config._endpoint = o.endpoint || new URL(o.src || '/', location).origin + '/beacon';
  config._release = o.release && String(o.release).slice(0, 64);
  config._rate = o.sample == null ? 1 : +o.sample;
  config._consent = o.consent == 'wait' ? 0 : 1;
  // "/admin/*, /internal": paths that start with /admin/, and /internal itself.
  config._exclude = o.exclude && String(o.exclude).split(/\s*,\s*/);
  config._hash = o.routes == 'hash';
  config._debug = 'debug' in o && o.debug !== false;
  // data-trace-origins="https://api.example.com https://example.com": calls there carry traceparent.
  config._trace = o.traceOrigins && String(o.traceOrigins).split(/[\s,]+/);
  // Sampled out (or misconfigured): measure nothing, send nothing.
  if (o.site && Math.random() < config._rate) {
    // A page load: navigate, reload, back_forward (the entry's type, which the server checks), or prerender.
    newPageView(activation() > 0 ? 'prerender' : navEntry().type, 0, D.referrer);
    const init = (modules) => modules.forEach((m) => safe(m)(Math.max(+o.flush || 30, 1) * 1e3));
    // Errors, API calls and route changes from the start; the rest once the page has painted, so that
    // nothing of ours runs before its first paint (observers are buffered: they miss nothing by starting
    // later).
    init([errors, calls, spa]);
    const rest = () => init([lifecycle, fcp, lcp, cls, inp, tti, resources, soft]);
    D.visibilityState == 'hidden' ? rest() : requestAnimationFrame(() => setTimeout(rest));
  }
};

/**
 * Takes over from the inline stub, if the page has one: the calls to the API it queued go to the real
 * one, and what it captured (errors, rejections, fetch and XHR calls) to the modules. What the stub
 * still sees (a call it saw start that ends later) comes straight through from now on.
 */
const takeOver = (stub) => {
  const take = safe((item) => (api[item[0]] ? api[item[0]].apply(0, item[1]) : early[item[0]] && early[item[0]].apply(0, item.slice(1))));
  const q = stub.q;
  stub.q = { push: take };
  q.forEach(take);
};

/** Starts when the page is shown: a prerendered page starts measuring when it is activated. */
export const whenShown = (fn) => (D.prerendering ? on(D, 'prerenderingchange', fn) : fn());

/** Whether the browser has what the snippet cannot do without; older browsers are left alone. */
// (Every browser with PerformanceObserver has performance.getEntriesByType and WeakMap.)
export const supported = () => W.PerformanceObserver && (N.sendBeacon || W.fetch);

export const boot = (settings) => {
  const stub = W.rumhouse;
  // Loaded twice on one page: the first copy measures.
  if (stub && !stub.q) return;
  // The public API exists even when nothing is measured, so the page's calls never throw.
  W.rumhouse = api;
  if (supported())
    whenShown(() => {
      start(settings());
      stub && takeOver(stub);
    });
  else if (stub) takeOver(stub);
};
