pytest_plugins = ["support.reading_fixtures"]

import pytest

from support.clickhouse_http import ClickHouseHttp
from support.server import RumhouseServer


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
    accepted = srv.metric("rumhouse_events_accepted_total")
    dropped = srv.metric_sum("rumhouse_events_dropped_total")
    inserted = sum(
        srv.metric("rumhouse_rows_inserted_total", table=t)
        for t in ("page_views", "vitals", "errors", "api_calls", "resources", "measures")
    )
    stored = sum(
        srv.scalar(f"SELECT count() FROM rumhouse.{t}")
        for t in ("page_views", "vitals", "errors", "api_calls", "resources", "measures")
    )
    srv.close()
    assert accepted == inserted + dropped, (accepted, inserted, dropped)
    assert stored == inserted, (stored, inserted)


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole run, shared by the snippet and dashboard suites: its sync API runs an
    event loop in this thread, and a second instance started while the first is alive fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
