"""The page-view explorer: the page views behind a selection (a path, a metric's rating or range, an API
endpoint, an error, and the page dimensions of the filters), and one page view's whole record from every
table that holds its events.

Values come in as query parameters; column and table names only from tables.py.
"""

from __future__ import annotations

from rumhouse.query.filters import Filters
from rumhouse.tables import COLUMNS, DIMENSIONS, PAGE_LABELS, THRESHOLDS

METRICS = ("LCP", "INP", "CLS", "FCP", "TTFB")
LIST_COLUMNS = (
    "page_view_id", "time", "path", "browser", "os", "device_type", "country", "release", "navigation_type",
    "label", "trace_id", *(m.lower() for m in METRICS),
)  # fmt: skip
RATINGS = ("good", "needs-improvement", "poor")
# A page view's events: table -> its own columns (not the page view's dimensions, which it shares).
EVENT_TABLES = ("vitals", "errors", "api_calls", "resources", "measures", "websockets")
RECORD_COLUMNS = {
    "page_views": COLUMNS["page_views"],
    **{t: tuple(c for c in COLUMNS[t] if c not in DIMENSIONS and c not in PAGE_LABELS) for t in EVENT_TABLES},
}


def rating_sql(metric: str, rating: str) -> str:
    """The condition on the column of `metric` (a METRICS name, checked by the caller) for a rating."""
    good, poor = THRESHOLDS[metric]
    column = metric.lower()
    return {
        "good": f"{column} <= {good}",
        "needs-improvement": f"{column} > {good} AND {column} <= {poor}",
        "poor": f"{column} > {poor}",
    }[rating]


def list_sql(f: Filters, conditions: list[str], order: str) -> str:
    """Page views of the window and filters with their vitals (NULL when not measured), `conditions` on
    those columns (or on page_view_id), in `order`; parameter limit."""
    per_view = ", ".join(f"maxIf(toNullable(value), name = '{m}') AS {m.lower()}" for m in METRICS)
    vitals = (
        f"SELECT page_view_id, {per_view} FROM rumhouse.vitals WHERE {f.raw_where()} GROUP BY page_view_id"
    )
    where = " AND ".join(conditions) or "1"
    columns = ", ".join(f"p.{c}" if c in COLUMNS["page_views"] else c for c in LIST_COLUMNS)
    return (
        f"SELECT {columns} FROM (SELECT * FROM rumhouse.page_views WHERE {f.raw_where()}) AS p"
        f" LEFT JOIN ({vitals}) AS v ON v.page_view_id = p.page_view_id"
        f" WHERE {where} ORDER BY {order} LIMIT {{limit:UInt32}}"
    )


# What a page view may be chosen by, beside its vitals: (table, column, parameter type). The parameter is
# named as the column.
HAVING = {"endpoint": ("api_calls", "endpoint", "String"), "error": ("errors", "fingerprint", "UInt64")}


def having_sql(f: Filters, what: str) -> str:
    """The page views of the window with a row in the table of HAVING[what] whose column equals the
    parameter of that name: the page views that called an endpoint, or had an error."""
    table, column, kind = HAVING[what]
    return (
        f"p.page_view_id IN (SELECT page_view_id FROM rumhouse.{table}"
        f" WHERE {f.raw_where(dimensions=False)} AND {column} = {{{column}:{kind}}})"
    )


def record_sql(table: str) -> str:
    """One page view's rows of `table` (a key of RECORD_COLUMNS), in time order; parameters site, id."""
    columns = ", ".join(RECORD_COLUMNS[table])
    order = " ORDER BY time" if "time" in RECORD_COLUMNS[table] else ""
    return (
        f"SELECT {columns} FROM rumhouse.{table}"
        f" WHERE site = {{site:String}} AND page_view_id = {{id:String}}{order} LIMIT 1000"
    )
