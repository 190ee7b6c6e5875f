"""`rumhouse budgets check` as a CI pipeline runs it: a real command against a running server, with
--url and --token. Exit 1 when a budget is breached (or, with --release, a budgeted metric regressed),
0 when all are within (and always with --warn-only), 2 when a budget has too few samples."""

import os
import subprocess
import sys

import pytest

from support.server import ADMIN_TOKEN, REPO


def check(server, *args, token=ADMIN_TOKEN):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUMHOUSE_")}
    env["PYTHONPATH"] = str(REPO / "src")
    return subprocess.run(
        [sys.executable, "-m", "rumhouse", "budgets", "check", *args, "--url", server.url, "--token", token],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_breached_budget_fails_the_build(budget_server):
    out = check(budget_server, "--site", "budget", "--since", "24h")
    assert out.returncode == 1, out.stdout + out.stderr
    # Each budget with its value, sample count and state.
    line = next(line for line in out.stdout.splitlines() if line.startswith("api-p95"))
    assert "breached" in line and "600" in line
    assert "warning" in next(line for line in out.stdout.splitlines() if line.startswith("lcp-warn"))
    assert "budget api-p95 breached" in out.stderr
    assert "FAILED" in out.stdout


def test_warn_only_never_fails(budget_server):
    out = check(budget_server, "--site", "budget", "--warn-only")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning: budget api-p95 breached" in out.stderr


def test_within_budget_passes(budget_server):
    out = check(budget_server, "--site", "calm", "--since", "24h")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "within budget" in out.stdout and "calm-lcp" in out.stdout


def test_too_few_samples_refuses_to_judge(budget_server):
    out = check(budget_server, "--site", "sparse")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "cannot judge budget sparse-lcp: 12 samples, fewer than the 50 needed to judge" in out.stderr


def test_viewer_token_of_the_site_is_enough(budget_server):
    out = check(budget_server, "--site", "calm", token=budget_server.token("viewer", "calm"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_release_regression_fails_and_same_distribution_passes(budget_server):
    regressed = check(budget_server, "--site", "rel", "--release", "v3")
    assert regressed.returncode == 1, regressed.stdout + regressed.stderr
    assert "LCP regressed in v3 vs v2" in regressed.stderr
    assert "release v3 vs v2" in regressed.stdout
    same = check(budget_server, "--site", "rel", "--release", "v2", "--baseline", "v1")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "release v2 vs v1" in same.stdout and "regression" not in same.stdout


def test_unreachable_server_or_bad_token_is_not_a_pass(budget_server, tmp_path):
    bad = check(budget_server, "--site", "calm", token="rh_nope_nope")
    assert bad.returncode == 2 and "refused the token" in bad.stderr


@pytest.mark.slow  # CLI processes, each opening the engine
def test_without_a_server_the_gate_reads_the_data_folder(tmp_path, budget_data):
    """No server runs on the machine: the command opens the data folder itself (embedded engine)."""
    from support.budget_data import BUDGET_CONFIG
    from support.reading_data import Dataset, seed_folder
    from support.server import free_port

    keep = {t: [r for r in rows if r["site"] in ("calm", "sparse")] for t, rows in budget_data.rows.items()}
    subset = Dataset(budget_data.now, {t: rows for t, rows in keep.items() if rows})
    seed_folder(tmp_path / "data", subset)
    (tmp_path / "rum.toml").write_text(BUDGET_CONFIG.replace("{alerting}", ""), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUMHOUSE_")}
    env.update(
        PYTHONPATH=str(REPO / "src"),
        RUMHOUSE_DATA_DIR=str(tmp_path / "data"),
        RUMHOUSE_CONFIG=str(tmp_path / "rum.toml"),
        RUMHOUSE_URL=f"http://127.0.0.1:{free_port()}",
    )

    def local(*args):
        return subprocess.run(
            [sys.executable, "-m", "rumhouse", "budgets", "check", *args],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )

    calm = local("--site", "calm")
    assert calm.returncode == 0, calm.stdout + calm.stderr
    assert "calm-lcp" in calm.stdout and "within" in calm.stdout
    sparse = local("--site", "sparse")
    assert sparse.returncode == 2 and "12 samples" in sparse.stderr
