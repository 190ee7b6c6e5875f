"""The HTTP stand-in for ClickHouse (tests/support/clickhouse_http.py) answers clickhouse-connect's own
requests, beyond the few the server engine makes, the way a server does: so a test that passes on it
says something about a real server."""

import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError


@pytest.fixture(scope="module")
def client(clickhouse_http):
    client = clickhouse_connect.get_client(
        host="127.0.0.1",
        port=clickhouse_http.port,
        username=clickhouse_http.user,
        password=clickhouse_http.password,
        compress=True,
        autogenerate_session_id=False,
    )
    yield client
    client.close()


def test_ping_and_the_server_version(clickhouse_http, client):
    assert client.ping()
    assert client.server_version.count(".") >= 3
    assert httpx.get(f"http://127.0.0.1:{clickhouse_http.port}/ping").text == "Ok.\n"


def test_native_queries_with_compressed_answers_and_bound_parameters(client):
    result = client.query(
        "SELECT number AS n, toString(number) AS s, toLowCardinality('x') AS lc FROM numbers(5)"
        " WHERE n >= {lo:UInt8}",
        parameters={"lo": 3},
    )
    assert result.result_rows == [(3, "3", "x"), (4, "4", "x")]
    assert [t.name for t in result.column_types] == ["UInt64", "String", "LowCardinality(String)"]


def test_native_inserts_through_an_insert_context(client):
    client.command(
        "CREATE TABLE IF NOT EXISTS default.fixture_t (a UInt32, m Map(String, Float32)) "
        "ENGINE = MergeTree ORDER BY a"
    )
    context = client.create_insert_context("default.fixture_t", column_names=["a", "m"])
    for batch in ([[1, {"k": 1.5}]], [[2, {}]]):  # a reused context, as clickhouse-connect intends
        context.data = batch
        client.insert(context=context)
    assert client.query("SELECT a, m FROM default.fixture_t ORDER BY a").result_rows == [
        (1, {"k": 1.5}),
        (2, {}),
    ]


def test_form_encoded_parameters(clickhouse_http):
    client = clickhouse_connect.get_client(
        host="127.0.0.1",
        port=clickhouse_http.port,
        username=clickhouse_http.user,
        password=clickhouse_http.password,
        form_encode_query_params=True,
        autogenerate_session_id=False,
    )
    try:
        assert client.query("SELECT {s:String} AS s", parameters={"s": "a b\tc"}).result_rows == [("a b\tc",)]
    finally:
        client.close()


def test_errors_carry_clickhouses_code_and_message(client):
    with pytest.raises(DatabaseError) as caught:
        client.query("SELECT * FROM default.no_such_table")
    assert caught.value.code == 60
    assert "UNKNOWN_TABLE" in str(caught.value)


def test_get_requests_are_read_only(clickhouse_http):
    url = f"http://127.0.0.1:{clickhouse_http.port}/"
    auth = (clickhouse_http.user, clickhouse_http.password)
    assert httpx.get(url, params={"query": "SELECT 1 + 1"}, auth=auth).text == "2\n"
    refused = httpx.get(url, params={"query": "CREATE TABLE default.x (a UInt8) ENGINE = Memory"}, auth=auth)
    assert refused.status_code == 403 and refused.headers["x-clickhouse-exception-code"] == "164"
    assert httpx.get(url, params={"query": "SELECT 1"}).status_code == 401
