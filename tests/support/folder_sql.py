"""Read a stopped server's data folder directly, with any SQL: for tests that check what rumhouse keeps
in its own tables (tokens, alert state) or in system tables, which people's SQL may not read.

The queries run in a child process, because chDB opens one data folder per process and the test process
may have opened another. Usage: `folder_sql(data_dir, ["SELECT ...", ...])` -> one list of row dicts per
query. The server that owns the folder must be stopped first (it holds the folder's lock).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_CHILD = """
import json, sys
from pathlib import Path
from typing import Any
from rumhouse.store.embedded import EmbeddedStore
store = EmbeddedStore(Path(sys.argv[1]))
out = [store.query(q).dicts() for q in json.loads(sys.stdin.read())]
store.close()
print(json.dumps(out, default=str))
"""


def folder_sql(data_dir: Path, queries: list[str]) -> list[list[dict]]:
    return in_child(_CHILD, data_dir, queries)


def in_child(script: str, data_dir: Path, job: Any) -> Any:
    """Runs `script` in a child Python with the folder as argv[1] and `job` as JSON on stdin; returns the
    JSON it prints."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(data_dir)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
