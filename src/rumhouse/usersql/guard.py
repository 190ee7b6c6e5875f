"""Is this SQL one read of rumhouse's public tables? Decided on ClickHouse's own parse of it.

`parse_sql` (store.py) asks the engine for the query's syntax tree as JSON (`parseQueryToJSON`, the SQL
passed as a query parameter, never spliced into a statement). `check` walks that tree with allow-lists
only: node types, the clauses of a query, functions (usersql/functions.py), tables. Anything it does not
know is refused, so a construct a newer ClickHouse adds is refused until someone reviews it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rumhouse.usersql.functions import AGGREGATES, CASE_INSENSITIVE, FUNCTIONS

DATABASE = "rumhouse"
# The tables of the public interface (README, clickhouse/): what users query.
PUBLIC_TABLES = frozenset(
    {
        "page_views",
        "vitals",
        "vital_updates",
        "errors",
        "api_calls",
        "resources",
        "measures",
        "websockets",
        "beacons",
        "vitals_hourly",
        "vitals_daily",
        "page_views_hourly",
        "page_views_daily",
        "api_calls_hourly",
        "api_calls_daily",
        "resources_hourly",
        "resources_daily",
        "errors_hourly",
        "errors_daily",
        "otel_traces",
        "otel_metrics_gauge",
        "otel_metrics_sum",
        "otel_metrics_histogram",
        "otel_server_minutely",
        "otel_server_hourly",
        "otel_db_minutely",
        "otel_db_hourly",
        "otel_dependency_minutely",
        "otel_dependency_hourly",
    }
)
# rumhouse's own bookkeeping, never readable through people's SQL (admins have the API for each). Every
# table of the database is in one of the two sets: tests/security/test_public_tables.py checks it, so a new
# table must be classified before it ships.
INTERNAL_TABLES = frozenset(
    {
        "tokens",
        "audit_log",
        "alert_state",
        "alert_events",
        "alert_deliveries",
        "budgets",
        "budget_overrides",
        "suggestion_status",
        "sourcemaps",
        "schema_migrations",
        # The rollups' materialized views: reading one reads its rollup table, which is public anyway.
        "vitals_hourly_mv",
        "vitals_daily_mv",
        "page_views_hourly_mv",
        "page_views_daily_mv",
        "api_calls_hourly_mv",
        "api_calls_daily_mv",
        "resources_hourly_mv",
        "resources_daily_mv",
        "errors_hourly_mv",
        "errors_daily_mv",
        "otel_server_minutely_mv",
        "otel_server_hourly_mv",
        "otel_db_minutely_mv",
        "otel_db_hourly_mv",
        "otel_dependency_minutely_mv",
        "otel_dependency_hourly_mv",
        "api_calls_dependency_minutely_mv",
    }
)
# System tables that say nothing about the machine, the server or other queries.
SYSTEM_TABLES = frozenset({"one"})

# Syntax nodes a SELECT is made of. Query-level nodes have their clauses checked key by key below.
_EXPRESSION_NODES = frozenset(
    {
        "ExpressionList",
        "Identifier",
        "Function",
        "Literal",
        "Asterisk",
        "QualifiedAsterisk",
        "ColumnsRegexpMatcher",
        "ColumnsListMatcher",
        "QualifiedColumnsRegexpMatcher",
        "QualifiedColumnsListMatcher",
        "ColumnsTransformerList",
        "ColumnsExceptTransformer",
        "ColumnsReplaceTransformer",
        "ColumnsReplaceTransformerReplacement",
        "OrderByElement",
        "WindowDefinition",
        "WindowListElement",
        "SampleRatio",
        "TablesInSelectQuery",
        "TablesInSelectQueryElement",
        "TableJoin",
        "ArrayJoin",
        "Subquery",
        "WithElement",
        "InterpolateElement",
    }
)
# The keys each query-level node may have: every clause of a SELECT but SETTINGS, FORMAT and INTO OUTFILE.
_UNION_KEYS = frozenset(
    {
        "type",
        "union_mode",
        "list_of_modes",
        "list_of_selects",
        "alias",
        "is_outfile_append",
        "is_outfile_truncate",
        "is_into_outfile_with_stdout",
    }
)
_SELECT_KEYS = frozenset(
    {
        "type",
        "distinct",
        "group_by_all",
        "group_by_with_totals",
        "group_by_with_rollup",
        "group_by_with_cube",
        "group_by_with_grouping_sets",
        "limit_with_ties",
        "order_by_all",
        "limit_by_all",
        "recursive_with",
        "with",
        "select",
        "tables",
        "prewhere",
        "where",
        "group_by",
        "having",
        "window",
        "qualify",
        "order_by",
        "limit_by_offset",
        "limit_by_length",
        "limit_by",
        "limit_offset",
        "limit_length",
        "interpolate",
    }
)
_TABLE_EXPRESSION_KEYS = frozenset(
    {
        "type",
        "final",
        "database_and_table_name",
        "subquery",
        "sample_size",
        "sample_offset",
    }
)
# Aggregate function combinators, as ClickHouse strips them off a name (countIf, uniqMergeState, ...).
_COMBINATORS = (
    "SimpleState",
    "MergeState",
    "State",
    "Merge",
    "If",
    "Array",
    "Map",
    "ForEach",
    "Distinct",
    "OrDefault",
    "OrNull",
    "Resample",
    "ArgMin",
    "ArgMax",
)
# Functions whose right-hand argument may name a table: `x IN rumhouse.vitals`.
_IN_FUNCTIONS = frozenset(
    {
        "in",
        "notIn",
        "globalIn",
        "globalNotIn",
        "nullIn",
        "notNullIn",
        "globalNullIn",
        "globalNotNullIn",
        "inIgnoreSet",
        "notInIgnoreSet",
        "globalInIgnoreSet",
        "globalNotInIgnoreSet",
    }
)
# Functions that call an aggregate function named by their first argument, a string.
_BY_NAME = frozenset({"arrayReduce", "arrayReduceInRanges", "initializeAggregation"})
# Syntax written as a function in the tree: `x -> x + 1`, `EXISTS (SELECT ...)`.
_SYNTAX_FUNCTIONS = frozenset({"lambda", "exists"})


class Refused(Exception):
    """The query is not allowed; the message names what, in one line."""

    reason = "refused"


class BadSyntax(Refused):
    """ClickHouse's parser did not accept the query."""

    reason = "syntax_error"


