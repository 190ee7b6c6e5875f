"""Hostile SQL against a real server's SQL route, as an admin token holder would send it.

Each query must be refused with a 4xx and a one-line reason; afterwards the server still serves, no file
outside the data folder was created or changed, and nothing secret came back.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

import pytest

from support.server import ADMIN_TOKEN

# {victim} is a folder outside the data folder whose contents the test watches; {data} the data folder.
ATTACKS: list[tuple[str, str]] = [
    # --- writing files ---
    ("outfile", "SELECT 'x' INTO OUTFILE '{victim}/out.txt'"),
    ("outfile-truncate", "SELECT 'x' INTO OUTFILE '{victim}/keep.txt' TRUNCATE FORMAT RawBLOB"),
    ("outfile-append", "SELECT 'x' INTO OUTFILE '{victim}/keep.txt' APPEND FORMAT RawBLOB"),
    (
        "outfile-metadata",
        "SELECT 'ATTACH TABLE x' INTO OUTFILE '{data}/metadata/rumhouse/evil.sql' FORMAT RawBLOB",
    ),
    ("outfile-in-union", "SELECT 1 UNION ALL SELECT 2 INTO OUTFILE '{victim}/u.txt'"),
    ("outfile-compressed", "SELECT 1 INTO OUTFILE '{victim}/c.gz' COMPRESSION 'gzip'"),
    ("outfile-stdout", "SELECT 1 INTO OUTFILE '{victim}/s.txt' AND STDOUT"),
    ("insert-file-fn", "INSERT INTO FUNCTION file('{victim}/f.csv', 'CSV', 'x String') VALUES ('x')"),
    ("insert-table", "INSERT INTO rumhouse.vitals (name, value) VALUES ('LCP', 1)"),
    ("insert-select", "INSERT INTO rumhouse.vitals SELECT * FROM rumhouse.vitals"),
    ("create-table", "CREATE TABLE rumhouse.evil (x String) ENGINE = File(CSV)"),
    ("create-file-table", "CREATE TABLE evil (x String) ENGINE = File(RawBLOB, '/etc/passwd')"),
    ("attach", "ATTACH TABLE evil FROM '{victim}' (x String) ENGINE = File(CSV)"),
    ("drop", "DROP TABLE rumhouse.vitals"),
    ("truncate", "TRUNCATE TABLE rumhouse.vitals"),
    ("alter-delete", "ALTER TABLE rumhouse.vitals DELETE WHERE 1"),
    ("lightweight-delete", "DELETE FROM rumhouse.vitals WHERE 1"),
    ("backup", "BACKUP TABLE rumhouse.vitals TO File('{victim}/b.zip')"),
    ("optimize", "OPTIMIZE TABLE rumhouse.vitals FINAL"),
    ("rename", "RENAME TABLE rumhouse.vitals TO rumhouse.v2"),
    # --- reading files ---
    ("file-scalar", "SELECT file('/etc/passwd')"),
    ("file-scalar-token", "SELECT file('{data}/admin-token')"),
    ("file-environ", "SELECT file('/proc/self/environ')"),
    ("file-table-fn", "SELECT * FROM file('/etc/passwd', 'RawBLOB')"),
    ("file-in-subquery", "SELECT (SELECT file('/etc/passwd'))"),
    ("file-in-cte", "WITH (SELECT file('/etc/passwd')) AS p SELECT p"),
    ("file-in-lambda", "SELECT arrayMap(x -> file(x), ['/etc/passwd'])"),
    ("file-quoted-name", "SELECT `file`('/etc/passwd')"),
    ("file-case", "SELECT FILE('/etc/passwd')"),
    ("file-in-where", "SELECT count() FROM rumhouse.vitals WHERE file('/etc/passwd') != ''"),
    ("file-in-order", "SELECT 1 ORDER BY file('/etc/passwd')"),
    ("file-window", "SELECT count() OVER (ORDER BY file('/etc/passwd'))"),
    ("file-param", "SELECT quantile(file('/etc/passwd'))(1)"),
    ("url-table-fn", "SELECT * FROM url('http://127.0.0.1:1/', 'RawBLOB', 'x String')"),
    ("s3-table-fn", "SELECT * FROM s3('http://127.0.0.1:1/b/k', 'RawBLOB')"),
    ("remote-table-fn", "SELECT * FROM remote('127.0.0.1:9000', system.one)"),
    ("executable", "SELECT * FROM executable('id', 'RawBLOB', 'x String')"),
    ("python-table-fn", "SELECT * FROM python('print(1)')"),
    ("numbers-table-fn", "SELECT * FROM numbers(10)"),
    ("merge-table-fn", "SELECT * FROM merge('rumhouse', '^tok')"),
    ("input-fn", "SELECT * FROM input('x String')"),
    ("chdb-fn", "SELECT chdb('SELECT file(''/etc/passwd'')')"),
    ("dictionary", "SELECT dictGet('d', 'x', 1)"),
    ("joinget", "SELECT joinGet('rumhouse.tokens', 'hash', 'x')"),
    # --- internal and system tables ---
    ("tokens", "SELECT * FROM rumhouse.tokens"),
    ("tokens-final", "SELECT hash FROM rumhouse.tokens FINAL"),
    ("tokens-join", "SELECT * FROM rumhouse.vitals AS v JOIN rumhouse.tokens AS t ON 1 = 1"),
    ("tokens-in", "SELECT count() FROM rumhouse.vitals WHERE site IN rumhouse.tokens"),
    (
        "tokens-in-subquery",
        "SELECT count() FROM rumhouse.vitals WHERE site IN (SELECT id FROM rumhouse.tokens)",
    ),
    ("tokens-union", "SELECT site FROM rumhouse.vitals UNION ALL SELECT hash FROM rumhouse.tokens"),
    ("tokens-cte-shadow", "WITH v AS (SELECT * FROM rumhouse.tokens) SELECT * FROM v"),
    ("tokens-exists", "SELECT EXISTS (SELECT 1 FROM rumhouse.tokens)"),
    ("tokens-quoted", 'SELECT * FROM "rumhouse"."tokens"'),
    ("tokens-backquoted", "SELECT * FROM `rumhouse`.`tokens`"),
    ("alert-state", "SELECT * FROM rumhouse.alert_state"),
    ("audit-log", "SELECT * FROM rumhouse.audit_log"),
    ("budgets", "SELECT * FROM rumhouse.budgets"),
    ("schema-migrations", "SELECT * FROM rumhouse.schema_migrations"),
    ("unqualified", "SELECT * FROM tokens"),
    ("default-db", "SELECT * FROM default.anything"),
    ("system-tables", "SELECT * FROM system.tables"),
    ("system-build-options", "SELECT * FROM system.build_options"),
    ("system-processes", "SELECT query FROM system.processes"),
    ("system-query-log", "SELECT query FROM system.query_log"),
    ("system-settings", "SELECT * FROM system.settings"),
    ("system-users", "SELECT * FROM system.users"),
    ("information-schema", "SELECT * FROM information_schema.tables"),
    ("mv", "SELECT * FROM rumhouse.vitals_hourly_mv"),
    # --- settings, processes, other statements ---
    ("settings-clause", "SELECT 1 SETTINGS readonly = 0"),
    ("settings-in-subquery", "SELECT * FROM (SELECT 1 SETTINGS max_memory_usage = 0)"),
    ("set", "SET readonly = 0"),
    ("format-clause", "SELECT 1 FORMAT JSON"),
    ("format-template", "SELECT 1 FORMAT Template"),
    ("kill-query", "KILL QUERY WHERE 1"),
    ("system-reload", "SYSTEM RELOAD CONFIG"),
    ("system-shutdown", "SYSTEM SHUTDOWN"),
    ("grant", "GRANT ALL ON *.* TO default"),
    ("create-user", "CREATE USER evil IDENTIFIED BY 'x'"),
    ("show-tables", "SHOW TABLES FROM rumhouse"),
    ("describe", "DESCRIBE TABLE rumhouse.tokens"),
    ("explain", "EXPLAIN SELECT * FROM rumhouse.tokens"),
    ("use", "USE system"),
    ("getsetting", "SELECT getSetting('readonly')"),
    ("hostname", "SELECT hostName()"),
    ("sleep", "SELECT sleep(3)"),
    ("sleep-each-row", "SELECT sleepEachRow(1) FROM rumhouse.vitals"),
    ("throwif", "SELECT throwIf(1)"),
    ("query-parameter", "SELECT {x:String}"),
    ("array-reduce-name", "SELECT arrayReduce('aggThrow', [1])"),
    ("array-reduce-dynamic", "SELECT arrayReduce(concat('su', 'm'), [1])"),
    ("format-row", "SELECT formatRow('CSV', 1)"),
    # --- parser tricks ---
    ("two-statements", "SELECT 1; SELECT file('/etc/passwd')"),
    ("comment-hides", "SELECT 1 -- \n INTO OUTFILE '{victim}/comment.txt'"),
    ("block-comment", "SELECT 1 /* x */ INTO /* y */ OUTFILE '{victim}/block.txt'"),
    ("unicode-homoglyph", "SELECT fіle('/etc/passwd')"),  # a Cyrillic і
    ("unicode-space", "SELECT\u00a0file('/etc/passwd')"),
    ("nul-byte", "SELECT 1\x00; DROP TABLE rumhouse.vitals"),
    ("deep-nesting", "SELECT " + "(" * 3000 + "1" + ")" * 3000),
    ("deep-subqueries", "SELECT * FROM " + "(SELECT * FROM " * 200 + "rumhouse.vitals" + ")" * 200),
    ("huge-query", "SELECT '" + "x" * 120_000 + "'"),
    ("empty", "   "),
    ("unbalanced", "SELECT (1"),
    ("not-sql", "\u202e\u0000\ufeff"),
    # --- resource exhaustion (stopped by the limits) ---
    ("huge-result", "SELECT * FROM system.one ARRAY JOIN range(1000000) AS x"),
    (
        "memory",
        "SELECT groupArray(randomString(1000)) FROM (SELECT 1 FROM system.one ARRAY JOIN range(10000000))",
    ),
    ("big-string", "SELECT length(repeat('x', 5000000000))"),
    (
        "cross-join-bomb",
        "SELECT sum(cityHash64(a, b)) FROM (SELECT a FROM system.one ARRAY JOIN range(100000) AS a) "
        "AS l CROSS JOIN (SELECT b FROM system.one ARRAY JOIN range(100000) AS b) AS r",
    ),
]


@pytest.fixture(scope="module")
def victim(tmp_path_factory):
    folder = tmp_path_factory.mktemp("victim")
    (folder / "keep.txt").write_text("untouched\n", encoding="utf-8")
    return folder


def snapshot(*folders: Path) -> dict[str, str]:
    """Every file below the folders, with a hash of its contents."""
    seen = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def post_sql(server, query: str, **params):
    return server.client.post(
        "/api/v1/sql",
        content=query.encode("utf-8", "surrogatepass"),
        params=params,
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
    )


def test_there_are_at_least_sixty_attacks():
    assert len({name for name, _ in ATTACKS}) == len(ATTACKS) >= 60


@pytest.mark.slow  # 110 attacks, each checked for files and health; the refusal reasons run in the fast suite
@pytest.mark.parametrize("query", [q for _, q in ATTACKS], ids=[n for n, _ in ATTACKS])
def test_attack_is_refused_and_changes_nothing(server, victim, query):
    query = query.replace("{victim}", str(victim)).replace("{data}", str(server.data_dir))
    before = snapshot(victim, Path("/etc"))
    tables_before = server.scalar("SELECT count() FROM rumhouse.vitals")

    response = post_sql(server, query)

    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.text
    problem = response.json()
    assert set(problem) == {"error", "message"} and "\n" not in problem["message"], "the reason is one line"
    assert problem["error"] in ("refused", "syntax_error", "query_failed", "too_large", "bad_encoding")
    assert "root:" not in body and ADMIN_TOKEN not in body
    assert snapshot(victim, Path("/etc")) == before
    assert not (server.data_dir / "metadata" / "rumhouse" / "evil.sql").exists()
    assert server.client.get("/healthz").status_code == 200
    assert server.scalar("SELECT count() FROM rumhouse.vitals") >= tables_before


def test_refusals_name_what_was_refused(server):
    reasons = {
        "SELECT file('/etc/passwd')": "function file() is not allowed",
        "SELECT * FROM rumhouse.tokens": "table rumhouse.tokens is not readable",
        "SELECT 1 INTO OUTFILE '/tmp/x'": "INTO OUTFILE",
        "SELECT 1 FORMAT CSV": "FORMAT",
        "SELECT 1 SETTINGS max_threads = 1": "SETTINGS",
        "SELECT * FROM numbers(3)": "table functions are not allowed: numbers()",
        "DROP TABLE rumhouse.vitals": "only a SELECT",
        "SELEC 1": "Syntax error",
    }
    for query, expected in reasons.items():
        response = post_sql(server, query)
        assert response.status_code == 400 and expected in response.text, (query, response.text)


def test_allowed_queries_still_answer(server):
    """The guard refuses by allow-list; what people really write must still pass."""
    queries = [
        "SELECT path, quantile(0.75)(value) AS p75, count() FROM rumhouse.vitals WHERE name = 'LCP' "
        "AND time > now() - INTERVAL 1 DAY GROUP BY path ORDER BY 3 DESC LIMIT 10",
        "WITH lcp AS (SELECT page_view_id, value FROM rumhouse.vitals WHERE name = 'LCP') SELECT count() FROM lcp",
        "SELECT countIf(value > 2500) / count() FROM rumhouse.vitals WHERE name = 'LCP'",
        "SELECT quantilesTDigestMerge(0.5, 0.75, 0.95, 0.99)(quantiles) FROM rumhouse.vitals_hourly",
        "SELECT toStartOfHour(time) AS h, uniqExact(page_view_id) FROM rumhouse.page_views GROUP BY h ORDER BY h",
        "SELECT v.path, count() FROM rumhouse.vitals AS v INNER JOIN rumhouse.page_views AS p ON v.page_view_id = p.page_view_id "
        "GROUP BY v.path",
        "SELECT arrayMap(x -> x * 2, [1, 2, 3]), CASE WHEN 1 THEN 'a' ELSE 'b' END, 1::UInt8",
        "SELECT count() FROM rumhouse.errors WHERE message ILIKE '%type%' AND site IN ('demo', 'shop')",
        "SELECT row_number() OVER (ORDER BY name), name FROM (SELECT DISTINCT name FROM rumhouse.vitals)",
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT EXISTS (SELECT 1 FROM rumhouse.vitals)",
        "SELECT COUNT(*), Sum(1), median(value) FROM rumhouse.vitals",
        "select count() from rumhouse.vitals -- a comment\n where name = 'LCP'",
    ]
    for query in queries:
        response = post_sql(server, query)
        assert response.status_code == 200, (query, response.text)


def test_csv_and_tsv_cells_cannot_start_a_formula(server):
    query = "SELECT '=HYPERLINK(\"http://evil\")' AS a, '+1' AS b, '-cmd' AS c, '@sum' AS d, 'plain' AS e, -5 AS n"
    csv_text = post_sql(server, query, format="csv").text
    assert next(csv.reader(io.StringIO(csv_text.splitlines()[1]))) == [
        '\'=HYPERLINK("http://evil")',
        "'+1",
        "'-cmd",
        "'@sum",
        "plain",
        "-5",
    ]
    tsv_text = post_sql(server, query, format="tsv").text
    assert tsv_text.splitlines()[1].split("\t") == [
        '\'=HYPERLINK("http://evil")',
        "'+1",
        "'-cmd",
        "'@sum",
        "plain",
        "-5",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "query, limit",
    [
        ("SELECT number FROM system.one ARRAY JOIN range(200000) AS number", "TOO_MANY_ROWS_OR_BYTES"),
        (
            "SELECT sum(cityHash64(a, b)) FROM (SELECT a FROM system.one ARRAY JOIN range(100000) AS a) AS l "
            "CROSS JOIN (SELECT b FROM system.one ARRAY JOIN range(100000) AS b) AS r",
            "TIMEOUT_EXCEEDED",
        ),
        (
            "SELECT length(groupArray(randomString(1000))) FROM system.one ARRAY JOIN range(5000000) AS x",
            "MEMORY_LIMIT_EXCEEDED",
        ),
    ],
)
def test_limits_stop_runaway_queries(server, query, limit):
    response = post_sql(server, query)
    assert response.status_code == 400 and response.json()["error"] == "query_failed", response.text
    assert limit in response.text
    assert server.client.get("/healthz").status_code == 200


def test_no_file_appears_in_the_working_directory(server):
    cwd_before = set(os.listdir(server.data_dir.parent))
    post_sql(server, "SELECT 1 INTO OUTFILE 'relative.txt'")
    assert set(os.listdir(server.data_dir.parent)) == cwd_before
