"""Deleting a site's data on request (`rumhouse delete`, `DELETE /api/v1/admin/sites/{site}/data`).

Every MergeTree-family table of the `rumhouse` database with a `site` column is covered, including
tables added later (rollups), so a deletion request cannot miss one; except the audit log, which keeps
the record of who read and who deleted (it holds no visitor data, and goes by retention). With `before`,
only rows older than that instant go. Deletion is a synchronous mutation: when this returns, the rows
are gone.
"""

from __future__ import annotations

from datetime import datetime

from rumhouse.store.base import Store

_TIME_TYPES = ("DateTime64", "DateTime", "Date")
KEPT = ("audit_log", "audit_log_local")


def site_tables(store: Store) -> list[tuple[str, str | None]]:
    """(table, its time column or None) for every table holding per-site rows."""
    result = store.query(
        "SELECT c.table, c.name, c.type FROM system.columns AS c"
        " INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table"
        " WHERE c.database = 'rumhouse' AND t.engine LIKE '%MergeTree' ORDER BY c.table, c.position"
    )
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, name, type_ in result.rows:
        columns.setdefault(table, []).append((name, type_))
    found = []
    for table, cols in columns.items():
        names = [name for name, _ in cols]
        if "site" not in names or table in KEPT:
            continue
        time_column = (
            "time"
            if "time" in names
            else next((name for name, type_ in cols if type_.startswith(_TIME_TYPES)), None)
        )
        found.append((table, time_column))
    return found


def delete_site_data(store: Store, site: str, before: datetime | None = None) -> dict[str, int]:
    """Delete the site's rows (older than `before`, if given); returns the rows deleted per table.

    On a cluster (store/cluster.py) the rows live in the `x_local` tables of every shard: they are
    counted through the Distributed table `x` and deleted ON CLUSTER, on every shard."""
    deleted = {}
    cluster = getattr(store, "cluster", "")
    for local, time_column in site_tables(store):
        table, target = local, local
        if cluster and local.endswith("_local"):
            table, target = local[: -len("_local")], f"{local} ON CLUSTER {cluster}"
        condition = "site = {site:String}"
        params: dict = {"site": site}
        if before is not None:
            if time_column is None:
                continue  # a table without time cannot say what is older: keep it rather than guess
            condition += f" AND {time_column} < {{before:DateTime64(3)}}"
            params["before"] = before.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        count = store.query(f"SELECT count() FROM rumhouse.{table} WHERE {condition}", params).scalar()
        if count:
            # mutations_sync = 2: wait for every replica, not only the one that took the statement.
            sync = 2 if cluster else 1
            store.command(
                f"ALTER TABLE rumhouse.{target} DELETE WHERE {condition} SETTINGS mutations_sync = {sync}",
                params,
            )
        deleted[table] = int(count or 0)
    return deleted