def check(tree: Any) -> None:
    """Raise `Refused` unless `tree` (parseQueryToJSON's answer) is one SELECT over public tables."""
    if not isinstance(tree, dict) or tree.get("type") != "SelectWithUnionQuery":
        kind = tree.get("type", "?") if isinstance(tree, dict) else "?"
        raise Refused(f"only a SELECT query may run here, not {_describe_kind(kind)}")
    _Walker().query(tree, scope=frozenset())


def _describe_kind(kind: str) -> str:
    return kind.removesuffix("Query") + " query" if kind.endswith("Query") else kind


def function_allowed(name: str) -> bool:
    if name in FUNCTIONS or name.lower() in _CASE_INSENSITIVE_LOWER:
        return True
    # Peel combinators off the end: quantilesTDigestMergeState -> quantilesTDigestMerge -> quantilesTDigest.
    base = name
    while True:
        for suffix in _COMBINATORS:
            if base.endswith(suffix) and len(base) > len(suffix):
                base = base[: -len(suffix)]
                if base in AGGREGATES or base.lower() in _AGGREGATES_CI_LOWER:
                    return True
                break
        else:
            return False


_CASE_INSENSITIVE_LOWER = frozenset(name.lower() for name in CASE_INSENSITIVE)
_AGGREGATES_CI_LOWER = frozenset(name.lower() for name in AGGREGATES if name in CASE_INSENSITIVE)


