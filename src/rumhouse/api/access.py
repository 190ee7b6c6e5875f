"""Who may call a route: a bearer token (401 without a valid one) whose scope covers the site (403).

Order matters for what a caller learns: the token is checked before anything else, so a request
without one gets the same 401 whatever it asks for.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse

from rumhouse.api.runtime import ApiRuntime
from rumhouse.auth import bearer
from rumhouse.tokens import Principal, Tokens


class ApiError(Exception):
    """An answer other than success: its status, a reason word and a one-line message (api/operation.py
    turns it into the one JSON error form)."""

    def __init__(self, status: int, error: str, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers


def problem(status: int, error: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def unauthorized(message: str = "send Authorization: Bearer <token>") -> ApiError:
    return ApiError(401, "unauthorized", message, {"www-authenticate": 'Bearer realm="rumhouse"'})


class Access:
    """Built once per app (create_app hands it to every route); finds the token store lazily, because the
    store opens at start-up."""

    def __init__(self, runtime: ApiRuntime) -> None:
        self.runtime = runtime
        self._tokens: Tokens | None = None

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None or self._tokens.store is not self.runtime.store:
            self._tokens = Tokens(self.runtime.store, self.runtime.admin_token)
        return self._tokens

    async def principal(self, request: Request) -> Principal:
        """Who sends the request; ApiError 401 without a valid token."""
        token = bearer(request)
        if not token:
            raise unauthorized()
        found = await anyio.to_thread.run_sync(self.tokens.authenticate, token)
        if found is None:
            raise unauthorized("the bearer token is not valid (unknown, malformed or revoked)")
        if found.role == "ingest":
            raise ApiError(403, "forbidden", "an ingest token can only send OpenTelemetry data (/v1/...)")
        request.state.who = found  # for the audit log (audit.py)
        return found
