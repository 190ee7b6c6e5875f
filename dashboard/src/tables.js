// Table panels, each with its export buttons (CSV and JSON of exactly what the API answered).
import { renderMap } from "./depmap.js";
import { bytes, change, integer, metricValue, ms, percent, time, usd } from "./format.js";

const list = (values) => values.join(", ");
// A p75 of any metric: CLS is a score under 10, the others ms.
const p75 = (v) => (v === null || v === undefined ? "–" : v < 10 ? v.toFixed(3) : ms(v));

/** The notes the CrUX view answers with, under its table. */
function cruxNotes(section, doc) {
  section.querySelector("ul.notes")?.remove();
  const notes = document.createElement("ul");
  notes.className = "notes";
  for (const text of doc.notes || []) notes.append(Object.assign(document.createElement("li"), { textContent: text }));
  section.append(notes);
}
const sla = (met) => (met === null ? "–" : met ? "met" : "missed");

// Why a vital is what it is (/vitals/attribution): what the panel's select asks ("LCP element" is
// metric=LCP&by=element), and the parts of each metric's value worth a column.
const WHY_PARTS = {
  LCP: [["ttfb_p75", "TTFB"], ["load_delay_p75", "Load delay"], ["load_duration_p75", "Load time"], ["render_delay_p75", "Render delay"]],
  INP: [["input_delay_p75", "Input delay"], ["processing_p75", "Processing"], ["presentation_p75", "Presentation"], ["script_p75", "Longest script"]],
  CLS: [["shift_p75", "Largest shift"]],
};
const why = () => {
  const [metric, by] = document.getElementById("why-pick").value.split(":");
  return { metric, by };
};

