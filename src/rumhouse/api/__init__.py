"""The reading side: the JSON API under /api/v1 and the dashboard at `/`.

access.py      bearer tokens -> principal; 401 / 403
filters.py     site, time window, dimensions -> WHERE clauses with query parameters
common.py      percentile SQL (raw: exact; rollup: t-digest), parameter helpers
vitals.py      summary, time series, split, pages by impact, comparisons
navigation.py  the navigation breakdown
events.py      errors, API calls, resources
table.py       the table every route answers, as JSON or CSV
routes.py      the endpoint table and the wrapper every route goes through
openapi.py     /api/v1/openapi.json, from the endpoint table
tokens.py      token management routes
dashboard.py   `/` and its static files
sql.py         read-only SQL for admins
"""

from __future__ import annotations


def api_routes(runtime, access, openapi_paths: dict | None = None) -> list:
    """Every route of the reading side, for create_app. `access` is the app's one Access (one token cache
    for every route); `openapi_paths` describe the routes that parts built on the API add (budgets,
    alerts), which the API itself does not import."""
    from rumhouse.api.dashboard import dashboard_routes
    from rumhouse.api.openapi import openapi_route
    from rumhouse.api.routes import data_routes
    from rumhouse.api.tokens import token_routes

    return [
        *data_routes(runtime, access),
        openapi_route(access, openapi_paths),
        *token_routes(access),
        *dashboard_routes(),
    ]
