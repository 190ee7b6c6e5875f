pytest_plugins = ["support.reading_fixtures", "support.budget_fixtures"]

import pytest

from rumhouse.tables import EVENT_TABLES
from support.clickhouse_http import ClickHouseHttp
from support.load import assert_accounting
from support.server import RumhouseServer


def pytest_collection_modifyitems(items):
    """Browser tests are slow tests too: `pytest -m "not slow"`, the everyday suite, leaves them out."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def clickhouse_http(tmp_path_factory):
    """A stand-in ClickHouse server (its HTTP interface, executing on chDB in a child process), for the
    server engine's code path: clickhouse-connect and HTTP, as against a real server."""
    fixture = ClickHouseHttp(tmp_path_factory.mktemp("clickhouse-http") / "data").start()
    yield fixture
    fixture.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One real server for the suite's end-to-end tests. At the end, after all the suite's load, the
    accounting identity must hold: events accepted = rows inserted + events dropped."""
    srv = RumhouseServer(tmp_path_factory.mktemp("shared") / "data").start()
    yield srv
    srv.sql("SELECT 1")  # flushes the buffer
    try:
        assert_accounting(srv)
        assert sum(srv.metric("rumhouse_buffer_rows", table=t) for t in EVENT_TABLES) == 0
        inserted = sum(srv.metric("rumhouse_rows_inserted_total", table=t) for t in EVENT_TABLES)
        stored = sum(srv.scalar(f"SELECT count() FROM rumhouse.{t}") for t in EVENT_TABLES)
        assert stored == inserted, (stored, inserted)
    finally:
        srv.close()


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole run, shared by the snippet and dashboard suites: its sync API runs an
    event loop in this thread, and a second instance started while the first is alive fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
