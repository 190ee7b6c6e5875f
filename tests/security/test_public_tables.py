"""Every table of a migrated database is either public (people's SQL reads it) or rumhouse's own (it never
does); the ClickHouse user for people's SQL is granted exactly the public ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from rumhouse.usersql.guard import INTERNAL_TABLES, PUBLIC_TABLES
from support.folder_sql import folder_sql
from support.server import REPO


def test_every_table_is_classified(tmp_path):
    env = {**os.environ, "RUMHOUSE_DATA_DIR": str(tmp_path / "data")}
    migrated = subprocess.run(
        [sys.executable, "-m", "rumhouse", "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr
    [rows] = folder_sql(tmp_path / "data", ["SELECT name FROM system.tables WHERE database = 'rumhouse'"])
    tables = {r["name"] for r in rows}
    assert not PUBLIC_TABLES & INTERNAL_TABLES
    assert tables == PUBLIC_TABLES | INTERNAL_TABLES, (
        tables - PUBLIC_TABLES - INTERNAL_TABLES,
        (PUBLIC_TABLES | INTERNAL_TABLES) - tables,
    )


def test_the_sql_user_is_granted_the_public_tables_only():
    ddl = (REPO / "deploy" / "clickhouse-sql-user.sql").read_text()
    granted = set(re.findall(r"^GRANT SELECT ON rumhouse\.(\w+) TO rumhouse_sql;$", ddl, re.MULTILINE))
    assert granted == PUBLIC_TABLES
    assert not re.search(r"GRANT (?!SELECT ON rumhouse\.)", ddl), "no other grant"
    assert "readonly = 2 CONST" in ddl
