// rum.js entry: reads the script tag's settings and wires the modules. Configuration:
//   <script src="https://rum.example.com/rum.js" data-site="KEY" defer></script>
// data-endpoint (default: the script's origin + /beacon), data-release, data-flush (seconds,
// default 30), data-sample (0..1, default 1). See docs/snippet.md.
import { api } from './api.js';
import { cls } from './cls.js';
import { config } from './config.js';
import { errors } from './errors.js';
import { fcp } from './fcp.js';
import { fid } from './fid.js';
import { inp } from './inp.js';
import { lcp } from './lcp.js';
import { lifecycle } from './lifecycle.js';
import { measure } from './measure.js';
import { loadType, newPageView } from './pageview.js';
import { resources } from './resources.js';
import { spa } from './spa.js';
import { tti } from './tti.js';
import { ttfb } from './ttfb.js';
import { D, N, P, W, on, safe } from './util.js';

const start = (script) => {
  const data = script.dataset;
  config._site = data.site;
  config._endpoint = data.endpoint || new URL(script.src || '/', location.href).origin + '/beacon';
  config._release = data.release && data.release.slice(0, 64);
  // Sampled out (or misconfigured): measure nothing, send nothing.
  if (!data.site || Math.random() >= (data.sample || 1)) return;
  newPageView(loadType(), 0, D.referrer);
  [lifecycle, ttfb, fcp, lcp, cls, inp, fid, tti, resources, errors, api, spa].forEach((init) => safe(init)(Math.max(+data.flush || 30, 1) * 1e3));
};

safe(() => {
  // Loaded twice on one page: the first copy measures.
  if (W.rumhouse) return;
  // The public API exists even when nothing is measured, so the page's calls never throw.
  W.rumhouse = { measure: safe(measure) };
  // What the snippet cannot do without; older browsers are left alone.
  if (W.PerformanceObserver && P.getEntriesByType && (N.sendBeacon || W.fetch) && W.WeakMap) {
    const script = D.currentScript || D.querySelector('script[data-site]');
    // A prerendered page starts measuring when it is shown.
    D.prerendering ? on(D, 'prerenderingchange', () => start(script)) : start(script);
  }
})();
