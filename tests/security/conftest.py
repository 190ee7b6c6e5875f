"""A server of its own for the hostile-input suite, with tight limits on people's SQL, so that a runaway
query is stopped in seconds; seeded with a few beacons so that the public tables have rows."""

from __future__ import annotations

import secrets

import orjson
import pytest

from support.server import RumhouseServer


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    srv = RumhouseServer(
        tmp_path_factory.mktemp("security") / "data",
        RUMHOUSE_SQL_TIMEOUT="3",
        RUMHOUSE_SQL_MAX_MEMORY=str(512 << 20),
        RUMHOUSE_SQL_MAX_RESULT_ROWS="100000",
        # The HTTP front's limits, small enough for a test to reach them in seconds.
        RUMHOUSE_HEADER_TIMEOUT="2",
        RUMHOUSE_BODY_TIMEOUT="1",
        RUMHOUSE_MAX_CONNECTIONS_PER_CLIENT="50",
        RUMHOUSE_MAX_CONNECTIONS="300",
    ).start()
    for _ in range(5):
        beacon = {
            "site": "demo",
            "pv": secrets.token_hex(8),
            "url": "https://a.example/p",
            "ev": [{"k": "vital", "n": "LCP", "v": 1200.0}],
        }
        assert srv.post(orjson.dumps(beacon)).status_code == 204
    yield srv
    srv.close()
