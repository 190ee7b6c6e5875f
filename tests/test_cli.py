"""The quickstart, with the real commands: `rumhouse serve`, `rumhouse demo`, `rumhouse sql`."""

import json
import os
import re
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
        process = subprocess.Popen(
            rumhouse_command() + ["serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
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
    return subprocess.run(
        rumhouse_command() + list(args), env=env, capture_output=True, text=True, timeout=300
    )


def test_quickstart_serve_demo_sql(served):
    env, log = served
    banner = log.read_text()
    assert 'data-site="demo"' in banner and "/rum.js" in banner
    assert "admin token" in banner

    demo = run(env, "demo", "--page-views", "500", "--seed", "3")
    assert demo.returncode == 0, demo.stderr
    assert "1000 accepted" in demo.stdout
    # Progress on stderr, every tenth of the page views; stdout keeps the result alone.
    assert (
        "rumhouse: 50/500 page views sent" in demo.stderr
        and "rumhouse: 500/500 page views sent" in demo.stderr
    )

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
    assert (
        rows["TTFB"]["quantile(0.75)(value)"]
        < rows["FCP"]["quantile(0.75)(value)"]
        < rows["LCP"]["quantile(0.75)(value)"]
    )

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
    assert wrong.returncode == 1 and "refused the token: it is not valid there" in wrong.stderr
    bad = run(env, "sql", "SELEC 1")
    assert bad.returncode == 1 and "syntax_error" in bad.stderr


@pytest.mark.slow  # several CLI processes, each opening the engine
def test_sql_without_a_server_opens_the_folder_itself(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUMHOUSE_")}
    env.update(RUMHOUSE_DATA_DIR=str(tmp_path / "data"), RUMHOUSE_URL=f"http://127.0.0.1:{free_port()}")
    first = run(env, "migrate")
    assert first.returncode == 0 and first.stdout.startswith("applied: 0001_")
    files = sorted((REPO / "clickhouse").glob("[0-9][0-9][0-9][0-9]_*.sql"))
    assert f"rumhouse: applying {files[0].name} (1/{len(files)})" in first.stderr
    assert f"rumhouse: applying {files[-1].name} ({len(files)}/{len(files)})" in first.stderr
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
    # A folder a newer rumhouse migrated further is refused in one line, not changed.
    folder_sql(
        tmp_path / "data",
        ["INSERT INTO rumhouse.schema_migrations (version, name) VALUES (9999, '9999_x.sql')"],
    )
    newer = run(env, "migrate")
    assert (
        newer.returncode == 2
        and "does not know (9999_x.sql): it was made by a newer rumhouse" in newer.stderr
    )
    assert "Traceback" not in newer.stderr


def test_version():
    result = run(dict(os.environ), "--version")
    assert result.returncode == 0 and re.fullmatch(r"rumhouse \d+\.\d+\.\d+\S*\n", result.stdout), result


def test_from_another_directory_without_a_token_the_cli_says_where_one_is(served, tmp_path):
    env, _ = served
    elsewhere = {k: v for k, v in env.items() if k != "RUMHOUSE_DATA_DIR"}
    result = subprocess.run(
        rumhouse_command() + ["sql", "SELECT 1"],
        env=elsewhere,
        cwd=tmp_path / "..",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert (
        "needs the admin token, and none was found: pass --token, set RUMHOUSE_ADMIN_TOKEN" in result.stderr
    )
    assert "Traceback" not in result.stderr and "Illegal header" not in result.stderr


@pytest.mark.slow  # CLI processes, each opening the engine
def test_delete_asks_first(served):
    env, _ = served
    assert run(env, "demo", "--page-views", "20", "--seed", "1").returncode == 0
    counted = run(
        env, "sql", "--format", "csv", "SELECT count() FROM rumhouse.page_views WHERE site = 'demo'"
    )
    before = int(counted.stdout.split()[-1])
    assert before > 0
    # No terminal to ask on, no --yes: nothing happens.
    refused = run(env, "delete", "--site", "demo")
    assert refused.returncode == 1 and "add --yes" in refused.stderr
    # On a terminal: the wrong answer deletes nothing, the site key deletes.
    assert typed(env, "nope\n", "delete", "--site", "demo")[0] == 1
    again = run(env, "sql", "--format", "csv", "SELECT count() FROM rumhouse.page_views WHERE site = 'demo'")
    assert int(again.stdout.split()[-1]) == before
    code, output = typed(env, "demo\n", "delete", "--site", "demo")
    assert code == 0 and "deleted " in output
    gone = run(env, "sql", "--format", "csv", "SELECT count() FROM rumhouse.page_views WHERE site = 'demo'")
    assert int(gone.stdout.split()[-1]) == 0


def typed(env, keys: str, *args) -> tuple[int, str]:
    """Run the command on a pseudo-terminal, type `keys` at its prompt; its exit code and all it printed."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        rumhouse_command() + list(args),
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    output = b""
    try:
        deadline = time.monotonic() + 120
        while b"to go on:" not in output and time.monotonic() < deadline:
            output += os.read(leader, 1024)
        os.write(leader, keys.encode())
        while True:
            try:
                chunk = os.read(leader, 1024)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        code = process.wait(120)
        os.close(leader)
    return code, output.decode(errors="replace")


def test_serve_logs_with_time_level_and_logger(served):
    _, log = served
    text = log.read_text()
    assert re.search(r" INFO rumhouse: applying 0001_\w+\.sql \(1/\d+\)", text), (
        text
    )  # a first start migrates
    lines = [line for line in text.splitlines() if " rumhouse: ready: " in line]
    assert lines, log.read_text()
    assert re.match(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO rumhouse: ready: 1 site\(s\), embedded engine", lines[0]
    )
