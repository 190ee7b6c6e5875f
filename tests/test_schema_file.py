"""clickhouse/schema.sql is the schema the migrations build, exactly: generated again from a freshly
migrated database (scripts/gen_schema.py, in a child process: chDB opens one folder per process), it
must be the committed file. A migration changed without the file generated again fails here."""

from __future__ import annotations

import subprocess
import sys

from support.server import REPO


def test_the_schema_file_is_what_the_migrations_build(tmp_path):
    fresh = tmp_path / "schema.sql"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_schema.py"), str(fresh)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    committed = (REPO / "clickhouse" / "schema.sql").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, (
        "clickhouse/schema.sql differs from what the migrations build: run scripts/gen_schema.py"
    )


CHANGED = """
import shutil, sys
from pathlib import Path
sys.path.insert(0, str(Path(sys.argv[1]) / "scripts"))
from rumhouse.store import migrations
import gen_schema
folder = Path(sys.argv[2])
shutil.copytree(migrations.migrations_dir(), folder)
tokens = folder / "0008_tokens.sql"
tokens.write_text(tokens.read_text().replace("COMMENT 'API tokens, stored hashed'", "COMMENT 'changed'"))
migrations.migrations_dir = lambda: folder
print(gen_schema.live_schema() == (Path(sys.argv[1]) / "clickhouse" / "schema.sql").read_text())
"""


def test_a_migration_changed_without_the_file_is_found(tmp_path):
    """The check above fails when a migration changes and schema.sql is not generated again."""
    done = subprocess.run(
        [sys.executable, "-c", CHANGED, str(REPO), str(tmp_path / "clickhouse")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
