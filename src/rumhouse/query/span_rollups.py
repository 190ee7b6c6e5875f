"""Backend questions over any window, exact and fast: whole hours from the hourly rollup, whole minutes
from the minutely one, and the unfinished minutes at the edges from the spans themselves
(clickhouse/0015_otel_rollups.sql). All parts give rows of one shape, so one query adds them up.

A part's rows: the source's keys (service, method, route for server spans; service, system, namespace,
query for database spans), `t` (start of the minute or hour), `n` (spans), `errors`, `dsum` (ms),
`durations` (whole ms, ceil -> count) and `slowest` (an argMax state of trace id by duration).
Percentiles come from the merged histogram: `quantilesExactWeightedInterpolated`, numpy's definition over
the durations counted in whole milliseconds (at most 1 ms over the exact value).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rumhouse.query.filters import Filters, ch_time

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class SpanSource:
    name: str
    keys: dict[str, str]  # key -> its expression on otel_traces (the rollups have a column of that name)
    raw_filter: str  # which spans
    errors: str  # errors among them, on otel_traces
    count: str  # the count column of the rollups

    def table(self, grain: str) -> str:
        return f"rumhouse.otel_{self.name}_{grain}"


SERVER = SpanSource(
    "server",
    {"service": "ServiceName", "method": "http_method", "route": "http_route"},
    "SpanKind = 'Server'",
    "toUInt64(sum(is_error))",
    "requests",
)
DATABASE = SpanSource(
    "db",
    {"service": "ServiceName", "system": "db_system", "namespace": "db_namespace", "query": "db_query"},
    "db_system != ''",
    "toUInt64(countIf(StatusCode = 'Error'))",
    "calls",
)
# What a service calls (clickhouse/0019_dependencies.sql: peer_name, peer_kind); query/dependencies.py adds
# the page's calls to other hosts in the same shape.
DEPENDENCY = SpanSource(
    "dependency",
    {"service": "ServiceName", "dependency": "peer_name", "kind": "peer_kind"},
    "peer_name != ''",
    "toUInt64(sum(is_error))",
    "calls",
)
HISTOGRAM = "sumMap(map(toUInt32(ceil(duration_ms)), toUInt64(1)))"


def _floor(t: datetime, step: timedelta) -> datetime:
    return t - (t - datetime.min.replace(tzinfo=t.tzinfo)) % step


def _ceil(t: datetime, step: timedelta) -> datetime:
    down = _floor(t, step)
    return down if down == t else down + step


def _pieces(start: datetime, end: datetime, hourly: bool) -> list[tuple[str, datetime, datetime]]:
    """[start, end) as (grain, from, to): raw edges, whole minutes, whole hours (when `hourly`)."""
    m0, m1 = _ceil(start, MINUTE), _floor(end, MINUTE)
    if m0 >= m1:
        return [("raw", start, end)]
    out = [("raw", start, m0), ("raw", m1, end)]
    h0, h1 = _ceil(m0, HOUR), _floor(m1, HOUR)
    if hourly and h0 < h1:
        out += [("minutely", m0, h0), ("hourly", h0, h1), ("minutely", h1, m1)]
    else:
        out.append(("minutely", m0, m1))
    return [(grain, a, b) for grain, a, b in out if a < b]


def raw_edges(f: Filters, column: str, *, hourly: bool = True, tag: str = "p") -> list[str]:
    """`column` within each raw piece of span_parts' window (its parameters, the same tag): the edges a
    source that has no rollup of its own for them reads from its rows."""
    return [
        f"({column} >= {{{tag}{i}_from:DateTime64(3, 'UTC')}} AND {column} < {{{tag}{i}_to:DateTime64(3, 'UTC')}})"
        for i, (grain, _, _) in enumerate(_pieces(f.start, f.end, hourly))
        if grain == "raw"
    ]


def span_parts(
    source: SpanSource, f: Filters, where: dict[str, str], *, hourly: bool = True, tag: str = "p"
) -> tuple[str, dict[str, str]]:
    """The UNION ALL of the window's parts, and its time parameters (named `tag`0_from, ...: two windows
    in one query take two tags). `where` maps a key to a query parameter name: rows whose key equals that
    parameter's value."""
    keys = ", ".join(source.keys)
    key_where = "".join(f" AND {key} = {{{param}:String}}" for key, param in where.items())
    params: dict[str, str] = {}
    selects = []
    for i, (grain, a, b) in enumerate(_pieces(f.start, f.end, hourly)):
        params[f"{tag}{i}_from"], params[f"{tag}{i}_to"] = ch_time(a), ch_time(b)
        col = {"raw": "Timestamp", "minutely": "minute", "hourly": "hour"}[grain]
        window = f"{col} >= {{{tag}{i}_from:DateTime64(3, 'UTC')}} AND {col} < {{{tag}{i}_to:DateTime64(3, 'UTC')}}"
        if grain == "raw":
            named = ", ".join(f"{expression} AS {key}" for key, expression in source.keys.items())
            selects.append(
                f"SELECT {named}, toStartOfMinute(toDateTime(Timestamp, 'UTC')) AS t, count() AS n,"
                f" {source.errors} AS errors, sum(duration_ms) AS dsum, {HISTOGRAM} AS durations,"
                " argMaxState(TraceId, duration_ms) AS slowest FROM rumhouse.otel_traces"
                f" WHERE site = {{site:String}} AND {source.raw_filter} AND {window}{key_where}"
                f" GROUP BY {keys}, t"
            )
        else:
            selects.append(
                f"SELECT {keys}, {col} AS t, toUInt64({source.count}) AS n, toUInt64(errors) AS errors,"
                " toFloat64(duration_sum) AS dsum, CAST(durations, 'Map(UInt32, UInt64)') AS durations, slowest"
                f" FROM {source.table(grain)} WHERE site = {{site:String}} AND {window}{key_where}"
            )
    return " UNION ALL ".join(selects), params


def merged(parts: str, group: list[str], levels: str, extra: dict[str, str] | None = None) -> str:
    """Per `group` (keys, or "b" for a time bucket added by the caller): n, errors, dsum, slowest trace,
    the `extra` columns (name -> an expression on the merged histogram h_), and the percentiles at
    `levels` from the histogram, as the array `qs`. The histogram itself stays in ClickHouse."""
    by = ", ".join(group)
    more = "".join(f", {expression} AS {name}_" for name, expression in (extra or {}).items())
    totals = (
        f"SELECT {by}, sum(n) AS n_, sum(errors) AS errors_, sum(dsum) AS dsum_,"
        f" argMaxMerge(slowest) AS slowest_, sumMap(durations) AS h_{more} FROM ({parts}) GROUP BY {by}"
    )
    # Inner names differ from the outer ones (an outer `any(x) AS x` would shadow what the inner query
    # and ARRAY JOIN read); only scalars are carried through the ARRAY JOIN, never the histogram.
    carried = "".join(f", any({name}_) AS {name}" for name in extra or {})
    return (
        f"SELECT {by}, any(n_) AS n, any(errors_) AS errors, any(dsum_) AS dsum, any(slowest_) AS slowest"
        f"{carried}, quantilesExactWeightedInterpolated({levels})(ms, c) AS qs"
        f" FROM ({totals}) ARRAY JOIN mapKeys(h_) AS ms, mapValues(h_) AS c GROUP BY {by}"
    )
