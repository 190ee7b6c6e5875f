"""Admin routes. `DELETE /api/v1/admin/sites/{site}/data[?before=YYYY-MM-DD]` deletes a site's data."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from rumhouse.api.access import Access, forbidden
from rumhouse.deletion import delete_site_data
from rumhouse.store.base import StoreError


def parse_before(text: str | None) -> datetime | None:
    """An ISO date or date-time; naive values are UTC."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def delete_route(runtime, access: Access):

    async def delete_site(request: Request) -> Response:
        # API tokens: 401 without a valid token; an admin whose sites include this one.
        who = await access.principal(request)
        if isinstance(who, Response):
            return who
        site = request.path_params["site"]
        if not (who.is_admin and who.may_read(site)):
            return forbidden(f"deleting the data of site {site!r} needs an admin token for it")
        try:
            before = parse_before(request.query_params.get("before"))
        except ValueError:
            return PlainTextResponse("bad_before: before is a date like 2026-01-31\n", status_code=400)
        # What was accepted a moment ago must go too: flush it first.
        await anyio.to_thread.run_sync(runtime.writer.flush)
        try:
            deleted = await anyio.to_thread.run_sync(lambda: delete_site_data(runtime.store, site, before))
        except StoreError as exc:
            return PlainTextResponse(f"delete_failed: {exc}\n", status_code=500)
        return JSONResponse(
            {"site": site, "before": before.isoformat() if before else None, "deleted": deleted}
        )

    return delete_site
