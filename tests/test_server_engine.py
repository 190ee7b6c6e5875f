"""What only the server engine has: its URL, credentials, a server that goes away and comes back, and
`rumhouse serve` workers in front of a ClickHouse server (here the HTTP stand-in on chDB)."""

import time

import httpx
import orjson
import pytest

from rumhouse.metrics import Metrics
from rumhouse.settings import Settings
from rumhouse.spool import Spool
from rumhouse.store.base import StoreError
from rumhouse.store.migrations import migrate
from rumhouse.store.server import ServerAddress, ServerStore, parse_url
from rumhouse.writer import Accepted, Writer
from support.clickhouse_http import ClickHouseHttp
from support.server import CHROME_UA, RumhouseServer, free_port
from support.vital_rows import NO_ATTRIBUTION
from test_beacon_end_to_end import full_beacon, new_pv

pytestmark = pytest.mark.slow  # each test starts a ClickHouse stand-in or rumhouse servers


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost", ServerAddress(False, "localhost", 8123, "default", "")),
        ("https://ch.example.com", ServerAddress(True, "ch.example.com", 8443, "default", "")),
        ("http://u:p@10.0.0.5:9000/rumhouse", ServerAddress(False, "10.0.0.5", 9000, "u", "p")),
        ("https://us%40r:p%3A%2Fw@[::1]:8443/", ServerAddress(True, "::1", 8443, "us@r", "p:/w")),
    ],
)
def test_the_url_gives_the_server_credentials_and_tls(url, expected):
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("clickhouse://h:9000", "must start with http:// or https://"),
        ("http://h/analytics", "always live in database 'rumhouse'"),
        ("http://h:8123/?secure=1", "takes no query string"),
        ("http://:8123", "has no host"),
        ("http://h:99999", "not a valid URL"),
    ],
)
def test_a_bad_url_fails_with_a_message_naming_the_setting(url, message):
    with pytest.raises(StoreError, match="RUMHOUSE_CLICKHOUSE_URL") as caught:
        parse_url(url)
    assert message in str(caught.value)


def test_the_password_is_never_shown():
    url = "https://rum:hunter2-secret@127.0.0.1:1/"
    assert "hunter2" not in repr(Settings.from_env({"RUMHOUSE_CLICKHOUSE_URL": url}))
    assert "hunter2" not in repr(parse_url(url)) and "hunter2" not in str(parse_url(url))
    with pytest.raises(StoreError) as caught:
        ServerStore(url, connect_timeout=2)
    assert "hunter2" not in str(caught.value)
    assert "cannot connect to ClickHouse at https://rum@127.0.0.1:1" in str(caught.value)


def test_wrong_credentials_are_a_store_error(clickhouse_http):
    url = f"http://rumhouse:wrong-password@127.0.0.1:{clickhouse_http.port}"
    with pytest.raises(StoreError, match="AUTHENTICATION_FAILED") as caught:
        ServerStore(url)
    assert "wrong-password" not in str(caught.value) and "\n" not in str(caught.value)


def test_uncompressed_inserts_work_too(clickhouse_http, tmp_path):
    store = ServerStore(clickhouse_http.url, compress=False)
    try:
        migrate(store)
        pv = new_pv()
        rows = [
            (
                time.time(),
                "st",
                pv,
                "h",
                "/p",
                "Firefox",
                "Linux",
                "desktop",
                "",
                "",
                "",
                "navigate",
                "FCP",
                1.5,
                "",
                *NO_ATTRIBUTION,
            )
        ]
        writer = Writer(store, Metrics(), Spool(tmp_path / "spool", max_bytes=1 << 30), flush_interval=60)
        writer.add(Accepted.from_rows({"vitals": rows}, events=1))
        assert writer.flush() is True
        assert (
            store.query(
                "SELECT count() FROM rumhouse.vitals WHERE page_view_id = {p:String}", {"p": pv}
            ).scalar()
            == 1
        )
    finally:
        store.close()


