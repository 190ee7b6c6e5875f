"""Performance reports sent on a schedule ([[reports]] of the config) through the alert channels.

A weekly report is due at each Monday 00:00 UTC and covers the 7 days before it; a monthly one at each
1st of a month, 00:00 UTC, covering the 30 days before (the report's own month, reports/performance.py).
The evaluator asks at every evaluation; a report is sent once per period and channel: its delivery,
journaled with the others (alert_deliveries), carries the key `report:<name>:<end>` and is what says
"already sent", so a restart or a second evaluation does not send it again. Only the latest period is
sent: a server that was down for three weeks sends the last week, not three.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rumhouse.ai.prices import PriceTable
from rumhouse.alerts.config import ReportSchedule
from rumhouse.budgets.repository import BudgetRepository
from rumhouse.reports import performance


def period_end(period: str, now: float) -> datetime:
    """The latest boundary at or before `now` at which a report of `period` falls due."""
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())  # Monday is weekday 0


SCHEDULE = "report:{}"  # a schedule's name in the deliveries; its key adds the period's end


def key(schedule: ReportSchedule, end: datetime) -> str:
    return f"{SCHEDULE.format(schedule.name)}:{end.date().isoformat()}"


def schedule_of(rule: str) -> str:
    """A delivery's rule as the API filters it: a report key without its date, anything else as it is."""
    return rule.rsplit(":", 1)[0] if rule.startswith(SCHEDULE.format("")) else rule


def build(
    store, schedule: ReportSchedule, end: datetime, now: float, repo: BudgetRepository, prices: PriceTable
) -> dict:
    """The notification document of one scheduled report: the report of the period ending at `end`."""
    # The report ends at the whole hour after the `now` it is given: a second before the boundary.
    report: dict[str, Any] = performance.build(
        store, schedule.site, schedule.period, repo=repo, prices=prices, now=end - timedelta(seconds=1)
    )
    return {
        "kind": "report",
        "group": schedule.name,
        "sent_at": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        "report": report,
    }
