"""What the evaluator remembers: each rule's state, the history of changes, and deliveries.

`MemoryJournal` keeps them in lists (tests with simulated time); `StoreJournal` writes them to
ClickHouse (clickhouse/0010_alerts.sql), so a restart resumes each rule where it was and the history
outlives the process.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import orjson

from rumhouse.alerts.machine import Change, RuleState
from rumhouse.alerts.notifier import Delivery, iso
from rumhouse.query.filters import ch_time
from rumhouse.store.base import Store, row_version


def _version() -> int:
    return row_version()


def change_dict(c: Change, site: str) -> dict:
    return {
        "time": iso(c.at),
        "rule": c.rule,
        "site": site,
        "from": c.before,
        "to": c.after,
        "value": c.value,
        "actor": c.actor,
        "note": c.note,
        "notified": c.notify or None,
    }


class MemoryJournal:
    def __init__(self) -> None:
        self.states: dict[str, RuleState] = {}
        self.changes: list[dict] = []
        self.delivery_log: dict[str, Delivery] = {}

    def load_states(self) -> dict[str, RuleState]:
        return dict(self.states)

    def save_state(self, rule: str, state: RuleState) -> None:
        self.states[rule] = state

    def record(self, change: Change, site: str) -> None:
        self.changes.append(change_dict(change, site))

    def save_delivery(self, d: Delivery) -> None:
        self.delivery_log[d.id] = d

    def events(self, limit: int = 200) -> list[dict]:
        return list(reversed(self.changes))[:limit]

    def pending_deliveries(self) -> list[Delivery]:
        return [d for d in self.delivery_log.values() if d.status == "pending"]

    def channels_sent(self, rule: str) -> set[str]:
        return {d.channel for d in self.delivery_log.values() if rule in d.rules}

    def deliveries(self, limit: int = 200) -> list[dict]:
        found = sorted(self.delivery_log.values(), key=lambda d: d.created_at, reverse=True)
        return [d.to_dict() for d in found[:limit]]


class StoreJournal:
    def __init__(self, store: Store) -> None:
        self.store = store

    def load_states(self) -> dict[str, RuleState]:
        rows = self.store.query("SELECT rule, state FROM rumhouse.alert_state FINAL").rows
        return {rule: RuleState(**orjson.loads(state)) for rule, state in rows}

    def save_state(self, rule: str, state: RuleState) -> None:
        self.store.command(
            "INSERT INTO rumhouse.alert_state (rule, state, version) VALUES ({rule:String}, {state:String},"
            " {version:UInt64})",
            {"rule": rule, "state": orjson.dumps(dataclasses.asdict(state)).decode(), "version": _version()},
        )

    def record(self, c: Change, site: str) -> None:
        self.store.command(
            "INSERT INTO rumhouse.alert_events (time, rule, site, from_state, to_state, value, actor, note) VALUES"
            " ({time:DateTime64(3, 'UTC')}, {rule:String}, {site:String}, {before:String}, {after:String},"
            " if({has_value:UInt8}, {value:Float64}, NULL), {actor:String}, {note:String})",
            {
                "time": ch_time(datetime.fromtimestamp(c.at, UTC)),
                "rule": c.rule,
                "site": site,
                "before": c.before,
                "after": c.after,
                "has_value": int(c.value is not None),
                "value": c.value or 0.0,
                "actor": c.actor,
                "note": c.note,
            },
        )

    def save_delivery(self, d: Delivery) -> None:
        self.store.command(
            "INSERT INTO rumhouse.alert_deliveries (id, channel, kind, rules, status, attempts, last_error,"
            " created_at, next_attempt_at, payload, version) VALUES ({id:String}, {channel:String}, {kind:String},"
            " JSONExtract({rules:String}, 'Array(String)'), {status:String}, {attempts:UInt16}, {error:String},"
            " {created:DateTime64(3, 'UTC')}, if({has_next:UInt8}, {next:DateTime64(3, 'UTC')}, NULL),"
            " {payload:String}, {version:UInt64})",
            {
                "id": d.id,
                "channel": d.channel,
                "kind": d.kind,
                "rules": orjson.dumps(list(d.rules)).decode(),
                "status": d.status,
                "attempts": d.attempts,
                "error": d.last_error,
                "created": ch_time(datetime.fromtimestamp(d.created_at, UTC)),
                "has_next": int(d.next_attempt_at is not None),
                "next": ch_time(datetime.fromtimestamp(d.next_attempt_at or d.created_at, UTC)),
                "payload": orjson.dumps(d.doc).decode(),
                "version": _version(),
            },
        )

    def events(self, limit: int = 200) -> list[dict]:
        rows = self.store.query(
            "SELECT toString(time), rule, site, from_state, to_state, value, actor, note FROM rumhouse.alert_events"
            " ORDER BY time DESC LIMIT {limit:UInt32}",
            {"limit": limit},
        ).rows
        keys = ["time", "rule", "site", "from", "to", "value", "actor", "note"]
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for row in out:
            row["time"] = row["time"].replace(" ", "T") + "+00:00"
        return out

    def pending_deliveries(self) -> list[Delivery]:
        """Deliveries still to retry, to pick up after a restart."""
        rows = self.store.query(
            "SELECT id, channel, kind, rules, payload, toUnixTimestamp64Milli(created_at), attempts, last_error,"
            " toUnixTimestamp64Milli(next_attempt_at) FROM rumhouse.alert_deliveries FINAL WHERE status = 'pending'"
        ).rows
        return [
            Delivery(
                r[0],
                r[1],
                r[2],
                tuple(r[3]),
                orjson.loads(r[4]),
                r[5] / 1000,
                "pending",
                r[6],
                r[7],
                (r[8] or r[5]) / 1000,
            )
            for r in rows
        ]

    def channels_sent(self, rule: str) -> set[str]:
        """The channels with a delivery (of any status) for `rule`: a scheduled report's key is sent once."""
        rows = self.store.query(
            "SELECT DISTINCT channel FROM rumhouse.alert_deliveries WHERE has(rules, {rule:String})",
            {"rule": rule},
        ).rows
        return {r[0] for r in rows}

    def deliveries(self, limit: int = 200) -> list[dict]:
        rows = self.store.query(
            "SELECT id, channel, kind, rules, status, attempts, last_error, toString(created_at),"
            " toString(next_attempt_at) FROM rumhouse.alert_deliveries FINAL"
            " ORDER BY created_at DESC, id LIMIT {limit:UInt32}",
            {"limit": limit},
        ).rows
        keys = [
            "id",
            "channel",
            "kind",
            "rules",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "next_attempt_at",
        ]
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for row in out:
            for k in ("created_at", "next_attempt_at"):
                if row[k] and row[k] != "\\N":
                    row[k] = row[k].replace(" ", "T") + "+00:00"
                else:
                    row[k] = None
        return out
