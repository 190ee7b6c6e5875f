"""Every route of budgets, alerts, suggestions and release comparison, for create_app's one line."""

from __future__ import annotations


def alerting_routes(runtime, access) -> list:
    """`access`: the app's one Access (one token cache for every route)."""
    from rumhouse.alerts.routes import alert_routes
    from rumhouse.budgets.routes import budget_routes
    from rumhouse.budgets.suggestion_routes import suggestion_routes

    return [
        *budget_routes(runtime, access),
        *alert_routes(runtime, access),
        *suggestion_routes(runtime, access),
    ]
