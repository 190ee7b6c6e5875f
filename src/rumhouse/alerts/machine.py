"""One alert rule's state over time. Pure: the evaluator passes each observation and the time.

    ok --breach--> pending --held `for`--> firing --clear--> resolved --breach--> pending ...
    pending --clear--> ok (nothing was sent: a blip is not an incident)

Notifications (no storms): one when a rule starts firing, one when it resolves, and while it keeps
firing a reminder every `repeat` seconds unless someone acknowledged it. An observation without a
verdict (too few samples) changes nothing, reminders included: a reminder repeats what the data says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rumhouse.alerts.config import Rule


@dataclass(frozen=True)
class RuleState:
    state: str = "ok"  # ok, pending, firing, resolved
    since: float = 0.0  # when it entered this state (epoch seconds)
    value: float | None = None  # last observed value
    last_notified: float | None = None
    acked_by: str = ""
    acked_at: float | None = None
    resolved_by: str = ""  # "" while open; "evaluator" or who resolved it by hand
    resolved_at: float | None = None


@dataclass(frozen=True)
class Change:
    """A state change or a reminder; `notify` says whether channels hear about it."""

    rule: str
    before: str
    after: str
    at: float
    value: float | None
    notify: str = ""  # firing, resolved, reminder, or "" for none
    actor: str = "evaluator"
    note: str = ""


def step(
    rule: Rule, s: RuleState, breached: bool | None, value: float | None, now: float
) -> tuple[RuleState, list[Change]]:
    if breached is None:
        return s, []
    s = replace(s, value=value)
    if breached:
        if s.state in ("ok", "resolved"):
            changes = [Change(rule.name, s.state, "pending", now, value)]
            s = RuleState("pending", now, value)
            if rule.hold > 0:
                return s, changes
            return _fire(rule, s, now, changes)
        if s.state == "pending":
            if now - s.since >= rule.hold:
                return _fire(rule, s, now, [])
            return s, []
        # firing: a reminder when nobody acknowledged it and `repeat` has passed
        if (
            rule.repeat > 0
            and not s.acked_by
            and s.last_notified is not None
            and now - s.last_notified >= rule.repeat
        ):
            return replace(s, last_notified=now), [
                Change(rule.name, "firing", "firing", now, value, "reminder")
            ]
        return s, []
    if s.state == "pending":
        return RuleState("ok", now, value), [Change(rule.name, "pending", "ok", now, value)]
    if s.state == "firing":
        resolved = replace(
            s, state="resolved", since=now, last_notified=now, resolved_by="evaluator", resolved_at=now
        )
        return resolved, [Change(rule.name, "firing", "resolved", now, value, "resolved")]
    return s, []


def _fire(rule: Rule, s: RuleState, now: float, changes: list[Change]) -> tuple[RuleState, list[Change]]:
    fired = replace(s, state="firing", since=now, last_notified=now)
    return fired, [*changes, Change(rule.name, "pending", "firing", now, s.value, "firing")]


def acknowledge(rule: Rule, s: RuleState, who: str, now: float, note: str = "") -> tuple[RuleState, Change]:
    """Someone is on it: no more reminders for this incident."""
    if s.state != "firing":
        raise ValueError(f"only a firing alert can be acknowledged; {rule.name} is {s.state}")
    return replace(s, acked_by=who, acked_at=now), Change(
        rule.name, "firing", "acknowledged", now, None, actor=who, note=note
    )


def resolve(rule: Rule, s: RuleState, who: str, now: float, note: str = "") -> tuple[RuleState, Change]:
    """Resolved by hand. If the condition still holds, the rule goes pending again at the next evaluation."""
    if s.state not in ("firing", "pending"):
        raise ValueError(f"only a firing or pending alert can be resolved; {rule.name} is {s.state}")
    done = replace(s, state="resolved", since=now, resolved_by=who, resolved_at=now, last_notified=now)
    return done, Change(rule.name, s.state, "resolved", now, None, "resolved", who, note)
