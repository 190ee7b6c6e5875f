"""Run one person's query: parse (ClickHouse), check (guard.py), then run what was checked, under limits.

The query that runs is the checked tree formatted back by ClickHouse (`formatQueryFromJSON`), and only
when that text is the query's own canonical form: so what runs is exactly what was checked, even if the
tree's JSON ever left a clause out.
"""

from __future__ import annotations

import orjson

from rumhouse.settings import SqlLimits
from rumhouse.store.base import QueryResult, Store, StoreError
from rumhouse.usersql.guard import BadSyntax, Refused, check

MAX_SQL_BYTES = 100_000

_PARSE = (
    "SELECT parseQueryToJSON({q:String}) AS tree, formatQuerySingleLine({q:String}) AS text, "
    "formatQueryFromJSON(tree) = text AS whole"
)


class QueryFailed(Exception):
    """The engine refused or could not finish the query; the message is its first line."""


class EngineTooOld(Exception):
    """The ClickHouse server cannot parse for the check (parseQueryToJSON came with ClickHouse 26.8)."""


def prepare(store: Store, sql: str, limits: SqlLimits) -> str:
    """The canonical text to run; `Refused` when it may not run, with the reason."""
    if len(sql.encode("utf-8", "surrogatepass")) > MAX_SQL_BYTES:
        raise Refused(f"the query is over {MAX_SQL_BYTES} bytes")
    if not sql.strip():
        raise Refused("send a query")
    try:
        parsed = store.query(_PARSE, {"q": sql}, limits=limits.clickhouse_settings())
    except StoreError as exc:
        message = _without_scope(str(exc))
        if "Code: 62." in message or "Syntax error" in message:  # ClickHouse's SYNTAX_ERROR
            raise BadSyntax(message) from None
        if "Code: 46." in message and "parseQueryToJSON" in message:  # UNKNOWN_FUNCTION: before 26.8
            raise EngineTooOld(
                "people's SQL needs ClickHouse 26.8 or newer, whose parser it checks "
                "queries with (parseQueryToJSON)"
            ) from None
        # Statements the tree cannot be written for (INSERT with data, DESCRIBE, ...) are no SELECT.
        raise Refused("only a SELECT query may run here") from None
    if not parsed.rows:
        raise Refused("the query could not be parsed")
    tree_json, text, whole = parsed.rows[0]
    try:
        tree = orjson.loads(tree_json)
    except orjson.JSONDecodeError:
        raise Refused("the query could not be parsed") from None
    check(tree)
    if not whole:
        raise Refused("the query uses syntax that cannot be checked here")
    return text


def run(store: Store, text: str, limits: SqlLimits) -> QueryResult:
    """Run a prepared query under the limits."""
    try:
        return store.query(text, limits=limits.clickhouse_settings())
    except StoreError as exc:
        raise QueryFailed(str(exc)) from None
    except orjson.JSONDecodeError:  # an answer the engine wrote but JSON cannot carry: still the query's
        raise QueryFailed("the answer cannot be written as JSON; cast the odd column to String") from None


def _without_scope(message: str) -> str:
    """ClickHouse names the parse call's own scope in its message; the user's query is what matters."""
    cut = message.find(": In scope SELECT parseQueryToJSON")
    return message[:cut] if cut != -1 else message
