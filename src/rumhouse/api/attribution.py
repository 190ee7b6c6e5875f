"""Why a metric is what it is: its page views grouped by what web-vitals' attribution names (the element,
the LCP image, the script behind slow interactions, the event type, the loading state), each group with its
share of the samples, its p75 and the p75 of each part of the value (clickhouse/0012_vital_attribution.sql).

From the raw table only: the rollups keep values, not their attribution.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from rumhouse.api.common import choose_source, int_param, metric_param, rows
from rumhouse.api.filters import ParamError
from rumhouse.api.table import Table
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store

# What a group is, by `by`: the column, and the metrics it means something for.
GROUPS = {
    "element": ("attribution", ("LCP", "INP", "CLS")),
    "url": ("resource_url", ("LCP",)),
    "script": ("script_url", ("INP",)),
    "invoker": ("script_invoker", ("INP",)),
    "event": ("event_type", ("INP",)),
    "load_state": ("load_state", ("INP", "CLS", "FCP")),
}
# The parts of each metric's value, as answer fields (p75 of each) and their columns.
PARTS = {
    "ttfb": "ttfb_ms",
    "load_delay": "load_delay_ms",
    "load_duration": "load_duration_ms",
    "render_delay": "render_delay_ms",
    "input_delay": "input_delay_ms",
    "processing": "processing_ms",
    "presentation": "presentation_ms",
    "script": "script_ms",
    "shift": "shift_value",
}
COLUMNS = ["key", "samples", "share", "p75", *[f"{part}_p75" for part in PARTS]]


def attribution(store: Store, f: Filters, q: QueryParams) -> Table:
    metric = metric_param(q)
    by = q.get("by", "element")
    if by not in GROUPS:
        raise ParamError(f"by must be one of {', '.join(GROUPS)}")
    column, metrics = GROUPS[by]
    if metric not in metrics:
        raise ParamError(f"by={by} is for {', '.join(metrics)}, not {metric}")
    if choose_source(q, False) != "raw":
        raise ParamError("attribution is answered from the raw rows only; use source=raw or auto")
    limit = int_param(q, "limit", 50, 1, 1000)
    where = f"{f.raw_where()} AND name = {{metric:String}}"
    parts = ", ".join(f"quantileExactInclusive(0.75)({c})" for c in PARTS.values())
    sql = (
        f"SELECT {column} AS key, count() AS samples, quantileExactInclusive(0.75)(value), {parts}"
        f" FROM rumhouse.vitals WHERE {where} GROUP BY key ORDER BY samples DESC, key LIMIT {{limit:UInt32}}"
    )
    found = rows(store, sql, f, {"metric": metric, "limit": limit})
    total = rows(store, f"SELECT count() FROM rumhouse.vitals WHERE {where}", f, {"metric": metric})[0][0]
    out = [
        {
            "key": key,
            "samples": int(n),
            "share": int(n) / total if total else None,
            "p75": p75,
            **{f"{part}_p75": value for part, value in zip(PARTS, values, strict=True)},
        }
        for key, n, p75, *values in found
    ]
    return Table(COLUMNS, out, "raw", {"metric": metric, "by": by})
