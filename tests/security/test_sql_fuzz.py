"""10,000 SQL strings from a grammar of ClickHouse clauses and functions (allowed and forbidden mixed),
against a real server's SQL route: never a 5xx, nothing created or changed outside the data folder, no
answer past the limits (time, result rows), and the server still serves afterwards."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.server import ADMIN_TOKEN, REPO

pytestmark = pytest.mark.slow

VICTIM = Path("/tmp/rumhouse-sql-fuzz-victim")
TIMEOUT_S = 3  # RUMHOUSE_SQL_TIMEOUT of the security server (conftest.py)
MAX_RESULT_ROWS = 100_000

COLUMNS = [
    "name",
    "value",
    "site",
    "path",
    "time",
    "page_view_id",
    "hash",
    "token",
    "*",
    "1",
    "dummy",
    "number",
]
TABLES = [
    "rumhouse.vitals",
    "rumhouse.page_views",
    "rumhouse.errors",
    "rumhouse.vitals_hourly",
    "rumhouse.tokens",
    "rumhouse.audit_log",
    "rumhouse.schema_migrations",
    "system.one",
    "system.tables",
    "system.processes",
    "default.x",
    "vitals",
    "information_schema.tables",
    "numbers(5)",
    "file('/etc/passwd', 'RawBLOB')",
    "url('http://127.0.0.1:1/', 'CSV', 'x String')",
    "remote('127.0.0.1', system.one)",
    "merge('rumhouse', '.*')",
    f"file('{VICTIM}/t.csv', 'CSV', 'x String')",
    "executable('id', 'RawBLOB', 'x String')",
]
ALLOWED_FUNCTIONS = [
    "count",
    "sum",
    "avg",
    "quantile(0.75)",
    "toString",
    "length",
    "lower",
    "toStartOfHour",
    "round",
    "if",
    "coalesce",
    "concat",
    "arrayMap(x -> x, ",
    "uniqExact",
    "countIf",
    "max",
    "toUInt8",
    "range",
]
FORBIDDEN_FUNCTIONS = [
    "file",
    "url",
    "sleep",
    "sleepEachRow",
    "getSetting",
    "hostName",
    "throwIf",
    "currentUser",
    "dictGet",
    "joinGet",
    "version",
    "formatRow",
    "chdb",
    "getServerSetting",
    "FILE",
    "`file`",
    "filesystemAvailable",
    "sleep ",
    "globalVariable",
]
LITERALS = [
    "1",
    "0",
    "'x'",
    "'/etc/passwd'",
    f"'{VICTIM}/l.txt'",
    "NULL",
    "1e308",
    "-1",
    "[1, 2]",
    "(1, 'a')",
    "'\\''",
    "'%'",
    "now()",
    "INTERVAL 1 DAY",
    "{x:String}",
    "0x41",
]
TAILS = [
    "",
    "",
    "",
    " FORMAT JSON",
    " FORMAT RawBLOB",
    f" INTO OUTFILE '{VICTIM}/o.txt'",
    f" INTO OUTFILE '{VICTIM}/o.txt' TRUNCATE FORMAT RawBLOB",
    " SETTINGS readonly = 0",
    " SETTINGS max_threads = 64",
    "; DROP TABLE rumhouse.vitals",
    " -- tail",
    " /* open",
    " LIMIT 5",
    " LIMIT 1 BY name",
]
PREFIXES = [
    "",
    "",
    "",
    "WITH t AS (SELECT 1 AS a) ",
    "EXPLAIN ",
    "INSERT INTO rumhouse.vitals ",
    "/* c */ ",
    "DESCRIBE ",
    "SHOW ",
    "KILL QUERY WHERE 1 AND ",
    "CREATE TABLE e ENGINE = Memory AS ",
    "(",
    "SYSTEM ",
]

expressions = st.recursive(
    st.sampled_from(COLUMNS + LITERALS),
    lambda inner: st.one_of(
        st.tuples(
            st.sampled_from(ALLOWED_FUNCTIONS + FORBIDDEN_FUNCTIONS), st.lists(inner, min_size=1, max_size=3)
        ).map(lambda f: f"{f[0]}{'' if f[0].endswith(', ') else '('}{', '.join(f[1])})"),
        st.tuples(inner, st.sampled_from([" + ", " = ", " AND ", " IN ", " LIKE ", " || "]), inner).map(
            lambda t: "".join(t)
        ),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=6,
)


@st.composite
def selects(draw, depth: int = 0) -> str:
    items = ", ".join(draw(st.lists(expressions, min_size=1, max_size=3)))
    source = draw(st.sampled_from(TABLES + ([] if depth else ["(SUBQUERY)"])))
    if source == "(SUBQUERY)":
        source = f"({draw(selects(depth=1))})"
    sql = f"SELECT {items} FROM {source}"
    if draw(st.booleans()):
        sql += f" WHERE {draw(expressions)}"
    if draw(st.booleans()):
        sql += f" GROUP BY {draw(st.sampled_from(COLUMNS))}"
    if not depth and draw(st.integers(0, 4)) == 0:
        sql += f" UNION ALL {draw(selects(depth=1))}"
    return sql


@st.composite
def allowed_selects(draw) -> str:
    """Well-formed queries of the kind people run, so that the run path and its limits are exercised too."""
    table = draw(st.sampled_from(["rumhouse.vitals", "rumhouse.page_views", "rumhouse.errors", "system.one"]))
    column = "dummy" if table == "system.one" else "site"
    aggregate = draw(
        st.sampled_from(
            [
                "count()",
                f"uniqExact({column})",
                f"max(length(toString({column})))",
                f"groupArray({column})",
                f"any({column})",
            ]
        )
    )
    sql = f"SELECT {column}, {aggregate} FROM {table}"
    if draw(st.booleans()):
        sql += f" WHERE {column} {draw(st.sampled_from(['=', '!=', '<', 'LIKE']))} {draw(st.sampled_from(LITERALS[:3]))}"
    sql += f" GROUP BY {column}"
    if draw(st.booleans()):
        sql += f" ORDER BY {column} LIMIT {draw(st.integers(0, 1000))}"
    if draw(st.booleans()):
        sql = f"SELECT count() FROM ({sql}) ARRAY JOIN range({draw(st.integers(0, 300_000))}) AS n"
    return sql


@st.composite
def queries(draw) -> str:
    if draw(st.integers(0, 3)) == 0:
        return draw(allowed_selects())
    sql = draw(st.sampled_from(PREFIXES)) + draw(selects()) + draw(st.sampled_from(TAILS))
    if draw(st.integers(0, 9)) == 0:  # noise: a character flipped or inserted anywhere
        at = draw(st.integers(0, len(sql)))
        sql = (
            sql[:at]
            + draw(st.sampled_from(["'", '"', "`", ";", "(", ")", "\u00a0", "і", "\\", "\n"]))
            + sql[at:]
        )
    return sql


def victim_state() -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in VICTIM.rglob("*") if p.is_file()}


def test_ten_thousand_generated_queries(server):
    VICTIM.mkdir(exist_ok=True)
    (VICTIM / "keep.txt").write_text("untouched\n")
    before = victim_state()
    # A relative INTO OUTFILE would land in the server's working directory, the repository.
    cwd_before = {p.name for p in REPO.iterdir()}
    outcomes: dict[int, int] = {}
    slowest = 0.0

    @settings(
        max_examples=10_000,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )
    @given(sql=queries())
    def run(sql):
        nonlocal slowest
        started = time.monotonic()
        response = server.client.post(
            "/api/v1/sql", content=sql.encode(), headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        took = time.monotonic() - started
        slowest = max(slowest, took)
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        assert response.status_code < 500, (sql, response.status_code, response.text[:300])
        assert took < TIMEOUT_S + 5, (sql, took)
        if response.status_code == 200:
            assert len(response.json()["rows"]) <= MAX_RESULT_ROWS
        else:
            problem = response.json()
            assert set(problem) == {"error", "message"} and "\n" not in problem["message"], (
                sql,
                response.text,
            )

    run()
    print(f"\n10,000 generated queries: {outcomes}, slowest answer {slowest:.2f} s")
    assert sum(outcomes.values()) >= 10_000
    assert outcomes.get(200, 0) > 500, "the grammar also makes allowed queries, which must run"
    assert victim_state() == before
    assert {p.name for p in REPO.iterdir()} == cwd_before
    assert server.client.get("/healthz").status_code == 200
