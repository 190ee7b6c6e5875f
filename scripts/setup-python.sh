#!/usr/bin/env bash
# Creates .venv and installs rumhouse into it (editable), with the extras given as $1 (e.g. "test").
# Skips pip when pyproject.toml has not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  # Debian's python3 makes venvs only with its python3-venv package (ensurepip).
  "$python" -c "import ensurepip" 2>/dev/null || bash scripts/apt-install.sh python3-venv
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extras:-base}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ -n "$extras" ]; then
    .venv/bin/python -m pip install --quiet -e ".[$extras]"
  else
    .venv/bin/python -m pip install --quiet -e .
  fi
  touch "$stamp"
fi