export const TABLES = {
  why: {
    route: "/vitals/attribution", params: () => ({ ...why(), limit: 20 }),
    get columns() {
      const { metric } = why();
      const value = (v) => metricValue(metric, v);
      return [["key", "What the browser named"], ["samples", "Samples", integer], ["share", "Share", percent],
        ["p75", `p75 ${metric}`, value], ...WHY_PARTS[metric].map(([key, title]) => [key, `${title} (p75)`, value])];
    },
  },
  pages: {
    route: "/pages", params: { metric: "LCP", limit: 20 },
    columns: [["path", "Path", String, "explore-path"], ["page_views", "Page views", integer], ["samples", "Samples", integer],
      ["p75", "p75 LCP", (v) => metricValue("LCP", v)], ["poor", "Poor", percent], ["impact", "Impact", (v) => v.toFixed(1)]],
  },
  errors: {
    route: "/errors", params: { limit: 20 },
    columns: [["message", "Message", String, "error"], ["occurrences", "Count", integer], ["page_views", "Page views", integer],
      ["fingerprint", "Page views with it", String, "explore-error"],
      ["first_seen", "First seen", time], ["last_seen", "Last seen", time], ["sample_stack", "Sample stack", String, "wrap"]],
  },
  "api-calls": {
    route: "/api-calls", params: { limit: 20 },
    columns: [["method", "Method"], ["endpoint", "Endpoint", String, "explore-endpoint"], ["calls", "Calls", integer], ["error_rate", "Errors", percent],
      ["p50", "p50", ms], ["p95", "p95", ms], ["p99", "p99", ms]],
  },
  // The backend, from OpenTelemetry spans: the site and the window apply, page dimensions do not (`spans`).
  "server-endpoints": {
    route: "/server/endpoints", params: { limit: 20 }, spans: true,
    columns: [["service", "Service"], ["method", "Method"], ["route", "Route"], ["requests", "Requests", integer],
      ["error_rate", "Errors", percent], ["p50", "p50", ms], ["p95", "p95", ms], ["p99", "p99", ms],
      ["p95_change", "p95 vs before", change], ["slowest_trace_id", "Slowest", String, "trace"]],
  },
  "db-statements": {
    route: "/database/statements", params: { limit: 20 }, spans: true,
    columns: [["system", "System"], ["statement", "Statement", String, "wrap"], ["calls", "Calls", integer],
      ["share_of_request_time", "Share of request time", percent], ["p95", "p95", ms], ["slow_calls", "Over 100 ms", integer],
      ["slowest_trace_id", "Slowest", String, "trace"]],
  },
  "slow-calls": {
    route: "/database/slow-calls", params: { limit: 20 }, spans: true,
    columns: [["statement", "Statement", String, "wrap"], ["duration_ms", "Took", ms], ["route", "In request", (v) => v || "–"],
      ["service", "Service"], ["time", "When", time], ["trace_id", "Trace", String, "trace"]],
  },
  "traced-calls": {
    route: "/api-calls/traced", params: { limit: 20 },
    columns: [["path", "Page"], ["method", "Method"], ["endpoint", "Endpoint"], ["duration_ms", "In the browser", ms],
      ["backend_ms", "In the backend", ms], ["backend_services", "Services", list, "wrap"],
      ["trace_id", "Trace", String, "trace"]],
  },
  "ai-models": {
    route: "/ai/models", params: {}, spans: true,
    columns: [["model", "Model"], ["operation", "Operation"], ["calls", "Calls", integer], ["success_rate", "Success", percent],
      ["rate_limited", "Rate-limited", integer], ["retries_per_success", "Retries / success", (v) => (v === null ? "–" : v.toFixed(2))],
      ["p95_ms", "p95", ms], ["input_tokens", "Tokens in", integer], ["output_tokens", "Tokens out", integer],
      ["cost_usd", "Est. cost", usd]],
  },
  operations: {
    route: "/operations", params: {}, spans: true,
    columns: [["service", "Service"], ["name", "Operation"], ["model", "Model"], ["count", "Count", integer],
      ["success_rate", "Success", percent], ["p95_ms", "p95", ms], ["queue_wait_ms", "Queue wait", ms],
      ["per_hour", "Per hour", (v) => v.toFixed(1)], ["cost_usd", "Cost", usd]],
  },
  // Every site the token reads, over 30 days, sorted as the panel's select says (not the page's filters).
  "operations-compare": {
    route: "/operations/compare", allSites: true,
    params: () => ({ period: "30d", sort: document.getElementById("ops-sort").value, limit: 50 }),
    columns: [["site", "Site"], ["service", "Service"], ["name", "Operation"], ["model", "Model"], ["count", "Count", integer],
      ["success_rate", "Success", percent], ["p95_ms", "p95", ms], ["cost_usd", "Cost", usd]],
  },
  hosts: {
    route: "/hosts", params: {}, spans: true,
    columns: [["host", "Host"], ["cpu_last", "CPU now", percent], ["cpu_max", "CPU peak", percent], ["memory_last", "Memory now", percent],
      ["memory_max", "Memory peak", percent], ["memory_used_bytes", "Memory used", bytes], ["last_seen", "Last seen", time]],
  },
  websockets: {
    route: "/websockets", params: { limit: 20 },
    columns: [["endpoint", "Endpoint"], ["connections", "Connections", integer], ["never_opened", "Never opened", integer],
      ["abnormal_closes", "Abnormal closes", integer], ["connect_p95_ms", "Open p95", ms], ["lifetime_p50_ms", "Lifetime p50", ms],
      ["messages_in", "Messages in", integer], ["messages_out", "Messages out", integer],
      ["bytes_in_per_second", "In / s", (v) => (v === null ? "–" : `${bytes(v)}/s`)],
      ["close_codes", "Close codes", (v) => Object.entries(v).map(([code, n]) => `${code}×${n}`).join(" ") || "–"]],
  },
  "websocket-servers": {
    route: "/websockets/servers", params: {}, spans: true,
    columns: [["host", "Host"], ["connections_last", "Connections now", integer], ["connections_max", "Peak", integer],
      ["connections_mean", "Mean", (v) => v.toFixed(1)], ["last_seen", "Last seen", time]],
  },
  dependencies: {
    route: "/dependencies", params: { limit: 20 }, spans: true,
    columns: [["dependency", "Dependency"], ["kind", "Kind"], ["callers", "Callers", list, "wrap"],
      ["calls", "Calls", integer], ["availability", "Available", percent], ["p50_ms", "p50", ms], ["p95_ms", "p95", ms],
      ["sla_met", "SLA", sla], ["hours_met", "Hours met", (v) => (v === null ? "–" : integer(v))],
      ["slowest_trace_id", "Slowest", String, "trace"]],
  },
  "dependency-map": {
    route: "/dependencies/map", params: { limit: 100 }, spans: true, draw: renderMap,
    columns: [["caller", "Caller"], ["dependency", "Dependency"], ["kind", "Kind"], ["calls", "Calls", integer],
      ["error_rate", "Errors", percent], ["p95_ms", "p95", ms]],
  },
  "shared-failures": {
    route: "/dependencies/shared-failures", params: {}, spans: true,
    columns: [["dependency", "Dependency"], ["services", "Failing services", list, "wrap"],
      ["failed_requests", "Failed requests", integer], ["share_of_failures", "Share of their failures", percent],
      ["example_trace_id", "Example", String, "trace"]],
  },
  crux: {
    route: "/vitals/crux", params: {}, draw: cruxNotes, without: ["browser", "os"],
    columns: [["metric", "Metric"], ["all_p75", "p75, every page view", p75], ["all_samples", "Samples", integer],
      ["crux_p75", "p75 as CrUX counts", p75], ["crux_samples", "CrUX samples", integer], ["difference", "Difference", change]],
  },
  measures: {
    route: "/measures", params: { limit: 20 },
    columns: [["name", "Measure"], ["count", "Count", integer], ["page_views", "Page views", integer],
      ["p50", "p50", ms], ["p75", "p75", ms], ["p95", "p95", ms]],
  },
  "server-timing": {
    route: "/server-timing", params: { limit: 20 },
    columns: [["path", "Path"], ["entry", "Server-Timing entry"], ["page_views", "Page views", integer],
      ["p50", "p50", ms], ["p75", "p75", ms], ["p95", "p95", ms]],
  },
  resources: {
    route: "/resources", params: { by: "host", limit: 20 },
    columns: [["host", "Host"], ["third_party", "3rd party", (v) => (v ? "yes" : "")], ["count", "Resources", integer],
      ["transfer_bytes", "Transferred", bytes], ["cache_hit_rate", "Cache hits", percent], ["avg_duration_ms", "Avg duration", ms]],
  },
};

