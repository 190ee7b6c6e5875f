// Wires the dashboard: sign in with a token, read the filters, load every panel in parallel.
import { AuthError, download, get, savedToken, saveToken, send } from "./api.js";
import { renderAlerts, renderBudgets, renderRelease, renderSuggestions } from "./manage.js";
import { renderCards } from "./cards.js";
import { renderAvailability, renderBreakdown, renderHistogram, renderHostSeries, renderSeries } from "./charts.js";
import { TABLES, exportButtons, renderTable } from "./tables.js";
import { renderError, renderList, renderRecord } from "./explorer.js";
import { renderTrace } from "./trace.js";
import { readView, writeView } from "./view.js";

const $ = (id) => document.getElementById(id);
let token = "";
let generation = 0; // a newer load makes the answers of an older one stale
const active = new Map(); // dimension -> its values (any of them): the filters in force, a chip per value

function windowParams() {
  if ($("range").value !== "custom") return { range: $("range").value };
  // datetime-local has no zone: the inputs are read as UTC, like every time on this page.
  return { from: `${$("from").value}:00Z`, to: `${$("to").value}:00Z` };
}

function filters() {
  return { site: $("site").value, ...windowParams(), ...Object.fromEntries(active) };
}

/** What a table asks with: the filters, or for the backend's tables (spans) the site and window only. */
function tableParams(spec) {
  const extra = typeof spec.params === "function" ? spec.params() : spec.params;
  if (spec.allSites) return extra;
  const base = spec.spans ? { site: $("site").value, ...windowParams() } : filters();
  const params = { ...base, ...extra };
  for (const key of spec.without || []) delete params[key]; // filters the route chooses itself
  return params;
}

/** The explorer on a selection: a path (worst LCP first), an API endpoint or an error (newest first), a
 * metric's poor page views or a bin of its histogram (worst first), a release; always within the filters
 * in force (a browser, ...). */
async function explore(kind, value, bin = null) {
  const metric = $("histogram-metric").value;
  const selections = {
    path: () => [{ path: value, metric: "LCP" }, `Path ${value}, worst LCP first`],
    endpoint: () => [{ endpoint: value }, `Calls to ${value}`],
    error: () => [{ error: value }, "With this error"],
    poor: () => [{ metric: value, rating: "poor" }, `Poor ${value}, worst first`],
    release: () => [{ release: value, metric: "LCP" }, `Release ${value}, worst LCP first`],
    bin: () => [{ metric, min: bin.low, ...(bin.high === null ? {} : { max: bin.high }) },
      `${metric} from ${bin.low}${bin.high === null ? "" : ` to ${bin.high}`}, worst first`],
  };
  const [narrow, title] = selections[kind]();
  const params = { ...filters(), limit: 100, ...narrow };
  try {
    renderList($("explorer"), await get(token, "/page-views", params), title);
    $("explorer").dataset.asked = JSON.stringify(narrow); // what the list was narrowed by, as the API took it
    $("explorer").scrollIntoView({ block: "nearest" });
  } catch (error) {
    fail(error);
  }
}

const pickBin = (row) => explore("bin", "", row);

async function openError(fingerprint) {
  try {
    renderError($("error-view"), await get(token, `/errors/${encodeURIComponent(fingerprint)}`, filters()));
    $("error-view").scrollIntoView({ block: "nearest" });
  } catch (error) {
    fail(error);
  }
}

async function openPageView(id) {
  try {
    renderRecord($("page-view"), await get(token, `/page-views/${encodeURIComponent(id)}`, { site: $("site").value }));
    $("page-view").scrollIntoView({ block: "nearest" });
  } catch (error) {
    fail(error);
  }
}

async function openTrace(traceId) {
  const section = $("trace");
  section.querySelector("h2 code").textContent = traceId;
  try {
    renderTrace(section, await get(token, "/trace", { site: $("site").value, trace_id: traceId }));
    section.scrollIntoView({ block: "nearest" });
  } catch (error) {
    fail(error);
  }
}

