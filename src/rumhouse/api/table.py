"""A table-shaped answer and its exports: JSON (the default) and CSV (`?format=csv`).

Every API route answers a `Table`; one renderer turns any of them into either format, so there is no
route whose data can be seen but not exported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec
import orjson
from starlette.responses import Response

FORMATS = ("json", "csv")
TABLE_EXPORTS = ("text/csv",)  # what a table answers besides JSON (OpenAPI)


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, Any]]
    # Where the answer came from: "rollup" (hourly t-digest states) or "raw" (exact, from the raw table).
    source: str = "raw"
    meta: dict[str, Any] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)  # what the rows were filtered by, as asked


Row = TypeVar("Row")


class TableAnswer(msgspec.Struct, Generic[Row]):
    """A table as JSON: where it came from, the filters, its columns and rows (and, beside them, what
    a route says of the whole table: the metric, the dimension split by, ...)."""

    source: str  # raw (exact), rollup (hourly and daily states) or config
    filters: dict[str, Any]
    columns: list[str]
    rows: list[Row]


def table_of(row: type) -> type:
    """The answer type of a route whose rows are `row`s (for the OpenAPI document)."""
    return TableAnswer[row]  # type: ignore[valid-type]


# A cell a spreadsheet would read as a formula: =, +, - or @ first, or a tab or carriage return first
# (which some applications strip before they look). Visitors control many strings (error messages,
# URLs, API endpoints), so an export must never hand one to a spreadsheet as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """A text cell that would start a formula gets a leading apostrophe, as OWASP advises and as
    spreadsheets themselves mark text: it shows, but is never evaluated. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        value = orjson.dumps(value, default=str).decode()
    return neutralize(value)


def delimited(columns: list[str], rows: list[list[Any]], fmt: str) -> str:
    """Rows as CSV (RFC 4180 quoting) or TSV (tabs, newlines and backslashes escaped, as ClickHouse's
    TabSeparated does), a header line first; every text cell neutralized."""
    out = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([neutralize(c) for c in columns])
        writer.writerows([_cell(v) for v in row] for row in rows)
    else:
        for row in [columns, *rows]:
            out.write("\t".join(str(_cell(v)).translate(_TSV_ESCAPES) for v in row) + "\n")
    return out.getvalue()


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def render(table: Table, fmt: str, *, name: str, filters: dict, status: int = 200) -> Response:
    if fmt == "csv":
        body = delimited(table.columns, [[row.get(c) for c in table.columns] for row in table.rows], "csv")
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="rumhouse-{name}.csv"'},
        )
    doc = {
        "source": table.source,
        "filters": filters,
        **table.meta,
        "columns": table.columns,
        "rows": table.rows,
    }
    return Response(
        orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status,
        media_type="application/json",
    )