def test_a_server_that_goes_away_and_comes_back_loses_nothing(tmp_path):
    """Connection failures are StoreErrors: the writer keeps the batch and stores it once later."""
    clickhouse = ClickHouseHttp(tmp_path / "ch")
    clickhouse.port = free_port()
    clickhouse.start()
    store = ServerStore(clickhouse.url, connect_timeout=2, timeout=10)
    try:
        migrate(store)
        metrics = Metrics()
        writer = Writer(
            store, metrics, Spool(tmp_path / "spool", max_bytes=1 << 30), flush_interval=60, max_backoff=0
        )
        pv = new_pv()
        rows = [
            (
                time.time(),
                "st",
                pv,
                "h",
                "/p",
                "Chrome",
                "Windows",
                "desktop",
                "",
                "",
                "",
                "navigate",
                "LCP",
                float(i),
                "",
                *NO_ATTRIBUTION,
            )
            for i in range(25)
        ]
        clickhouse.stop()
        writer.add(Accepted.from_rows({"vitals": rows}, events=len(rows)))
        assert writer.flush() is False
        assert writer.pending("vitals") == 25
        with pytest.raises(StoreError, match=r"did not answer") as caught:
            store.query("SELECT 1")
        assert "\n" not in str(caught.value) and clickhouse.password not in str(caught.value)

        clickhouse.start()  # the same port and data folder
        assert writer.flush() is True
        assert writer.flush() is True
        count = store.query(
            "SELECT count() FROM rumhouse.vitals WHERE page_view_id = {p:String}", {"p": pv}
        ).scalar()
        assert count == 25
        assert metrics.registry.get_sample_value("rumhouse_insert_errors_total", {"table": "vitals"}) == 1
    finally:
        store.close()
        clickhouse.stop()


@pytest.mark.slow
def test_stateless_workers_in_front_of_one_server_store_every_beacon(clickhouse_http, tmp_path):
    """`rumhouse serve` with RUMHOUSE_CLICKHOUSE_URL: one instance with two worker processes on one port,
    and a second instance (a replica), all inserting into the same server."""
    workers = [
        RumhouseServer(
            tmp_path / "two-workers", RUMHOUSE_CLICKHOUSE_URL=clickhouse_http.url, RUMHOUSE_WORKERS="2"
        ),
        RumhouseServer(tmp_path / "replica", RUMHOUSE_CLICKHOUSE_URL=clickhouse_http.url),
    ]
    try:
        for worker in workers:
            worker.start()
        sent = []
        for i in range(8):
            pv = new_pv()
            response = workers[i % 2].post(orjson.dumps(full_beacon(pv)), headers={"cf-ipcountry": "fr"})
            assert response.status_code == 204, response.text
            sent.append(pv)
        ids = ", ".join(f"'{pv}'" for pv in sent)

        def count(worker, table):
            return worker.scalar(f"SELECT count() FROM rumhouse.{table} WHERE page_view_id IN ({ids})")

        # Each instance reads what all of them wrote: the data is in the server, not in the workers.
        # (A worker process's buffer is flushed by its timer, 0.2 s here.)
        deadline = time.monotonic() + 20
        while count(workers[1], "vitals") < 8 * 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        for worker in workers:
            assert count(worker, "page_views") == 8
            assert count(worker, "vitals") == 8 * 4
        [vital] = workers[0].sql(
            f"SELECT value, attribution, country FROM rumhouse.vitals WHERE page_view_id = '{sent[0]}' AND name = 'LCP'"
        )
        assert vital == {"value": 1180, "attribution": "img.hero", "country": "FR"}

        # And straight from the server, as any ClickHouse client would read it.
        direct = ServerStore(clickhouse_http.url)
        try:
            per_table = direct.query(
                "SELECT 'errors', count() FROM rumhouse.errors WHERE page_view_id IN ({ids:Array(String)})"
                " UNION ALL SELECT 'api_calls', count() FROM rumhouse.api_calls WHERE page_view_id IN ({ids:Array(String)})"
                " UNION ALL SELECT 'measures', count() FROM rumhouse.measures WHERE page_view_id IN ({ids:Array(String)})",
                {"ids": sent},
            ).rows
        finally:
            direct.close()
        assert sorted(per_table) == [["api_calls", 8], ["errors", 8], ["measures", 8]]
        # Each worker process spools into a folder of its own, never into another's.
        spool = tmp_path / "two-workers" / "spool"
        assert sorted(p.name for p in spool.iterdir()) == ["worker-0", "worker-1"]
        # The single-process instance's accounting: 4 beacons, 9 events each (the page view and 8 events).
        assert workers[1].metric("rumhouse_events_accepted_total") == 4 * 9
        inserted = sum(
            workers[1].metric("rumhouse_rows_inserted_total", table=t)
            for t in ("page_views", "vitals", "errors", "api_calls", "resources", "measures")
        )
        assert inserted == 4 * 9
    finally:
        for worker in workers:
            worker.close()


