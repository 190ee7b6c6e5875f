"""What a budget or an alert rule measures: a metric, a statistic, and which rows count.

Metric kinds (one SQL shape each, in measure.py):
- a Web Vital (LCP, INP, CLS, FCP, TTFB, FID, TTI): a percentile of `vitals.value`;
- `api_duration`: a percentile of `api_calls.duration_ms`; `api_error_rate`: failed calls / calls;
- `resource_bytes`: transfer bytes of one resource type (default script) per page view, a percentile
  or the mean over the page views that loaded that type;
- `error_rate`: page views with at least one client error / page views;
- from OpenTelemetry spans: `server_duration`, a percentile of server spans' duration in ms (`endpoint`: a
  glob on http.route); `server_error_rate`, server spans with an error status or a 5xx / server spans;
  `db_duration`, a percentile of database spans' duration in ms;
- from OpenTelemetry metrics: `db_pool_usage`, the highest share of a database connection pool's maximum
  in use that the window saw (any service, any pool; query/database.py); `host_cpu` and `host_memory`,
  the busy share of a host's CPUs and the used share of its memory (0 to 1; query/hosts.py), as a mean,
  a percentile or the highest (`stat = "max"`) of the window's points; `websocket_connections`, the
  WebSocket connections a host holds (the gauge `websocket.connections`), with the same stats;
- from AI calls (GenAI spans, docs/ai.md): `ai_duration`, a percentile of their duration in ms;
  `ai_error_rate`, failed calls / calls; `ai_cost`, their estimated cost in US dollars over the window
  (`stat = "sum"`; the price table of the configuration, unpriced models count nothing);
- from dependencies (client spans and the page's calls to other hosts, docs/dependencies.md):
  `dependency_error_rate`, failed calls / calls; `dependency_duration`, a percentile of their duration in
  ms; `endpoint` is then a glob on the dependency's name (`api.stripe.com`, `*.amazonaws.com`);
- from operations (spans with operation.name, docs/operations.md): `operation_error_rate`, failed / all;
  `operation_failures_in_a_row`, the failures at the end of the window, one after another (the largest
  over the operations); `operation_cost`, the cost the spans said (operation.cost_usd), `stat = "sum"`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rumhouse.api.filters import ParamError
from rumhouse.sites import ConfigError
from rumhouse.tables import RESOURCE_TYPES
from rumhouse.tables import VITAL_NAMES as METRICS

RATES = (
    "api_error_rate",
    "error_rate",
    "server_error_rate",
    "db_pool_usage",
    "ai_error_rate",
    "operation_error_rate",
    "dependency_error_rate",
)
BACKEND = ("server_duration", "server_error_rate", "db_duration")  # from rumhouse.otel_traces
# From host metrics (query/hosts.py), and the connections a server holds (query/websockets.py): points.
HOSTS = ("host_cpu", "host_memory", "websocket_connections")
AI = ("ai_duration", "ai_error_rate", "ai_cost")  # from GenAI spans (query/ai.py)
KINDS = (*METRICS, "api_duration", "resource_bytes", "server_duration", "db_duration", *RATES, *HOSTS)
OPERATIONS = ("operation_error_rate", "operation_failures_in_a_row", "operation_cost")
DEPENDENCIES = ("dependency_error_rate", "dependency_duration")  # query/dependencies.calls_sql
SUMS = ("ai_cost", "operation_cost")  # stat "sum": a total over the window
KINDS = (
    *KINDS,
    "ai_duration",
    "ai_cost",
    "operation_failures_in_a_row",
    "operation_cost",
    "dependency_duration",
)
ENDPOINT_METRICS = ("api_duration", "api_error_rate", "server_duration", "server_error_rate", *DEPENDENCIES)
STATS = {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99, "mean": None}
HOST_STATS = ("mean", "max", *STATS)


class SpecError(ConfigError, ParamError):
    """A budget, rule or channel definition is unusable; the message names the field. In the config
    file it stops the start (ConfigError); sent to the API it is a 400 (ParamError)."""


@dataclass(frozen=True)
class Target:
    metric: str
    stat: str = "p75"  # "rate" for the rate metrics
    path: str = ""  # glob on the page path ("/checkout*"); empty: every page
    endpoint: str = ""  # glob on the API endpoint; "/api/*" matches the path part of host/path
    resource_type: str = "script"

    def describe(self) -> str:
        what = self.metric if self.metric in RATES else f"{self.stat} {self.metric}"
        if self.metric == "resource_bytes":
            what += f" ({self.resource_type} per page view)"
        if self.endpoint:
            what += f" of {self.endpoint}"
        if self.path:
            what += f" on {self.path}"
        return what


def _str(raw: dict, key: str, where: str, default: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or len(value) > 512:
        raise SpecError(f"{where}.{key} must be a string (at most 512 characters)")
    return value


def parse_target(raw: dict, where: str) -> Target:
    metric = raw.get("metric")
    if metric not in KINDS:
        raise SpecError(f"{where}.metric must be one of {', '.join(KINDS)}")
    default_stat = (
        "rate" if metric in RATES else "mean" if metric in HOSTS else "sum" if metric in SUMS
        else "count" if metric == "operation_failures_in_a_row" else "p75"
    )  # fmt: skip
    stat = _str(raw, "stat", where, default_stat)
    if metric in SUMS:
        if stat != "sum":
            raise SpecError(f"{where}.stat of {metric} is sum (US dollars over the window)")
    elif metric == "operation_failures_in_a_row":
        if stat != "count":
            raise SpecError(f"{where}.stat of operation_failures_in_a_row is count")
    elif metric in RATES:
        if stat != "rate":
            raise SpecError(f"{where}.stat of a rate metric is rate")
    elif metric in HOSTS:
        if stat not in HOST_STATS:
            raise SpecError(
                f"{where}.stat of a host metric must be one of {', '.join(dict.fromkeys(HOST_STATS))}"
            )
    elif stat not in STATS:
        raise SpecError(f"{where}.stat must be one of {', '.join(STATS)}")
    resource_type = _str(raw, "resource_type", where, "script")
    if resource_type not in RESOURCE_TYPES:
        raise SpecError(f"{where}.resource_type must be one of {', '.join(RESOURCE_TYPES)}")
    endpoint = _str(raw, "endpoint", where)
    if endpoint and metric not in ENDPOINT_METRICS:
        raise SpecError(f"{where}.endpoint applies to {', '.join(ENDPOINT_METRICS)} only")
    path = _str(raw, "path", where)
    if path and metric in (*BACKEND, "db_pool_usage", *HOSTS, *AI, *OPERATIONS, *DEPENDENCIES):
        raise SpecError(f"{where}.path applies to page metrics; a backend metric takes endpoint (a route)")
    return Target(metric, stat, path, endpoint, resource_type)


def target_fields(t: Target) -> dict:
    out = {"metric": t.metric, "stat": t.stat}
    for key in ("path", "endpoint"):
        if getattr(t, key):
            out[key] = getattr(t, key)
    if t.metric == "resource_bytes":
        out["resource_type"] = t.resource_type
    return out
