"""Hosts and processes, from OpenTelemetry's host and process metrics as the system-metrics
instrumentations send them (at the resolution they are sent: 10 s by default):

- CPU: `system.cpu.utilization`, a share per CPU and state (`cpu.mode`, or the older `system.cpu.state` and
  `state`): busy = 1 - the mean idle share over the host's CPUs, at each point in time;
- memory: `system.memory.utilization` of state `used` (a share), and `system.memory.usage` of state `used`
  (bytes);
- the sending process: `process.cpu.utilization` (or `process.runtime.cpython.cpu.utilization`) and
  `process.memory.usage` (or `process.runtime.cpython.memory` of type `rss`), bytes.

A host is the resource attribute `host.name`, else `service.instance.id`, else the service name. Points
of one metric and one collection share their time, which is how a host's CPUs are added up.
"""

from __future__ import annotations

from rumhouse.query.filters import Filters

HOST = (
    "multiIf(ResourceAttributes['host.name'] != '', ResourceAttributes['host.name'],"
    " ResourceAttributes['service.instance.id'] != '', ResourceAttributes['service.instance.id'], ServiceName)"
)
_CPU_STATE = (
    "multiIf(Attributes['cpu.mode'] != '', Attributes['cpu.mode'],"
    " Attributes['system.cpu.state'] != '', Attributes['system.cpu.state'], Attributes['state'])"
)
_MEMORY_STATE = (
    "multiIf(Attributes['system.memory.state'] != '', Attributes['system.memory.state'], Attributes['state'])"
)
_PROCESS_CPU = ("process.cpu.utilization", "process.runtime.cpython.cpu.utilization")
_PROCESS_MEMORY = ("process.memory.usage", "process.runtime.cpython.memory")
_NAMES = (
    "system.cpu.utilization",
    "system.memory.utilization",
    "system.memory.usage",
    *_PROCESS_CPU,
    *_PROCESS_MEMORY,
)


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def samples_sql(f: Filters, host: bool = False) -> str:
    """One row per host and point in time: t, cpu (busy share), memory (used share), memory_bytes,
    process_cpu (share), process_memory (bytes); NULL for what that point does not have. With `host`,
    only the host {host:String}."""
    where = f.span_where("TimeUnix") + f" AND MetricName IN ({_quoted(_NAMES)})"
    points = " UNION ALL ".join(
        f"SELECT {HOST} AS host, TimeUnix AS t, MetricName AS metric, Value AS value, {_CPU_STATE} AS cpu_state,"
        f" {_MEMORY_STATE} AS memory_state, Attributes['type'] AS kind FROM rumhouse.{table} WHERE {where}"
        for table in ("otel_metrics_gauge", "otel_metrics_sum")
    )
    only = " WHERE host = {host:String}" if host else ""
    return (
        "SELECT host, t,"
        " if(countIf(metric = 'system.cpu.utilization' AND cpu_state = 'idle') > 0,"
        "  1 - sumIf(value, metric = 'system.cpu.utilization' AND cpu_state = 'idle')"
        "  / countIf(metric = 'system.cpu.utilization' AND cpu_state = 'idle'), NULL) AS cpu,"
        " if(countIf(metric = 'system.memory.utilization' AND memory_state = 'used') > 0,"
        "  maxIf(value, metric = 'system.memory.utilization' AND memory_state = 'used'), NULL) AS memory,"
        " if(countIf(metric = 'system.memory.usage' AND memory_state = 'used') > 0,"
        "  maxIf(value, metric = 'system.memory.usage' AND memory_state = 'used'), NULL) AS memory_bytes,"
        f" if(countIf(metric IN ({_quoted(_PROCESS_CPU)})) > 0,"
        f"  sumIf(value, metric IN ({_quoted(_PROCESS_CPU)})), NULL) AS process_cpu,"
        f" if(countIf(metric IN ({_quoted(_PROCESS_MEMORY)}) AND kind IN ('', 'rss')) > 0,"
        f"  maxIf(value, metric IN ({_quoted(_PROCESS_MEMORY)}) AND kind IN ('', 'rss')), NULL) AS process_memory"
        f" FROM ({points}){only} GROUP BY host, t"
    )


def hosts_sql(f: Filters) -> str:
    """Per host: the last, mean and highest CPU and memory shares in the window, the last memory and
    process figures, how many points, and when it was last seen."""
    return (
        "SELECT host, argMaxIf(cpu, t, cpu IS NOT NULL), avg(cpu), max(cpu),"
        " argMaxIf(memory, t, memory IS NOT NULL), avg(memory), max(memory),"
        " argMaxIf(memory_bytes, t, memory_bytes IS NOT NULL), argMaxIf(process_cpu, t, process_cpu IS NOT NULL),"
        " argMaxIf(process_memory, t, process_memory IS NOT NULL), count(cpu), count(memory), max(t)"
        f" FROM ({samples_sql(f)}) GROUP BY host ORDER BY host"
    )


HOST_COLUMNS = [
    "host",
    "cpu_last",
    "cpu_mean",
    "cpu_max",
    "memory_last",
    "memory_mean",
    "memory_max",
    "memory_used_bytes",
    "process_cpu",
    "process_memory_bytes",
    "cpu_points",
    "memory_points",
    "last_seen",
]
