"""The store, the migrations and the write buffer, against every engine: the same tests run on the
embedded engine (chDB in this process), through clickhouse-connect against the HTTP stand-in
(tests/support/clickhouse_http.py), and against a real ClickHouse server when
RUMHOUSE_TEST_CLICKHOUSE_URL is set (a throwaway server: the tests write to its `rumhouse` database).

chDB allows one data folder per process, so the embedded store is shared by the whole module."""

import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from rumhouse.metrics import Metrics
from rumhouse.spool import Spool
from rumhouse.store.base import ReadOnlyViolation, StoreError, encode_rows
from rumhouse.store.embedded import EmbeddedStore
from rumhouse.store.migrations import load_migrations, migrate
from rumhouse.store.server import ServerStore
from rumhouse.tables import COLUMNS, TABLES, TIME_COLUMNS
from rumhouse.writer import Accepted, Writer
from support.server import REPO
from support.vital_rows import NO_ATTRIBUTION

# Page view ids unique to this run: a real server keeps the rows of earlier runs.
RUN = uuid.uuid4().hex[:8]
ENGINES = ["embedded", "clickhouse-http-fixture", "clickhouse-server"]


@pytest.fixture(scope="module")
def embedded_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("store") / "data"
    store = EmbeddedStore(folder)
    yield store
    store.close()


@pytest.fixture(scope="module", params=ENGINES)
def store(request):
    if request.param == "embedded":
        store = request.getfixturevalue("embedded_store")
    elif request.param == "clickhouse-http-fixture":
        store = ServerStore(request.getfixturevalue("clickhouse_http").url)
    else:
        url = os.environ.get("RUMHOUSE_TEST_CLICKHOUSE_URL")
        if not url:
            pytest.skip("RUMHOUSE_TEST_CLICKHOUSE_URL is not set: no ClickHouse server to test against here")
        store = ServerStore(url)
    migrate(store)
    yield store
    if request.param != "embedded":
        store.close()


def test_migrations_are_recorded_and_idempotent(store):
    files = [m.name for m in load_migrations()]
    recorded = [
        row[0]
        for row in store.query("SELECT name FROM rumhouse.schema_migrations FINAL ORDER BY version").rows
    ]
    assert recorded == files
    assert len(files) == len({m.version for m in load_migrations()})
    assert migrate(store) == []


def test_every_column_has_a_comment(store):
    missing = store.query(
        "SELECT table, name FROM system.columns WHERE database = 'rumhouse' AND comment = ''"
    ).rows
    assert missing == []
    tables = store.query("SELECT name FROM system.tables WHERE database = 'rumhouse' AND comment = ''").rows
    assert tables == []


def test_insert_columns_match_the_tables(store):
    for table, columns in COLUMNS.items():
        result = store.query(
            "SELECT name, default_kind FROM system.columns WHERE database = 'rumhouse' AND table = {t:String}",
            {"t": table},
        )
        # Every column without a default is written; a column with a plain DEFAULT may be (sample_rate).
        plain = {name for name, kind in result.rows if kind == ""}
        defaulted = {name for name, kind in result.rows if kind == "DEFAULT"}
        assert plain <= set(columns) <= plain | defaulted, table


def test_tables_are_partitioned_by_day_with_the_retention_ttl(store):
    for table in TABLES:
        engine = store.query(
            "SELECT engine_full FROM system.tables WHERE database = 'rumhouse' AND name = {t:String}",
            {"t": table},
        ).scalar()
        time = TIME_COLUMNS.get(table, "time")
        assert f"PARTITION BY toDate({time})" in engine
        assert f"TTL toDateTime({time}) + toIntervalDay(30)" in engine
        assert "non_replicated_deduplication_window = 10000" in engine


def test_a_new_retention_setting_is_applied_at_start_up(store):
    migrate(store, retention_days=90)
    engine = store.query(
        "SELECT engine_full FROM system.tables WHERE database = 'rumhouse' AND name = 'vitals'"
    ).scalar()
    assert "toIntervalDay(90)" in engine
    migrate(store, retention_days=30)


