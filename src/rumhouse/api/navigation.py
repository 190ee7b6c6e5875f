"""The navigation breakdown: DNS, connect, TLS, server, download, render (and the whole load), as
percentiles with their sample counts, overall or per value of one dimension (usually the path).

Long format, one row per phase (per value): that is what a stacked bar or a waterfall draws, and it
exports to CSV as it is.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from rumhouse.api.common import (
    choose_source,
    dimension_param,
    int_param,
    percentile_fields,
    raw_quantiles,
    rollup_quantiles,
    rows,
)
from rumhouse.api.table import Table
from rumhouse.api.thresholds import PERCENTILES
from rumhouse.query.filters import DIMENSIONS, Filters
from rumhouse.store.base import Store

PHASES = ("dns", "connect", "tls", "server", "download", "render", "load")


def breakdown(store: Store, f: Filters, q: QueryParams) -> Table:
    by = dimension_param(q, default=None) if "by" in q else None
    limit = int_param(q, "limit", 20, 1, 500)
    # Split by one dimension: the rollup has its rows only when no other dimension is filtered.
    source = choose_source(q, f.hour_aligned and set(f.dims) <= {by} if by else f.rollup_ok)
    if source == "rollup":
        stats = ", ".join(f"sum({p}_samples), {rollup_quantiles(p)}" for p in PHASES)
        group = "dim_value" if by else "''"
        sql = (
            f"SELECT {group} AS v, sum(page_views) AS views, {stats}"
            f" FROM {f.rollup_source('page_views', f.rollup_dims(split_by=by))}"
            " GROUP BY v ORDER BY views DESC, v LIMIT {limit:UInt32}"
        )
    else:
        stats = ", ".join(f"count({p}_ms), {raw_quantiles(p + '_ms')}" for p in PHASES)
        group = DIMENSIONS[by] if by else "''"
        sql = (
            f"SELECT {group} AS v, count() AS views, {stats} FROM rumhouse.page_views"
            f" WHERE {f.raw_where()} GROUP BY v ORDER BY views DESC, v LIMIT {{limit:UInt32}}"
        )
    out = []
    for row in rows(store, sql, f, {"limit": limit}):
        value, views = row[0], row[1]
        for i, phase in enumerate(PHASES):
            samples, quantiles = row[2 + 2 * i], row[3 + 2 * i]
            entry = {"value": value} if by else {}
            entry.update(
                {
                    "page_views": views,
                    "phase": phase,
                    "samples": samples,
                    **percentile_fields(quantiles if samples else None),
                }
            )
            out.append(entry)
    columns = (["value"] if by else []) + ["page_views", "phase", "samples", *[f"p{p}" for p in PERCENTILES]]
    return Table(columns, out, source, {"by": by, "phases": list(PHASES)})
