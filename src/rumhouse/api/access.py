"""Who may call a route: a bearer token (401 without a valid one) whose scope covers the site (403).

Order matters for what a caller learns: the token is checked before anything else, so a request
without one gets the same 401 whatever it asks for.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rumhouse.auth import bearer
from rumhouse.tokens import Principal, Tokens


def problem(status: int, error: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def unauthorized(message: str = "send Authorization: Bearer <token>") -> JSONResponse:
    return problem(401, "unauthorized", message, {"www-authenticate": 'Bearer realm="rumhouse"'})


def forbidden(message: str) -> JSONResponse:
    return problem(403, "forbidden", message)


class Access:
    """Built once per app (create_app hands it to every route); finds the token store lazily, because the
    store opens at start-up."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self._tokens: Tokens | None = None

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None or self._tokens.store is not self.runtime.store:
            self._tokens = Tokens(self.runtime.store, self.runtime.admin_token)
        return self._tokens

    async def principal(self, request: Request) -> Principal | Response:
        token = bearer(request)
        if not token:
            return unauthorized()
        found = await anyio.to_thread.run_sync(self.tokens.authenticate, token)
        if found is None:
            return unauthorized("the bearer token is not valid (unknown, malformed or revoked)")
        request.state.who = found  # for the audit log (audit.py)
        return found

    async def admin(self, request: Request) -> Principal | Response:
        """An admin for every site: raw SQL and token management see all sites at once."""
        who = await self.principal(request)
        if isinstance(who, Response):
            return who
        if not (who.is_admin and who.unscoped):
            return forbidden("this route needs an admin token that is not scoped to sites")
        return who