function renderChips() {
  $("chips").replaceChildren(...[...active].flatMap(([dimension, values]) => values.map((value) => {
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.dataset.dimension = dimension;
    chip.dataset.value = value;
    chip.textContent = `${dimension}: ${value || "(none)"}`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `Remove the ${dimension} filter ${value}`);
    remove.addEventListener("click", () => {
      const left = active.get(dimension).filter((v) => v !== value);
      if (left.length) active.set(dimension, left);
      else active.delete(dimension);
      renderChips();
      load();
    });
    chip.append(remove);
    return chip;
  })));
}

function addExports(section, route, extra, spec = null) {
  const heading = section.querySelector("h2");
  if (heading.querySelector(".exports")) return;
  // A table panel exports what it shows (tableParams); a chart, the filters and its own parameters.
  const params = () => (spec ? tableParams(spec) : { ...filters(), ...extra });
  heading.append(exportButtons((format) => download(token, route, params(), format).catch(fail)));
}

function fail(error) {
  if (error instanceof AuthError) {
    signOut(error.message);
    return;
  }
  $("status").textContent = `Error: ${error.message}`;
}

/** The host chart: the hosts of the hosts table to choose from (the first by default), and the chosen one's
 * CPU and memory over the window. */
TABLES.hosts.draw = (section, doc) => {
  const pick = $("host-pick");
  const chosen = pick.value;
  pick.replaceChildren(...doc.rows.map((r) => new Option(r.host, r.host, false, r.host === chosen)));
  loadHost().catch(fail);
};

/** The dependency chart: a dependency of the dependencies table (the first by default), over time. */
TABLES.dependencies.draw = (section, doc) => {
  const pick = $("dependency-pick");
  const chosen = pick.value;
  pick.replaceChildren(...doc.rows.map((r) => new Option(`${r.dependency} (${r.kind})`, `${r.dependency}\u0000${r.kind}`, false,
    `${r.dependency}\u0000${r.kind}` === chosen)));
  loadDependency().catch(fail);
};

async function loadDependency() {
  const [dependency, kind] = $("dependency-pick").value.split("\u0000");
  $("dependency-panel").hidden = !dependency;
  if (!dependency) return;
  const doc = await get(token, "/dependencies/timeseries", { site: $("site").value, ...windowParams(), dependency, kind });
  const rows = doc.rows.map((r) => ({ time: r.time, calls: r.count, availability: r.error_rate === null ? null : 1 - r.error_rate, p95_ms: r.p95 }));
  renderAvailability($("dependency-chart"), rows, `calls to ${dependency}`);
  $("dependency-panel").dataset.drawnAt = Math.round(performance.now());
}

async function loadHost() {
  const host = $("host-pick").value;
  $("host-panel").hidden = !host;
  if (!host) return;
  renderHostSeries($("host-chart"), await get(token, "/hosts/timeseries", { site: $("site").value, ...windowParams(), host }));
  $("host-panel").dataset.drawnAt = Math.round(performance.now());
}

/** Budgets, alerts, suggestions and the release comparison of the site (the manage panels): for each
 * panel, what it asks, resolving to the function that draws the answer. */
function managedLoads() {
  const site = $("site").value;
  return {
    "budgets-panel": () => Promise.all([get(token, "/budgets/status", { site }), get(token, "/budgets/report", { ...filters(), period: "day" })])
      .then(([status, report]) => () => renderBudgets($("budgets-panel"), status, report)),
    "alerts-panel": () => Promise.all([get(token, "/alerts", { site }), get(token, "/alerts/events", { site })])
      .then(([alerts, events]) => () => renderAlerts($("alerts-panel"), alerts, events)),
    "suggestions-panel": () => get(token, "/suggestions", filters()).then((doc) => () => renderSuggestions($("suggestions-panel"), doc)),
    // The releases of the view in the order they appeared, each but the first (it has none before it to be
    // judged against); a choice the view no longer has is let go.
    "release-panel": () => get(token, "/releases", filters()).then((doc) => () => {
      const pick = $("release-b");
      const chosen = pick.value;
      pick.replaceChildren(new Option("(a release)", ""), ...doc.rows.slice(1).map((r) => new Option(r.release, r.release, false, r.release === chosen)));
      return loadRelease();
    }),
  };
}

