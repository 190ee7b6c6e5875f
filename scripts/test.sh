#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs every test and the benchmark smoke
# runs. CI runs this through .ci/run. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-python.sh test

# Debian packages: Chromium for the snippet and dashboard tests (Playwright cannot download a browser
# here), wrk for the ingest benchmark's load generator, npm for the builds.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v wrk >/dev/null || missing+=(wrk)
command -v npm >/dev/null || missing+=(npm)  # the snippet and dashboard builds below
bash scripts/apt-install.sh "${missing[@]}"

# The snippet build (esbuild and the test pages' reference library, from the npm lock file). Its output,
# src/rumhouse/static/rum.js, is committed: a build that differs from the committed file fails here (as
# tests/browser/test_build.py does, which would otherwise compare the fresh build with itself).
if [ -f snippet/package.json ]; then
  (cd snippet && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build && npm run --silent types)
  if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 \
     && ! git diff --quiet -- src/rumhouse/static/rum.js src/rumhouse/static/rum-stub.js src/rumhouse/static/rum-ws.js; then
    echo "scripts/test.sh: src/rumhouse/static/rum*.js differ from a fresh build; run npm run build in snippet/ and commit" >&2
    exit 1
  fi
fi

# The dashboard build (Chart.js and esbuild from the npm lock file). Its output is committed, so the
# package serves it without npm; a build that differs from the committed files fails here.
if [ -f dashboard/package.json ]; then
  (cd dashboard && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
  if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 \
     && ! git diff --quiet -- src/rumhouse/static/dashboard; then
    echo "scripts/test.sh: src/rumhouse/static/dashboard differs from a fresh build; run npm run build in dashboard/ and commit" >&2
    exit 1
  fi
fi

export PATH="$PWD/.venv/bin:$PATH"

# The checks: lint, format and types (configured in pyproject.toml). Any finding fails the run.
ruff check .
ruff format --check .
mypy

# Every test, in two runs: the fast suite (the everyday command, `pytest -m "not slow"`), then the slow
# rest (browsers, fuzzing, outages, restarts). Each run's time is printed; no tests in a run fails it.
run_suite() {
  local name=$1 started status=0
  shift
  started=$(date +%s)
  python -m pytest "$@" || status=$?
  echo "scripts/test.sh: the $name suite took $(( $(date +%s) - started )) s"
  if [ "$status" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests in the $name suite; that is a failure" >&2
    exit 1
  fi
  if [ "$status" -ne 0 ]; then
    exit "$status"
  fi
}
suites_started=$(date +%s)
if [ $# -gt 0 ]; then
  run_suite selected "$@"  # arguments choose the tests: one run of exactly those
else
  run_suite fast -m "not slow"
  run_suite slow -m slow
  echo "scripts/test.sh: the full suite (fast + slow) took $(( $(date +%s) - suites_started )) s"
fi

# Benchmarks, short runs: they print figures and check that nothing was lost; then their ratios are
# compared with the stored baseline (warn beyond 10% worse, fail beyond 20% worse).
python benchmarks/ingest.py --smoke
python benchmarks/slow_clients.py --smoke  # idle and slow clients must not keep a beacon from its 204
python benchmarks/otlp.py --smoke  # spans/s from the OTLP exporter's encoding, beside a bare ASGI app; zero loss
python benchmarks/queries.py --smoke
python benchmarks/backend_queries.py --smoke  # endpoints, statements and series from the span rollups, vs the raw spans
python benchmarks/snippet_size.py
python benchmarks/compare.py