def vital_rows(n: int, pv: str) -> list[tuple]:
    now = time.time()
    dims = ("st", pv, "h", "/p", "Chrome", "Windows", "desktop", "", "4g", "", "navigate")
    return [(now, *dims, "LCP", float(i), "", *NO_ATTRIBUTION) for i in range(n)]


def count_pv(store, pv: str) -> int:
    return store.query(
        "SELECT count() FROM rumhouse.vitals WHERE page_view_id = {p:String}", {"p": pv}
    ).scalar()


def test_a_retried_insert_with_the_same_token_is_stored_once(store):
    data = encode_rows(vital_rows(5, f"{RUN}-dedup"))
    store.insert("rumhouse.vitals", COLUMNS["vitals"], data, dedup_token=f"{RUN}-batch-1-vitals")
    store.insert("rumhouse.vitals", COLUMNS["vitals"], data, dedup_token=f"{RUN}-batch-1-vitals")
    assert count_pv(store, f"{RUN}-dedup") == 5


def test_chunks_of_rows_joined_by_commas_insert_as_separate_rows(store):
    """The writer joins each beacon's encoded rows with b",": both engines must read every row back."""
    pv = f"{RUN}-commas"
    first, second = vital_rows(3, pv), vital_rows(2, pv)
    second = [
        (*row[:12], "INP", 100.0 + i, 'a "quoted", [bracketed] value', *NO_ATTRIBUTION)
        for i, row in enumerate(second)
    ]
    store.insert("rumhouse.vitals", COLUMNS["vitals"], encode_rows(first) + b"," + encode_rows(second))
    stored = store.query(
        "SELECT name, value, attribution FROM rumhouse.vitals WHERE page_view_id = {p:String} "
        "ORDER BY name, value",
        {"p": pv},
    ).rows
    assert [tuple(r) for r in stored] == [
        ("INP", 100.0, 'a "quoted", [bracketed] value'),
        ("INP", 101.0, 'a "quoted", [bracketed] value'),
        ("LCP", 0.0, ""),
        ("LCP", 1.0, ""),
        ("LCP", 2.0, ""),
    ]


def test_read_only_queries_cannot_write(store):
    with pytest.raises(ReadOnlyViolation):
        store.query("INSERT INTO rumhouse.vitals (name) VALUES ('x')", readonly=True)
    with pytest.raises(ReadOnlyViolation):
        store.query("DROP TABLE rumhouse.vitals", readonly=True)
    assert store.query("SELECT {a:UInt8} + 1 AS b", {"a": 1}, readonly=True).dicts() == [{"b": 2}]


def test_read_only_queries_keep_the_stores_settings_and_refuse_their_own(store):
    # readonly=1 forbids changing settings: the store's own (64-bit integers as JSON numbers) must
    # still apply, and a query's SETTINGS clause is refused like a write.
    assert store.query("SELECT count() AS n FROM numbers(3)", readonly=True).dicts() == [{"n": 3}]
    with pytest.raises(ReadOnlyViolation):
        store.query("SELECT 1 SETTINGS max_threads = 1", readonly=True)
    with pytest.raises(ReadOnlyViolation):
        store.query_raw("SELECT 1 SETTINGS readonly = 0", "CSV", readonly=True)
    assert store.query("SELECT 1 AS a SETTINGS max_threads = 1").dicts() == [{"a": 1}]


def test_query_parameters_and_raw_formats(store):
    text = "tab\there, back\\slash, quote' and ünïcödé"
    result = store.query("SELECT {s:String} AS s, {n:UInt64} AS n, 'a%b' AS p", {"s": text, "n": 2**63})
    assert result.dicts() == [{"s": text, "n": 2**63, "p": "a%b"}]
    assert result.types == ["String", "UInt64", "String"]
    raw = store.query_raw(
        "SELECT number AS n, toString(number) AS s FROM numbers(2)", "CSVWithNames", readonly=True
    )
    assert raw == b'"n","s"\n0,"0"\n1,"1"\n'
    assert store.query("SELECT 1 WHERE 0").rows == []


