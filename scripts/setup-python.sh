#!/usr/bin/env bash
# Creates .venv and installs rumhouse into it (editable), with its dependencies exactly as a lock file
# pins them: requirements/embedded.txt (the default: the embedded engine), requirements/server.txt when
# $1 is "server" (workers of a ClickHouse server: no chDB), requirements/test.txt when $1 is "test". A new release of a
# dependency therefore never changes what is installed; renovating the lock is a commit of its own
# (scripts/lock.sh). Skips pip when the lock file has not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
case "$extras" in
  "" | embedded) lock=requirements/embedded.txt ;;
  server) lock=requirements/server.txt ;;
  test) lock=requirements/test.txt ;;
  *) echo "scripts/setup-python.sh: no lock file for extras '$extras'" >&2; exit 2 ;;
esac
if [ ! -x .venv/bin/python ]; then
  # Debian's python3 makes venvs only with its python3-venv package (ensurepip).
  "$python" -c "import ensurepip" 2>/dev/null || bash scripts/apt-install.sh python3-venv
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$(cat "$lock" pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  # --require-hashes: every package (and the build backend) is the exact file the lock names.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
  # The project itself: no dependency resolution (the lock did it), no isolated build (hatchling is locked).
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi
