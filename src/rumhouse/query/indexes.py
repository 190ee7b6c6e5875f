"""Index candidates from slow statements: the columns a statement filters, joins or sorts on (WHERE, JOIN
... ON, ORDER BY), by table, with the time the slow calls cost. A lead to check with the database's own
plan (EXPLAIN), not a verdict: rumhouse sees statements, not the schema or the indexes already there."""

from __future__ import annotations

import re
from functools import lru_cache

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?"
_TABLES = re.compile(
    rf"\b(?:FROM|JOIN|UPDATE|INTO)\s+({_IDENT})(?:\s+(?:AS\s+)?(?!WHERE|JOIN|ON|SET|VALUES|GROUP|ORDER|LIMIT|LEFT|RIGHT|INNER|OUTER|CROSS|FULL)([A-Za-z_][A-Za-z0-9_]*))?",
    re.IGNORECASE,
)
_CLAUSE_END = r"(?=\bGROUP\s+BY\b|\bORDER\s+BY\b|\bLIMIT\b|\bHAVING\b|\bUNION\b|\bRETURNING\b|\)|$)"
_WHERE = re.compile(rf"\bWHERE\b(.*?){_CLAUSE_END}", re.IGNORECASE | re.DOTALL)
_ON = re.compile(
    r"\bON\b(.*?)(?=\bJOIN\b|\bLEFT\b|\bRIGHT\b|\bINNER\b|\bWHERE\b|\bGROUP\b|\bORDER\b|\bLIMIT\b|$)",
    re.IGNORECASE | re.DOTALL,
)
_ORDER = re.compile(r"\bORDER\s+BY\b(.*?)(?=\bLIMIT\b|\bOFFSET\b|\)|$)", re.IGNORECASE | re.DOTALL)
_COMPARED = re.compile(
    rf"({_IDENT})\s*(?:=|<>|!=|<=|>=|<|>|\bLIKE\b|\bIN\b|\bIS\b|\bBETWEEN\b)", re.IGNORECASE
)
_JOINED = re.compile(rf"=\s*({_IDENT})")  # the other side of a join condition
_SORTED = re.compile(rf"({_IDENT})(?:\s+(?:ASC|DESC))?\s*(?:,|$)", re.IGNORECASE)
_KEYWORDS = frozenset({"and", "or", "not", "null", "true", "false", "exists", "select", "case", "when"})


@lru_cache(maxsize=10_000)
def candidates(statement: str) -> tuple[tuple[str, str], ...]:
    """(table, column) pairs the statement filters, joins or sorts on; a column qualified by an alias is
    given its table, an unqualified one the statement's first table."""
    tables = _TABLES.findall(statement)
    if not tables:
        return ()
    aliases = {alias.lower(): name for name, alias in tables if alias} | {
        name.lower(): name for name, _ in tables
    }
    first = tables[0][0]
    columns: list[str] = []
    for clause in _WHERE.findall(statement):
        columns += _COMPARED.findall(clause)
    for clause in _ON.findall(statement):
        columns += _COMPARED.findall(clause) + _JOINED.findall(clause)
    for clause in _ORDER.findall(statement):
        columns += _SORTED.findall(clause.strip())
    out: list[tuple[str, str]] = []
    for column in columns:
        if column.lower() in _KEYWORDS or column == "?":
            continue
        if "." in column:
            qualifier, name = column.split(".", 1)
            table = aliases.get(qualifier.lower(), qualifier)
        else:
            table, name = first, column
        if (table, name) not in out:
            out.append((table, name))
    return tuple(out)