def test_several_workers_need_the_server_engine(tmp_path):
    import subprocess
    import sys

    from support.server import REPO, server_env

    result = subprocess.run(
        [sys.executable, "-m", "rumhouse", "serve", "--workers", "2"],
        env=server_env(tmp_path / "data"),
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 2
    assert "several workers need the server engine (RUMHOUSE_CLICKHOUSE_URL)" in result.stderr


def test_peoples_sql_logs_in_as_its_own_clickhouse_user(tmp_path):
    """RUMHOUSE_CLICKHOUSE_SQL_USER: people's SQL goes to ClickHouse with those credentials, everything
    else with the main ones; credentials that cannot log in stop the start with a message that names
    the setting. (The stand-in has no grants: what that user may do on a real server is what
    docs/security.md's DDL sets, checked by the real-server suite.)"""
    ch = ClickHouseHttp(tmp_path / "ch", extra_users={"rumhouse_sql": "sql-pw"}).start()
    try:
        server = RumhouseServer(
            tmp_path / "rh",
            RUMHOUSE_CLICKHOUSE_URL=ch.url,
            RUMHOUSE_CLICKHOUSE_SQL_USER="rumhouse_sql",
            RUMHOUSE_CLICKHOUSE_SQL_PASSWORD="sql-pw",
        )
        server.start()
        try:
            assert server.post(orjson.dumps(full_beacon(new_pv()))).status_code == 204
            answer = server.client.post(
                "/api/v1/sql",
                content="SELECT count() FROM rumhouse.vitals",
                headers={"authorization": "Bearer test-admin-token-0123456789"},
            )
            assert answer.status_code == 200, answer.text
            # The stand-in's log (stderr) names the queries that the SQL user ran: people's, and no other.
            ran = [line for line in ch.log.read_text().splitlines() if line.startswith("as rumhouse_sql: ")]
            assert any("SELECT count() FROM rumhouse.vitals" in line for line in ran), ran
            assert not any("INSERT" in line for line in ran)
        finally:
            server.close()
        wrong = RumhouseServer(
            tmp_path / "rh-wrong",
            RUMHOUSE_CLICKHOUSE_URL=ch.url,
            RUMHOUSE_CLICKHOUSE_SQL_USER="rumhouse_sql",
            RUMHOUSE_CLICKHOUSE_SQL_PASSWORD="wrong",
        )
        with pytest.raises(RuntimeError, match="RUMHOUSE_CLICKHOUSE_SQL_USER 'rumhouse_sql' cannot log in"):
            wrong.start(timeout=60)
        wrong.close()
    finally:
        ch.stop()


def test_real_server_refuses_the_sql_users_writes_and_reads_of_rumhouses_own_tables():
    """deploy/clickhouse-sql-user.sql on a real ClickHouse server (RUMHOUSE_TEST_CLICKHOUSE_URL, an admin
    login to a throwaway server): the server itself refuses what the guard refuses. The HTTP stand-in
    cannot run this (chDB has no users or grants), so it runs only where such a server is given."""
    import os
    from pathlib import Path

    url = os.environ.get("RUMHOUSE_TEST_CLICKHOUSE_URL")
    if not url:
        pytest.skip(
            "RUMHOUSE_TEST_CLICKHOUSE_URL is not set: no ClickHouse server with users and grants here"
        )
    admin = ServerStore(url)
    migrate(admin)
    ddl = (Path(__file__).parents[1] / "deploy" / "clickhouse-sql-user.sql").read_text()
    statements = [
        s.strip()
        for s in "\n".join(line for line in ddl.splitlines() if not line.startswith("--")).split(";")
        if s.strip()
    ]
    admin.command("DROP USER IF EXISTS rumhouse_sql")
    admin.command("DROP SETTINGS PROFILE IF EXISTS rumhouse_sql")
    for statement in statements:
        admin.command(statement.replace("change-me", "test-sql-pw"))
    address = parse_url(url)
    sql_url = (
        f"{'https' if address.secure else 'http'}://rumhouse_sql:test-sql-pw@{address.host}:{address.port}"
    )
    people = ServerStore(sql_url)
    try:
        assert people.query("SELECT count() FROM rumhouse.vitals").scalar() >= 0
        for refused in (
            "SELECT * FROM rumhouse.tokens",
            "SELECT * FROM rumhouse.audit_log",
            "INSERT INTO rumhouse.vitals (name, value) VALUES ('LCP', 1)",
            "SELECT * FROM file('/etc/passwd', 'RawBLOB')",
            "SELECT * FROM url('http://127.0.0.1:1/', 'CSV', 'x String')",
            "SELECT 1 SETTINGS readonly = 0",
            "SELECT 1 SETTINGS max_execution_time = 999",
            "SELECT 1 SETTINGS max_memory_usage = 99999999999",
        ):
            with pytest.raises(StoreError):
                people.query(refused)
    finally:
        people.close()
        admin.command("DROP USER IF EXISTS rumhouse_sql")
        admin.command("DROP SETTINGS PROFILE IF EXISTS rumhouse_sql")
        admin.close()


WITHOUT_CHDB = (
    "import sys; sys.modules['chdb'] = None; from rumhouse.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_workers_of_a_server_run_without_chdb(tmp_path, clickhouse_http):
    """An install without the [embedded] extra (requirements/server.txt, the Dockerfile): chDB cannot be
    imported in the process, and a worker in front of a ClickHouse server serves and answers all the same."""
    import subprocess
    import sys

    from support.server import REPO, server_env

    port = free_port()
    env = {**server_env(tmp_path / "data"), "RUMHOUSE_CLICKHOUSE_URL": clickhouse_http.url}
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-c", WITHOUT_CHDB, "serve", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert worker.poll() is None, log.read_text()
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert (
            client.post(
                "/beacon",
                content=orjson.dumps(full_beacon(new_pv())),
                headers={"content-type": "text/plain", "user-agent": CHROME_UA},
            ).status_code
            == 204
        )
        answer = client.post(
            "/api/v1/sql",
            content="SELECT count() FROM rumhouse.vitals",
            headers={"authorization": "Bearer test-admin-token-0123456789"},
        )
        assert answer.status_code == 200, answer.text
        assert client.get("/rum.js", headers={"accept-encoding": "br"}).headers["content-encoding"] == "br"
    finally:
        client.close()
        worker.terminate()
        worker.wait(60)
    # Without a server to reach, the missing engine is named, with the way to get it.
    import subprocess as sp

    embedded = sp.run(
        [sys.executable, "-c", WITHOUT_CHDB, "migrate"],
        env=server_env(tmp_path / "data2"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert embedded.returncode != 0 and "pip install 'rumhouse[embedded]'" in embedded.stderr
