// The two charts (Chart.js, registered piece by piece so the bundle carries only what is drawn).
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip);

const PHASE_COLORS = { dns: "#8ecae6", connect: "#219ebc", tls: "#126782", server: "#fb8500", download: "#ffb703", render: "#6a4c93" };
const charts = new Map();

function draw(canvas, config) {
  charts.get(canvas.id)?.destroy();
  charts.set(canvas.id, new Chart(canvas, config));
}

const SERIES_COLORS = { LCP: "#126782", INP: "#fb8500", FCP: "#2a9d8f", TTFB: "#6a4c93", CLS: "#126782" };
const TOO_FEW = "#bbbbbb";

/**
 * The percentile over time, one line per metric (`metric`: one of them, or "ms" for every metric in ms on
 * one axis). Every bucket of the window is there: an empty one is a gap, not a line drawn across it; a
 * point from too few samples is grey; the tooltip says the samples and the 95% interval.
 */
export function renderSeries(canvas, doc, metric, releases = []) {
  const metrics = metric === "ms" ? ["LCP", "INP", "FCP", "TTFB"] : [metric];
  const times = [...new Set(doc.rows.map((r) => r.time))];
  const at = new Map(doc.rows.map((r) => [`${r.metric} ${r.time}`, r]));
  const label = (iso) => new Date(iso).toLocaleString("en-GB", { timeZone: "UTC", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const datasets = metrics.filter((m) => doc.rows.some((r) => r.metric === m)).map((m) => {
    const rows = times.map((t) => at.get(`${m} ${t}`) || { samples: 0, value: null, enough: false });
    return {
      label: `${m} p${doc.percentile}`, data: rows.map((r) => r.value), rows, spanGaps: false,
      borderColor: SERIES_COLORS[m], backgroundColor: SERIES_COLORS[m], pointRadius: 2, tension: 0.2,
      pointBackgroundColor: rows.map((r) => (r.enough ? SERIES_COLORS[m] : TOO_FEW)),
      pointBorderColor: rows.map((r) => (r.enough ? SERIES_COLORS[m] : TOO_FEW)),
    };
  });
  const drawn = datasets.reduce((n, d) => n + d.rows.filter((r) => r.samples).length, 0);
  // Release markers: a dashed line at the bucket each release was first seen in, named at its top.
  const starts = times.map((t) => Date.parse(t));
  const step = (doc.bucket_seconds || 3600) * 1000;
  const marks = releases
    .map((r) => ({ name: r.release, index: starts.findIndex((s) => s <= Date.parse(r.first_seen) && Date.parse(r.first_seen) < s + step) }))
    .filter((m) => m.index >= 0);
  canvas.dataset.releases = marks.map((m) => `${m.name}@${times[m.index]}`).join(" ");
  const releaseLines = {
    id: "releases",
    afterDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      ctx.strokeStyle = "#6a4c93";
      ctx.fillStyle = "#6a4c93";
      ctx.setLineDash([4, 3]);
      ctx.font = "11px sans-serif";
      for (const m of marks) {
        const x = scales.x.getPixelForValue(m.index);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.fillText(m.name, x + 3, chartArea.top + 10);
      }
      ctx.restore();
    },
  };
  canvas.setAttribute("aria-label", `${metrics.join(", ")} p${doc.percentile}: ${times.length} buckets, ${drawn} with samples`);
  canvas.dataset.buckets = String(times.length);
  draw(canvas, {
    type: "line",
    data: { labels: times.map(label), datasets },
    plugins: [releaseLines],
    options: {
      animation: false, maintainAspectRatio: false,
      plugins: {
        tooltip: {
          callbacks: {
            afterLabel: (ctx) => {
              const r = ctx.dataset.rows[ctx.dataIndex];
              const fmt = (v) => (v === null ? "–" : Math.round(v * 1000) / 1000);
              return `${r.samples} samples${r.enough ? "" : " (too few to judge)"}; 95% CI ${fmt(r.ci_low)} – ${fmt(r.ci_high)}`;
            },
          },
        },
      },
      scales: { y: { beginAtZero: true, title: { display: true, text: metric === "CLS" ? "score" : "ms" } } },
    },
  });
}

/** One host's CPU and memory use over time (shares as percent), at the resolution the API answered. */
export function renderHostSeries(canvas, doc) {
  const label = (iso) => new Date(iso).toLocaleString("en-GB", { timeZone: "UTC", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const percent = (v) => (v === null ? null : Math.round(v * 1000) / 10);
  const cpu = doc.rows.map((r) => percent(r.cpu));
  const memory = doc.rows.map((r) => percent(r.memory));
  const peak = (values) => Math.max(...values.filter((v) => v !== null));
  // What the chart shows, in words (screen readers, and the tests).
  canvas.setAttribute("aria-label", `${doc.host}: ${doc.rows.length} points; CPU peak ${peak(cpu)}%, memory peak ${peak(memory)}%`);
  canvas.dataset.points = String(doc.rows.length);
  draw(canvas, {
    type: "line",
    data: {
      labels: doc.rows.map((r) => label(r.time)),
      datasets: [
        { label: "CPU %", data: cpu, borderColor: "#fb8500", backgroundColor: "#fb8500", pointRadius: 1, spanGaps: true },
        { label: "Memory %", data: memory, borderColor: "#126782", backgroundColor: "#126782", pointRadius: 1, spanGaps: true },
      ],
    },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 100, title: { display: true, text: "% used" } } } },
  });
}

