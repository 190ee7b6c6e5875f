// The page's API, `window.rumhouse`: measure, label, set, error, onVital, consent. It exists even when the
// page load is not measured (sampled out, an old browser), so that calling it never throws. Calls made
// before rum.js ran were queued by the inline stub (docs/snippet.md, "Early capture") and are replayed.
import { config } from './config.js';
import { report } from './errors.js';
import { measure } from './measure.js';
import { pv } from './pageview.js';
import { watchers } from './queue.js';
import { release as sendHeld } from './transport.js';
import { safe } from './util.js';

export const api = {
  measure: safe(measure),
  /** Names the kind of page ("product", "checkout") for the current page view. */
  label: safe((name) => pv && (pv._lb = String(name).slice(0, 64))),
  /** A custom dimension for this and later beacons (at most 10); null removes it. */
  set: safe((key, value) => {
    const c = (config._custom = config._custom || {});
    key = String(key).slice(0, 64);
    value == null ? delete c[key] : (key in c || Object.keys(c).length < 10) && (c[key] = String(value).slice(0, 256));
  }),
  /** An error the page caught itself. */
  error: safe((e) => report(e instanceof Error ? e.name + ': ' + e.message : e, '', 0, 0, e, 'manual')),
  /** Calls `cb({name, value, final, ...attribution})` for every value the snippet reports. */
  onVital: safe((cb) => watchers.push(cb)),
  /** data-consent="wait": beacons go only after consent(true); consent(false) drops them. */
  consent: safe((yes) => {
    config._consent = yes ? 1 : -1;
    sendHeld();
  }),
};
