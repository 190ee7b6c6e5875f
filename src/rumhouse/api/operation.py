"""The one shape of every /api/v1 route: an `Operation` names its method and path, the types of its
query, body and answer, and a handler; `mount` turns it into a Starlette route that does, the same way
for every one of them, what each must do:

    token (401) -> unscoped admin when the operation asks for it (403) -> query decoded into its type
    (400) -> the handler, in a worker thread (the body is decoded into its type when the handler first
    reads it, after its own checks of who may do what) -> the answer as JSON (or CSV, for tables)

A handler returns its answer (a msgspec Struct, a dict, or a `Table`) or raises `ApiError`; a bad
parameter (`ParamError`, msgspec's errors) is a 400 and a store failure a 503. Every error of every
route has one JSON form, `Problem`: {"error": a reason word, "message": one line}. The OpenAPI document
(api/openapi.py) is made from the same operations and their types.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import msgspec
import msgspec.inspect
import orjson
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from rumhouse.api.access import Access, ApiError, problem
from rumhouse.api.filters import ParamError
from rumhouse.api.table import FORMATS, Table, render
from rumhouse.store.base import StoreError
from rumhouse.tokens import Principal

PREFIX = "/api/v1"
# The largest JSON body an operation reads (a budget, an override, a note are well under 1 KiB); past it
# the request is refused while it is read, so a huge body costs the server nothing.
MAX_BODY_BYTES = 64 * 1024


class Problem(msgspec.Struct):
    """Every error answer of /api/v1."""

    error: str  # a reason word: bad_request, unauthorized, forbidden, not_found, conflict, ...
    message: str  # one line that says what was wrong


class NoQuery(msgspec.Struct):
    """An operation that takes no query parameters (any sent are ignored)."""


@dataclass
class Call:
    """What a handler gets: who asks, the decoded query, the body, the path parameters, the request.

    The body is decoded when the handler first reads it, after it checked who may do what: a token of
    another site learns 403 or 404, not what was wrong with its body."""

    who: Principal
    query: Any
    raw_body: bytes
    body_type: type | None
    path: dict[str, str]
    request: Request

    @functools.cached_property
    def body(self) -> Any:
        return decode_body(self.raw_body, self.body_type)

    def peek(self, key: str) -> Any:
        """One field of a JSON object body, before the body is decoded (None when there is none): for
        the checks that come first, such as whose site a new item is for."""
        try:
            doc = orjson.loads(self.raw_body)
        except orjson.JSONDecodeError:
            return None
        return doc.get(key) if isinstance(doc, dict) else None

    @property
    def params(self) -> QueryParams:
        return self.request.query_params

    def reader_of(self, site: str | None) -> None:
        """403 unless the token may read `site` (None: no site named, nothing to check)."""
        if site is not None and not self.who.may_read(site):
            raise ApiError(403, "forbidden", f"this token may not read site {site!r}")

    def admin_of(self, site: str, what: str = "changing site") -> None:
        if not (self.who.is_admin and self.who.may_read(site)):
            raise ApiError(403, "forbidden", f"{what} {site!r} needs an admin token for it")

    @property
    def actor(self) -> str:
        """Who changed something, for the history: the token id (the env admin token has none)."""
        return self.who.token_id or "admin"

    def audit(self, *, site: str | None = None, rows: int | None = None, detail: str | None = None) -> None:
        """What the audit log records of this call beyond method, route and status (audit.py)."""
        if site is not None:
            self.request.state.audit_site = site
        if rows is not None:
            self.request.state.audit_rows = rows
        if detail is not None:
            self.request.state.audit_detail = detail


def not_found(what: str) -> ApiError:
    """An unknown name. Also the answer for a name of a site the token may not read: a name of another
    site and no name at all answer alike, so a token learns nothing about what exists outside its sites."""
    return ApiError(404, "not_found", f"no {what}")


def visible(call: Call, site: str | None, what: str) -> str:
    """The item's site, when it exists and the token may read it; else 404, as `not_found`."""
    if site is None or not call.who.may_read(site):
        raise not_found(what)
    return site


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # under /api/v1
    name: str  # the OpenAPI operationId (and an export's file name)
    summary: str
    handler: Callable[[Call], Any]  # sync: run in a worker thread; async: awaited in the event loop
    query: type = NoQuery
    body: type | None = None  # a JSON body of this type; `str` for a text/plain body
    answer: type | None = None  # what a success answers; None: nothing (204)
    status: int = 200
    admin: bool = False  # only an admin token not scoped to sites
    exports: tuple[str, ...] = ()  # media types it answers besides JSON (a Table: text/csv, ?format=csv)
    errors: tuple[int, ...] = field(default=(400,))  # what else it may answer besides 401 and 403
    max_body: int = MAX_BODY_BYTES  # bytes of a body it reads at most (413 above)


