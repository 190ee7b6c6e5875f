#!/usr/bin/env bash
# Quickstart: install rumhouse into .venv, then run it on the embedded engine.
# Arguments go to `rumhouse serve` (--host, --port).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh
exec .venv/bin/rumhouse serve "$@"