def test_inserted_values_read_back_unchanged(store):
    pv = f"{RUN}-roundtrip"
    seconds = int(time.time())  # recent: older rows would fall to the tables' TTL
    row = (
        seconds + 0.125,
        "st",
        pv,
        "h",
        '/caf\u00e9/"q"',
        "Chrome",
        "Windows",
        "desktop",
        "DE",
        "4g",
        "v1",
        "navigate",
        "INP",
        123.5,
        "button#buy \u2713",
        *NO_ATTRIBUTION,
    )
    store.insert("rumhouse.vitals", COLUMNS["vitals"], encode_rows([row]))
    [got] = store.query(
        "SELECT toUnixTimestamp64Milli(time) AS ms, path, value, attribution FROM rumhouse.vitals"
        " WHERE page_view_id = {p:String}",
        {"p": pv},
    ).dicts()
    assert got == {"ms": seconds * 1000 + 125, "path": row[4], "value": 123.5, "attribution": row[14]}


def test_queries_and_inserts_from_several_threads_at_once(store):
    def work(i: int) -> int:
        store.insert("rumhouse.vitals", COLUMNS["vitals"], encode_rows(vital_rows(3, f"{RUN}-threads-{i}")))
        return store.query("SELECT count() FROM numbers({n:UInt32})", {"n": i}, readonly=True).scalar()

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(16))) == list(range(16))
    total = store.query(
        "SELECT count() FROM rumhouse.vitals WHERE startsWith(page_view_id, {p:String})",
        {"p": f"{RUN}-threads-"},
    ).scalar()
    assert total == 16 * 3


def test_parametrized_queries_at_once_each_get_their_own_values(store):
    # Each answer must come from its own query's parameters, never another thread's (one chDB
    # connection shared by threads mixed them up: a site filter could have answered for another site).
    def ask(i: int) -> str:
        return store.query("SELECT {s:String} AS s FROM numbers(5000) LIMIT 1", {"s": f"site-{i}"}).scalar()

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(ask, range(300))) == [f"site-{i}" for i in range(300)]


def test_errors_are_one_line(store):
    with pytest.raises(StoreError) as caught:
        store.query("SELECT no_such_column FROM rumhouse.vitals")
    assert "\n" not in str(caught.value) and "no_such_column" in str(caught.value)


