"""Fixtures of the budget, CI gate, suggestion, release and alert tests (a pytest plugin named in
conftest.py): one server on a folder seeded with support/budget_data.py, its config holding the
budgets, alert rules, and channels that point at local receivers."""

from __future__ import annotations

import contextlib

import pytest

from support.budget_data import ALERTING, BUDGET_CONFIG, make_budget_dataset
from support.reading_data import seed_folder
from support.reading_fixtures import ReadingServer
from support.receivers import HttpReceiver, SmtpReceiver

HOOK_SECRET = "s3cret-for-tests"


@pytest.fixture(scope="session")
def budget_data():
    return make_budget_dataset()


@contextlib.contextmanager
def running_receivers():
    http, smtp = HttpReceiver(statuses={"/broken": [500]}).start(), SmtpReceiver().start()
    try:
        yield http, smtp
    finally:
        http.stop()
        smtp.stop()


def start_budget_server(folder, budget_data, http, smtp) -> ReadingServer:
    seed_folder(folder, budget_data)
    alerting = ALERTING.format(
        hook=f"{http.url}/hook",
        slack=f"{http.url}/slack",
        broken=f"{http.url}/broken",
        smtp_port=smtp.port,
        secret=HOOK_SECRET,
    )
    config = BUDGET_CONFIG.replace("{alerting}", alerting)
    return ReadingServer(
        folder, config=config, RUMHOUSE_ALERT_INTERVAL="1", RUMHOUSE_ALERT_RETRY="0.3"
    ).start()


@pytest.fixture(scope="session")
def receivers():
    with running_receivers() as both:
        yield both


@pytest.fixture(scope="session")
def budget_server(tmp_path_factory, budget_data, receivers):
    server = start_budget_server(tmp_path_factory.mktemp("budgets") / "data", budget_data, *receivers)
    yield server
    server.close()


# The channel tests count notifications: they get a server and receivers of their own, so that what other
# modules do to the shared server's budgets (an override made and ended flips an alert) is not counted.
@pytest.fixture(scope="module")
def alert_receivers():
    with running_receivers() as both:
        yield both


@pytest.fixture(scope="module")
def alert_server(tmp_path_factory, budget_data, alert_receivers):
    server = start_budget_server(tmp_path_factory.mktemp("alerts") / "data", budget_data, *alert_receivers)
    yield server
    server.close()