/** The manage panels again, at once (after a change made from one of them). */
function loadManaged() {
  return Promise.all(Object.values(managedLoads()).map((load) => load().then((draw) => draw())));
}

async function loadRelease() {
  const b = $("release-b").value;
  $("release-panel").querySelector(".manage-body")?.remove();
  if (!b) return;
  try {
    renderRelease($("release-panel"), await get(token, "/releases/compare", { ...filters(), b }));
  } catch (error) {
    if (error instanceof AuthError) throw error;
    // A release with none before it in this view (a filter may leave its predecessor out): said in the
    // panel, not as the dashboard's error.
    $("release-panel").append(Object.assign(document.createElement("p"), { className: "manage-body empty", textContent: error.message }));
  }
}

/** Acknowledges or resolves an alert (an admin token of its site), then shows the alerts again. */
async function actOnAlert(verb, rule) {
  await send(token, "POST", `/alerts/${rule.split("/").map(encodeURIComponent).join("/")}/${verb}`, {}, { note: "from the dashboard" });
  const site = $("site").value;
  // The alerts are read again until they show what was done (another worker may answer before it has
  // the change: a few tries, then what there is).
  const done = (a) => a.rule === rule && (verb === "ack" ? a.acknowledged_by : a.state === "resolved");
  let alerts, events;
  for (let attempt = 0; attempt < 10; attempt++) {
    [alerts, events] = await Promise.all([get(token, "/alerts", { site }), get(token, "/alerts/events", { site })]);
    if (alerts.alerts.some(done)) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  renderAlerts($("alerts-panel"), alerts, events);
}

/** Loads one table panel again (a control of its own changed). */
function loadTable(name) {
  const spec = TABLES[name];
  const section = document.querySelector(`[data-table="${name}"]`);
  delete section.dataset.drawnAt;
  return get(token, spec.route, tableParams(spec)).then((doc) => {
    renderTable(section, spec, doc);
    section.dataset.drawnAt = Math.round(performance.now());
  });
}

/** The view as it is now, for the URL. */
function currentView() {
  const custom = $("range").value === "custom";
  return {
    site: $("site").value,
    range: custom ? "" : $("range").value,
    from: custom ? $("from").value : "",
    to: custom ? $("to").value : "",
    metric: $("series-metric").value,
    refresh: $("auto-refresh").checked,
    filters: [...active],
  };
}

/** The view the URL asks for, where this token and page have it. */
function applyView(view) {
  if (view.site && [...$("site").options].some((o) => o.value === view.site)) $("site").value = view.site;
  if (view.from && view.to) {
    $("range").value = "custom";
    $("custom-range").hidden = false;
    $("from").value = view.from;
    $("to").value = view.to;
  } else if (view.range && [...$("range").options].some((o) => o.value === view.range)) {
    $("range").value = view.range;
  }
  if (view.metric && [...$("series-metric").options].some((o) => o.value === view.metric)) $("series-metric").value = view.metric;
  active.clear();
  for (const [dimension, values] of view.filters) active.set(dimension, values);
  renderChips();
  $("auto-refresh").checked = view.refresh;
  autoRefresh();
}

let refreshing = 0;
/** Every 30 s while the box is ticked (and the tab is shown), the whole view again. */
function autoRefresh() {
  clearInterval(refreshing);
  refreshing = $("auto-refresh").checked ? setInterval(() => document.visibilityState === "visible" && token && load(), 30_000) : 0;
}

/** Every panel of the view: the section whose coming near the screen loads it (`trigger`), the panel it
 * draws in, and its load (what it asks, resolving to the function that draws the answer). */
function panels(params) {
  const entry = (id, load, trigger = $(id)) => ({ trigger, panel: $(id), load, state: "stale" });
  const managed = managedLoads();
  const tables = Object.entries(TABLES).map(([name, spec]) => {
    const section = document.querySelector(`[data-table="${name}"]`);
    return { trigger: section, panel: section, state: "stale",
      load: () => get(token, spec.route, tableParams(spec)).then((doc) => () => renderTable(section, spec, doc)) };
  });
  return [
    entry("cards-panel", () => get(token, "/vitals/summary", params).then((doc) => () => renderCards($("cards"), doc))),
    entry("series-panel", () => Promise.all([get(token, "/vitals/timeseries", params), get(token, "/releases", params)])
      .then(([doc, releases]) => () => renderSeries($("series-chart"), doc, $("series-metric").value, releases.rows))),
    entry("histogram-panel", () => get(token, "/vitals/histogram", { ...params, metric: $("histogram-metric").value })
      .then((doc) => () => renderHistogram($("histogram-chart"), doc, pickBin))),
    entry("breakdown-panel", () => get(token, "/navigation", { ...params, by: "path", limit: 8 })
      .then((doc) => () => renderBreakdown($("breakdown-chart"), doc))),
    ...Object.entries(managed).map(([id, load]) => entry(id, load)),
    ...tables,
    // The AI chart shows only where there are AI calls: asked for with the AI models table beside it.
    entry("ai-panel", () => get(token, "/ai/timeseries", { site: params.site, ...windowParams() }).then((doc) => () => {
      $("ai-panel").hidden = !doc.rows.some((r) => r.calls);
      renderAvailability($("ai-chart"), doc.rows, "AI calls");
    }), document.querySelector('[data-table="ai-models"]')),
  ];
}

// Panels load when they come near the screen, not all at sign-in: at 10M page views the embedded engine
// answers the ~35 questions of every panel in seconds, one after another, where those of the first screen
// take a fraction of one; and a panel nobody scrolls to (or an auto-refresh of it) costs the server nothing.
let view = { generation: 0, entries: [], inFlight: 0, failed: false, settled: false, started: 0, params: {} };

function isNear(section, margin) {
  if (!section || section.hidden || !section.getClientRects().length) return false;
  const box = section.getBoundingClientRect();
  return box.bottom > -margin && box.top < window.innerHeight + margin;
}

/** The panels on the screen first; once they are drawn, those within half a screen of it too, so that a
 * panel is ready as it scrolls in. */
function loadNear() {
  const margin = view.settled ? window.innerHeight / 2 : 0;
  for (const entry of view.entries) if (entry.state === "stale" && isNear(entry.trigger, margin)) run(view, entry);
}

async function run(mine, entry) {
  entry.state = "loading";
  entry.panel.dataset.askedAt = Math.round(performance.now());
  mine.inFlight++;
  document.body.dataset.state = "loading";
  $("status").textContent = "Loading…";
  try {
    const draw = await entry.load();
    if (mine !== view) return;
    await draw();
    entry.panel.removeAttribute("data-stale");
    // When it was drawn (ms on the page's clock), for the load benchmark and the curious.
    entry.panel.dataset.drawnAt = Math.round(performance.now());
    entry.state = "done";
  } catch (error) {
    if (mine !== view) return;
    entry.state = "failed";
    mine.failed = true;
    fail(error);
  } finally {
    mine.inFlight--;
    if (mine === view && mine.inFlight === 0) settle();
  }
}

function settle() {
  const shown = view.params.range || `${view.params.from} – ${view.params.to}`;
  const done = view.entries.filter((e) => e.state === "done").length;
  if (view.failed) {
    document.body.dataset.state = "error";
    return;
  }
  $("status").textContent = `Loaded in ${Math.round(performance.now() - view.started)} ms · ${done} of ${view.entries.length} panels`
    + ` (the others as they come into view) · window ${shown} · ${$("series-metric").value} series`;
  document.body.dataset.state = "ready";
  if (!view.settled) {
    view.settled = true;
    loadNear();
  }
}

const nearby = "IntersectionObserver" in window
  ? new IntersectionObserver((seen) => { if (seen.some((e) => e.isIntersecting)) loadNear(); }, { rootMargin: "50% 0px" })
  : null;

function load() {
  writeView(currentView());
  const params = filters();
  view = { generation: ++generation, entries: panels(params), inFlight: 0, failed: false, settled: false, started: performance.now(), params };
  document.querySelectorAll("[data-drawn-at]").forEach((panel) => delete panel.dataset.drawnAt);
  document.querySelectorAll("[data-asked-at]").forEach((panel) => delete panel.dataset.askedAt);
  // What a panel shows until it loads again is of the view before: dimmed.
  for (const entry of view.entries) entry.panel.dataset.stale = "";
  if (nearby) {
    nearby.disconnect();
    for (const entry of view.entries) if (entry.trigger) nearby.observe(entry.trigger);
  }
  loadNear();
  if (view.inFlight === 0) settle(); // nothing near the screen to load
}

async function loadDimensionValues() {
  const dimension = $("dimension").value;
  const select = $("dimension-value");
  select.hidden = true;
  if (!dimension) return;
  // The values seen under the other filters in force, most page views first.
  const params = { ...filters(), by: dimension, metric: "LCP", limit: 100 };
  delete params[dimension];
  try {
    const doc = await get(token, "/vitals/split", params);
    const choose = new Option(`${dimension}…`, "\u0000");
    select.replaceChildren(choose, ...doc.rows.map((r) => new Option(`${r.value || "(none)"} (${r.samples})`, r.value)));
    select.hidden = false;
    select.dataset.ready = dimension;
  } catch (error) {
    fail(error);
  }
}

function applyValue() {
  const dimension = $("dimension").value;
  const value = $("dimension-value").value;
  if (!dimension || value === "\u0000") return;
  // Another value of a dimension already filtered widens it (any of them); the same value does nothing.
  const values = active.get(dimension) || [];
  if (!values.includes(value)) active.set(dimension, [...values, value]);
  $("dimension").value = "";
  $("dimension-value").hidden = true;
  renderChips();
  load();
}

async function signIn(candidate) {
  const doc = await get(candidate, "/sites");
  token = candidate;
  saveToken(token);
  $("site").replaceChildren(...doc.rows.map((r) => new Option(r.name === r.site ? r.site : `${r.name} (${r.site})`, r.site)));
  $("sign-in").hidden = true;
  $("filters").hidden = false;
  $("dashboard").hidden = false;
  addExports($("cards-panel"), "/vitals/summary", {});
  applyView(readView());
  await load();
}

function signOut(message = "") {
  token = "";
  clearInterval(refreshing);
  active.clear();
  renderChips();
  saveToken("");
  $("dashboard").hidden = true;
  $("trace").hidden = true;
  $("filters").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  document.body.dataset.state = "signed-out";
}

function wire() {
  // Export buttons of the cards and the table panels.
  const cardsPanel = document.createElement("section");
  cardsPanel.className = "panel";
  cardsPanel.id = "cards-panel";
  cardsPanel.innerHTML = "<h2>Core Web Vitals (p75)</h2>";
  $("cards").before(cardsPanel);
  cardsPanel.append($("cards"));
  for (const [name, spec] of Object.entries(TABLES)) {
    addExports(document.querySelector(`[data-table="${name}"]`), spec.route, spec.params, spec);
  }
  $("dashboard").addEventListener("click", (event) => {
    const button = event.target.closest("[data-trace]");
    if (button) openTrace(button.dataset.trace);
    const selection = event.target.closest("[data-explore]");
    if (selection) explore(selection.dataset.explore, selection.dataset.value);
    const view = event.target.closest("[data-page-view]");
    if (view) openPageView(view.dataset.pageView);
    const failure = event.target.closest("[data-error-open]");
    if (failure) openError(failure.dataset.errorOpen);
    const report = event.target.closest("[data-report]");
    if (report) download(token, "/report", { site: $("site").value, period: report.dataset.report }, report.dataset.format).catch(fail);
    const waive = event.target.closest("[data-override-new]");
    if (waive) {
      // An override needs a justification (docs/budgets.md): asked for, then the budgets again.
      const why = prompt(`Why waive ${waive.dataset.overrideNew} for 24 hours?`);
      if (why) {
        send(token, "POST", `/budgets/${encodeURIComponent(waive.dataset.overrideNew)}/overrides`, {}, { justification: why, expires_in: "24h" })
          .then(() => loadManaged()).catch(fail);
      }
    }
    const end = event.target.closest("[data-override-end]");
    if (end) {
      send(token, "DELETE", `/budgets/${encodeURIComponent(end.dataset.budget)}/overrides/${encodeURIComponent(end.dataset.overrideEnd)}`, {}, undefined)
        .then(() => loadManaged()).catch(fail);
    }
    const act = event.target.closest("[data-alert-action]");
    if (act) actOnAlert(act.dataset.alertAction, act.dataset.rule).catch(fail);
  });
  $("close-trace").addEventListener("click", () => { $("trace").hidden = true; });
  $("close-explorer").addEventListener("click", () => { $("explorer").hidden = true; });
  $("close-page-view").addEventListener("click", () => { $("page-view").hidden = true; });
  $("close-error-view").addEventListener("click", () => { $("error-view").hidden = true; });
  addExports($("series-chart").closest(".panel"), "/vitals/timeseries", {});
  addExports($("breakdown-chart").closest(".panel"), "/navigation", { by: "path" });

  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    signIn($("token").value.trim()).catch((error) => {
      $("sign-in-error").textContent = error instanceof AuthError ? "That token is not valid." : error.message;
    });
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("site").addEventListener("change", () => {
    active.clear();
    renderChips();
    load();
  });
  $("range").addEventListener("change", () => {
    const custom = $("range").value === "custom";
    $("custom-range").hidden = !custom;
    if (custom) {
      // Start from the last 24 hours, on whole hours (which the rollups answer).
      const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
      $("to").value = new Date(hour.getTime() + 3_600_000).toISOString().slice(0, 16);
      $("from").value = new Date(hour.getTime() - 23 * 3_600_000).toISOString().slice(0, 16);
    }
    load();
  });
  $("apply-range").addEventListener("click", () => load());
  $("dimension").addEventListener("change", () => loadDimensionValues());
  $("dimension-value").addEventListener("change", applyValue);
  $("series-metric").addEventListener("change", () => load());
  $("histogram-metric").addEventListener("change", () =>
    get(token, "/vitals/histogram", { ...filters(), metric: $("histogram-metric").value })
      .then((doc) => renderHistogram($("histogram-chart"), doc, pickBin)).catch(fail));
  $("auto-refresh").addEventListener("change", () => {
    autoRefresh();
    writeView(currentView());
  });
  $("ops-sort").addEventListener("change", () => loadTable("operations-compare").catch(fail));
  $("why-pick").addEventListener("change", () => loadTable("why").catch(fail));
  $("host-pick").addEventListener("change", () => loadHost().catch(fail));
  $("release-b").addEventListener("change", () => loadRelease().catch(fail));
  $("dashboard").addEventListener("change", (event) => {
    const select = event.target.closest("[data-suggestion]");
    if (select) {
      send(token, "PUT", `/suggestions/${encodeURIComponent(select.dataset.suggestion)}`, { site: $("site").value }, { status: select.value })
        .then(() => { select.dataset.saved = select.value; })
        .catch(fail);
    }
  });
  $("dependency-pick").addEventListener("change", () => loadDependency().catch(fail));
  // The AI usage report of the window, per day, as the API renders it (a PDF to file or mail).
  $("ai-report").addEventListener("click", () =>
    download(token, "/ai/report", { site: $("site").value, ...windowParams(), period: "day" }, "pdf").catch(fail));

  const saved = savedToken();
  if (saved) signIn(saved).catch(() => signOut());
  else document.body.dataset.state = "signed-out";
}

wire();
