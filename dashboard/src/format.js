// How numbers are shown. CLS is a unitless score; every other metric is in milliseconds.

export function metricValue(metric, value) {
  if (value === null || value === undefined) return "–";
  if (metric === "CLS") return value.toFixed(3);
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${Math.round(value)} ms`;
}

export function percent(share) {
  return share === null || share === undefined ? "–" : `${(share * 100).toFixed(1)}%`;
}

export function integer(n) {
  return n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US");
}

export function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function ms(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value)} ms`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleString("en-GB", { timeZone: "UTC" }) + " UTC" : "–";
}

/** A relative change, signed: +12.5% (slower), -3.0% (faster). */
export function change(ratio) {
  return ratio === null || ratio === undefined ? "–" : `${ratio >= 0 ? "+" : ""}${(ratio * 100).toFixed(1)}%`;
}

/** US dollars, an estimate: cents below a dollar shown to a tenth of a cent. */
export function usd(value) {
  if (value === null || value === undefined) return "–";
  return value < 1 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}
