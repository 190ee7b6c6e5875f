#!/usr/bin/env bash
# Renovates the lock files from pyproject.toml (and requirements/build.in): the newest releases that the
# declared ranges allow, for every platform and Python from 3.11 on, with hashes. Commit the result on its
# own, after the full test command passed with it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/uv ] || .venv/bin/python -m pip install --quiet uv
compile() { .venv/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes "$@"; }
compile --extra embedded pyproject.toml requirements/build.in -o requirements/embedded.txt
compile pyproject.toml requirements/build.in -o requirements/server.txt
compile --extra embedded --extra test pyproject.toml requirements/build.in -o requirements/test.txt
