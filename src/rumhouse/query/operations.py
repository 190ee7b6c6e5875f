"""Operations: spans with an `operation.name` (clickhouse/0018_operations.sql), and the page's own
measures (rumhouse.measure, rumhouse.measures) as operations of the page: per site, service (or "page")
and operation, with its model: how many, how many succeeded, p50/p95 duration, mean queue wait, retries
(an operation started after a failed one of the same name and model in the same trace), and cost (what the
spans say, plus tokens priced by the caller).

A page measure has no outcome: it counts as a success unless its tags say `status` is error or failed.
"""

from __future__ import annotations

from rumhouse.query.ai import retries_sql
from rumhouse.query.filters import Filters

_SPANS = (
    "SELECT site, ServiceName AS service, operation_name AS name, operation_model AS model, TraceId AS trace,"
    " Timestamp AS at, duration_ms AS ms, StatusCode = 'Error' AS failed, operation_queue_ms AS queue_ms,"
    " operation_cost_usd AS cost, gen_ai_input_tokens AS input, gen_ai_output_tokens AS output,"
    " gen_ai_cached_tokens AS cached FROM rumhouse.otel_traces WHERE {spans} AND operation_name != ''"
)
_MEASURES = (
    "SELECT site, 'page' AS service, name, tags['model'] AS model, page_view_id AS trace, time AS at,"
    " value AS ms, lower(tags['status']) IN ('error', 'failed') AS failed, CAST(NULL AS Nullable(Float64)) AS queue_ms,"
    " CAST(NULL AS Nullable(Float64)) AS cost, toUInt64(0) AS input, toUInt64(0) AS output, toUInt64(0) AS cached"
    " FROM rumhouse.measures WHERE {measures}"
)


def operations_sql(f: Filters, sites_param: bool = False) -> str:
    """Per site, service, name and model: n, failures, p50/p95 ms, mean queue wait, cost the spans said
    (and how many said it), tokens (in, out, cached), retries. With `sites_param`, the sites are the
    comma-separated {sites:String} parameter (site keys hold no comma) rather than the filters' one site."""
    site = "has(splitByChar(',', {sites:String}), site)" if sites_param else "site = {site:String}"
    window = "{col} >= {{start:DateTime64(3, 'UTC')}} AND {col} < {{end:DateTime64(3, 'UTC')}}"
    spans = f"{site} AND {window.format(col='Timestamp')}"
    measures = f"{site} AND {window.format(col='time')}"
    rows = f"{_SPANS.format(spans=spans)} UNION ALL {_MEASURES.format(measures=measures)}"
    key = "site, service, name, model"
    retries = retries_sql(rows, key, "trace", "at")
    totals = (
        f"SELECT {key}, count() AS n, countIf(failed) AS failures, quantilesExactInclusive(0.5, 0.95)(ms) AS took,"
        " avg(queue_ms) AS queue, sum(cost) AS said_cost, count(cost) AS costed, sum(input) AS input,"
        f" sum(output) AS output, sum(cached) AS cached FROM ({rows}) GROUP BY {key}"
    )
    return (
        "SELECT t.site, t.service, t.name, t.model, t.n, t.failures, t.took, t.queue, t.said_cost, t.costed,"
        f" t.input, t.output, t.cached, r.retries FROM ({totals}) AS t"
        f" LEFT JOIN ({retries}) AS r USING ({key})"
        " ORDER BY t.site, t.service, t.name, t.model"
    )