/**
 * Calls over time: availability (percent, left axis) and p95 latency (ms, right axis) per bucket. `rows`:
 * {time, calls, availability (share or null), p95_ms}; `what` names the calls ("AI calls").
 */
export function renderAvailability(canvas, rows, what) {
  const label = (iso) => new Date(iso).toLocaleString("en-GB", { timeZone: "UTC", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const calls = rows.reduce((n, r) => n + r.calls, 0);
  const availability = rows.map((r) => (r.availability === null ? null : Math.round(r.availability * 1000) / 10));
  const lowest = Math.min(...availability.filter((v) => v !== null));
  // What the chart shows, in words (screen readers, and the tests).
  canvas.setAttribute("aria-label", calls ? `${calls} ${what}; lowest availability ${lowest}%` : `No ${what}`);
  draw(canvas, {
    type: "line",
    data: {
      labels: rows.map((r) => label(r.time)),
      datasets: [
        { label: "Availability %", data: availability, yAxisID: "y", borderColor: "#2a9d8f", backgroundColor: "#2a9d8f", pointRadius: 1, spanGaps: true },
        { label: "p95 ms", data: rows.map((r) => r.p95_ms), yAxisID: "ms", borderColor: "#e76f51", backgroundColor: "#e76f51", pointRadius: 1, spanGaps: true },
      ],
    },
    options: {
      animation: false, maintainAspectRatio: false,
      plugins: { tooltip: { callbacks: { afterLabel: (ctx) => `${rows[ctx.dataIndex].calls} calls` } } },
      scales: { y: { min: 0, max: 100, title: { display: true, text: "available %" } }, ms: { position: "right", beginAtZero: true, title: { display: true, text: "ms" } } },
    },
  });
}

const BAND_COLORS = { good: "#0c7a43", "needs-improvement": "#e3a008", poor: "#d63232" };

/** How a metric's values spread: one bar per bin, coloured by the band it falls in (the thresholds). */
/** The distribution of one metric; a click on a bin calls `onPick(row)` with that bin (its low and high). */
export function renderHistogram(canvas, doc, onPick = () => {}) {
  const unit = doc.metric === "CLS" ? "" : " ms";
  const shares = { good: 0, "needs-improvement": 0, poor: 0 };
  for (const r of doc.rows) if (r.rating && r.share) shares[r.rating] += r.share;
  const pct = (v) => `${Math.round(v * 1000) / 10}%`;
  canvas.setAttribute("aria-label", `${doc.metric}: ${doc.samples} samples; good ${pct(shares.good)}, needs improvement`
    + ` ${pct(shares["needs-improvement"])}, poor ${pct(shares.poor)} (thresholds ${doc.good_threshold}${unit} and ${doc.poor_threshold}${unit})`);
  draw(canvas, {
    type: "bar",
    data: {
      labels: doc.rows.map((r) => (r.high === null ? `≥ ${r.low}` : `${r.low}`)),
      datasets: [{ label: `${doc.metric} samples`, data: doc.rows.map((r) => r.count), backgroundColor: doc.rows.map((r) => BAND_COLORS[r.rating] || "#888"), barPercentage: 1, categoryPercentage: 1 }],
    },
    options: {
      animation: false, maintainAspectRatio: false,
      // A click anywhere above a bin picks it (not only on the bar: a bin of few samples is a thin one).
      interaction: { mode: "index", intersect: false },
      onClick: (event, found) => { if (found.length) onPick(doc.rows[found[0].index]); },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => { const r = doc.rows[ctx.dataIndex]; return `${Math.round(r.count)} samples (${pct(r.share || 0)}), ${r.rating}; click for its page views`; } } },
      },
      scales: { x: { title: { display: true, text: `${doc.metric}${unit ? " (ms, bin start)" : " (bin start)"}` } }, y: { beginAtZero: true, title: { display: true, text: "samples" } } },
    },
  });
}

export function renderBreakdown(canvas, doc) {
  const phases = Object.keys(PHASE_COLORS);
  const paths = [...new Set(doc.rows.map((r) => r.value))];
  const at = new Map(doc.rows.map((r) => [`${r.value}\u0000${r.phase}`, r]));
  draw(canvas, {
    type: "bar",
    data: {
      labels: paths,
      datasets: phases.map((phase) => ({
        label: phase, backgroundColor: PHASE_COLORS[phase],
        data: paths.map((p) => at.get(`${p}\u0000${phase}`)?.p50 ?? 0),
      })),
    },
    options: {
      indexAxis: "y", animation: false, maintainAspectRatio: false,
      scales: { x: { stacked: true, title: { display: true, text: "ms (median)" } }, y: { stacked: true } },
    },
  });
}
