"""Sending one notification to one channel. Each sender raises on failure; the notifier retries.

- webhook: the JSON document, POSTed; with a secret, `X-Rumhouse-Signature: sha256=<hex>` is the
  HMAC-SHA256 of the exact body bytes under the secret (check it before trusting the body).
- slack: Slack's incoming-webhook format (`text`, plus `blocks` with one section per alert).
- email: a plain-text message over SMTP (STARTTLS and login when configured).

A scheduled performance report (kind "report", alerts/scheduled_reports.py) goes the same ways: the
webhook gets its JSON, Slack a summary, e-mail the report as HTML with its PDF attached.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
from email.message import EmailMessage

import httpx
import orjson

from rumhouse.alerts.config import Channel
from rumhouse.reports import performance

SIGNATURE_HEADER = "X-Rumhouse-Signature"
TIMEOUT = 10.0


class DeliveryError(Exception):
    """The channel did not take the notification; the message says why (kept for the API)."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def summary_line(doc: dict) -> str:
    if doc["kind"] == "report":
        return f"[rumhouse] {performance.title(doc['report'])}"
    alerts = doc["alerts"]
    # A critical alert says so first, where a mail client or a chat preview still shows it.
    critical = "CRITICAL " if any(a.get("severity") == "critical" for a in alerts) else ""
    head = f"[rumhouse] {critical}{doc['kind'].upper()}: "
    return head + "; ".join(
        f"{a['rule']} ({a['site']}): {a['description']}, value {_fmt(a['value'])}" for a in alerts
    )


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _post(url: str, body: bytes, headers: dict) -> None:
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")


def send_webhook(channel: Channel, doc: dict) -> None:
    body = orjson.dumps(doc)
    headers = {"content-type": "application/json", "user-agent": "rumhouse-alerts"}
    if channel.secret:
        headers[SIGNATURE_HEADER] = sign(channel.secret, body)
    _post(channel.url, body, headers)


def slack_document(doc: dict) -> dict:
    if doc["kind"] == "report":
        text = performance.summary_text(doc["report"])
        return {
            "text": summary_line(doc),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{doc['kind'].upper()}* ({doc['group']})"}}
    ]
    for a in doc["alerts"]:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{a['rule']}* on `{a['site']}`: {a['description']}; value {_fmt(a['value'])}",
                },
            }
        )
    return {"text": summary_line(doc), "blocks": blocks}


def send_slack(channel: Channel, doc: dict) -> None:
    _post(channel.url, orjson.dumps(slack_document(doc)), {"content-type": "application/json"})


def _report_message(message: EmailMessage, report: dict) -> None:
    message.set_content(performance.summary_text(report) + "\n")
    message.add_alternative(performance.render_html(report), subtype="html")
    name = f"rumhouse-{report['site']}-{report['period']}-{report['to'][:10]}.pdf"
    message.add_attachment(
        performance.render_pdf(report), maintype="application", subtype="pdf", filename=name
    )


def send_email(channel: Channel, doc: dict) -> None:
    message = EmailMessage()
    message["Subject"] = summary_line(doc)[:200]
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    if doc["kind"] == "report":
        _report_message(message, doc["report"])
    else:
        lines = [summary_line(doc), ""]
        for a in doc["alerts"]:
            lines.append(
                f"- {a['rule']} on {a['site']}: {a['state']} since {a['since']}; {a['description']};"
                f" value {_fmt(a['value'])}"
            )
        message.set_content("\n".join(lines) + "\n")
    try:
        with smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=TIMEOUT) as smtp:
            if channel.starttls:
                smtp.starttls()
            if channel.username:
                smtp.login(channel.username, channel.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


SENDERS = {"webhook": send_webhook, "slack": send_slack, "email": send_email}
