"""Writes deploy/grafana/dashboards/rumhouse.json, rumhouse's dashboard for Grafana's ClickHouse data source
(provisioned by the grafana service of docker-compose.yml, docs/grafana.md), from the panels below.

Each panel is one SQL query on rumhouse's tables, with the data source's macros ($__timeFilter,
$__timeInterval) and the dashboard's `site` variable. tests/test_grafana.py runs every query against the
tables (through people's SQL, as the read-only user Grafana logs in as) and fails when this file and the
JSON differ: change the panels here, then run `python scripts/gen_grafana.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "dashboards" / "rumhouse.json"
DATASOURCE = {"type": "grafana-clickhouse-datasource", "uid": "rumhouse-clickhouse"}
SITE = "site = ${site:sqlstring}"
VITALS = "('LCP', 'INP', 'CLS', 'FCP', 'TTFB')"
# Good at or under the first limit, poor over the second (web.dev; rumhouse.tables.THRESHOLDS).
GOOD = (
    "multiIf(name = 'LCP', value <= 2500, name = 'INP', value <= 200, name = 'CLS', value <= 0.1,"
    " name = 'FCP', value <= 1800, value <= 800)"
)
POOR = (
    "multiIf(name = 'LCP', value > 4000, name = 'INP', value > 500, name = 'CLS', value > 0.25,"
    " name = 'FCP', value > 3000, value > 1800)"
)

# (title, panel type, format: "table" or "time_series", width, height, SQL)
PANELS = [
    (
        "p75 of the Core Web Vitals", "table", "table", 12, 7,
        "SELECT name AS metric, round(quantileExactInclusive(0.75)(value), 3) AS p75, count() AS samples,"
        f" round(avg({GOOD}), 3) AS good, round(avg({POOR}), 3) AS poor"
        f" FROM rumhouse.vitals WHERE {SITE} AND $__timeFilter(time) AND name IN {VITALS}"
        " GROUP BY name ORDER BY name",
    ),
    (
        "Page views", "timeseries", "time_series", 12, 7,
        "SELECT $__timeInterval(time) AS t, count() AS page_views FROM rumhouse.page_views"
        f" WHERE {SITE} AND $__timeFilter(time) GROUP BY t ORDER BY t",
    ),
    (
        "p75 over time (ms)", "timeseries", "time_series", 24, 8,
        "SELECT $__timeInterval(time) AS t, name, quantileExactInclusive(0.75)(value) AS p75"
        f" FROM rumhouse.vitals WHERE {SITE} AND $__timeFilter(time) AND name IN ('LCP', 'INP', 'FCP', 'TTFB')"
        " GROUP BY t, name ORDER BY t",
    ),
    (
        "Pages by LCP", "table", "table", 12, 8,
        "SELECT path, count() AS samples, round(quantileExactInclusive(0.75)(value)) AS lcp_p75,"
        f" round(avg({POOR}), 3) AS poor FROM rumhouse.vitals"
        f" WHERE {SITE} AND $__timeFilter(time) AND name = 'LCP' GROUP BY path ORDER BY samples DESC LIMIT 20",
    ),
    (
        "Errors", "table", "table", 12, 8,
        "SELECT any(message) AS message, sum(count) AS occurrences, uniqExact(page_view_id) AS page_views,"
        f" max(time) AS last_seen FROM rumhouse.errors WHERE {SITE} AND $__timeFilter(time)"
        " GROUP BY fingerprint ORDER BY occurrences DESC LIMIT 20",
    ),
    (
        "API calls", "table", "table", 12, 8,
        "SELECT method, endpoint, count() AS calls, round(avg(status = 0 OR status >= 400), 3) AS failed,"
        " round(quantileExactInclusive(0.95)(duration_ms)) AS p95_ms FROM rumhouse.api_calls"
        f" WHERE {SITE} AND $__timeFilter(time) GROUP BY method, endpoint ORDER BY calls DESC LIMIT 20",
    ),
    (
        "Server endpoints (OpenTelemetry)", "table", "table", 12, 8,
        "SELECT ServiceName AS service, http_method AS method, http_route AS route, count() AS requests,"
        " round(avg(is_error), 3) AS error_rate, round(quantileExactInclusive(0.95)(duration_ms), 1) AS p95_ms"
        f" FROM rumhouse.otel_traces WHERE {SITE} AND $__timeFilter(Timestamp) AND SpanKind = 'Server'"
        " GROUP BY service, method, route ORDER BY requests DESC LIMIT 20",
    ),
    (
        "Dependencies", "table", "table", 12, 8,
        "SELECT peer_name AS dependency, peer_kind AS kind, count() AS calls,"
        " round(1 - avg(is_error), 4) AS availability, round(quantileExactInclusive(0.95)(duration_ms), 1) AS p95_ms"
        f" FROM rumhouse.otel_traces WHERE {SITE} AND $__timeFilter(Timestamp) AND peer_name != ''"
        " GROUP BY dependency, kind ORDER BY calls DESC LIMIT 20",
    ),
    (
        "AI tokens per model", "table", "table", 12, 8,
        "SELECT gen_ai_model AS model, count() AS calls, sum(gen_ai_input_tokens) AS input_tokens,"
        " sum(gen_ai_output_tokens) AS output_tokens, round(quantileExactInclusive(0.95)(duration_ms)) AS p95_ms"
        f" FROM rumhouse.otel_traces WHERE {SITE} AND $__timeFilter(Timestamp) AND gen_ai_operation != ''"
        " GROUP BY model ORDER BY calls DESC",
    ),
    (
        "Memory used per host", "timeseries", "time_series", 12, 8,
        "SELECT $__timeInterval(TimeUnix) AS t, ResourceAttributes['host.name'] AS host, max(Value) AS used"
        f" FROM rumhouse.otel_metrics_gauge WHERE {SITE} AND $__timeFilter(TimeUnix)"
        " AND MetricName = 'system.memory.utilization' AND Attributes['state'] = 'used'"
        " GROUP BY t, host ORDER BY t",
    ),
]  # fmt: skip


def dashboard() -> dict:
    panels, x, y, row_height = [], 0, 0, 0
    for i, (title, kind, fmt, width, height, sql) in enumerate(PANELS, start=1):
        if x + width > 24:
            x, y, row_height = 0, y + row_height, 0
        panels.append(
            {
                "id": i,
                "title": title,
                "type": kind,
                "datasource": DATASOURCE,
                "gridPos": {"x": x, "y": y, "w": width, "h": height},
                "targets": [
                    {
                        "refId": "A",
                        "datasource": DATASOURCE,
                        "editorType": "sql",
                        "queryType": "table" if fmt == "table" else "timeseries",
                        "format": 1 if fmt == "table" else 0,
                        "rawSql": sql,
                    }
                ],
            }
        )
        x, row_height = x + width, max(row_height, height)
    site = {
        "name": "site",
        "label": "Site",
        "type": "query",
        "datasource": DATASOURCE,
        "query": "SELECT DISTINCT site FROM rumhouse.page_views ORDER BY site",
        "refresh": 1,
    }
    return {
        "uid": "rumhouse",
        "title": "rumhouse",
        "description": "Real users and backends, from rumhouse's ClickHouse tables (scripts/gen_grafana.py)",
        "tags": ["rumhouse", "web-vitals", "opentelemetry"],
        "timezone": "utc",
        "schemaVersion": 39,
        "time": {"from": "now-24h", "to": "now"},
        "refresh": "1m",
        "templating": {"list": [site]},
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"{OUT}: written", file=sys.stderr)
