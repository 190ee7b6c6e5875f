"""Every operation of budgets, alerts, suggestions and release comparison, for create_app's one line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rumhouse.alerts.routes import AlertsRuntime


def alerting_operations(runtime: AlertsRuntime) -> list:
    from rumhouse.alerts.routes import alert_operations
    from rumhouse.budgets.routes import budget_operations
    from rumhouse.budgets.suggestion_routes import suggestion_operations

    return [*budget_operations(runtime), *alert_operations(runtime), *suggestion_operations(runtime)]
