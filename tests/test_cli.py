"""The quickstart, with the real commands: `rumhouse serve`, `rumhouse demo`, `rumhouse sql`."""

import json
import os
import shutil
import subprocess
import time

import httpx
import pytest

from support.folder_sql import folder_sql
from support.server import REPO, free_port

METRICS = {"FCP", "LCP", "CLS", "INP", "FID", "TTFB", "TTI"}


def rumhouse_command() -> list[str]:
    path = shutil.which("rumhouse")
    assert path, "the `rumhouse` command is not installed (pip install -e .)"
    return [path]


@pytest.fixture
def served(tmp_path):
    """`rumhouse serve` as a user runs it: no config file, no admin token given."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUMHOUSE_")}
    env.update(RUMHOUSE_DATA_DIR=str(tmp_path / "rumhouse-data"), RUMHOUSE_URL=f"http://127.0.0.1:{port}")
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(rumhouse_command() + ["serve", "--port", str(port)], env=env, cwd=tmp_path,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield env, log
    finally:
        process.terminate()
        process.wait(60)


def run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(rumhouse_command() + list(args), env=env, capture_output=True, text=True, timeout=300)


def test_quickstart_serve_demo_sql(served):
    env, log = served
    banner = log.read_text()
    assert 'data-site="demo"' in banner and "/rum.js" in banner
    assert "admin token" in banner

    demo = run(env, "demo", "--page-views", "500", "--seed", "3")
    assert demo.returncode == 0, demo.stderr
    assert "1000 accepted" in demo.stdout

    query = "SELECT name, count(), quantile(0.75)(value) FROM rumhouse.vitals GROUP BY name"
    table = run(env, "sql", query)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["name", "count()", "quantile(0.75)(value)"]
    assert {line.split()[0] for line in lines[2:-1]} == METRICS
    assert lines[-1] == "(7 rows)"

    as_json = run(env, "sql", "--format", "json", query + " ORDER BY name")
    rows = {r["name"]: r for r in json.loads(as_json.stdout)}
    assert set(rows) == METRICS
    # Every page view reports FCP, LCP and TTFB (all the demo's browsers can measure them).
    assert rows["FCP"]["count()"] == rows["LCP"]["count()"] == rows["TTFB"]["count()"] == 500
    assert 0 < rows["CLS"]["quantile(0.75)(value)"] < 1
    assert rows["TTFB"]["quantile(0.75)(value)"] < rows["FCP"]["quantile(0.75)(value)"] < rows["LCP"]["quantile(0.75)(value)"]

    as_csv = run(env, "sql", "--format", "csv", "SELECT count() AS n FROM rumhouse.page_views")
    assert as_csv.stdout.split() == ["n", "500"]


def test_sql_is_read_only_and_needs_the_admin_token(served):
    env, _ = served
    write = run(env, "sql", "INSERT INTO rumhouse.vitals (name, value) VALUES ('LCP', 1)")
    assert write.returncode == 1
    assert write.stderr.startswith("rumhouse: refused: only a SELECT query may run here")
    drop = run(env, "sql", "DROP TABLE rumhouse.vitals")
    assert drop.returncode == 1 and "refused: only a SELECT query may run here, not Drop query" in drop.stderr
    assert run(env, "sql", "SELECT count() FROM rumhouse.vitals").returncode == 0

    wrong = run(env, "sql", "--token", "not-the-token", "SELECT 1")
    assert wrong.returncode == 1 and "unauthorized" in wrong.stderr
    bad = run(env, "sql", "SELEC 1")
    assert bad.returncode == 1 and "syntax_error" in bad.stderr


def test_sql_without_a_server_opens_the_folder_itself(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUMHOUSE_")}
    env.update(RUMHOUSE_DATA_DIR=str(tmp_path / "data"), RUMHOUSE_URL=f"http://127.0.0.1:{free_port()}")
    assert run(env, "migrate").returncode == 0
    again = run(env, "migrate")
    assert again.stdout.strip() == "the schema is up to date"
    result = run(env, "sql", "--format", "csv", "SELECT count() FROM rumhouse.vitals")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["count()", "0"]
    # The same check as the server's SQL route: rumhouse's own tables stay out of reach here too.
    refused = run(env, "sql", "SELECT count() FROM rumhouse.schema_migrations")
    assert refused.returncode == 1 and "refused: table rumhouse.schema_migrations" in refused.stderr
    files = list((REPO / "clickhouse").glob("[0-9][0-9][0-9][0-9]_*.sql"))
    [[applied]] = folder_sql(tmp_path / "data", ["SELECT count() AS n FROM rumhouse.schema_migrations"])
    assert applied["n"] == len(files) > 7