export function exportButtons(onExport) {
  const box = document.createElement("span");
  box.className = "exports";
  for (const format of ["csv", "json"]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Export ${format.toUpperCase()}`;
    button.dataset.export = format;
    button.addEventListener("click", () => onExport(format));
    box.append(button);
  }
  return box;
}

/** `rows` ordered by `key` (desc or asc); as they came without a key. Nulls last either way. */
export function sortRows(rows, key, dir) {
  if (!key) return rows;
  const value = (r) => (Array.isArray(r[key]) ? r[key].join(", ") : r[key] !== null && typeof r[key] === "object" ? JSON.stringify(r[key]) : r[key]);
  const sign = dir === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a), y = value(b);
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    return sign * (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)));
  });
}

export function renderTable(section, spec, doc) {
  section.querySelector("table, p.empty")?.remove();
  spec.draw?.(section, doc); // a picture of the rows above their table (the dependency map)
  if (!doc.rows.length) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "No data in this window.";
    section.append(empty);
    return;
  }
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  // Sortable: a header's button orders the rows by that column's values as the API answered them
  // (numbers as numbers), again to reverse. The order is kept on the panel across reloads.
  const sorted = sortRows(doc.rows, section.dataset.sortKey, section.dataset.sortDir);
  for (const [key, title, fmt, cls] of spec.columns) {
    const th = document.createElement("th");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = title;
    button.dataset.sort = key;
    th.append(button);
    if (section.dataset.sortKey === key) th.setAttribute("aria-sort", section.dataset.sortDir === "asc" ? "ascending" : "descending");
    button.addEventListener("click", () => {
      const again = section.dataset.sortKey === key;
      section.dataset.sortKey = key;
      section.dataset.sortDir = again && section.dataset.sortDir === "desc" ? "asc" : "desc";
      renderTable(section, spec, doc);
    });
    if (fmt && fmt !== String && !cls) th.className = "num"; // numbers to the right, as their cells
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of sorted) {
    const tr = body.insertRow();
    for (const [key, , fmt, cls] of spec.columns) {
      const td = tr.insertCell();
      const value = row[key];
      if (cls && cls.startsWith("explore-")) {
        // Opens the page-view explorer on this value (main.js listens for clicks on [data-explore]).
        const open = document.createElement("button");
        open.type = "button";
        open.className = "explore";
        open.dataset.explore = cls.slice("explore-".length);
        open.dataset.value = value;
        open.textContent = cls === "explore-error" ? "Page views…" : value === "" ? "(none)" : String(value);
        open.title = "The page views behind it";
        td.append(open);
        continue;
      }
      if (cls === "error") {
        // Opens the error whole (main.js listens for clicks on [data-error-open]).
        const open = document.createElement("button");
        open.type = "button";
        open.className = "explore";
        open.dataset.errorOpen = row.fingerprint;
        open.textContent = value;
        td.className = "wrap";
        td.append(open);
        continue;
      }
      if (cls === "trace") {
        // Opens the trace view (main.js listens for clicks on [data-trace]).
        const open = document.createElement("button");
        open.type = "button";
        open.dataset.trace = value;
        open.textContent = value.slice(0, 8) + "…";
        open.title = `Open trace ${value}`;
        td.append(open);
        continue;
      }
      td.textContent = fmt ? fmt(value) : value === "" ? "(none)" : String(value);
      if (cls) td.className = cls;
      else if (fmt && fmt !== String) td.className = "num";
    }
  }
  section.append(table);
}
