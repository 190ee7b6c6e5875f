"""Hosts and processes, from OpenTelemetry host and process metrics (query/hosts.py): per host, the CPU
and memory in the window (last, mean, highest), and a host's points over time at the resolution they
were sent, or per bucket."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import QueryParams

from rumhouse.api.common import int_param, iso_time, no_page_dimensions, rows
from rumhouse.api.filters import ParamError
from rumhouse.api.table import Table
from rumhouse.query import hosts as host_sql
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store


def hosts(store: Store, f: Filters, q: QueryParams) -> Table:
    """Per host: CPU and memory use (shares, 0 to 1) last, mean and highest in the window; memory used
    (bytes); the sending process's CPU share and memory; points; last seen."""
    no_page_dimensions(f, "host metrics")
    out = []
    for row in rows(store, host_sql.hosts_sql(f), f):
        entry = dict(zip(host_sql.HOST_COLUMNS, row, strict=True))
        entry["cpu_points"], entry["memory_points"] = int(entry["cpu_points"]), int(entry["memory_points"])
        entry["last_seen"] = iso_time(entry["last_seen"])
        out.append(entry)
    return Table(list(host_sql.HOST_COLUMNS), out, "raw")


def host_series(store: Store, f: Filters, q: QueryParams) -> Table:
    """One host's CPU and memory over time: every point as sent (`bucket` 0, the default for windows up to
    6 hours), or the mean and highest per `bucket` seconds (10 to 86400)."""
    no_page_dimensions(f, "host metrics")
    host = q.get("host")
    if not host:
        raise ParamError("host is required (a host of /hosts)")
    span = (f.end - f.start).total_seconds()
    bucket = int_param(
        q, "bucket", 0 if span <= 6 * 3600 else max(60, int(span // 500) // 60 * 60), 0, 86_400
    )
    if 0 < bucket < 10:
        raise ParamError("bucket is 0 (every point) or 10 to 86400 seconds")
    step = bucket or 1
    sql = (
        f"SELECT intDiv(toUnixTimestamp(t), {step}) * {step} AS b, avg(cpu), max(cpu), avg(memory), max(memory),"
        " avg(memory_bytes), avg(process_cpu), avg(process_memory)"
        f" FROM ({host_sql.samples_sql(f, host=True)}) GROUP BY b ORDER BY b LIMIT 100000"
    )
    out = [
        {
            "time": datetime.fromtimestamp(int(b), UTC).isoformat(),
            "cpu": cpu,
            "cpu_max": cpu_max,
            "memory": memory,
            "memory_max": memory_max,
            "memory_used_bytes": memory_bytes,
            "process_cpu": process_cpu,
            "process_memory_bytes": process_memory,
        }
        for b, cpu, cpu_max, memory, memory_max, memory_bytes, process_cpu, process_memory in rows(
            store, sql, f, {"host": host}
        )
    ]
    columns = ["time", "cpu", "cpu_max", "memory", "memory_max", "memory_used_bytes", "process_cpu"]
    return Table([*columns, "process_memory_bytes"], out, "raw", {"host": host, "bucket_seconds": bucket})
