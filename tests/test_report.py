"""The weekly and monthly performance report over the seeded reading dataset: its figures are the API's for
the same window (vitals, the period before, errors, API calls, the CrUX view) and the seeded rows' (the
latest release against the one before); the HTML page and the PDF carry them (the PDF's text read back
with pypdf); `rumhouse report` writes it to a file."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from pypdf import PdfReader

from support.server import ADMIN_TOKEN, REPO

pytestmark = pytest.mark.slow


def report(reading, token, **params):
    answer = reading.client.get(
        "/api/v1/report", params={"site": "demo", **params}, headers={"authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    return answer


def test_the_weekly_report_has_the_apis_figures(reading, demo_token):
    built = report(reading, demo_token, period="week").json()
    window = {"site": "demo", "from": built["from"], "to": built["to"]}
    summary = {r["metric"]: r for r in reading.api("/vitals/summary", demo_token, **window)["rows"]}
    assert [v["metric"] for v in built["vitals"]] == ["LCP", "INP", "CLS", "FCP", "TTFB"]
    for v in built["vitals"]:
        row = summary[v["metric"]]
        assert (v["p75"], v["samples"], v["ci_low"], v["ci_high"]) == (
            row["p75"], row["samples"], row["p75_ci_low"], row["p75_ci_high"]
        )  # fmt: skip
    # The period before: the 7 days just before.
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(built["from"])
    before = {"site": "demo", "from": (start - timedelta(days=7)).isoformat(), "to": start.isoformat()}
    earlier = {r["metric"]: r for r in reading.api("/vitals/summary", demo_token, **before)["rows"]}
    for v in built["vitals"]:
        if v["metric"] not in earlier:  # the seeded data begins within the week before
            assert v["previous_p75"] is None and v["change"] is None
            continue
        assert v["previous_p75"] == earlier[v["metric"]]["p75"]
        assert v["change"] == pytest.approx(v["p75"] / earlier[v["metric"]]["p75"] - 1)
    # A month: the same from the API for its 30 days, and the 30 before (no data there).
    month = report(reading, demo_token, period="month").json()
    assert all(v["previous_p75"] is None for v in month["vitals"])
    assert built["errors"] == reading.api("/errors", demo_token, limit=5, **window)["rows"]
    assert built["api_calls"] == reading.api("/api-calls", demo_token, limit=5, **window)["rows"]
    assert built["crux"] == reading.api("/vitals/crux", demo_token, **window)["rows"]
    # The seeded releases are v1 and v2: v2 first seen last.
    assert (built["releases"]["release_a"], built["releases"]["release_b"]) in (("v1", "v2"), ("v2", "v1"))
    assert (
        len(built["lcp_daily"]) in (7, 8)
        and sum(d["samples"] for d in built["lcp_daily"]) == summary["LCP"]["samples"]
    )


def test_html_and_pdf_carry_the_figures(reading, demo_token):
    built = report(reading, demo_token, period="month").json()
    lcp = next(v for v in built["vitals"] if v["metric"] == "LCP")
    shown = f"{lcp['p75']:,.0f} ms"
    page = report(reading, demo_token, period="month", format="html")
    assert page.headers["content-type"].startswith("text/html")
    assert "Performance report: demo, month" in page.text and shown in page.text and "<svg" in page.text
    document = report(reading, demo_token, period="month", format="pdf")
    assert document.headers["content-type"] == "application/pdf" and document.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(document.content)).pages)
    assert "Performance report: demo, month" in text and shown in text
    assert built["errors"][0]["message"][:30] in text and "As the Chrome UX Report would count it" in text


def test_the_cli_writes_the_report(reading, tmp_path):
    out = tmp_path / "week.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "rumhouse", "report", "--site", "demo", "--period", "week", "--format", "pdf",
         "--out", str(out), "--url", reading.url],
        env={**os.environ, "RUMHOUSE_ADMIN_TOKEN": ADMIN_TOKEN, "PYTHONPATH": str(REPO / "src")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF") and str(out) in done.stdout
