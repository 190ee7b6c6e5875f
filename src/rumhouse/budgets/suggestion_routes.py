"""Suggestions and release comparison routes:

GET /api/v1/suggestions?site=S&range=7d        at most 5, best first, each with its status
PUT /api/v1/suggestions/{id}?site=S            {"status": "open|accepted|done|dismissed", "note": "..."}
GET /api/v1/releases/compare?site=S&a=v1&b=v2[&range=7d][&confidence=0.95][&min_effect=0.05]
    (b alone: a is the release first seen before it)
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rumhouse.api.access import Access, problem
from rumhouse.api.filters import Filters, ParamError
from rumhouse.budgets.http import actor, admin_of, body, guarded, json, reader, run
from rumhouse.budgets.release import compare_releases, previous_release
from rumhouse.budgets.suggestions import SHOWN, compute
from rumhouse.store.base import row_version

STATUSES = ("open", "accepted", "done", "dismissed")


def _site(request: Request) -> str | Response:
    site = request.query_params.get("site")
    return site if site else problem(400, "bad_request", "site is required")


def suggestion_routes(runtime, access: Access) -> list[Route]:
    def statuses(site: str) -> dict[str, dict]:
        rows = runtime.store.query(
            "SELECT key, status, note, updated_by, toString(updated_at) FROM rumhouse.suggestion_status FINAL"
            " WHERE site = {site:String}",
            {"site": site},
        ).rows
        return {r[0]: {"status": r[1], "note": r[2], "updated_by": r[3], "updated_at": r[4]} for r in rows}

    async def listing(request: Request) -> Response:
        site = _site(request)
        if isinstance(site, Response):
            return site
        who = await reader(access, request, site)
        if isinstance(who, Response):
            return who
        q = request.query_params
        try:
            f = Filters.parse(q, site)
        except ParamError as exc:
            return problem(400, "bad_request", str(exc))
        found = await run(compute, runtime.store, f)
        known = await run(statuses, site)
        rows = []
        for s in found[:SHOWN]:
            rows.append({**s.to_dict(), **known.get(s.key, {"status": "open"})})
        return json({"site": site, "filters": f.describe(), "suggestions": rows, "considered": len(found)})

    async def set_status(request: Request) -> Response:
        site = _site(request)
        if isinstance(site, Response):
            return site
        who = await admin_of(access, request, site)
        if isinstance(who, Response):
            return who
        raw = await body(request)
        if isinstance(raw, Response):
            return raw
        status = raw.get("status")
        if status not in STATUSES:
            return problem(400, "bad_request", f"status must be one of {', '.join(STATUSES)}")
        key = request.path_params["id"]
        await run(
            runtime.store.command,
            "INSERT INTO rumhouse.suggestion_status (site, key, status, note, updated_by, updated_at, version)"
            " VALUES ({site:String}, {key:String}, {status:String}, {note:String}, {who:String}, now64(3),"
            " {version:UInt64})",
            {
                "site": site,
                "key": key,
                "status": status,
                "note": str(raw.get("note", "")),
                "who": actor(who),
                "version": row_version(),
            },
        )
        return json({"id": key, "site": site, "status": status})

    async def compare(request: Request) -> Response:
        site = _site(request)
        if isinstance(site, Response):
            return site
        who = await reader(access, request, site)
        if isinstance(who, Response):
            return who
        q = request.query_params
        try:
            f = Filters.parse(q, site)
            confidence = float(q.get("confidence", "0.95"))
            min_effect = float(q.get("min_effect", "0.05"))
            if not (0.5 <= confidence < 1 and 0 <= min_effect < 1):
                raise ParamError("confidence is in [0.5, 1) and min_effect in [0, 1)")
        except ValueError as exc:
            return problem(400, "bad_request", str(exc))
        b = q.get("b")
        if not b:
            return problem(400, "bad_request", "b (the release to judge) is required")
        a = q.get("a") or await run(previous_release, runtime.store, f, b)
        if not a:
            return problem(400, "bad_request", f"no release was seen before {b!r}; give a")
        rows = await run(
            lambda: compare_releases(runtime.store, f, a, b, confidence=confidence, min_effect=min_effect)
        )
        return json({"site": site, "release_a": a, "release_b": b, "filters": f.describe(), "metrics": rows})

    return [
        Route("/api/v1/suggestions", guarded(access, listing), methods=["GET"]),
        Route("/api/v1/suggestions/{id}", guarded(access, set_status), methods=["PUT"]),
        Route("/api/v1/releases/compare", guarded(access, compare), methods=["GET"]),
    ]
