"""A table-shaped answer and its exports: JSON (the default) and CSV (`?format=csv`).

Every API route answers a `Table`; one renderer turns any of them into either format, so there is no
route whose data can be seen but not exported.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.responses import Response

FORMATS = ("json", "csv")


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, Any]]
    # Where the answer came from: "rollup" (hourly t-digest states) or "raw" (exact, from the raw table).
    source: str = "raw"
    meta: dict[str, Any] = field(default_factory=dict)


def clean(value: Any) -> Any:
    """NaN (ClickHouse's quantile of nothing) is not JSON: report it as null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def render(table: Table, fmt: str, *, name: str, filters: dict) -> Response:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in table.columns])
        return Response(
            out.getvalue(), media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="rumhouse-{name}.csv"'},
        )
    body = {"source": table.source, "filters": filters, **table.meta, "columns": table.columns,
            "rows": table.rows}
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")
