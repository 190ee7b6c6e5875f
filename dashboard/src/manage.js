// What people act on, beside what they read: budgets judged now, alerts with their state and history (and
// acknowledge / resolve), suggestions ranked with their status, and a release against the one before.
// Each renders an API answer as it came; the buttons and selects carry what main.js sends back.
import { element, table } from "./dom.js";
import { change, integer, metricValue, percent, time } from "./format.js";

function replace(section, className, ...nodes) {
  section.querySelectorAll(`.${className}`).forEach((n) => n.remove());
  for (const node of nodes) {
    node.classList.add(className);
    section.append(node);
  }
}

const value = (metric, v) => (v === null || v === undefined ? "–" : metric.endsWith("rate") || metric.startsWith("host_") ? percent(v) : metricValue(metric, v));

/** The override in force (with a button to end it), or a button to waive the budget for a while. */
function override(b) {
  const cell = element("span");
  if (b.override) {
    cell.append(element("span", `${b.override.limit === null ? "waived" : `limit ${b.override.limit}`} until ${time(b.override.expires_at)}: ${b.override.justification} `));
    cell.append(element("button", "End", { type: "button", "data-override-end": b.override.id, "data-budget": b.name }));
  } else {
    cell.append(element("button", "Waive 24 h…", { type: "button", "data-override-new": b.name }));
  }
  return cell;
}

/** Budgets judged now, each with its compliance day by day over the window (`report`: /budgets/report). */
export function renderBudgets(section, doc, report) {
  if (!doc.budgets.length) return replace(section, "manage-body", element("p", "No budgets for this site (docs/budgets.md)."));
  const compliance = new Map(report.budgets.map((c) => [c.budget, c]));
  const rows = doc.budgets.map((b) => {
    const c = compliance.get(b.name);
    const days = c ? c.periods.filter((p) => p.state !== "insufficient") : [];
    const within = days.filter((p) => p.state === "within" || p.state === "warning").length;
    // One mark per day, in its state's colour: how the budget held over the window.
    const strip = element("span", undefined, { class: "strip", "aria-label": `${within} of ${days.length} days within` });
    for (const p of c ? c.periods : []) strip.append(element("span", "", { class: `day state-${p.state}`, title: `${p.period_start.slice(0, 10)}: ${p.state}` }));
    return {
      attrs: { "data-budget": b.name, "data-state": b.state },
      cells: [b.name, b.description, value(b.metric, b.value), value(b.metric, b.limit), integer(b.samples),
        element("span", b.state, { class: `state state-${b.state}` }), `${within} of ${days.length} days`, strip,
        override(b)],
    };
  });
  replace(section, "manage-body", table(["Budget", "Measures", "Now", "Limit", "Samples", "State", "Within", "Day by day", "Override"], rows));
}

export function renderAlerts(section, alerts, events) {
  if (!alerts.alerts.length) return replace(section, "manage-body", element("p", "No alert rules for this site (docs/alerts.md)."));
  const rows = alerts.alerts.map((a) => {
    const actions = element("span");
    if (a.state === "firing" && !a.acknowledged_by) actions.append(element("button", "Acknowledge", { type: "button", "data-alert-action": "ack", "data-rule": a.rule }));
    if (a.state === "firing" || a.state === "pending") actions.append(element("button", "Resolve", { type: "button", "data-alert-action": "resolve", "data-rule": a.rule }));
    return {
      attrs: { "data-rule": a.rule, "data-state": a.state },
      cells: [a.rule, a.severity, element("span", a.state, { class: `state state-${a.state}` }), a.since ? time(a.since) : "–",
        a.value === null ? "–" : String(Math.round(a.value * 1000) / 1000), a.acknowledged_by ? `acknowledged by ${a.acknowledged_by}` : "", actions],
    };
  });
  const history = events.events.slice(0, 20).map((e) => ({  // newest first, as the API gives them
    cells: [time(e.time), e.rule, `${e.from} → ${e.to}`, e.actor, e.note || ""],
  }));
  replace(section, "manage-body", table(["Rule", "Severity", "State", "Since", "Value", "", ""], rows),
    element("h3", "History (latest 20)"), table(["When", "Rule", "Change", "By", "Note"], history, { "data-history": "" }));
}

export const STATUSES = ["open", "accepted", "done", "dismissed"];

export function renderSuggestions(section, doc) {
  if (!doc.suggestions.length) return replace(section, "manage-body", element("p", "Nothing to suggest in this window."));
  const rows = doc.suggestions.map((s, i) => {
    const select = element("select", undefined, { "data-suggestion": s.id, "aria-label": `Status of ${s.title}` });
    for (const status of STATUSES) select.append(new Option(status, status, false, status === s.status));
    return {
      attrs: { "data-suggestion-row": s.id },
      // Impact: the share (0 to 100%) of what the suggestion is about that it could save (docs/budgets.md).
      cells: [String(i + 1), s.title, s.action, element("span", percent(s.impact), { title: "Share of the time, cost or capacity it is about that this could save" }), s.priority, select],
    };
  });
  replace(section, "manage-body", table(["#", "Suggestion", "What to do", "Impact", "Priority", "Status"], rows),
    element("p", `Impact: the share of the time, cost or capacity a suggestion is about that acting on it could save; ${doc.considered} considered, the best ${doc.suggestions.length} shown.`, { class: "note" }));
}

export function renderRelease(section, doc) {
  const rows = doc.metrics.map((m) => ({
    attrs: { "data-metric": m.metric, "data-verdict": m.verdict },
    cells: [m.metric, `${metricValue(m.metric, m.p75_a)} (${integer(m.samples_a)})`, `${metricValue(m.metric, m.p75_b)} (${integer(m.samples_b)})`,
      change(m.change), m.ci_low === null ? "–" : `${change(m.ci_low)} to ${change(m.ci_high)}`, element("span", m.verdict, { class: `verdict verdict-${m.verdict}` })],
  }));
  const views = element("button", `Page views of ${doc.release_b}…`, { type: "button", class: "explore", "data-explore": "release", "data-value": doc.release_b });
  replace(section, "manage-body", element("p", `${doc.release_b} against ${doc.release_a}: p75 (samples), change and its 95% interval`),
    table(["Metric", doc.release_a, doc.release_b, "Change", "Interval", "Verdict"], rows), views);
}
