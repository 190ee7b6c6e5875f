"""The reading side: the JSON API under /api/v1 and the dashboard at `/`.

operation.py   the one shape of every /api/v1 route: types in and out, one error form
access.py      bearer tokens -> principal; 401 / 403
filters.py     HTTP parameters (site, time window, dimensions) -> query/filters.py's Filters
query_types.py, answer_types.py   the reading routes' parameters and rows, as types
common.py      percentile SQL (raw: exact; rollup: t-digest), parameter helpers
vitals.py      summary, time series, split, pages by impact, comparisons
navigation.py  the navigation breakdown
events.py      errors, API calls, resources
table.py       the table every reading route answers, as JSON or CSV
routes.py      the endpoint table of the reading routes
openapi.py     /api/v1/openapi.json, from the operations and their types
tokens.py      token management
admin.py, audit.py, sql.py   a site's data deleted, the audit log, read-only SQL for admins
dashboard.py   `/` and its static files
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rumhouse.api.access import Access
    from rumhouse.api.runtime import ApiRuntime


def api_operations(runtime: ApiRuntime, access: Access, more_operations: list | None = None) -> list:
    """Every /api/v1 operation, the OpenAPI document's last. `more_operations` are those of the parts
    built on the API (budgets, alerts), which the API itself does not import: they are mounted the same
    way and described in the same document."""
    from rumhouse.api.admin import delete_operation
    from rumhouse.api.audit import audit_operation
    from rumhouse.api.openapi import openapi_operation
    from rumhouse.api.routes import read_operations
    from rumhouse.api.sql import sql_operation
    from rumhouse.api.tokens import token_operations

    operations = [
        *read_operations(runtime),
        *token_operations(access),
        sql_operation(runtime),
        audit_operation(runtime),
        delete_operation(runtime),
        *(more_operations or []),
    ]
    return [*operations, openapi_operation(operations)]


def api_routes(runtime: ApiRuntime, access: Access, more_operations: list | None = None) -> list:
    """Every route of the reading side, for create_app. `access` is the app's one Access (one token cache
    for every route)."""
    from rumhouse.api.dashboard import dashboard_routes
    from rumhouse.api.operation import mount_all

    return [*mount_all(api_operations(runtime, access, more_operations), access), *dashboard_routes()]
