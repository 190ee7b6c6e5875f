"""The OpenAPI 3.1 document of /api/v1, made from the operations themselves: their paths, summaries and
the msgspec types of their query, body and answer (msgspec writes the JSON Schema of each), so the
document describes what the code decodes and answers. Served at /api/v1/openapi.json (a token is
needed, like every /api/ route)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import msgspec.inspect

from rumhouse.api.operation import Operation, Problem

REF = "#/components/schemas/{name}"
STATUS_TEXT = {
    400: "A parameter or the body is wrong; the answer says which",
    401: "No valid token",
    403: "The token may not read (or, for changes, administer) this site",
    404: "No such item (or one of a site the token may not read)",
    409: "A conflict with what exists",
    413: "The body is too large",
    429: "Too many at once; see Retry-After",
    501: "Not available on this ClickHouse version",
    503: "The store did not answer",
}


class OpenApiDocument(msgspec.Struct):
    """This document (its schema is OpenAPI's own)."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


def _parameters(kind: type, path: str) -> list[dict]:
    found = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        | (
            {"x-slashes": True} if slashes else {}
        )  # may hold slashes (an endpoint alert's name holds a route)
        for name, slashes in re.findall(r"\{(\w+)(:path)?\}", path)
    ]
    info = msgspec.inspect.type_info(kind)
    (schema,), components = msgspec.json.schema_components([kind], ref_template=REF)
    properties = components[schema["$ref"].rsplit("/", 1)[1]].get("properties", {})
    for f in getattr(info, "fields", ()):
        found.append(
            {
                "name": f.encode_name,
                "in": "query",
                "required": f.required,
                "schema": properties.get(f.encode_name, {}),
            }
        )
    return found


def document(operations: list[Operation]) -> dict:
    kinds: list[type] = [Problem]
    for op in operations:
        kinds += [k for k in (op.body, op.answer) if k is not None and k is not str]
    refs, components = msgspec.json.schema_components(kinds, ref_template=REF)
    schema_of = dict(zip(map(id, kinds), refs, strict=True))
    problem = {"application/json": {"schema": schema_of[id(Problem)]}}
    paths: dict[str, dict] = {}
    for op in operations:
        responses: dict[str, Any] = {}
        if op.answer is None:
            responses[str(op.status)] = {"description": "Done; no body"}
        else:
            content: dict[str, Any] = {"application/json": {"schema": schema_of[id(op.answer)]}}
            for media in op.exports:
                content[media] = {"schema": {"type": "string"}}
            responses[str(op.status)] = {"description": op.summary, "content": content}
        for status in sorted({401, 403, *op.errors, *((413,) if op.body is not None else ())}):
            responses[str(status)] = {"description": STATUS_TEXT[status], "content": problem}
        entry: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "parameters": _parameters(op.query, op.path),
            "responses": responses,
        }
        if op.body is str:
            entry["requestBody"] = {"content": {"text/plain": {"schema": {"type": "string"}}}}
        elif op.body is not None:
            entry["requestBody"] = {"content": {"application/json": {"schema": schema_of[id(op.body)]}}}
        # `{name:path}` (a parameter that may hold slashes, for Starlette) is `{name}` in OpenAPI.
        paths.setdefault("/api/v1" + op.path.replace(":path}", "}"), {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rumhouse API",
            "version": "1",
            "description": "Real User Monitoring data. Every percentile comes with its sample count.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": components,
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def openapi_operation(operations: list[Operation]) -> Operation:
    """The document of `operations` and of itself, made once."""
    doc: dict = {}
    this = Operation(
        "GET", "/openapi.json", "openapi", "This document", lambda call: doc, answer=OpenApiDocument
    )
    doc.update(document([*operations, this]))
    return this
