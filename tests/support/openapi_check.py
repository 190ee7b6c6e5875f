"""Every answer of /api/v1 that the suite gets is checked against the OpenAPI document (its schema for
that operation and status): tests/conftest.py hands each httpx response to `check`, and a test whose
answer does not fit fails at that call. The document is the one the server serves, built from the
operations here."""

from __future__ import annotations

import functools
import re
import tempfile

import jsonschema
import orjson

from rumhouse.api import api_operations
from rumhouse.api.access import Access
from rumhouse.app import create_app, part_operations
from rumhouse.settings import Settings


@functools.cache
def _document() -> dict:
    # The operations of an app that is never started (no store is opened); the last serves the document.
    with tempfile.TemporaryDirectory() as folder:
        runtime = create_app(Settings.from_env({"RUMHOUSE_DATA_DIR": folder})).state.runtime
        return api_operations(runtime, Access(runtime), part_operations(runtime))[-1].handler(None)


@functools.cache
def _routes() -> list[tuple[str, re.Pattern, dict]]:
    out = []
    for path, methods in _document()["paths"].items():
        for method, op in methods.items():
            # A parameter marked x-slashes may hold slashes (an endpoint alert's name holds a route).
            slashes = {p["name"] for p in op.get("parameters", []) if p.get("x-slashes")}
            pattern = re.escape(path)
            for name in re.findall(r"\{(\w+)\}", path):
                pattern = pattern.replace(re.escape("{" + name + "}"), ".+" if name in slashes else "[^/]+")
            out.append((method.upper(), re.compile("^" + pattern + "$"), op, "{" in path))
    # Fixed paths before templated ones (/budgets/status before /budgets/{name}), as the router does.
    return [(m, p, op) for m, p, op, _ in sorted(out, key=lambda r: r[3])]


@functools.cache
def _validator(schema: bytes) -> jsonschema.Draft202012Validator:
    """One validator per answer schema (its $refs resolve in the document's components)."""
    return jsonschema.Draft202012Validator({**orjson.loads(schema), "components": _document()["components"]})


class AnswerMismatch(AssertionError):
    pass


def check(method: str, path: str, status: int, content_type: str, body: bytes) -> None:
    """Raises AnswerMismatch when a /api/v1 answer is not what the document says."""
    if not path.startswith("/api/v1/"):
        return
    op = next((op for m, pattern, op in _routes() if m == method and pattern.match(path)), None)
    if op is None:
        return  # no such operation: the router's own 404 or 405
    documented = op["responses"].get(str(status))
    if documented is None:
        raise AnswerMismatch(f"{method} {path} answered {status}, which the document does not list")
    media = content_type.split(";")[0].strip()
    if media != "application/json":
        if media not in documented.get("content", {}) and body:
            raise AnswerMismatch(f"{method} {path} answered {media}, which the document does not list")
        return
    validator = _validator(orjson.dumps(documented["content"]["application/json"]["schema"]))
    errors = list(validator.iter_errors(orjson.loads(body)))
    if errors:
        first = errors[0]
        where = "/".join(map(str, first.absolute_path))
        raise AnswerMismatch(f"{method} {path} ({status}): at {where or 'the top'}: {first.message[:300]}")
