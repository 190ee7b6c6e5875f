"""From state changes to deliveries: grouping, and retries with backoff.

Changes that notify and arrive in one evaluation are grouped by the rules' `group` and kind: one
document per group, sent once to each channel of those rules. A delivery that fails is tried again
after `backoff * 2^(attempts-1)` seconds (capped at an hour) until `max_attempts`, then it is
`failed`; every attempt is kept in the journal, so the API shows what did not arrive and why.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from rumhouse.alerts.channels import SENDERS, DeliveryError
from rumhouse.alerts.config import Channel, Rule
from rumhouse.alerts.machine import Change, RuleState

MAX_BACKOFF = 3600.0


@dataclass(frozen=True)
class Delivery:
    id: str
    channel: str
    kind: str
    rules: tuple[str, ...]
    doc: dict = field(repr=False)
    created_at: float
    status: str = "pending"  # pending, delivered, failed
    attempts: int = 0
    last_error: str = ""
    next_attempt_at: float | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "channel": self.channel,
            "kind": self.kind,
            "rules": list(self.rules),
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": iso(self.created_at),
            "next_attempt_at": iso(self.next_attempt_at),
        }


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def alert_entry(rule: Rule, state: RuleState, change: Change) -> dict:
    return {
        "rule": rule.name,
        "site": rule.site,
        "state": state.state,
        "severity": rule.severity,
        "subject": rule.subject or None,
        "description": rule.describe(),
        "value": change.value,
        "since": iso(state.since),
        "acknowledged_by": state.acked_by or None,
        "resolved_by": state.resolved_by or None,
    }


class Notifier:
    def __init__(
        self,
        channels: dict[str, Channel],
        *,
        backoff: float = 5.0,
        max_attempts: int = 6,
        senders: dict[str, Callable] | None = None,
        on_change: Callable[[Delivery], None] = lambda d: None,
    ):
        self.channels = channels
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.senders = senders or SENDERS
        self.on_change = on_change
        self.pending: dict[str, Delivery] = {}

    def notify(self, items: list[tuple[Rule, RuleState, Change]], now: float) -> list[Delivery]:
        """One delivery per (group, kind, channel) among the changes that notify."""
        groups: dict[tuple[str, str], list] = {}
        for rule, state, change in items:
            if change.notify:
                groups.setdefault((rule.group_key, change.notify), []).append((rule, state, change))
        made = []
        for (group, kind), members in groups.items():
            doc = {
                "kind": kind,
                "group": group,
                "sent_at": iso(now),
                "alerts": [alert_entry(r, s, c) for r, s, c in members],
            }
            names = tuple(r.name for r, _, _ in members)
            wanted = dict.fromkeys(ch for r, _, _ in members for ch in r.channels)
            made += [self._enqueue(channel, kind, names, doc, now) for channel in wanted]
        return made

    def _enqueue(self, channel: str, kind: str, rules: tuple[str, ...], doc: dict, now: float) -> Delivery:
        """A new delivery, pending from now (journaled through on_change)."""
        d = Delivery(secrets.token_hex(8), channel, kind, rules, doc, now, next_attempt_at=now)
        self.pending[d.id] = d
        self.on_change(d)
        return d

    def notify_report(self, key: str, channels: tuple[str, ...], doc: dict, now: float) -> list[Delivery]:
        """A scheduled report, one delivery per channel; `key` (its schedule and period) is its rule."""
        return [self._enqueue(channel, "report", (key,), doc, now) for channel in channels]

    def deliver_due(self, now: float) -> list[Delivery]:
        """Try every delivery whose time has come; returns them as they are after this attempt."""
        done = []
        for d in sorted(self.pending.values(), key=lambda d: d.created_at):
            if d.next_attempt_at is None or d.next_attempt_at > now:
                continue
            channel = self.channels[d.channel]
            attempts = d.attempts + 1
            try:
                self.senders[channel.type](channel, d.doc)
            except (DeliveryError, OSError) as exc:
                if attempts >= self.max_attempts:
                    d = replace(
                        d, status="failed", attempts=attempts, last_error=str(exc), next_attempt_at=None
                    )
                else:
                    wait = min(self.backoff * 2 ** (attempts - 1), MAX_BACKOFF)
                    d = replace(d, attempts=attempts, last_error=str(exc), next_attempt_at=now + wait)
            else:
                d = replace(d, status="delivered", attempts=attempts, next_attempt_at=None)
            if d.status == "pending":
                self.pending[d.id] = d
            else:
                self.pending.pop(d.id, None)
            self.on_change(d)
            done.append(d)
        return done
