"""Performance reports on a schedule ([[reports]]): a server whose data ends at the last Monday 00:00 UTC
sends that week's report by itself, once: an e-mail (aiosmtpd) with the summary, the HTML page and the PDF
attached, whose text carries the week's LCP p75 as the seeded rows give it; the webhook gets the JSON.
A restarted server does not send it again; the deliveries are in the API."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import orjson
import pytest
from pypdf import PdfReader

from rumhouse.alerts.config import parse_alerting
from rumhouse.alerts.scheduled_reports import period_end
from rumhouse.budgets.targets import SpecError
from support.budget_data import make_budget_dataset
from support.reading_data import rank, seed_folder
from support.reading_fixtures import ReadingServer
from support.receivers import HttpReceiver, SmtpReceiver
from support.server import ADMIN_TOKEN

CONFIG = """
[[sites]]
key = "budget"
origins = ["*"]

[[channels]]
name = "hook"
type = "webhook"
url = "{hook}"

[[channels]]
name = "mail"
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
from = "rum@example.test"
to = ["team@example.test"]

[[reports]]
name = "budget-weekly"
site = "budget"
period = "week"
channels = ["mail", "hook"]
"""


def test_a_period_ends_at_monday_or_the_first():
    def at(text: str) -> float:
        return datetime.fromisoformat(text).timestamp()

    # 2026-12-02 is a Wednesday; 2026-11-30 the Monday before it.
    assert period_end("week", at("2026-12-02T15:30:00+00:00")).isoformat() == "2026-11-30T00:00:00+00:00"
    assert period_end("week", at("2026-11-30T00:00:00+00:00")).isoformat() == "2026-11-30T00:00:00+00:00"
    assert period_end("week", at("2026-11-29T23:59:59+00:00")).isoformat() == "2026-11-23T00:00:00+00:00"
    assert period_end("month", at("2026-12-02T15:30:00+00:00")).isoformat() == "2026-12-01T00:00:00+00:00"
    assert period_end("month", at("2026-11-30T23:00:00+00:00")).isoformat() == "2026-11-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({"name": "r", "site": "s", "period": "day", "channels": ["hook"]}, "period must be week or month"),
        ({"name": "r", "site": "s", "channels": ["nowhere"]}, "names unknown channels: nowhere"),
        ({"name": "r", "site": "s", "channels": []}, "one or more channel names"),
        ({"name": "r", "channels": ["hook"]}, "site must be a site key"),
    ],
)
def test_a_bad_schedule_is_refused(report, message):
    with pytest.raises(SpecError, match=message):
        parse_alerting(
            {"channels": [{"name": "hook", "type": "webhook", "url": "http://x"}], "reports": [report]}
        )


def wait_for(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_the_weekly_report_is_mailed_once(tmp_path):
    monday = period_end("week", time.time())
    data = make_budget_dataset(now=monday)  # every row within the 20 hours before that Monday
    folder = tmp_path / "data"
    seed_folder(folder, data)
    http, smtp = HttpReceiver().start(), SmtpReceiver().start()
    config = CONFIG.format(hook=f"{http.url}/hook", smtp_port=smtp.port)
    env = {"RUMHOUSE_ALERT_INTERVAL": "1"}
    try:
        server = ReadingServer(folder, config=config, **env).start()
        try:
            [envelope] = wait_for(lambda: smtp.messages)
            [posted] = wait_for(lambda: http.on("/hook"))
            mail = message_from_bytes(envelope.content, policy=policy.default)

            def delivered():  # journaled after the receiver has answered: asked until both say so
                found = server.client.get(
                    "/api/v1/alerts/deliveries",
                    params={"site": "budget"},
                    headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
                ).json()["deliveries"]
                return found if len(found) == 2 and all(d["status"] == "delivered" for d in found) else None

            deliveries = wait_for(delivered)
        finally:
            server.close()
        week = f"{(monday - timedelta(days=7)).date()} to {monday.date()}"
        assert (
            mail["Subject"] == f"[rumhouse] Performance report: budget, week to {monday:%Y-%m-%d} 00:00 UTC"
        )
        # The week's LCP p75: the seeded rows' (the rollups' t-digest is within 1% of its rank), as the
        # report formats it.
        doc = orjson.loads(posted.body)
        lcp_row = next(v for v in doc["report"]["vitals"] if v["metric"] == "LCP")
        lcp = [r["value"] for r in data.rows["vitals"] if r["site"] == "budget" and r["name"] == "LCP"]
        assert abs(rank(lcp, lcp_row["p75"]) - 0.75) <= 0.01 + 1 / len(lcp) and lcp_row["samples"] == len(lcp)
        shown = f"{lcp_row['p75']:,.0f} ms"
        text = mail.get_body(("plain",)).get_content()
        assert week in text and f"LCP p75 {shown}" in text
        assert shown in mail.get_body(("html",)).get_content()
        [attachment] = list(mail.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"rumhouse-budget-week-{monday.date()}.pdf"
        pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(attachment.get_content())).pages)
        assert "Performance report: budget, week" in pdf_text and shown in pdf_text
        assert doc["kind"] == "report" and doc["group"] == "budget-weekly"
        assert (doc["report"]["from"], doc["report"]["to"]) == (
            (monday - timedelta(days=7)).isoformat(),
            monday.isoformat(),
        )
        key = f"report:budget-weekly:{monday.date()}"
        assert sorted((d["channel"], d["kind"], d["rules"], d["status"]) for d in deliveries) == [
            ("hook", "report", [key], "delivered"),
            ("mail", "report", [key], "delivered"),
        ]
        # A restart within the week: the evaluator runs again (an evaluation a second) and sends nothing.
        server = ReadingServer(folder, config=config, **env).start()
        try:
            time.sleep(4)
        finally:
            server.close()
        assert len(smtp.messages) == 1 and len(http.on("/hook")) == 1
    finally:
        http.stop()
        smtp.stop()
