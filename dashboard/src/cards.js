// Core Web Vitals cards: p75 (coloured by its rating), the good / needs-improvement / poor split, and
// the number of samples behind them.
import { integer, metricValue, percent } from "./format.js";

const SHOWN = ["LCP", "INP", "CLS", "FCP", "TTFB", "FID"];

function card(metric, row) {
  const el = document.createElement("article");
  el.className = `card ${row?.rating || ""}`;
  el.dataset.metric = metric;
  el.dataset.testid = `card-${metric}`;
  if (!row) {
    el.innerHTML = `<h3>${metric}</h3><div class="p75">–</div><div class="samples">no samples</div>`;
    return el;
  }
  el.dataset.p75 = row.p75;
  el.dataset.samples = row.samples;
  el.innerHTML = `
    <h3>${metric} <span class="level">p75</span></h3>
    <div class="p75"></div>
    <div class="bar" role="img"><span class="good"></span><span class="ni"></span><span class="poor"></span></div>
    <div class="shares"><span class="good-share"></span> good · <span class="ni-share"></span> NI ·
      <button type="button" class="explore" data-explore="poor" title="The poor page views, worst first"><span class="poor-share"></span> poor</button></div>
    <div class="samples"></div>
    <div class="ci"></div>`;
  el.querySelector(".p75").textContent = metricValue(metric, row.p75);
  el.querySelector("[data-explore=poor]").dataset.value = metric; // main.js opens the explorer on it
  for (const [cls, share] of [["good", row.good], ["ni", row.needs_improvement], ["poor", row.poor]]) {
    el.querySelector(`.bar .${cls}`).style.width = `${(share || 0) * 100}%`;
    el.querySelector(`.${cls}-share`).textContent = percent(share);
  }
  el.querySelector(".bar").setAttribute("aria-label",
    `good ${percent(row.good)}, needs improvement ${percent(row.needs_improvement)}, poor ${percent(row.poor)}`);
  el.querySelector(".samples").textContent = `${integer(row.samples)} samples`;
  // How sure p75 is: its 95% interval (order statistics); greyed when the samples are too few to judge.
  el.querySelector(".ci").textContent = `95% CI ${metricValue(metric, row.p75_ci_low)} – ${metricValue(metric, row.p75_ci_high)}`;
  if (!row.enough) {
    el.classList.add("too-few");
    el.title = `Only ${row.samples} samples: too few to judge (30 or more)`;
  }
  return el;
}

export function renderCards(container, doc) {
  const rows = Object.fromEntries(doc.rows.map((r) => [r.metric, r]));
  container.replaceChildren(...SHOWN.map((m) => card(m, rows[m])));
}
