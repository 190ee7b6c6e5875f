"""`rumhouse token create/list/revoke`, through the running server and on a data folder with no server;
tokens are stored hashed; a revoked token stops working."""

import hashlib
import os
import subprocess
import sys

import pytest

from support.folder_sql import folder_sql
from support.server import ADMIN_TOKEN, REPO, RumhouseServer


def rumhouse(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rumhouse", *args],
        check=False,
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli_env(server: RumhouseServer) -> dict:
    return {**server.env, "RUMHOUSE_URL": server.url}


@pytest.mark.slow  # CLI processes, each opening the engine
def test_create_prints_the_token_once_and_stores_only_its_hash(tmp_path):
    server = RumhouseServer(tmp_path / "data").start()
    try:
        created = rumhouse(
            cli_env(server), "token", "create", "--role", "viewer", "--site", "demo", "--name", "ci"
        )
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip()
        assert token.startswith("rh_") and len(token) > 40
        assert "shown only this once" in created.stderr
        token_id = token.split("_")[1]

        # The token table is rumhouse's own: people's SQL cannot read it, even with the admin token.
        dump = server.client.post(
            "/api/v1/sql",
            content="SELECT * FROM rumhouse.tokens",
            params={"format": "csv"},
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert dump.status_code == 400 and token not in dump.text

        listed = rumhouse(cli_env(server), "token", "list")
        assert listed.returncode == 0 and token_id in listed.stdout and token not in listed.stdout

        ok = server.client.get(
            "/api/v1/vitals/summary", params={"site": "demo"}, headers={"authorization": f"Bearer {token}"}
        )
        assert ok.status_code == 200
    finally:
        server.close()
    [stored] = folder_sql(server.data_dir, ["SELECT id, hash, role, sites, name FROM rumhouse.tokens FINAL"])
    mine = [row for row in stored if row["id"] == token_id]
    assert mine == [
        {
            "id": token_id,
            "hash": hashlib.sha256(token.encode()).hexdigest(),
            "role": "viewer",
            "sites": ["demo"],
            "name": "ci",
        }
    ]
    assert not any(token.split("_", 2)[2] in str(row) for row in stored)


ROUTES = (
    ("/api/v1/vitals/summary", {"site": "demo"}),
    ("/api/v1/budgets", {"site": "demo"}),
    ("/api/v1/alerts", {"site": "demo"}),
)


def test_revoked_tokens_stop_working(reading):
    token = reading.token("viewer", "demo")
    headers = {"authorization": f"Bearer {token}"}
    assert (
        reading.client.get("/api/v1/vitals/summary", params={"site": "demo"}, headers=headers).status_code
        == 200
    )
    for path, params in ROUTES:
        assert reading.client.get(path, params=params, headers=headers).status_code == 200, path
    revoked = rumhouse(cli_env(reading), "token", "revoke", token.split("_")[1])
    assert revoked.returncode == 0, revoked.stderr
    # Revoked through the server, which clears its one token cache: every route refuses it at once.
    for path, params in (
        ("/api/v1/vitals/summary", {"site": "demo"}),
        ("/api/v1/budgets", {"site": "demo"}),
        ("/api/v1/alerts", {"site": "demo"}),
    ):
        assert reading.client.get(path, params=params, headers=headers).status_code == 401, path
    assert rumhouse(cli_env(reading), "token", "revoke", "doesnotexist").returncode == 1


def test_a_tampered_token_with_a_real_id_is_refused(reading):
    token = reading.token("viewer", "demo")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = reading.client.get(
        "/api/v1/vitals/summary", params={"site": "demo"}, headers={"authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


def test_bad_requests_to_create(reading):
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    for body in (
        {"role": "owner", "sites": ["demo"]},
        {"role": "viewer"},
        {"sites": ["demo"]},
        {"role": "viewer", "sites": "demo"},
    ):
        assert reading.client.post("/api/v1/tokens", json=body, headers=headers).status_code == 400, body


@pytest.mark.slow  # several CLI processes, each opening the engine
def test_tokens_without_a_running_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUMHOUSE_")}
    env.update(
        RUMHOUSE_DATA_DIR=str(tmp_path / "data"),
        RUMHOUSE_URL="http://127.0.0.1:9",
        PYTHONPATH=str(REPO / "src"),
    )
    (tmp_path / "data").mkdir()
    created = rumhouse(env, "token", "create", "--role", "admin")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    listed = rumhouse(env, "token", "list")
    assert listed.returncode == 0 and token.split("_")[1] in listed.stdout and "admin" in listed.stdout
    assert rumhouse(env, "token", "revoke", token.split("_")[1]).returncode == 0
    assert rumhouse(env, "token", "create", "--role", "viewer").returncode == 2  # a viewer needs a site

    # The server started on that folder later knows the revoked token as revoked.
    server = RumhouseServer(tmp_path / "data").start()
    try:
        response = server.client.get("/api/v1/sites", headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 401
    finally:
        server.close()