def decode_query(params: QueryParams, kind: type) -> Any:
    try:
        return msgspec.convert(dict(params), kind, strict=False)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "bad_request", _query_problem(kind, str(exc))) from None


def _query_problem(kind: type, error: str) -> str:
    """msgspec's message in the parameter's terms: `metric must be one of LCP, INP, ...`."""
    found = re.search(r"at `\$\.([\w]+)`", error)
    if found is None:
        missing = re.search(r"missing required field `(\w+)`", error)
        return f"{missing.group(1)} is required" if missing else error
    name = found.group(1)
    info = msgspec.inspect.type_info(kind)
    for f in getattr(info, "fields", ()):
        if f.encode_name == name:
            kinds = f.type.types if isinstance(f.type, msgspec.inspect.UnionType) else (f.type,)
            values = [v for k in kinds if isinstance(k, msgspec.inspect.LiteralType) for v in k.values]
            if values:
                return f"{name} must be one of {', '.join(map(str, values))}"
            return f"{name}: {error.split(' - at ')[0]}"
    return error


async def read_body(request: Request, limit: int = MAX_BODY_BYTES, what: str = "the body") -> bytes:
    """The request's body, refused (413) as soon as it is over `limit` bytes, before the rest is read.
    A client gone before its body ended (or cut off by the front's body time limit) is a 400 in the
    audit log, not a server error."""
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise ApiError(413, "too_large", f"{what} is over {limit} bytes")
    except ClientDisconnect:
        raise ApiError(400, "incomplete_body", f"the client went away before {what} ended") from None
    return body


def decode_body(raw: bytes, kind: type | None) -> Any:
    if kind is None:
        return None
    if kind is str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "bad_encoding", "the body is not UTF-8") from None
    try:
        return msgspec.json.decode(raw or b"{}", type=kind)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "bad_request", f"body: {exc}") from None
    except msgspec.DecodeError:
        raise ApiError(400, "bad_request", "the body must be a JSON object") from None


def encode(op: Operation, answer: Any, request: Request) -> Response:
    if op.answer is None:
        return Response(status_code=op.status)
    if isinstance(answer, Table):
        request.state.audit_rows = len(answer.rows)
        fmt = request.query_params.get("format", "json")
        if fmt not in FORMATS:
            raise ApiError(400, "bad_request", "format must be json or csv")
        return render(answer, fmt, name=op.name, filters=answer.filters, status=op.status)
    if isinstance(answer, Response):  # an answer of its own media type (people's SQL as CSV, say)
        return answer
    body = msgspec.json.encode(answer) if isinstance(answer, msgspec.Struct) else _json(answer)
    return Response(body, status_code=op.status, media_type="application/json")


def _json(doc: Any) -> bytes:
    # default=str: integers past 64 bits and dates from ClickHouse rows.
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY, default=str)


def mount(op: Operation, access: Access) -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            who = await access.principal(request)
            if op.admin and not (who.is_admin and who.unscoped):
                raise ApiError(
                    403, "forbidden", "this route needs an admin token that is not scoped to sites"
                )
            body = await read_body(request, op.max_body) if op.body is not None else b""
            call = Call(
                who,
                decode_query(request.query_params, op.query),
                body,
                op.body,
                dict(request.path_params),
                request,
            )
            if inspect.iscoroutinefunction(op.handler):
                answer = await op.handler(call)
            else:
                answer = await anyio.to_thread.run_sync(op.handler, call)
            return encode(op, answer, request)
        except ApiError as exc:
            refused = exc
        except ParamError as exc:
            refused = ApiError(400, "bad_request", str(exc))
        except StoreError as exc:
            refused = ApiError(503, "store_unavailable", str(exc))
        access.runtime.metrics.refused(refused.error)
        return problem(refused.status, refused.error, refused.message, refused.headers)

    return Route(PREFIX + op.path, endpoint, methods=[op.method], name=op.name)


def mount_all(operations: list[Operation], access: Access) -> list[Route]:
    """Routes for operations; several operations on one path (GET and POST, say) share one route."""
    by_path: dict[str, list[Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, []).append(op)
    routes = []
    for path, ops in by_path.items():
        if len(ops) == 1:
            routes.append(mount(ops[0], access))
            continue
        handlers = {op.method: mount(op, access).endpoint for op in ops}

        async def dispatch(request: Request, handlers=handlers) -> Response:
            return await handlers[request.method](request)

        routes.append(Route(PREFIX + path, dispatch, methods=list(handlers), name=ops[0].name))
    return routes
