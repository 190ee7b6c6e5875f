"""Fixtures of the budget, CI gate, suggestion and release tests (a pytest plugin named in conftest.py):
one server on a folder seeded with support/budget_data.py, its config holding the budgets."""

from __future__ import annotations

import pytest

from support.budget_data import BUDGET_CONFIG, make_budget_dataset
from support.reading_data import seed_folder
from support.reading_fixtures import ReadingServer


@pytest.fixture(scope="session")
def budget_data():
    return make_budget_dataset()


@pytest.fixture(scope="session")
def budget_server(tmp_path_factory, budget_data):
    folder = tmp_path_factory.mktemp("budgets") / "data"
    seed_folder(folder, budget_data)
    server = ReadingServer(folder, config=BUDGET_CONFIG).start()
    yield server
    server.close()
