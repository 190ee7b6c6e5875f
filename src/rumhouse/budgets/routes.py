"""Budget operations under /api/v1/budgets: CRUD (admin; config budgets are read-only), status now (what
`rumhouse budgets check` asks), a compliance report per period, and temporary overrides.

    GET    /budgets?site=S                     definitions
    POST   /budgets                            create (admin of its site)
    GET    /budgets/status?site=S&since=24h&release=R
    GET    /budgets/report?site=S&range=7d&period=day
    GET, PUT, DELETE /budgets/{name}
    GET, POST /budgets/{name}/overrides        {"justification": "...", "expires_in": "2h" | "expires_at": ISO, "limit": 3000?}
    DELETE /budgets/{name}/overrides/{id}      end an override early
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import msgspec

from rumhouse.ai.prices import PriceTable
from rumhouse.api.access import ApiError
from rumhouse.api.filters import parse_filters, parse_time
from rumhouse.api.operation import Call, Operation, visible
from rumhouse.api.query_types import WindowQuery
from rumhouse.api.runtime import ApiRuntime
from rumhouse.budgets.model import Budget, BudgetSpec, parse_budget, parse_duration
from rumhouse.budgets.repository import BudgetRepository
from rumhouse.budgets.status import budget_status, compliance_report


class BudgetInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    site: str
    metric: str
    stat: str
    path: str | None = None
    endpoint: str | None = None
    resource_type: str | None = None
    limit: float
    min_samples: int
    warn_at: float
    window: str
    source: Literal["config", "api"]
    description: str


class OverrideBody(msgspec.Struct, forbid_unknown_fields=True):
    justification: str
    expires_in: str | None = None  # 2h, ...
    expires_at: str | None = None  # an ISO time, instead of expires_in
    limit: float | None = None  # a temporary limit; left out, the budget is waived


class OverrideInfo(msgspec.Struct, kw_only=True):
    id: str
    budget: str
    site: str
    limit: float | None
    justification: str
    created_by: str
    created_at: str
    expires_at: str
    revoked: bool
    active: bool


class Budgets(msgspec.Struct):
    budgets: list[BudgetInfo]


class SiteQuery(msgspec.Struct):
    site: str | None = None  # only this site


class AtQuery(msgspec.Struct, kw_only=True):
    # Judge as at this time (ISO 8601), overrides included, instead of now: what a budget's state was
    # or will be (say, once an override has expired).
    at: str | None = None


class StatusQuery(AtQuery, kw_only=True):
    site: str
    since: str | None = None  # a window ending now (or at `at`), e.g. 24h (default: each budget's own)
    release: str | None = None  # only page views of this release


class BudgetNow(BudgetInfo, kw_only=True, omit_defaults=False):
    """A budget judged now."""

    limit: float  # the limit in force (an override's, while one is active)
    budget_limit: float
    value: float | None
    samples: int
    state: Literal["within", "warning", "breached", "insufficient", "overridden"]
    reason: str
    share_of_limit: float | None
    override: OverrideInfo | None
    from_: str = msgspec.field(name="from")
    to: str
    release: str


class BudgetStatus(msgspec.Struct):
    site: str
    release: str
    budgets: list[BudgetNow]


class ReportQuery(WindowQuery):
    period: Literal["hour", "day"] = "day"


class Period(msgspec.Struct):
    period_start: str
    value: float | None
    samples: int
    state: str


class Compliance(msgspec.Struct):
    budget: str
    description: str
    limit: float
    periods: list[Period]
    counts: dict[str, int]  # periods per state
    compliance: float | None  # share of judged periods within budget (warnings count as within)


class BudgetReport(msgspec.Struct):
    site: str
    period: str
    filters: dict[str, Any]
    budgets: list[Compliance]


class Overrides(msgspec.Struct):
    overrides: list[OverrideInfo]


def _at(q: AtQuery) -> datetime:
    return parse_time("at", q.at) if q.at else datetime.now(UTC)


def _info(budget: Budget) -> BudgetInfo:
    return msgspec.convert(budget.to_dict(), BudgetInfo)


class BudgetsRuntime(ApiRuntime, Protocol):
    @property
    def config_budgets(self) -> tuple[Budget, ...]: ...

    @property
    def ai_prices(self) -> PriceTable: ...  # what AI tokens cost (ai_cost budgets)


def budget_operations(runtime: BudgetsRuntime) -> list[Operation]:
    def repo() -> BudgetRepository:
        return BudgetRepository(runtime.store, runtime.config_budgets)

    def existing(call: Call) -> tuple[BudgetRepository, Budget]:
        r = repo()
        name = call.path["name"]
        budget = r.get(name)
        visible(call, budget.site if budget else None, f"budget {name!r}")
        assert budget is not None
        return r, budget

    def changeable(call: Call) -> tuple[BudgetRepository, Budget]:
        r, budget = existing(call)
        call.admin_of(budget.site)
        if budget.source == "config":
            raise ApiError(
                409, "conflict", f"budget {budget.name!r} is defined in the config file; change it there"
            )
        return r, budget

    def listing(call: Call) -> Budgets:
        call.reader_of(call.query.site)
        found = repo().all(call.query.site)
        return Budgets([_info(b) for b in found if call.who.may_read(b.site)])

    def create(call: Call) -> BudgetInfo:
        call.admin_of(str(call.peek("site") or ""))
        raw = call.body.given()
        budget = parse_budget(raw, "budget", "api")
        r = repo()
        if r.get(budget.name) is not None:
            raise ApiError(409, "conflict", f"a budget named {budget.name!r} exists")
        r.save(budget, raw, call.actor)
        return _info(budget)

    def read(call: Call) -> BudgetInfo:
        return _info(existing(call)[1])

    def replace(call: Call) -> BudgetInfo:
        r, budget = changeable(call)
        raw = {**call.body.given(), "name": budget.name}
        updated = parse_budget(raw, "budget", "api")
        if updated.site != budget.site:
            raise ApiError(400, "bad_request", "a budget cannot move to another site; create a new one")
        r.save(updated, raw, call.actor)
        return _info(updated)

    def delete(call: Call) -> None:
        r, budget = changeable(call)
        r.save(budget, {}, call.actor, deleted=True)

    def status(call: Call) -> BudgetStatus:
        q: StatusQuery = call.query
        call.reader_of(q.site)
        since = parse_duration(q.since, "since") if q.since else None
        now, r = _at(q), repo()
        rows = [
            budget_status(
                runtime.store, r, b, now=now, since=since, release=q.release or None, prices=runtime.ai_prices
            )
            for b in r.all(q.site)
        ]
        return BudgetStatus(q.site, q.release or "", msgspec.convert(rows, list[BudgetNow]))

    def report(call: Call) -> BudgetReport:
        site = call.query.site
        if not site:
            raise ApiError(400, "bad_request", "site is required")
        call.reader_of(site)
        f = parse_filters(call.params, site)
        rows = [
            compliance_report(runtime.store, b, f, call.query.period, runtime.ai_prices)
            for b in repo().all(site)
        ]
        return BudgetReport(site, call.query.period, f.describe(), msgspec.convert(rows, list[Compliance]))

    def overrides(call: Call) -> Overrides:
        r, budget = existing(call)
        now = _at(call.query)
        return Overrides([msgspec.convert(o.to_dict(now), OverrideInfo) for o in r.overrides(budget.name)])

    def add_override(call: Call) -> OverrideInfo:
        r, budget = existing(call)
        call.admin_of(budget.site)
        body: OverrideBody = call.body
        if not body.justification.strip():
            raise ApiError(400, "bad_request", "an override needs a justification")
        if body.limit is not None and body.limit < 0:
            raise ApiError(400, "bad_request", "limit is a number (or leave it out to waive the budget)")
        now = datetime.now(UTC)
        if body.expires_at is not None:
            expires = parse_time("expires_at", body.expires_at)
        else:
            expires = now + timedelta(seconds=parse_duration(body.expires_in or "", "expires_in"))
        if expires <= now:
            raise ApiError(400, "bad_request", "an override must expire in the future")
        made = r.add_override(budget, body.limit, body.justification.strip(), call.actor, now, expires)
        return msgspec.convert(made.to_dict(now), OverrideInfo)

    def end_override(call: Call) -> None:
        r, budget = existing(call)
        call.admin_of(budget.site)
        oid = call.path["id"]
        found = next((o for o in r.overrides(budget.name) if o.id == oid), None)
        if found is None:
            raise ApiError(404, "not_found", f"no override {oid!r}")
        r.revoke_override(found)

    P = "/budgets"
    NAMED = (404,)
    return [
        Operation("GET", P, "budgets", "Budget definitions (config and API)", listing, SiteQuery, answer=Budgets),
        Operation(
            "POST", P, "create_budget", "Create a budget (admin of its site); body as a [[budgets]] table",
            create, body=BudgetSpec, answer=BudgetInfo, status=201, errors=(400, 409),
        ),
        Operation(
            "GET", P + "/status", "budget_status",
            "Each budget of a site now: value, samples, limit, state, reason, override",
            status, StatusQuery, answer=BudgetStatus,
        ),
        Operation(
            "GET", P + "/report", "budget_report",
            "Compliance history: each budget judged per period, share within budget",
            report, ReportQuery, answer=BudgetReport,
        ),
        Operation("GET", P + "/{name}", "budget", "One budget", read, answer=BudgetInfo, errors=NAMED),
        Operation(
            "PUT", P + "/{name}", "update_budget", "Replace a budget made through the API (admin)",
            replace, body=BudgetSpec, answer=BudgetInfo, errors=(400, 404, 409),
        ),
        Operation(
            "DELETE", P + "/{name}", "delete_budget", "Delete a budget made through the API (admin)",
            delete, status=204, errors=(404, 409),
        ),
        Operation(
            "GET", P + "/{name}/overrides", "budget_overrides", "Overrides of a budget, active or not",
            overrides, AtQuery, answer=Overrides, errors=NAMED,
        ),
        Operation(
            "POST", P + "/{name}/overrides", "create_override",
            "Temporary override: justification, expires_in or expires_at, optional limit",
            add_override, body=OverrideBody, answer=OverrideInfo, status=201, errors=(400, 404),
        ),
        Operation(
            "DELETE", P + "/{name}/overrides/{id}", "end_override", "End an override now (admin)",
            end_override, status=204, errors=NAMED,
        ),
    ]  # fmt: skip
