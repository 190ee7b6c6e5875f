"""Budget routes under /api/v1/budgets: CRUD (admin; config budgets are read-only), status now (what
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

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rumhouse.api.access import Access, problem
from rumhouse.api.filters import Filters, ParamError, parse_time
from rumhouse.budgets.http import actor, admin_of, body, guarded, json, reader, run, visible_item
from rumhouse.budgets.model import parse_budget, parse_duration
from rumhouse.budgets.repository import BudgetRepository
from rumhouse.budgets.status import PERIODS, budget_status, compliance_report
from rumhouse.budgets.targets import SpecError
from rumhouse.store.base import StoreError

PREFIX = "/api/v1/budgets"


def budget_routes(runtime, access: Access) -> list[Route]:
    def repo() -> BudgetRepository:
        return BudgetRepository(runtime.store, runtime.alerting.config.budgets)

    async def collection(request: Request) -> Response:
        if request.method == "GET":
            site = request.query_params.get("site")
            who = await reader(access, request, site)
            if isinstance(who, Response):
                return who
            found = await run(repo().all, site)
            return json({"budgets": [b.to_dict() for b in found if who.may_read(b.site)]})
        raw = await body(request)
        if isinstance(raw, Response):
            return raw
        who = await admin_of(access, request, str(raw.get("site", "")))
        if isinstance(who, Response):
            return who
        try:
            budget = parse_budget(raw, "budget", "api")
        except SpecError as exc:
            return problem(400, "bad_request", str(exc))
        r = repo()
        if await run(r.get, budget.name) is not None:
            return problem(409, "conflict", f"a budget named {budget.name!r} exists")
        await run(r.save, budget, raw, actor(who))
        return json(budget.to_dict(), 201)

    async def item(request: Request) -> Response:
        name = request.path_params["name"]
        r = repo()
        budget = await run(r.get, name)
        hidden = visible_item(request, budget.site if budget else None, f"budget {name!r}")
        if hidden is not None:
            return hidden
        if request.method == "GET":
            who = await reader(access, request, budget.site)
            return who if isinstance(who, Response) else json(budget.to_dict())
        who = await admin_of(access, request, budget.site)
        if isinstance(who, Response):
            return who
        if budget.source == "config":
            return problem(409, "conflict", f"budget {name!r} is defined in the config file; change it there")
        if request.method == "DELETE":
            await run(lambda: r.save(budget, {}, actor(who), deleted=True))
            return Response(status_code=204)
        raw = await body(request)
        if isinstance(raw, Response):
            return raw
        raw = {**raw, "name": name}
        try:
            updated = parse_budget(raw, "budget", "api")
        except SpecError as exc:
            return problem(400, "bad_request", str(exc))
        if updated.site != budget.site:
            return problem(400, "bad_request", "a budget cannot move to another site; create a new one")
        await run(r.save, updated, raw, actor(who))
        return json(updated.to_dict())

    async def status(request: Request) -> Response:
        q = request.query_params
        site = q.get("site")
        if not site:
            return problem(400, "bad_request", "site is required")
        who = await reader(access, request, site)
        if isinstance(who, Response):
            return who
        try:
            since = parse_duration(q["since"], "since") if q.get("since") else None
        except SpecError as exc:
            return problem(400, "bad_request", str(exc))
        release = q.get("release") or None
        now = datetime.now(UTC)

        def evaluate():
            r = repo()
            return [
                budget_status(runtime.store, r, b, now=now, since=since, release=release) for b in r.all(site)
            ]

        try:
            rows = await run(evaluate)
        except StoreError as exc:
            return problem(503, "store_unavailable", str(exc))
        return json({"site": site, "release": release or "", "budgets": rows})

    async def report(request: Request) -> Response:
        q = request.query_params
        site = q.get("site")
        if not site:
            return problem(400, "bad_request", "site is required")
        who = await reader(access, request, site)
        if isinstance(who, Response):
            return who
        period = q.get("period", "day")
        if period not in PERIODS:
            return problem(400, "bad_request", "period must be hour or day")
        try:
            f = Filters.parse(q, site)
        except ParamError as exc:
            return problem(400, "bad_request", str(exc))

        def build():
            return [compliance_report(runtime.store, b, f, period) for b in repo().all(site)]

        return json({"site": site, "period": period, "filters": f.describe(), "budgets": await run(build)})

    async def overrides(request: Request) -> Response:
        name = request.path_params["name"]
        r = repo()
        budget = await run(r.get, name)
        hidden = visible_item(request, budget.site if budget else None, f"budget {name!r}")
        if hidden is not None:
            return hidden
        now = datetime.now(UTC)
        if request.method == "GET":
            who = await reader(access, request, budget.site)
            if isinstance(who, Response):
                return who
            return json({"overrides": [o.to_dict(now) for o in await run(r.overrides, name)]})
        who = await admin_of(access, request, budget.site)
        if isinstance(who, Response):
            return who
        raw = await body(request)
        if isinstance(raw, Response):
            return raw
        justification = raw.get("justification")
        if not isinstance(justification, str) or not justification.strip():
            return problem(400, "bad_request", "an override needs a justification")
        limit = raw.get("limit")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 0
        ):
            return problem(400, "bad_request", "limit is a number (or leave it out to waive the budget)")
        try:
            if "expires_at" in raw:
                expires = parse_time("expires_at", str(raw["expires_at"]))
            else:
                expires = now + timedelta(seconds=parse_duration(raw.get("expires_in", ""), "expires_in"))
        except (ParamError, SpecError) as exc:
            return problem(400, "bad_request", str(exc))
        if expires <= now:
            return problem(400, "bad_request", "an override must expire in the future")
        made = await run(
            r.add_override,
            budget,
            None if limit is None else float(limit),
            justification.strip(),
            actor(who),
            now,
            expires,
        )
        return json(made.to_dict(now), 201)

    async def end_override(request: Request) -> Response:
        name, oid = request.path_params["name"], request.path_params["id"]
        r = repo()
        budget = await run(r.get, name)
        hidden = visible_item(request, budget.site if budget else None, f"budget {name!r}")
        if hidden is not None:
            return hidden
        who = await admin_of(access, request, budget.site)
        if isinstance(who, Response):
            return who
        found = next((o for o in await run(r.overrides, name) if o.id == oid), None)
        if found is None:
            return problem(404, "not_found", f"no override {oid!r}")
        await run(r.revoke_override, found)
        return Response(status_code=204)

    return [
        Route(PREFIX, guarded(access, collection), methods=["GET", "POST"]),
        Route(PREFIX + "/status", guarded(access, status), methods=["GET"]),
        Route(PREFIX + "/report", guarded(access, report), methods=["GET"]),
        Route(PREFIX + "/{name}", guarded(access, item), methods=["GET", "PUT", "DELETE"]),
        Route(PREFIX + "/{name}/overrides", guarded(access, overrides), methods=["GET", "POST"]),
        Route(PREFIX + "/{name}/overrides/{id}", guarded(access, end_override), methods=["DELETE"]),
    ]
