"""The schema on a ClickHouse cluster: the same migration files, rewritten statement by statement.

With `RUMHOUSE_CLUSTER=name`, every table a migration creates with a MergeTree-family engine becomes two
tables, created ON CLUSTER on every node:

- `rumhouse.x_local`: `Replicated<Engine>MergeTree('/clickhouse/tables/{shard}/rumhouse/x_local', '{replica}')`,
  the data of one shard, replicated between that shard's replicas (the `{shard}` and `{replica}` macros
  come from each server's configuration);
- `rumhouse.x`: `Distributed(name, rumhouse, x_local, key)` with the same columns, the name users and
  rumhouse query and insert into, so `SELECT ... FROM rumhouse.vitals` keeps working.

The sharding key keeps together what must meet: for event tables (a `page_view_id` column, plain
MergeTree) the page view, so one page view's rows share a shard; for spans (`TraceId`) the trace; for
metric points (`MetricName`) the service and metric; for Replacing/Aggregating/Summing/...
tables the sorting key, so the rows a merge folds together share a shard; else `rand()`. A retried
batch splits the same way each time, so each shard can drop what it already has by the batch's
deduplication token (see docs/cluster.md for how far ClickHouse guarantees that).

Other statements: materialized views are created ON CLUSTER and attached to the local tables (`FROM
rumhouse.vitals` reads `rumhouse.vitals_local`, `TO rumhouse.x` writes `rumhouse.x_local`), so each node
aggregates what it stores; plain views and databases get ON CLUSTER; ALTERs go to the local tables (and to
the Distributed table too when they change columns); DROP, TRUNCATE and OPTIMIZE go to the local tables;
INSERT and SELECT run unchanged, through the Distributed tables. Anything else fails with a message
rather than leaving the nodes different. Layout and requirements: docs/cluster.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NAME = r"`?([A-Za-z_][A-Za-z0-9_]*)`?\.`?([A-Za-z_][A-Za-z0-9_]*)`?"
_IF_NOT_EXISTS = r"(?:IF\s+NOT\s+EXISTS\s+)?"
_CREATE_TABLE = re.compile(
    rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+{_IF_NOT_EXISTS}{_NAME}", re.IGNORECASE
)
_CREATE_MV = re.compile(rf"^\s*CREATE\s+MATERIALIZED\s+VIEW\s+{_IF_NOT_EXISTS}{_NAME}", re.IGNORECASE)
_CREATE_VIEW = re.compile(rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+{_IF_NOT_EXISTS}{_NAME}", re.IGNORECASE)
_CREATE_OTHER = re.compile(
    rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:DICTIONARY|FUNCTION)\s+{_IF_NOT_EXISTS}(`?[A-Za-z_][\w.`]*)",
    re.IGNORECASE,
)
_CREATE_DATABASE = re.compile(
    r"^\s*CREATE\s+DATABASE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?([A-Za-z_][A-Za-z0-9_]*)`?", re.IGNORECASE
)
_ALTER = re.compile(rf"^\s*ALTER\s+TABLE\s+{_NAME}", re.IGNORECASE)
_DROP = re.compile(rf"^\s*DROP\s+(TABLE|VIEW|DICTIONARY)\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.IGNORECASE)
_EXCHANGE = re.compile(rf"^\s*EXCHANGE\s+TABLES\s+{_NAME}\s+AND\s+{_NAME}", re.IGNORECASE)
_TRUNCATE_OPTIMIZE = re.compile(
    rf"^\s*(?:TRUNCATE|OPTIMIZE)\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.IGNORECASE
)
_UNCHANGED = re.compile(r"^\s*(?:INSERT|SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b", re.IGNORECASE)
_ON_CLUSTER = re.compile(r"\bON\s+CLUSTER\b", re.IGNORECASE)
_ENGINE = re.compile(r"\bENGINE\s*=\s*(\w+)", re.IGNORECASE)
_MERGE_TREE = re.compile(r"^(\w*)MergeTree$")
# ALTERs that a Distributed table takes too: they change the columns it shows.
_COLUMN_ALTER = re.compile(r"^\s*(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b", re.IGNORECASE)


class ClusterError(ValueError):
    """A migration statement that cannot be run on a cluster as written."""


def _unquoted(text: str, start: int = 0):
    """(index, character) of each character from `start` that is outside quoted strings and quoted
    identifiers (a backslash escapes the next character inside them)."""
    i, quote = start, ""
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'`\"":
            quote = c
        else:
            yield i, c
        i += 1


def _matching_paren(text: str, start: int) -> int:
    """Index of the ')' closing the '(' at `start`, skipping quoted strings and identifiers."""
    depth = 0
    for i, c in _unquoted(text, start):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ClusterError("unbalanced parentheses")


def _top_level(text: str) -> str:
    """`text` with quoted strings and parenthesized parts blanked out (same length), for finding
    clauses at the top level of a statement."""
    out, depth = [" "] * len(text), 0
    for i, c in _unquoted(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif not depth:
            out[i] = c
    return "".join(out)


def _matched(found: re.Match[str] | None, what: str) -> re.Match[str]:
    """A match the rewriting relies on (it made the text itself); its absence is a bug, said as such."""
    if found is None:
        raise ClusterError(f"cannot rewrite for the cluster: {what} did not parse")
    return found


def _split_top_level_commas(text: str) -> list[str]:
    parts, last, depth = [], 0, 0
    for i, c in _unquoted(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[last:i].strip())
            last = i + 1
    if text[last:].strip():
        parts.append(text[last:].strip())
    return parts


class ClusterLayout:
    """Rewrites migration statements for cluster `cluster`. Feed it every statement of every
    migration in order (applied or not), so it knows which tables are sharded."""

    def __init__(self, cluster: str) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", cluster):
            raise ClusterError(f"bad cluster name {cluster!r}")
        self.cluster = cluster
        self.sharded: set[tuple[str, str]] = set()  # (database, table) with a _local table

    def local(self, database: str, table: str) -> str:
        return f"{database}.{table}_local"

    def rewrite(self, statement: str) -> list[str]:
        if _ON_CLUSTER.search(_top_level(statement)):
            raise ClusterError("a migration statement names ON CLUSTER itself; the runner adds it")
        for pattern, method in (
            (_CREATE_DATABASE, self._database),
            (_CREATE_MV, self._materialized_view),
            (_CREATE_VIEW, self._plain),
            (_CREATE_TABLE, self._table),
            (_CREATE_OTHER, self._plain),
            (_ALTER, self._alter),
            (_DROP, self._drop),
            (_EXCHANGE, self._exchange),
            (_TRUNCATE_OPTIMIZE, self._local_only),
        ):
            match = pattern.match(statement)
            if match:
                return method(statement, match)
        if _UNCHANGED.match(statement):
            return [statement]
        raise ClusterError(f"do not know how to run this statement on a cluster: {statement.strip()[:80]!r}")

    # --- statement kinds ---

    def _on_cluster(self, statement: str, match: re.Match) -> str:
        end = match.end()
        return f"{statement[:end]} ON CLUSTER {self.cluster}{statement[end:]}"

    def _database(self, statement: str, match: re.Match) -> list[str]:
        return [self._on_cluster(statement, match)]

    def _plain(self, statement: str, match: re.Match) -> list[str]:
        return [self._on_cluster(statement, match)]

    def _table(self, statement: str, match: re.Match) -> list[str]:
        database, table = match.group(1), match.group(2)
        rest = statement[match.end() :]
        engine = _ENGINE.search(_top_level(rest))
        family = _MERGE_TREE.match(engine.group(1)) if engine else None
        if not family or family.group(1).startswith("Replicated"):
            return [self._on_cluster(statement, match)]
        if not rest.lstrip().startswith("("):
            raise ClusterError(f"{database}.{table}: on a cluster, a MergeTree table needs its column list")
        columns_start = rest.index("(")
        columns_end = _matching_paren(rest, columns_start)
        columns = rest[columns_start : columns_end + 1]
        tail = rest[columns_end + 1 :]

        # The engine, replicated: its own arguments follow the replication path and replica name.
        flat = _top_level(tail)
        engine = _matched(_ENGINE.search(flat), f"no ENGINE clause in the statement of {database}.{table}")
        after_name = engine.end()
        args = ""
        if tail[after_name:].lstrip().startswith("("):
            open_at = after_name + tail[after_name:].index("(")
            close_at = _matching_paren(tail, open_at)
            args, after_name = tail[open_at + 1 : close_at].strip(), close_at + 1
        path = f"'/clickhouse/tables/{{shard}}/{database}/{table}_local'"
        replicated = (
            f"Replicated{family.group(1)}MergeTree({path}, '{{replica}}'{', ' + args if args else ''})"
        )
        local_tail = f"{tail[: engine.start()]}ENGINE = {replicated}{tail[after_name:]}"
        # The window the file asks for, under the setting that Replicated tables read.
        local_tail = re.sub(
            r"\bnon_replicated_deduplication_window\b", "replicated_deduplication_window", local_tail
        )

        head = statement[: match.start(1)]
        local = f"{head}{self.local(database, table)} ON CLUSTER {self.cluster}\n{columns}{local_tail}"
        key = self._sharding_key(columns, tail, family.group(1))
        distributed = (
            f"{head}{database}.{table} ON CLUSTER {self.cluster} AS {self.local(database, table)}\n"
            f"ENGINE = Distributed({self.cluster}, {database}, {table}_local, {key})"
        )
        table_comment = self._table_comment(tail)
        if table_comment is not None:
            distributed += f"\nCOMMENT {table_comment}"
        self.sharded.add((database, table))
        return [local, distributed]

    @staticmethod
    def _table_comment(tail: str) -> str | None:
        """The table's COMMENT '...' literal (at the top level, after the engine clause), if any."""
        flat = _top_level(tail)
        found = next(reversed(list(re.finditer(r"\bCOMMENT\b", flat, re.IGNORECASE))), None)  # the last one
        if found is None:
            return None
        literal = re.match(r"\s*('(?:[^'\\]|\\.)*')", tail[found.end() :], re.DOTALL)
        return literal.group(1) if literal else None

    @staticmethod
    def _sharding_key(columns: str, tail: str, family: str) -> str:
        names = {
            part.split()[0].strip("`") for part in _split_top_level_commas(columns[1:-1]) if part.split()
        }
        if family == "" and "page_view_id" in names:
            return "cityHash64(page_view_id)"
        # OpenTelemetry: a trace's spans on one shard (a trace is read whole); a metric's points together.
        if family == "" and "TraceId" in names:
            return "cityHash64(TraceId)"
        if family == "" and "MetricName" in names:
            return "cityHash64(ServiceName, MetricName)"
        flat = _top_level(tail)
        order = re.search(r"\bORDER\s+BY\b", flat, re.IGNORECASE)
        if order:
            rest = tail[order.end() :]
            stop = re.search(
                r"\b(PRIMARY\s+KEY|SAMPLE\s+BY|TTL|SETTINGS|COMMENT|PARTITION\s+BY)\b",
                _top_level(rest),
                re.IGNORECASE,
            )
            expression = (rest[: stop.start()] if stop else rest).strip()
            if expression.startswith("(") and _matching_paren(expression, 0) == len(expression) - 1:
                expression = expression[1:-1].strip()
            if expression and expression.lower() not in ("tuple()", ""):
                return f"cityHash64({expression})"
        return "rand()"

    def _materialized_view(self, statement: str, match: re.Match) -> list[str]:
        flat = _top_level(statement)
        as_select = re.search(r"\bAS\s+(SELECT|WITH)\b", flat, re.IGNORECASE)
        if not as_select:
            raise ClusterError("a materialized view without AS SELECT")
        header, select = statement[: as_select.start()], statement[as_select.start() :]
        to = re.search(rf"\bTO\s+{_NAME}", flat[: as_select.start()], re.IGNORECASE)
        if not to:
            raise ClusterError(
                f"materialized view {match.group(1)}.{match.group(2)}: on a cluster, write it TO a table "
                "created by a migration (the runner makes that table replicated and distributed)"
            )
        if (to.group(1), to.group(2)) in self.sharded:
            header = f"{header[: to.start()]}TO {self.local(to.group(1), to.group(2))}{header[to.end() :]}"
        # Table names outside string literals: the view reads the local tables of its node.
        pieces = re.split(r"('(?:[^'\\]|\\.)*')", select)
        for database, table in self.sharded:
            name = re.compile(rf"(?<![\w.`]){database}\.{table}(?![\w`])")
            pieces = [p if i % 2 else name.sub(self.local(database, table), p) for i, p in enumerate(pieces)]
        rewritten = header + "".join(pieces)
        return [self._on_cluster(rewritten, _matched(_CREATE_MV.match(rewritten), "a rewritten view"))]

    def _alter(self, statement: str, match: re.Match) -> list[str]:
        database, table = match.group(1), match.group(2)
        if (database, table) not in self.sharded:
            return [self._on_cluster(statement, match)]
        rest = statement[match.end() :]
        local = f"{statement[: match.start(1)]}{self.local(database, table)} ON CLUSTER {self.cluster}{rest}"
        ops = _split_top_level_commas(rest)
        if ops and all(_COLUMN_ALTER.match(op) for op in ops):
            return [local, self._on_cluster(statement, match)]
        return [local]

    def _drop(self, statement: str, match: re.Match) -> list[str]:
        database, table = match.group(2), match.group(3)
        dropped = [self._on_cluster(statement, match)]
        if (database, table) in self.sharded:
            local = f"{statement[: match.start(2)]}{self.local(database, table)}{statement[match.end() :]}"
            dropped.append(self._on_cluster(local, _matched(_DROP.match(local), "a rewritten DROP")))
            self.sharded.discard((database, table))
        return dropped

    def _exchange(self, statement: str, match: re.Match) -> list[str]:
        # Swapping two sharded tables swaps their local tables; each Distributed table names its own
        # local table, so it then shows the other's rows, which is what the swap means.
        a, b = (match.group(1), match.group(2)), (match.group(3), match.group(4))
        if (a in self.sharded) != (b in self.sharded):
            raise ClusterError(f"cannot exchange {a[0]}.{a[1]} and {b[0]}.{b[1]}: only one is distributed")
        if a in self.sharded:
            statement = f"EXCHANGE TABLES {self.local(*a)} AND {self.local(*b)}{statement[match.end() :]}"
            match = _matched(_EXCHANGE.match(statement), "a rewritten EXCHANGE")
        return [f"{statement[: match.end()]} ON CLUSTER {self.cluster}{statement[match.end() :]}"]

    def _local_only(self, statement: str, match: re.Match) -> list[str]:
        database, table = match.group(1), match.group(2)
        if (database, table) in self.sharded:
            statement = (
                f"{statement[: match.start(1)]}{self.local(database, table)}{statement[match.end() :]}"
            )
            match = _matched(_TRUNCATE_OPTIMIZE.match(statement), "a rewritten TRUNCATE or OPTIMIZE")
        return [self._on_cluster(statement, match)]


def rewrite_all(cluster: str, statements: Iterable[str]) -> list[str]:
    """Every statement, rewritten for the cluster, in order (for tests and `docs/cluster.md`)."""
    layout = ClusterLayout(cluster)
    return [out for statement in statements for out in layout.rewrite(statement)]
