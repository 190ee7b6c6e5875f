// The trace view: one backend trace as a waterfall (GET /api/v1/trace), opened from any trace button
// of the backend tables. Each span is a bar on the trace's time axis, indented by its depth; above them,
// where the root span's time went (database, outbound calls, the application itself).
import { ms } from "./format.js";

export function renderTrace(section, doc) {
  const total = Math.max(doc.duration_ms || 0, ...doc.rows.map((r) => r.start_ms + r.duration_ms), 1);
  const summary = document.createElement("p");
  summary.className = "trace-summary";
  summary.dataset.databaseMs = doc.database_ms;
  summary.textContent = `${doc.rows.length} spans · ${ms(doc.duration_ms)} in all · database ${ms(doc.database_ms)}`
    + ` · outbound ${ms(doc.outbound_ms)} · application ${ms(doc.application_ms)}`;
  const list = document.createElement("ol");
  list.className = "waterfall";
  for (const span of doc.rows) {
    const item = document.createElement("li");
    item.dataset.kind = span.kind;
    const label = document.createElement("span");
    label.className = "span-name";
    label.style.paddingLeft = `${span.depth}em`;
    label.textContent = `${span.service} · ${span.route || span.db_statement || span.name}`;
    const lane = document.createElement("span");
    lane.className = "lane";
    const bar = document.createElement("span");
    bar.className = `bar${span.status === "Error" ? " error" : ""}`;
    bar.style.marginLeft = `${(100 * span.start_ms) / total}%`;
    bar.style.width = `${Math.max((100 * span.duration_ms) / total, 0.5)}%`;
    bar.title = `${span.name}: ${ms(span.duration_ms)} from ${ms(span.start_ms)}`;
    lane.append(bar);
    const took = document.createElement("span");
    took.className = "num";
    took.textContent = ms(span.duration_ms);
    item.append(label, lane, took);
    list.append(item);
  }
  section.querySelector(".trace-summary")?.remove();
  section.querySelector(".waterfall")?.remove();
  section.append(summary, list);
  section.hidden = false;
}
