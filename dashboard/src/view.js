// The view in the page's URL: site, range (or from and to), the filters and the series metric, so that a
// view is a link to share and survives a reload. Never the token (it stays in sessionStorage).
export const DIMENSIONS = ["path", "browser", "os", "device", "country", "connection", "release"];

/** What the URL asks for: {site, range, from, to, metric, refresh, filters: [[dimension, [values]], ...]}. */
export function readView() {
  const q = new URLSearchParams(location.search);
  return {
    site: q.get("site"),
    range: q.get("range"),
    from: q.get("from"),
    to: q.get("to"),
    metric: q.get("metric"),
    refresh: q.get("refresh") === "1",
    filters: DIMENSIONS.filter((d) => q.has(d)).map((d) => [d, q.getAll(d)]),
  };
}

/** Puts the view in the URL, replacing the history entry (a reload keeps it; Back leaves the page). */
export function writeView(view) {
  const q = new URLSearchParams();
  for (const key of ["site", "range", "from", "to", "metric"]) if (view[key]) q.set(key, view[key]);
  for (const [dimension, values] of view.filters) values.forEach((value) => q.append(dimension, value));
  if (view.refresh) q.set("refresh", "1");
  history.replaceState(null, "", `${location.pathname}?${q}`);
}
