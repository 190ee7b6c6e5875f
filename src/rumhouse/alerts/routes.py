"""Alert routes under /api/v1/alerts:

GET  /alerts?site=S              rules, with state, since, value, acknowledgement and resolution
GET  /alerts/events?site=S       history of state changes, acknowledgements and resolutions
GET  /alerts/deliveries?site=S   notifications per channel: delivered, pending (retrying) or failed
POST /alerts/{name}/ack          {"note": "..."}: someone is on it (no more reminders); admin of the site
POST /alerts/{name}/resolve      {"note": "..."}: resolved by hand; admin of the site
POST /alerts/evaluate            evaluate every rule now (an unscoped admin)
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rumhouse.alerts.notifier import iso
from rumhouse.api.access import Access, problem
from rumhouse.budgets.http import actor, admin_of, body, guarded, json, reader, run, visible_item

PREFIX = "/api/v1/alerts"


def alert_routes(runtime, access: Access) -> list[Route]:
    def alerting():
        return runtime.alerting

    def visible(who, site: str | None):
        return {
            name: r for name, r in alerting().rules.items() if who.may_read(r.site) and site in (None, r.site)
        }

    async def listing(request: Request) -> Response:
        site = request.query_params.get("site")
        who = await reader(access, request, site)
        if isinstance(who, Response):
            return who
        states = alerting().snapshot()
        rows = []
        for name, rule in visible(who, site).items():
            s = states.get(name)
            rows.append(
                {
                    "rule": name,
                    "site": rule.site,
                    "description": rule.describe(),
                    "group": rule.group_key,
                    "channels": list(rule.channels),
                    "for_seconds": rule.hold,
                    "repeat_seconds": rule.repeat,
                    "state": s.state if s else "ok",
                    "since": iso(s.since) if s and s.since else None,
                    "value": s.value if s else None,
                    "acknowledged_by": (s.acked_by or None) if s else None,
                    "acknowledged_at": iso(s.acked_at) if s else None,
                    "resolved_by": (s.resolved_by or None) if s else None,
                    "resolved_at": iso(s.resolved_at) if s else None,
                }
            )
        return json({"alerts": rows})

    async def events(request: Request) -> Response:
        site = request.query_params.get("site")
        who = await reader(access, request, site)
        if isinstance(who, Response):
            return who
        rows = await run(alerting().journal.events, 1000)
        return json({"events": [r for r in rows if who.may_read(r["site"]) and site in (None, r["site"])]})

    async def deliveries(request: Request) -> Response:
        site = request.query_params.get("site")
        who = await reader(access, request, site)
        if isinstance(who, Response):
            return who
        names = set(visible(who, site))
        rows = await run(alerting().journal.deliveries, 1000)
        return json({"deliveries": [r for r in rows if names & set(r["rules"])]})

    async def action(request: Request, verb: str) -> Response:
        name = request.path_params["name"]
        rule = alerting().rules.get(name)
        hidden = visible_item(request, rule.site if rule else None, f"alert rule {name!r}")
        if hidden is not None:
            return hidden
        who = await admin_of(access, request, rule.site)
        if isinstance(who, Response):
            return who
        raw = await body(request) if await request.body() else {}
        if isinstance(raw, Response):
            return raw
        try:
            state = await run(alerting().act, name, verb, actor(who), str(raw.get("note", "")))
        except ValueError as exc:
            return problem(409, "conflict", str(exc))
        return json(
            {
                "rule": name,
                "state": state.state,
                "acknowledged_by": state.acked_by or None,
                "acknowledged_at": iso(state.acked_at),
                "resolved_by": state.resolved_by or None,
                "resolved_at": iso(state.resolved_at),
            }
        )

    async def evaluate(request: Request) -> Response:
        who = await access.admin(request)
        if isinstance(who, Response):
            return who
        changes = await run(alerting().evaluate)
        return json(
            {
                "changes": [
                    {"rule": c.rule, "from": c.before, "to": c.after, "notify": c.notify or None}
                    for c in changes
                ]
            }
        )

    return [
        Route(PREFIX, guarded(access, listing), methods=["GET"]),
        Route(PREFIX + "/events", guarded(access, events), methods=["GET"]),
        Route(PREFIX + "/deliveries", guarded(access, deliveries), methods=["GET"]),
        Route(PREFIX + "/evaluate", guarded(access, evaluate), methods=["POST"]),
        Route(PREFIX + "/{name}/ack", guarded(access, lambda r: action(r, "ack")), methods=["POST"]),
        Route(PREFIX + "/{name}/resolve", guarded(access, lambda r: action(r, "resolve")), methods=["POST"]),
    ]
