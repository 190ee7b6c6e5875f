"""Fixtures of the reading-side tests (a pytest plugin, named in conftest.py): one seeded server and
tokens for it, shared by test_api_*.py, test_tokens*.py, test_rollups*.py and the dashboard test."""

from __future__ import annotations

import pytest

from support.reading_data import make_dataset, seed_folder
from support.server import ADMIN_TOKEN, RumhouseServer


class ReadingServer(RumhouseServer):
    def token(self, role: str, *sites: str) -> str:
        response = self.client.post(
            "/api/v1/tokens",
            json={"role": role, "sites": list(sites), "name": "test"},
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def api(self, route: str, token: str, /, **params):
        response = self.client.get(
            f"/api/v1{route}", params=params, headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, (route, params, response.status_code, response.text)
        return response.json() if params.get("format", "json") == "json" else response.text


@pytest.fixture(scope="session")
def dataset():
    return make_dataset()


@pytest.fixture(scope="session")
def reading(tmp_path_factory, dataset):
    folder = tmp_path_factory.mktemp("reading") / "data"
    seed_folder(folder, dataset)
    server = ReadingServer(folder).start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def demo_token(reading):
    return reading.token("viewer", "demo")


@pytest.fixture(scope="session")
def shop_token(reading):
    return reading.token("viewer", "shop")
