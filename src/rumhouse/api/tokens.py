"""Token management for unscoped admin tokens: what `rumhouse token create/list/revoke` calls.

GET    /api/v1/tokens          the tokens (ids, roles, sites; never the tokens themselves)
POST   /api/v1/tokens          {"role": "viewer", "sites": ["demo"], "name": "..."} -> the token, once
DELETE /api/v1/tokens/{id}     revoke
"""

from __future__ import annotations

import dataclasses

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rumhouse.api.access import Access, problem
from rumhouse.api.table import Table, render

PREFIX = "/api/v1/tokens"
COLUMNS = ["id", "role", "sites", "name", "created_at", "revoked"]


def token_routes(access: Access) -> list[Route]:
    async def collection(request: Request) -> Response:
        who = await access.admin(request)
        if isinstance(who, Response):
            return who
        if request.method == "GET":
            found = await anyio.to_thread.run_sync(access.tokens.list)
            rows = [dataclasses.asdict(t) for t in found]
            for row in rows:
                row["sites"] = ",".join(row["sites"])
            return render(
                Table(COLUMNS, rows, "raw"),
                request.query_params.get("format", "json"),
                name="tokens",
                filters={},
            )
        try:
            body = orjson.loads(await request.body())
            role, sites, name = body["role"], body.get("sites", []), body.get("name", "")
            if not (
                isinstance(sites, list)
                and all(isinstance(s, str) and s for s in sites)
                and isinstance(name, str)
            ):
                raise ValueError("sites is a list of site keys and name a string")
            created = await anyio.to_thread.run_sync(lambda: access.tokens.create(role, sites, name))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return problem(
                400, "bad_request", 'send {"role": "viewer" | "admin", "sites": [...], "name": "..."}'
            )
        except ValueError as exc:
            return problem(400, "bad_request", str(exc))
        return JSONResponse({"token": created.token, **dataclasses.asdict(created.info)}, status_code=201)

    async def item(request: Request) -> Response:
        who = await access.admin(request)
        if isinstance(who, Response):
            return who
        token_id = request.path_params["id"]
        found = await anyio.to_thread.run_sync(access.tokens.revoke, token_id)
        if not found:
            return problem(404, "not_found", f"no token with id {token_id!r}")
        return Response(status_code=204)

    return [
        Route(PREFIX, collection, methods=["GET", "POST"], name="tokens"),
        Route(PREFIX + "/{id}", item, methods=["DELETE"], name="token"),
    ]
