"""Helpers the budget, alert and suggestion routes share: who may read or change a site, JSON bodies."""

from __future__ import annotations

import functools

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response

from rumhouse.api.access import Access, forbidden, problem
from rumhouse.api.filters import ParamError
from rumhouse.budgets.targets import SpecError
from rumhouse.store.base import StoreError
from rumhouse.tokens import Principal


def json(doc, status: int = 200) -> Response:
    return Response(
        orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status,
        media_type="application/json",
    )


async def _principal(access: Access, request: Request) -> Principal | Response:
    who = getattr(request.state, "who", None)  # set by `guarded`, which checks the token first
    return who if who is not None else await access.principal(request)


async def reader(access: Access, request: Request, site: str | None) -> Principal | Response:
    who = await _principal(access, request)
    if isinstance(who, Response):
        return who
    if site is not None and not who.may_read(site):
        return forbidden(f"this token may not read site {site!r}")
    return who


async def admin_of(access: Access, request: Request, site: str) -> Principal | Response:
    who = await _principal(access, request)
    if isinstance(who, Response):
        return who
    if not (who.is_admin and who.may_read(site)):
        return forbidden(f"changing site {site!r} needs an admin token for it")
    return who


async def body(request: Request) -> dict | Response:
    try:
        doc = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return problem(400, "bad_request", "the body must be a JSON object")
    if not isinstance(doc, dict):
        return problem(400, "bad_request", "the body must be a JSON object")
    return doc


async def run(fn, *args):
    return await anyio.to_thread.run_sync(lambda: fn(*args))


def actor(who: Principal) -> str:
    return who.token_id or "admin"


def missing(what: str) -> Response:
    """An unknown name. Also the answer for a name of a site the token may not read: a name of another
    site and no name at all answer alike, so a token learns nothing about what exists outside its sites."""
    return problem(404, "not_found", f"no {what}")


def visible_item(request: Request, site: str | None, what: str) -> Response | None:
    """404 (as `missing`) unless the item exists (`site` is not None) and the token may read its site."""
    who = request.state.who
    if site is None or not who.may_read(site):
        return missing(what)
    return None


def guarded(access: Access, handler):
    """The token first (401 before anything else, whatever the request), then the handler; a store
    failure answers 503 and a bad parameter 400, like the read routes."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        who = await access.principal(request)
        if isinstance(who, Response):
            return who
        request.state.who = who
        try:
            return await handler(request)
        except (ParamError, SpecError) as exc:
            return problem(400, "bad_request", str(exc))
        except StoreError as exc:
            return problem(503, "store_unavailable", str(exc))

    return wrapped
