pytest_plugins = ["support.reading_fixtures", "support.budget_fixtures"]

import httpx
import pytest

from rumhouse.tables import EVENT_TABLES
from support.clickhouse_http import ClickHouseHttp
from support.load import assert_accounting, beacon_rows
from support.openapi_check import check as check_answer
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
        stored = sum(beacon_rows(srv, t) for t in EVENT_TABLES)
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


@pytest.fixture(autouse=True, scope="session")
def answers_match_the_openapi_document():
    """Every /api/v1 answer any test gets through httpx (TestClient too) is checked against the OpenAPI
    document; one that does not fit fails the test that got it (support/openapi_check.py)."""
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def checked(response: httpx.Response) -> httpx.Response:
        if response.request.url.path.startswith("/api/v1/"):
            response.read()
            check_answer(
                response.request.method,
                response.request.url.path,
                response.status_code,
                response.headers.get("content-type", ""),
                response.content,
            )
        return response

    def send(self, request, **kwargs):
        return checked(sync_send(self, request, **kwargs))

    async def send_async(self, request, **kwargs):
        response = await async_send(self, request, **kwargs)
        if request.url.path.startswith("/api/v1/"):
            await response.aread()
        return checked(response)

    httpx.Client.send, httpx.AsyncClient.send = send, send_async
    yield
    httpx.Client.send, httpx.AsyncClient.send = sync_send, async_send
