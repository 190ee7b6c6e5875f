"""The Grafana dashboard (deploy/grafana, docs/grafana.md): written by scripts/gen_grafana.py, provisioned
with its data source, and every panel's query runs against the seeded tables through people's SQL (the
allow-list and limits of rumhouse_sql, the user Grafana reads as), with the data source's macros expanded
as the plugin expands them. The p75 panel agrees with the API."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from support.server import REPO

# In the slow suite: the fast one is kept under two minutes (README).
pytestmark = pytest.mark.slow

GRAFANA = REPO / "deploy" / "grafana"


def generator():
    spec = importlib.util.spec_from_file_location("gen_grafana", REPO / "scripts" / "gen_grafana.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def board() -> dict:
    return json.loads((GRAFANA / "dashboards" / "rumhouse.json").read_text(encoding="utf-8"))


def expand(sql: str, site: str, start: datetime, end: datetime, interval_s: int = 3600) -> str:
    """The ClickHouse data source's macros and a `site` value, as Grafana sends the query."""
    first, last = int(start.timestamp()), int(end.timestamp())
    sql = re.sub(
        r"\$__timeFilter\((\w+)\)",
        lambda m: f"{m[1]} >= toDateTime({first}) AND {m[1]} <= toDateTime({last})",
        sql,
    )
    sql = re.sub(
        r"\$__timeInterval\((\w+)\)",
        lambda m: f"toStartOfInterval(toDateTime({m[1]}), INTERVAL {interval_s} second)",
        sql,
    )
    return sql.replace("${site:sqlstring}", "'" + site.replace("'", "\\'") + "'")


def test_the_json_is_what_the_script_writes(board):
    assert (GRAFANA / "dashboards" / "rumhouse.json").read_text(encoding="utf-8") == generator().render(), (
        "deploy/grafana/dashboards/rumhouse.json is stale: run python scripts/gen_grafana.py"
    )
    assert board["uid"] == "rumhouse" and [v["name"] for v in board["templating"]["list"]] == ["site"]


def test_the_data_source_is_provisioned_read_only_under_the_dashboards_uid(board):
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "rumhouse.yaml").read_text())
    [source] = provisioned["datasources"]
    uids = {p["datasource"]["uid"] for p in board["panels"]} | {
        t["datasource"]["uid"] for p in board["panels"] for t in p["targets"]
    }
    assert uids == {source["uid"]}
    assert source["type"] == "grafana-clickhouse-datasource"
    assert source["jsonData"]["username"] == "rumhouse_sql"  # deploy/clickhouse-sql-user.sql: readonly = 2
    assert "rumhouse_sql" in (REPO / "deploy" / "clickhouse-sql-user.sql").read_text()
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    assert re.fullmatch(r"grafana/grafana:\d+\.\d+\.\d+", grafana["image"])
    assert re.fullmatch(
        r"grafana-clickhouse-datasource \d+\.\d+\.\d+", grafana["environment"]["GF_INSTALL_PLUGINS"]
    )
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]


def test_every_panels_query_runs_against_the_tables(reading, board):
    end = datetime.now(UTC) + timedelta(hours=1)
    start = end - timedelta(days=30)
    answered = {}
    for panel in board["panels"]:
        [target] = panel["targets"]
        rows = reading.sql(expand(target["rawSql"], "demo", start, end))
        answered[panel["title"]] = rows
    # The page's panels have the seeded page views in them; the backend's may be empty here.
    for title in (
        "p75 of the Core Web Vitals",
        "Page views",
        "p75 over time (ms)",
        "Pages by LCP",
        "Errors",
        "API calls",
    ):
        assert answered[title], title
    views = sum(r["page_views"] for r in answered["Page views"])
    assert views == reading.scalar(
        "SELECT count() FROM rumhouse.page_views WHERE site = 'demo'"
        f" AND time >= toDateTime({int(start.timestamp())}) AND time <= toDateTime({int(end.timestamp())})"
    )


def test_the_p75_panel_agrees_with_the_api(reading, board, demo_token):
    # The same window for both: the macro's end is inclusive, the API's `to` exclusive (times are in ms).
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    start = end - timedelta(days=7)
    [panel] = [p for p in board["panels"] if p["title"] == "p75 of the Core Web Vitals"]
    rows = {r["metric"]: r for r in reading.sql(expand(panel["targets"][0]["rawSql"], "demo", start, end))}
    window = {"from": str(int(start.timestamp() * 1000)), "to": str(int(end.timestamp() * 1000) + 1)}
    summary = reading.api("/vitals/summary", demo_token, site="demo", source="raw", **window)["rows"]
    for api_row in summary:
        if api_row["metric"] not in rows:
            continue
        mine = rows[api_row["metric"]]
        assert int(mine["samples"]) == api_row["samples"], api_row["metric"]
        assert float(mine["p75"]) == pytest.approx(api_row["p75"], abs=1e-3), api_row["metric"]
        assert float(mine["good"]) == pytest.approx(api_row["good"], abs=1e-3), api_row["metric"]
    assert {"LCP", "INP", "CLS"} <= set(rows)
