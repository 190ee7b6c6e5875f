"""A data folder of rumhouse 0.1.0 (its schema built by 27 migrations since folded into one file per
table or family) is taken over as it is: no data touched, the bookkeeping rewritten, the schema the one
this version builds. One only partly migrated, or one made by a newer version, is refused with a
message that says what to do. Each case runs in a child process: chDB opens one folder per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from support.server import REPO

LEGACY = REPO / "tests" / "fixtures" / "schema-0.1.0.sql"

SCRIPT = """
import json, sys
from pathlib import Path
from rumhouse.store import migrations
from rumhouse.store.embedded import EmbeddedStore
folder, fixture, recorded = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
store = EmbeddedStore(folder)
store.command("CREATE DATABASE rumhouse")
for statement in migrations.split_statements(fixture.read_text()):
    store.command(statement)
for name in recorded:
    store.command("INSERT INTO rumhouse.schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})",
                  {"v": int(name[:4]), "n": name})
VITALS = ("INSERT INTO rumhouse.vitals (time, site, page_view_id, path, name, value)"
          " SELECT now64(3) - number, 'demo', toString(number), '/', 'LCP', number FROM numbers({n:UInt64})")
store.command(VITALS, {"n": 700})
try:
    applied = migrations.migrate(store)
except migrations.SchemaError as refused:
    print(json.dumps({"refused": str(refused)}))
    sys.exit(0)
store.command(VITALS, {"n": 300})
print(json.dumps({
    "applied": applied,
    "recorded": [r[0] for r in store.query("SELECT name FROM rumhouse.schema_migrations FINAL ORDER BY version").rows],
    "raw": store.query("SELECT count() FROM rumhouse.vitals").scalar(),
    "hourly": store.query("SELECT sum(samples) FROM rumhouse.vitals_hourly WHERE dimension = ''").scalar(),
    "daily": store.query("SELECT sum(samples) FROM rumhouse.vitals_daily WHERE dimension = 'path'").scalar(),
    "schema": migrations.show_schema(store),
    "again": migrations.migrate(store),
}))
store.close()
"""

# The files of 0.1.0, as its clickhouse/ folder named them.
LEGACY_FILES = [
    f"{name}.sql"
    for name in (
        "0001_page_views", "0002_vitals", "0003_errors", "0004_api_calls", "0005_resources", "0006_measures",
        "0007_beacons", "0010_tokens", "0011_vitals_hourly", "0012_page_views_hourly",
        "0013_api_calls_hourly", "0014_resources_hourly", "0015_vitals_daily", "0016_page_views_daily",
        "0017_api_calls_daily", "0018_resources_daily", "0019_api_calls_page_views_sketch",
        "0020_errors_hourly", "0021_errors_daily", "0022_rollups_small_granules", "0030_budgets",
        "0031_budget_overrides", "0032_alert_state", "0033_alert_events", "0034_alert_deliveries",
        "0035_suggestion_status", "0036_audit_log",
    )
]  # fmt: skip


def run_case(tmp_path, recorded: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data"), str(LEGACY), json.dumps(recorded)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def current_files() -> list[str]:
    return sorted(p.name for p in (REPO / "clickhouse").glob("[0-9][0-9][0-9][0-9]_*.sql"))


def test_a_complete_0_1_0_folder_is_taken_over_with_its_data(tmp_path):
    got = run_case(tmp_path, LEGACY_FILES)
    assert got["applied"] == current_files()  # applied over what is there: nothing created anew
    assert got["recorded"] == current_files()
    assert got["again"] == []
    assert got["raw"] == got["hourly"] == got["daily"] == 1000  # the old rows, and the views still feed
    committed = (REPO / "clickhouse" / "schema.sql").read_text(encoding="utf-8")
    assert committed.endswith(got["schema"])


@pytest.mark.parametrize(
    ("recorded", "says"),
    [
        (LEGACY_FILES[:20], "made by rumhouse 0.1.0 and not fully migrated (missing: 0030_budgets.sql"),
        (
            [*LEGACY_FILES, "0099_from_later.sql"],
            "does not know (0099_from_later.sql): it was made by a newer",
        ),
    ],
    ids=["partly-migrated", "newer"],
)
def test_other_folders_are_refused_with_what_to_do(tmp_path, recorded, says):
    got = run_case(tmp_path, recorded)
    assert says in got["refused"]