class _Walker:
    """Walks the tree; each method raises `Refused` at the first thing not allowed."""

    # --- query-level nodes, whose clauses are allow-listed ---

    def query(self, node: dict, scope: frozenset[str]) -> None:
        kind = node.get("type")
        if kind == "SelectWithUnionQuery":
            self._only_keys(node, _UNION_KEYS, "a query")
            self._clause_flags(node)
            for select in _children(node.get("list_of_selects")):
                self.query(select, scope)
        elif kind == "SelectIntersectExceptQuery":
            self._only_keys(node, {"type", "final_operator", "children"}, "INTERSECT/EXCEPT")
            for child in node.get("children", ()):
                self.query(child, scope)
        elif kind == "SelectQuery":
            self.select(node, scope)
        elif kind == "Subquery":
            for child in node.get("children", ()):
                self.query(child, scope)
        else:
            raise Refused(f"{_describe_kind(str(kind))} is not allowed inside a SELECT")

    def select(self, node: dict, scope: frozenset[str]) -> None:
        if "settings" in node:
            raise Refused("SETTINGS is not allowed: the server sets the limits")
        self._only_keys(node, _SELECT_KEYS, "SELECT")
        # Names that WITH gives to subqueries can stand where a table does, here and in nested queries
        # (a later WITH element may read an earlier one).
        for element in _children(node.get("with")):
            if isinstance(element, dict) and element.get("type") == "WithElement":
                self.expression(element.get("subquery"), scope)
                scope = scope | {str(element.get("name", ""))}
            else:
                self.expression(element, scope)
        for key in sorted(node.keys() - {"type", "with", "tables"}):
            self.expression(node[key], scope)
        for element in _children(node.get("tables")):
            self.table_element(element, scope)

    def table_element(self, element: Any, scope: frozenset[str]) -> None:
        if not isinstance(element, dict) or element.get("type") != "TablesInSelectQueryElement":
            raise Refused("unexpected FROM clause")
        self._only_keys(element, {"type", "table_expression", "table_join", "array_join"}, "FROM")
        expression = element.get("table_expression")
        if expression is not None:
            self.table_expression(expression, scope)
        for key in ("table_join", "array_join"):
            if key in element:
                self.expression(element[key], scope)

    def table_expression(self, node: dict, scope: frozenset[str]) -> None:
        if "table_function" in node:
            name = (
                node["table_function"].get("name", "?") if isinstance(node["table_function"], dict) else "?"
            )
            raise Refused(f"table functions are not allowed: {name}()")
        self._only_keys(node, _TABLE_EXPRESSION_KEYS, "FROM")
        if "database_and_table_name" in node:
            self.table(node["database_and_table_name"], scope)
        if "subquery" in node:
            self.query(node["subquery"], scope)
        for key in ("sample_size", "sample_offset"):
            if key in node:
                self.expression(node[key], scope)

    def table(self, node: Any, scope: frozenset[str]) -> None:
        if not isinstance(node, dict) or node.get("type") not in ("TableIdentifier", "Identifier"):
            raise Refused("unexpected table name")
        parts = node.get("name_parts") or [node.get("name", "")]
        if len(parts) == 1:
            if parts[0] in scope:
                return
            raise Refused(f"name the database of table {parts[0]!r}: {DATABASE}.{parts[0]}")
        if len(parts) != 2:
            raise Refused(f"unexpected table name {'.'.join(map(str, parts))!r}")
        database, table = parts
        if database == DATABASE and table in PUBLIC_TABLES:
            return
        if database == "system" and table in SYSTEM_TABLES:
            return
        raise Refused(f"table {database}.{table} is not readable here (see docs/security.md for the tables)")

    # --- expressions ---

    def expression(self, node: Any, scope: frozenset[str]) -> None:
        if isinstance(node, list):
            for item in node:
                self.expression(item, scope)
            return
        if not isinstance(node, dict):
            return  # a scalar: a name, a flag, a literal's value
        kind = node.get("type")
        if kind in ("SelectWithUnionQuery", "SelectQuery", "Subquery", "SelectIntersectExceptQuery"):
            self.query(node, scope)
            return
        if kind == "Literal":
            return  # values only (a Literal's value may look like a node; it is data)
        if kind == "QueryParameter":
            raise Refused("query parameters ({name:Type}) are not supported here")
        if kind == "SetQuery":
            raise Refused("SETTINGS is not allowed: the server sets the limits")
        if kind is None and "field_type" in node:
            return  # a literal value inside a node (SampleRatio, WithElement names)
        if kind not in _EXPRESSION_NODES:
            raise Refused(f"{kind} is not allowed in a query here")
        if kind == "Function":
            self.function(node, scope)
            return
        for key, value in node.items():
            if key != "type":
                self.expression(value, scope)

    def function(self, node: dict, scope: frozenset[str]) -> None:
        name = str(node.get("name", ""))
        if not (name in _SYNTAX_FUNCTIONS or name in _IN_FUNCTIONS or function_allowed(name)):
            raise Refused(f"function {name}() is not allowed (docs/security.md lists what is)")
        arguments = _children(node.get("arguments"))
        if (
            name in _IN_FUNCTIONS
            and len(arguments) == 2
            and isinstance(arguments[1], dict)
            and arguments[1].get("type") == "Identifier"
        ):
            # `x IN name` reads the table `name`; a column cannot stand there.
            self.table(arguments[1], scope)
            arguments = arguments[:1]
        if name in _BY_NAME and arguments:
            called = arguments[0].get("value", {}).get("value") if isinstance(arguments[0], dict) else None
            if not isinstance(called, str) or not function_allowed(called):
                raise Refused(f"{name}() may call only allowed aggregate functions, named by a string")
        for argument in arguments:
            self.expression(argument, scope)
        for key, value in node.items():
            if key not in ("type", "name", "arguments"):
                self.expression(value, scope)

    # --- helpers ---

    @staticmethod
    def _only_keys(node: dict, allowed: Iterable[str], where: str) -> None:
        extra = sorted(set(node) - set(allowed))
        if extra:
            clause = {
                "out_file": "INTO OUTFILE",
                "format_ast": "FORMAT",
                "settings_ast": "SETTINGS",
                "compression": "COMPRESSION",
            }.get(extra[0], extra[0])
            raise Refused(f"{clause} is not allowed in {where} here")

    @staticmethod
    def _clause_flags(node: dict) -> None:
        if (
            node.get("is_outfile_append")
            or node.get("is_outfile_truncate")
            or node.get("is_into_outfile_with_stdout")
        ):
            raise Refused("INTO OUTFILE is not allowed here")


def _children(node: Any) -> list:
    """The items of an ExpressionList (or of a plain list)."""
    if node is None:
        return []
    if isinstance(node, list):
        return node
    if isinstance(node, dict):
        return list(node.get("children", ()))
    return []