def test_a_second_process_cannot_open_the_same_folder(embedded_store):
    env_code = (
        "import sys; from pathlib import Path; from rumhouse.store.embedded import EmbeddedStore\n"
        f"EmbeddedStore(Path({str(embedded_store.data_dir)!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", env_code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert result.returncode != 0
    assert "is in use by rumhouse pid" in result.stderr


class FlakyStore:
    """The real store, failing at the boundary: the first `failures` inserts raise. With
    `after_write=True` the insert lands first and then reports failure, like a timeout."""

    def __init__(self, store, failures: int, after_write: bool = False) -> None:
        self.store, self.failures, self.after_write = store, failures, after_write

    def insert(self, table, columns, data, *, dedup_token=None):
        if self.failures > 0:
            self.failures -= 1
            if self.after_write:
                self.store.insert(table, columns, data, dedup_token=dedup_token)
            raise StoreError("injected failure")
        self.store.insert(table, columns, data, dedup_token=dedup_token)


def accepted(rows: list[tuple]) -> Accepted:
    return Accepted.from_rows({"vitals": rows}, events=len(rows))


def new_writer(store, tmp_path, **options) -> Writer:
    spool = Spool(tmp_path / "spool", max_bytes=options.pop("spool_max_bytes", 1 << 30))
    return Writer(store, Metrics(), spool, **options)


@pytest.mark.parametrize("after_write", [False, True], ids=["insert-fails", "insert-lands-then-fails"])
def test_failed_inserts_are_replayed_from_the_spool_exactly_once(store, tmp_path, after_write):
    pv = f"{RUN}-flaky-{after_write}"
    writer = new_writer(
        FlakyStore(store, failures=2, after_write=after_write), tmp_path, flush_interval=60, max_backoff=0
    )
    writer.add(accepted(vital_rows(7, pv)))
    assert writer.flush() is False
    assert writer.pending("vitals") == 7
    assert len(list((tmp_path / "spool").iterdir())) == 1  # the rows left memory: the segment keeps them
    writer.add(accepted(vital_rows(3, pv)))
    assert writer.flush() is False  # the second injected failure: both segments wait, in order
    assert writer.flush() is True
    writer.spool.close()
    assert writer.pending("vitals") == 0
    assert count_pv(store, pv) == 10
    assert list((tmp_path / "spool").iterdir()) == []
    sample = writer.metrics.registry.get_sample_value
    assert sample("rumhouse_insert_errors_total", {"table": "vitals"}) == 2
    assert sample("rumhouse_rows_inserted_total", {"table": "vitals"}) == 10


def test_a_new_run_replays_what_the_last_one_left(store, tmp_path):
    dead = new_writer(FlakyStore(store, failures=10**6), tmp_path, flush_interval=60)
    dead.add(accepted(vital_rows(4, f"{RUN}-left-behind")))
    dead.add(accepted(vital_rows(2, f"{RUN}-left-behind")))
    dead.flush()
    dead.spool.close()
    assert count_pv(store, f"{RUN}-left-behind") == 0

    writer = new_writer(store, tmp_path, flush_interval=60)
    writer.start()
    try:
        assert writer.flush() is True
    finally:
        writer.close()
    assert count_pv(store, f"{RUN}-left-behind") == 6
    sample = writer.metrics.registry.get_sample_value
    assert sample("rumhouse_rows_recovered_total", {"table": "vitals"}) == 6
    assert sample("rumhouse_rows_inserted_total", {"table": "vitals"}) == 0


def test_the_buffer_flushes_early_when_large(store, tmp_path):
    writer = new_writer(store, tmp_path, flush_interval=60, flush_rows=50)
    writer.start()
    try:
        writer.add(accepted(vital_rows(60, f"{RUN}-early-flush")))
        deadline = time.monotonic() + 10
        while count_pv(store, f"{RUN}-early-flush") < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count_pv(store, f"{RUN}-early-flush") == 60
    finally:
        writer.close()


def test_the_writer_reports_full_when_the_spool_is(store, tmp_path):
    writer = new_writer(FlakyStore(store, failures=10**6), tmp_path, flush_interval=60, spool_max_bytes=8192)
    writer.add(accepted(vital_rows(20, f"{RUN}-full")))
    assert not writer.is_full()
    writer.flush()
    writer.add(accepted(vital_rows(60, f"{RUN}-full")))
    assert writer.is_full()
    writer.spool.close()


def test_rows_added_while_flushes_run_are_all_stored(embedded_store, tmp_path):
    """Request threads add beacons while flushes keep swapping the buffer out: every row added must be
    in exactly one insert. Thread switches are forced every microsecond so that an add and a flush
    interleave at every step many times over."""
    migrate(embedded_store)
    pv = f"{RUN}-race"
    writer = new_writer(embedded_store, tmp_path, flush_interval=3600)
    stop = threading.Event()

    def add_many(worker: int) -> None:
        for i in range(400):
            writer.add(accepted(vital_rows(3, f"{pv}-{worker}-{i}")))

    def flush_often() -> None:
        while not stop.is_set():
            writer.flush()

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        flusher = threading.Thread(target=flush_often)
        flusher.start()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(add_many, range(4)))
        stop.set()
        flusher.join()
    finally:
        sys.setswitchinterval(previous)
    assert writer.flush() is True
    stored = embedded_store.query(
        "SELECT count(), uniqExact(page_view_id) FROM rumhouse.vitals WHERE startsWith(page_view_id, {p:String})",
        {"p": pv},
    ).rows[0]
    assert stored == [4 * 400 * 3, 4 * 400]
