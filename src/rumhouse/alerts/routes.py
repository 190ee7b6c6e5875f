"""Alert operations under /api/v1/alerts:

GET  /alerts?site=S              rules, with state, since, value, acknowledgement and resolution
GET  /alerts/events?site=S       history of state changes, acknowledgements and resolutions
GET  /alerts/deliveries?site=S   notifications per channel: delivered, pending (retrying) or failed
POST /alerts/{name}/ack          {"note": "..."}: someone is on it (no more reminders); admin of the site
                                 (an endpoint's alert is named rule[service METHOD /route]: the name may
                                 hold slashes, sent as they are or as %2F)
POST /alerts/{name}/resolve      {"note": "..."}: resolved by hand; admin of the site
POST /alerts/evaluate            evaluate every rule now (an unscoped admin)
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from rumhouse.alerts import scheduled_reports
from rumhouse.alerts.notifier import iso
from rumhouse.alerts.service import Alerting
from rumhouse.api.access import ApiError
from rumhouse.api.operation import Call, Operation, visible
from rumhouse.budgets.routes import BudgetsRuntime


class SiteQuery(msgspec.Struct):
    site: str | None = None  # only this site


class AlertInfo(msgspec.Struct, kw_only=True):
    rule: str
    site: str
    description: str
    group: str
    severity: str  # info, warning or critical
    subject: (
        str | None
    )  # what an entry of a rule with `each` judges: an endpoint ("service METHOD route") or host
    each: str | None  # "endpoint" or "host": a template, its subjects listed as rule[subject]
    channels: list[str]
    for_seconds: float
    repeat_seconds: float
    state: str  # ok, pending, firing or resolved
    since: str | None
    value: float | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    resolved_by: str | None
    resolved_at: str | None


class Alerts(msgspec.Struct):
    alerts: list[AlertInfo]


class Event(msgspec.Struct, kw_only=True, omit_defaults=True):
    time: str
    rule: str
    site: str
    from_: str = msgspec.field(name="from")  # the state before
    to: str  # the state after, or acknowledged
    value: float | None  # observed at the change; null for what people did
    actor: str  # evaluator, or the token id of who acknowledged or resolved it
    note: str
    notified: str | None = None  # what was sent, while the journal is in memory (no store)


class Events(msgspec.Struct):
    events: list[Event]


class Delivery(msgspec.Struct, kw_only=True):
    id: str
    channel: str
    kind: str  # firing, resolved or reminder
    rules: list[str]
    status: str  # pending (retried), delivered or failed
    attempts: int
    last_error: str
    created_at: str | None
    next_attempt_at: str | None


class Deliveries(msgspec.Struct):
    deliveries: list[Delivery]


class Note(msgspec.Struct, forbid_unknown_fields=True):
    note: str = ""


class Acted(msgspec.Struct):
    rule: str
    state: str
    acknowledged_by: str | None
    acknowledged_at: str | None
    resolved_by: str | None
    resolved_at: str | None


class Change(msgspec.Struct):
    rule: str
    from_: str = msgspec.field(name="from")
    to: str
    notify: str | None


class Evaluated(msgspec.Struct):
    changes: list[Change]


class AlertsRuntime(BudgetsRuntime, Protocol):
    """The app as alert operations see it (alerts/api.py hands it to the budget operations too)."""

    @property
    def alerting(self) -> Alerting: ...


def alert_operations(runtime: AlertsRuntime) -> list[Operation]:
    def alerting() -> Alerting:
        return runtime.alerting

    def visible_rules(call: Call, site: str | None, states: dict | None = None):
        call.reader_of(site)
        known = alerting().listed(alerting().snapshot() if states is None else states)
        return {name: r for name, r in known.items() if call.who.may_read(r.site) and site in (None, r.site)}

    def listing(call: Call) -> Alerts:
        states = alerting().snapshot()
        rows = []
        for name, rule in visible_rules(call, call.query.site, states).items():
            s = states.get(name)
            rows.append(
                AlertInfo(
                    rule=name,
                    site=rule.site,
                    description=rule.describe(),
                    group=rule.group_key,
                    severity=rule.severity,
                    subject=rule.subject or None,
                    each=rule.each or None,
                    channels=list(rule.channels),
                    for_seconds=rule.hold,
                    repeat_seconds=rule.repeat,
                    state=s.state if s else "ok",
                    since=iso(s.since) if s and s.since else None,
                    value=s.value if s else None,
                    acknowledged_by=(s.acked_by or None) if s else None,
                    acknowledged_at=iso(s.acked_at) if s else None,
                    resolved_by=(s.resolved_by or None) if s else None,
                    resolved_at=iso(s.resolved_at) if s else None,
                )
            )
        return Alerts(rows)

    def events(call: Call) -> Events:
        site = call.query.site
        call.reader_of(site)
        rows = alerting().journal.events(1000)
        kept = [r for r in rows if call.who.may_read(r["site"]) and site in (None, r["site"])]
        return Events(msgspec.convert(kept, list[Event]))

    def deliveries(call: Call) -> Deliveries:
        names = set(visible_rules(call, call.query.site))
        # A scheduled report's deliveries name it and its period: shown with the rules of its site.
        names |= {scheduled_reports.SCHEDULE.format(s.name) for s in alerting().config.reports
                  if call.who.may_read(s.site) and call.query.site in (None, s.site)}  # fmt: skip
        kept = [
            r for r in alerting().journal.deliveries(1000) if names & {scheduled_reports.schedule_of(k) for k in r["rules"]}
        ]  # fmt: skip
        return Deliveries(msgspec.convert(kept, list[Delivery]))

    def action(verb: str):
        def act(call: Call) -> Acted:
            name = call.path["name"]
            rule = alerting().rule_named(name)
            call.admin_of(visible(call, rule.site if rule else None, f"alert rule {name!r}"))
            try:
                state = alerting().act(name, verb, call.actor, call.body.note)
            except ValueError as exc:
                raise ApiError(409, "conflict", str(exc)) from None
            return Acted(
                name,
                state.state,
                state.acked_by or None,
                iso(state.acked_at),
                state.resolved_by or None,
                iso(state.resolved_at),
            )

        return act

    def evaluate(call: Call) -> Evaluated:
        return Evaluated([Change(c.rule, c.before, c.after, c.notify or None) for c in alerting().evaluate()])

    P = "/alerts"
    return [
        Operation("GET", P, "alerts", "Alert rules with their state", listing, SiteQuery, answer=Alerts),
        Operation(
            "GET", P + "/events", "alert_events", "State changes, acknowledgements, resolutions",
            events, SiteQuery, answer=Events,
        ),
        Operation(
            "GET", P + "/deliveries", "alert_deliveries", "Notifications per channel and their delivery",
            deliveries, SiteQuery, answer=Deliveries,
        ),
        Operation(
            "POST", P + "/evaluate", "evaluate_alerts", "Evaluate every rule now (unscoped admin)",
            evaluate, answer=Evaluated, admin=True,
        ),
        Operation(
            "POST", P + "/{name:path}/ack", "ack_alert", "Acknowledge a firing alert (admin of its site)",
            action("ack"), body=Note, answer=Acted, errors=(400, 404, 409),
        ),
        Operation(
            "POST", P + "/{name:path}/resolve", "resolve_alert", "Resolve an alert by hand (admin of its site)",
            action("resolve"), body=Note, answer=Acted, errors=(400, 404, 409),
        ),
    ]  # fmt: skip
