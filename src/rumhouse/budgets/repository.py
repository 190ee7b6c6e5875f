"""Where budgets and their overrides live.

Budgets from the TOML config are code: the API lists them but does not change them (409), so the
file stays the truth for whoever reviews it. Budgets made through the admin API, and every override,
are rows in ClickHouse (clickhouse/0009_budgets.sql), newest version wins.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from rumhouse.budgets.model import Budget, parse_budget
from rumhouse.query.filters import ch_time
from rumhouse.store.base import Store, row_version


def version() -> int:
    return row_version()


@dataclass(frozen=True)
class Override:
    id: str
    budget: str
    site: str
    limit: float | None  # None: waived
    justification: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked: bool = False

    def active(self, now: datetime) -> bool:
        return not self.revoked and self.created_at <= now < self.expires_at

    def to_dict(self, now: datetime) -> dict:
        return {
            "id": self.id,
            "budget": self.budget,
            "site": self.site,
            "limit": self.limit,
            "justification": self.justification,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "revoked": self.revoked,
            "active": self.active(now),
        }


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=UTC)


class BudgetRepository:
    def __init__(self, store: Store, configured: tuple[Budget, ...]) -> None:
        self.store = store
        self.configured = {b.name: b for b in configured}

    # Budgets

    def all(self, site: str | None = None) -> list[Budget]:
        stored = self.store.query(
            "SELECT name, definition FROM rumhouse.budgets FINAL WHERE deleted = 0 ORDER BY name"
        ).rows
        found = dict(self.configured)
        for name, definition in stored:
            if name not in found:
                found[name] = parse_budget(orjson.loads(definition), name, "api")
        return [b for b in sorted(found.values(), key=lambda b: (b.site, b.name)) if site in (None, b.site)]

    def get(self, name: str) -> Budget | None:
        return next((b for b in self.all() if b.name == name), None)

    def save(self, budget: Budget, raw: dict, who: str, *, deleted: bool = False) -> None:
        self.store.command(
            "INSERT INTO rumhouse.budgets (name, site, definition, deleted, updated_by, updated_at, version)"
            " VALUES ({name:String}, {site:String}, {definition:String}, {deleted:UInt8}, {who:String},"
            " now64(3), {version:UInt64})",
            {
                "name": budget.name,
                "site": budget.site,
                "definition": orjson.dumps(raw).decode(),
                "deleted": int(deleted),
                "who": who,
                "version": version(),
            },
        )

    # Overrides

    def overrides(self, budget: str | None = None) -> list[Override]:
        rows = self.store.query(
            "SELECT id, budget, site, limit_value, justification, created_by, toString(created_at),"
            " toString(expires_at), revoked FROM rumhouse.budget_overrides FINAL"
            " WHERE {budget:String} = '' OR budget = {budget:String} ORDER BY created_at, id",
            {"budget": budget or ""},
        ).rows
        return [
            Override(r[0], r[1], r[2], r[3], r[4], r[5], _utc(r[6]), _utc(r[7]), bool(r[8])) for r in rows
        ]

    def active_override(self, budget: str, now: datetime) -> Override | None:
        active = [o for o in self.overrides(budget) if o.active(now)]
        return active[-1] if active else None  # the newest wins

    def add_override(
        self,
        budget: Budget,
        limit: float | None,
        justification: str,
        who: str,
        created_at: datetime,
        expires_at: datetime,
    ) -> Override:
        override = Override(
            secrets.token_hex(6), budget.name, budget.site, limit, justification, who, created_at, expires_at
        )
        self._write_override(override)
        return override

    def revoke_override(self, override: Override) -> None:
        self._write_override(Override(**{**override.__dict__, "revoked": True}))

    def _write_override(self, o: Override) -> None:
        self.store.command(
            "INSERT INTO rumhouse.budget_overrides (id, budget, site, limit_value, justification, created_by,"
            " created_at, expires_at, revoked, version) VALUES ({id:String}, {budget:String}, {site:String},"
            " if({has_limit:UInt8}, {limit:Float64}, NULL), {justification:String}, {by:String}, {created:DateTime64(3, 'UTC')},"
            " {expires:DateTime64(3, 'UTC')}, {revoked:UInt8}, {version:UInt64})",
            {
                "id": o.id,
                "budget": o.budget,
                "site": o.site,
                "limit": o.limit or 0.0,
                "has_limit": int(o.limit is not None),
                "justification": o.justification,
                "by": o.created_by,
                "created": ch_time(o.created_at),
                "expires": ch_time(o.expires_at),
                "revoked": int(o.revoked),
                "version": version(),
            },
        )
