"""The OpenAPI description of the budget, alert, suggestion and release routes (docs/budgets.md,
docs/alerts.md), merged into /api/v1/openapi.json. These answer JSON documents, not tables."""

from __future__ import annotations

from rumhouse.api.routes import COMMON_PARAMS

P = "/api/v1"
ERRORS = {
    "400": {"description": "A parameter or the body is wrong; the answer says which"},
    "401": {"description": "No valid token"},
    "403": {"description": "The token may not read (or, for changes, administer) this site"},
}
JSON_BODY = {"content": {"application/json": {"schema": {"type": "object"}}}}


def q(name: str, description: str, required: bool = False, enum: tuple = ()) -> dict:
    schema = {"type": "string", **({"enum": list(enum)} if enum else {})}
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def op(op_id: str, summary: str, params: list | None = None, body: bool = False, ok: str = "200") -> dict:
    out = {
        "operationId": op_id,
        "summary": summary,
        "parameters": params or [],
        "responses": {ok: {"description": "JSON document"}, **ERRORS},
    }
    if body:
        out["requestBody"] = JSON_BODY
    return out


SITE = q("site", "Site key", True)
WINDOW = [
    {
        "name": p.name,
        "in": "query",
        "required": p.name == "site",
        "description": p.description,
        "schema": {"type": p.type},
    }
    for p in COMMON_PARAMS
    if p.name not in ("format", "source")
]
NAME, ID = path_param("name"), path_param("id")


def paths() -> dict:
    return {
        P + "/budgets": {
            "get": op("budgets", "Budget definitions (config and API)", [q("site", "Only this site")]),
            "post": op(
                "create_budget",
                "Create a budget (admin of its site); body as a [[budgets]] table",
                body=True,
                ok="201",
            ),
        },
        P + "/budgets/status": {
            "get": op(
                "budget_status",
                "Each budget of a site now: value, samples, limit, state, reason, override",
                [
                    SITE,
                    q("since", "Window ending now, e.g. 24h (default: each budget's window)"),
                    q("release", "Only page views of this release"),
                ],
            )
        },
        P + "/budgets/report": {
            "get": op(
                "budget_report",
                "Compliance history: each budget judged per period, share within budget",
                [*WINDOW, q("period", "hour or day (default)", enum=("hour", "day"))],
            )
        },
        P + "/budgets/{name}": {
            "get": op("budget", "One budget", [NAME]),
            "put": op("update_budget", "Replace a budget made through the API (admin)", [NAME], body=True),
            "delete": op("delete_budget", "Delete a budget made through the API (admin)", [NAME], ok="204"),
        },
        P + "/budgets/{name}/overrides": {
            "get": op("budget_overrides", "Overrides of a budget, active or not", [NAME]),
            "post": op(
                "create_override",
                "Temporary override: justification, expires_in or expires_at, optional limit",
                [NAME],
                body=True,
                ok="201",
            ),
        },
        P + "/budgets/{name}/overrides/{id}": {
            "delete": op("end_override", "End an override now (admin)", [NAME, ID], ok="204")
        },
        P + "/alerts": {"get": op("alerts", "Alert rules with their state", [q("site", "Only this site")])},
        P + "/alerts/events": {
            "get": op(
                "alert_events", "State changes, acknowledgements, resolutions", [q("site", "Only this site")]
            )
        },
        P + "/alerts/deliveries": {
            "get": op(
                "alert_deliveries",
                "Notifications per channel and their delivery",
                [q("site", "Only this site")],
            )
        },
        P + "/alerts/evaluate": {"post": op("evaluate_alerts", "Evaluate every rule now (unscoped admin)")},
        P + "/alerts/{name}/ack": {
            "post": op("ack_alert", "Acknowledge a firing alert (admin of its site)", [NAME], body=True)
        },
        P + "/alerts/{name}/resolve": {
            "post": op("resolve_alert", "Resolve an alert by hand (admin of its site)", [NAME], body=True)
        },
        P + "/suggestions": {
            "get": op("suggestions", "At most 5 optimization suggestions, best first", WINDOW)
        },
        P + "/suggestions/{id}": {
            "put": op(
                "suggestion_status",
                "Set a suggestion's status: open, accepted, done, dismissed (admin)",
                [SITE, ID],
                body=True,
            )
        },
        P + "/releases/compare": {
            "get": op(
                "compare_releases",
                "Release a vs b per metric: p75, samples, bootstrap interval, verdict",
                [
                    *WINDOW,
                    q("b", "Release to judge", True),
                    q("a", "Baseline (default: the release seen before b)"),
                    q("confidence", "Interval confidence (default 0.95)"),
                    q("min_effect", "Smallest change (default 0.05)"),
                ],
            )
        },
    }
