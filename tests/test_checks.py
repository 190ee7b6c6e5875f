"""The checks scripts/test.sh runs (ruff check, ruff format --check, mypy) pass on the tree and fail on a
violation: each is shown one here, with the project's own configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.server import REPO

BIN = Path(sys.executable).parent


def check(*command: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("command", [("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",)])
def test_the_tree_passes(command):
    done = check(*command)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_check_fails_on_a_violation():
    unused = check("ruff", "check", "--stdin-filename", "src/rumhouse/example.py", "-", stdin="import os\n")
    assert unused.returncode == 1 and "F401" in unused.stdout
    unformatted = check(
        "ruff",
        "format",
        "--check",
        "--stdin-filename",
        "src/rumhouse/example.py",
        "-",
        stdin="x = {  'a':1 }\n",
    )
    assert unformatted.returncode == 1
    bad = REPO / "src" / "rumhouse" / "_mypy_probe.py"  # a file of the package, so the config applies
    bad.write_text("count: int = 'seven'\n", encoding="utf-8")
    try:
        typed = check("mypy")
    finally:
        bad.unlink()
    assert typed.returncode == 1 and "Incompatible types in assignment" in typed.stdout
