// The dependency map: callers (services, and "browser" for the pages) on the left, what they call on the
// right, one line per edge: its width grows with the calls, red when over 5% of them fail. Each line's
// title says its figures; the table below says them all.
import { integer, ms, percent } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const ROW = 34;

function node(svg, x, y, label, anchor) {
  const text = document.createElementNS(SVG, "text");
  text.setAttribute("x", x);
  text.setAttribute("y", y + 4);
  text.setAttribute("text-anchor", anchor);
  text.textContent = label;
  svg.append(text);
}

export function renderMap(section, doc) {
  section.querySelector("svg.depmap")?.remove();
  if (!doc.rows.length) return;
  const callers = [...new Set(doc.rows.map((e) => e.caller))];
  const targets = [...new Set(doc.rows.map((e) => `${e.dependency} (${e.kind})`))];
  const height = Math.max(callers.length, targets.length) * ROW + 10;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "depmap");
  svg.setAttribute("viewBox", `0 0 600 ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Dependency map: callers on the left, dependencies on the right");
  const y = (list, i) => 20 + i * ROW + ((height - 10 - list.length * ROW) / 2);
  const most = Math.max(...doc.rows.map((e) => e.calls));
  for (const edge of doc.rows) {
    const line = document.createElementNS(SVG, "line");
    line.setAttribute("x1", 190);
    line.setAttribute("y1", y(callers, callers.indexOf(edge.caller)));
    line.setAttribute("x2", 410);
    line.setAttribute("y2", y(targets, targets.indexOf(`${edge.dependency} (${edge.kind})`)));
    line.setAttribute("stroke-width", (1 + 7 * Math.sqrt(edge.calls / most)).toFixed(1));
    line.setAttribute("class", edge.error_rate > 0.05 ? "edge failing" : "edge");
    line.dataset.edge = `${edge.caller} -> ${edge.dependency}`;
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${edge.caller} → ${edge.dependency}: ${integer(edge.calls)} calls, `
      + `${percent(edge.error_rate)} failed, p95 ${ms(edge.p95_ms)}`;
    line.append(title);
    svg.append(line);
  }
  callers.forEach((name, i) => node(svg, 180, y(callers, i), name, "end"));
  targets.forEach((name, i) => node(svg, 420, y(targets, i), name, "start"));
  section.querySelector("h2").after(svg);
}
