"""The OpenAPI 3.1 document of /api/v1, made from the same endpoint table that builds the routes, so
the two cannot drift apart. Served at /api/v1/openapi.json (a token is needed, like every /api/ route)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rumhouse.api.access import Access
from rumhouse.api.routes import COMMON_PARAMS, ENDPOINTS, PREFIX, Param

ERRORS = {
    "400": {
        "description": "A parameter is wrong; the body says which",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "401": {"description": "No valid token"},
    "403": {"description": "The token may not read this site (or is not an unscoped admin)"},
}


def parameter(p: Param) -> dict:
    schema: dict = {"type": p.type}
    if p.enum:
        schema["enum"] = list(p.enum)
    return {"name": p.name, "in": "query", "required": False, "description": p.description, "schema": schema}


def table_response() -> dict:
    return {
        "description": "A table: JSON (columns, rows as objects, source, filters) or CSV with a header row",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Table"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }


def document(extra_paths: dict | None = None) -> dict:
    paths: dict = {}
    for e in ENDPOINTS:
        paths[PREFIX + e.path] = {
            "get": {
                "operationId": e.name,
                "summary": e.summary,
                "parameters": [parameter(p) for p in (*COMMON_PARAMS, *e.params)],
                "responses": {"200": table_response(), **ERRORS},
            }
        }
    paths[PREFIX + "/sites"] = {
        "get": {
            "operationId": "sites",
            "summary": "Sites this token may read",
            "responses": {"200": table_response(), "401": ERRORS["401"]},
        }
    }
    paths[PREFIX + "/tokens"] = {
        "get": {
            "operationId": "tokens",
            "summary": "List tokens (unscoped admin)",
            "responses": {"200": table_response(), **ERRORS},
        },
        "post": {
            "operationId": "create_token",
            "summary": "Create a token; the answer shows it once",
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["role"],
                            "properties": {
                                "role": {"enum": ["viewer", "admin"]},
                                "sites": {"type": "array", "items": {"type": "string"}},
                                "name": {"type": "string"},
                            },
                        }
                    }
                }
            },
            "responses": {"201": {"description": "The new token"}, **ERRORS},
        },
    }
    paths[PREFIX + "/tokens/{id}"] = {
        "delete": {
            "operationId": "revoke_token",
            "summary": "Revoke a token",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "204": {"description": "Revoked"},
                "404": {"description": "No such token"},
                **ERRORS,
            },
        }
    }
    paths[PREFIX + "/sql"] = {
        "post": {
            "operationId": "sql",
            "summary": "One SELECT over rumhouse's public tables (unscoped admin); body: the query (docs/security.md)",
            "parameters": [{"name": "format", "in": "query", "schema": {"enum": ["json", "csv", "tsv"]}}],
            "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}},
            "responses": {
                "200": {"description": "The result"},
                "400": {"description": "Refused, a syntax error, or over a limit: one line with the reason"},
                "429": {"description": "Too many queries at once; see Retry-After"},
                **ERRORS,
            },
        }
    }
    paths[PREFIX + "/audit"] = {
        "get": {
            "operationId": "audit",
            "summary": "The audit log of API calls, newest first (unscoped admin)",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                },
                {"name": "token", "in": "query", "description": "A token id", "schema": {"type": "string"}},
                {"name": "site", "in": "query", "schema": {"type": "string"}},
                {"name": "since", "in": "query", "description": "ISO time", "schema": {"type": "string"}},
                {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}},
            ],
            "responses": {
                "200": {
                    "description": "time, token_id, token_name, role, method, route, site, status, rows, "
                    "detail",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Table"}}},
                },
                **ERRORS,
            },
        }
    }
    paths[PREFIX + "/admin/sites/{site}/data"] = {
        "delete": {
            "operationId": "delete_site_data",
            "summary": "Delete a site's data (admin for that site)",
            "parameters": [
                {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "before",
                    "in": "query",
                    "description": "Only rows older than this date",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {"200": {"description": "Rows deleted per table"}, **ERRORS},
        }
    }
    paths.update(extra_paths or {})  # budgets, alerts, suggestions, releases: given by the app
    paths[PREFIX + "/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "responses": {"200": {"description": "OpenAPI 3.1"}, "401": ERRORS["401"]},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rumhouse API",
            "version": "1",
            "description": "Real User Monitoring data. Every percentile comes with its sample count.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "Table": {
                    "type": "object",
                    "required": ["source", "filters", "columns", "rows"],
                    "properties": {
                        "source": {"enum": ["raw", "rollup", "config"]},
                        "filters": {"type": "object"},
                        "columns": {"type": "array", "items": {"type": "string"}},
                        "rows": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def openapi_route(access: Access, extra_paths: dict | None = None) -> Route:
    doc = document(extra_paths)

    async def openapi(request: Request) -> Response:
        who = await access.principal(request)
        if isinstance(who, Response):
            return who
        return JSONResponse(doc)

    return Route(PREFIX + "/openapi.json", openapi, methods=["GET"], name="openapi")
