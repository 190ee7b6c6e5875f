"""What people decided about each suggestion (rumhouse.suggestion_status, newest row wins): read and set."""

from __future__ import annotations

from rumhouse.store.base import Store, row_version

STATUSES = ("open", "accepted", "done", "dismissed")


def statuses(store: Store, site: str) -> dict[str, dict]:
    """Suggestion key -> its status, note, who set it and when."""
    rows = store.query(
        "SELECT key, status, note, updated_by, toString(updated_at) FROM rumhouse.suggestion_status FINAL"
        " WHERE site = {site:String}",
        {"site": site},
    ).rows
    return {r[0]: {"status": r[1], "note": r[2], "updated_by": r[3], "updated_at": r[4]} for r in rows}


def set_status(store: Store, site: str, key: str, status: str, note: str, actor: str) -> None:
    store.command(
        "INSERT INTO rumhouse.suggestion_status (site, key, status, note, updated_by, updated_at, version)"
        " VALUES ({site:String}, {key:String}, {status:String}, {note:String}, {who:String}, now64(3),"
        " {version:UInt64})",
        {"site": site, "key": key, "status": status, "note": note, "who": actor, "version": row_version()},
    )
