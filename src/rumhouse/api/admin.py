"""`DELETE /api/v1/admin/sites/{site}/data[?before=YYYY-MM-DD]`: a site's data deleted (deletion.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from rumhouse.api.access import ApiError
from rumhouse.api.operation import Call, Operation
from rumhouse.api.runtime import ApiRuntime
from rumhouse.deletion import delete_site_data


class DeleteQuery(msgspec.Struct):
    before: str | None = None  # only rows older than this date (ISO; naive is UTC)


class Deleted(msgspec.Struct):
    site: str
    before: str | None
    deleted: dict[str, int]  # rows deleted per table


def parse_before(text: str | None) -> datetime | None:
    """An ISO date or date-time; naive values are UTC."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def delete_operation(runtime: ApiRuntime) -> Operation:
    def delete_site(call: Call) -> Deleted:
        site = call.path["site"]
        call.admin_of(site, "deleting the data of site")
        try:
            before = parse_before(call.query.before)
        except ValueError:
            raise ApiError(400, "bad_before", "before is a date like 2026-01-31") from None
        runtime.writer.flush()  # what was accepted a moment ago must go too
        deleted = delete_site_data(runtime.store, site, before)
        return Deleted(site, before.isoformat() if before else None, deleted)

    return Operation(
        "DELETE",
        "/admin/sites/{site}/data",
        "delete_site_data",
        "Delete a site's data (admin for that site)",
        delete_site,
        query=DeleteQuery,
        answer=Deleted,
    )
