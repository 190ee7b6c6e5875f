// The page-view explorer: the page views behind a selection (GET /api/v1/page-views, opened from a path, an
// API endpoint or an error of the tables), and one page view's whole record (GET /api/v1/page-views/{id}):
// what the browser measured and why (the attribution of each vital), its navigation breakdown with
// Server-Timing, its API calls with their backend traces, errors, resources and measures.
import { element, table } from "./dom.js";
import { bytes, metricValue, ms, time } from "./format.js";

const METRICS = ["LCP", "INP", "CLS", "FCP", "TTFB"];

/** The list: one row per page view, the chosen metric first; each opens its record. */
export function renderList(section, doc, title) {
  section.querySelector(".explorer-body")?.remove();
  const body = element("div", undefined, { class: "explorer-body" });
  body.append(element("p", `${title}: ${doc.rows.length} page view${doc.rows.length == 1 ? "" : "s"}${doc.rows.length >= 100 ? " (the first 100)" : ""}`));
  const rows = doc.rows.map((r) => {
    const open = element("button", r.page_view_id, { type: "button", "data-page-view": r.page_view_id });
    return [open, time(r.time), r.path, r.browser, r.device_type, ...METRICS.map((m) => metricValue(m, r[m.toLowerCase()]))];
  });
  body.append(table(["Page view", "When", "Path", "Browser", "Device", ...METRICS], rows));
  section.append(body);
  section.hidden = false;
}

/** What a vital's attribution says, in a line: the element or target, its parts, the script or shift. */
export function attribution(v) {
  const parts = [];
  if (v.attribution) parts.push(v.name === "CLS" ? `largest shift: ${v.attribution}` : v.name === "INP" ? `target ${v.attribution}` : `element ${v.attribution}`);
  if (v.name === "LCP") {
    if (v.resource_url) parts.push(`resource ${v.resource_url}`);
    if (v.ttfb_ms !== null) parts.push(`TTFB ${ms(v.ttfb_ms)}, load delay ${ms(v.load_delay_ms)}, load ${ms(v.load_duration_ms)}, render delay ${ms(v.render_delay_ms)}`);
  }
  if (v.name === "INP") {
    if (v.event_type) parts.push(v.event_type);
    if (v.input_delay_ms !== null) parts.push(`input delay ${ms(v.input_delay_ms)}, processing ${ms(v.processing_ms)}, presentation ${ms(v.presentation_ms)}`);
    if (v.script_url) parts.push(`script ${v.script_url}${v.script_function ? ` ${v.script_function}()` : ""} ${ms(v.script_ms)}${v.script_invoker ? ` (${v.script_invoker})` : ""}`);
  }
  if (v.name === "CLS" && v.shift_value !== null) parts.push(`shift ${v.shift_value.toFixed(3)} at ${ms(v.shift_time_ms)}`);
  if (v.load_state) parts.push(`while ${v.load_state}`);
  return parts.join(" · ");
}

/** One error: how often and where, and its latest stacks, each frame with the original code it maps to. */
export function renderError(section, doc) {
  section.querySelector(".record-body")?.remove();
  const body = element("div", undefined, { class: "record-body", "data-error": doc.fingerprint });
  body.append(element("p", `${doc.kind}: ${doc.message}`, { class: "record-summary" }));
  body.append(element("p", `${doc.occurrences} times in ${doc.page_views} page views, ${time(doc.first_seen)} to ${time(doc.last_seen)}`));
  const where = (title, counts) => `${title}: ${counts.map((c) => `${c.value || "(none)"} ${c.count}`).join(", ")}`;
  body.append(element("p", [where("Paths", doc.paths), where("Browsers", doc.browsers), where("Releases", doc.releases)].join(" · ")));
  for (const sample of doc.samples) {
    body.append(element("h3", `${time(sample.time)} · ${sample.path} · ${sample.browser} · release ${sample.release || "–"}`
      + (sample.mapped ? "" : " · no source map")));
    body.append(table(["Function", "Minified", "Original"], sample.frames.map((f) => {
      const original = f.original
        ? element("span", `${f.original.source}:${f.original.line}:${f.original.column}${f.original.name ? ` (${f.original.name})` : ""}`, { class: "original" })
        : "–";
      return [f.function || "(anonymous)", `${f.url}:${f.line}:${f.column}`, original];
    })));
  }
  section.append(body);
  section.hidden = false;
}

/** One page view's record. */
export function renderRecord(section, doc) {
  section.querySelector(".record-body")?.remove();
  const body = element("div", undefined, { class: "record-body", "data-page-view-id": doc.page_view_id });
  const view = doc.page_view;
  body.append(element("p", `${view.path} · ${time(view.time)} · ${view.browser} ${view.browser_version} on ${view.os}`
    + ` · ${view.device_type} · ${view.country || "?"} · release ${view.release || "–"} · ${view.navigation_type}`, { class: "record-summary" }));
  body.append(element("h3", "Vitals and why"));
  body.append(table(["Metric", "Value", "Why"], doc.vitals.map((v) => {
    const why = element("span", attribution(v), { "data-metric": v.name, class: "why" });
    return [v.name, metricValue(v.name, v.value), why];
  })));
  const phases = ["redirect", "dns", "connect", "tls", "server", "download", "render", "load"];
  body.append(element("h3", "Navigation"));
  body.append(table(phases, [phases.map((p) => ms(view[`${p}_ms`]))]));
  const timing = Object.entries(view.server_timing || {});
  if (timing.length) body.append(element("p", `Server-Timing: ${timing.map(([k, v]) => `${k} ${ms(v)}`).join(", ")}`, { class: "server-timing" }));
  if (view.trace_id) body.append(element("button", `Backend trace of the document ${view.trace_id.slice(0, 8)}…`, { type: "button", "data-trace": view.trace_id }));
  body.append(element("h3", `API calls (${doc.api_calls.length})`));
  body.append(table(["When", "Method", "Endpoint", "Status", "Took", "Trace"], doc.api_calls.map((c) => [
    time(c.time), c.method, c.endpoint, String(c.status), ms(c.duration_ms),
    c.trace_id ? element("button", `${c.trace_id.slice(0, 8)}…`, { type: "button", "data-trace": c.trace_id }) : "–",
  ])));
  body.append(element("h3", `Errors (${doc.errors.length})`));
  body.append(table(["When", "Message", "Source", "Count"], doc.errors.map((e) => [time(e.time), e.message, `${e.source}:${e.line}:${e.col}`, String(e.count)])));
  body.append(element("h3", "Resources"));
  body.append(table(["Type", "Host", "Count", "Transferred", "Slowest"], doc.resources.map((r) => [r.type, r.resource_host, String(r.count), bytes(r.transfer_bytes), ms(r.duration_max_ms)])));
  if (doc.measures.length) {
    body.append(element("h3", "Measures"));
    body.append(table(["Name", "Value", "Tags"], doc.measures.map((m) => [m.name, String(m.value), JSON.stringify(m.tags)])));
  }
  if (doc.websockets.length) {
    body.append(element("h3", "WebSockets"));
    body.append(table(["Endpoint", "Open", "Lifetime", "Close", "In", "Out"], doc.websockets.map((w) => [w.endpoint, ms(w.open_ms), ms(w.lifetime_ms), String(w.close_code ?? "open"), String(w.messages_in), String(w.messages_out)])));
  }
  section.append(body);
  section.hidden = false;
}
