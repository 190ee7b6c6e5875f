"""Alert presets: the rules a monitoring product is expected to ship, switched on per site with one table
(`preset = "backend"`, `"hosts"`, `"ai"` or `"dependencies"`).

    [[alerts]]
    preset = "backend"
    site = "shop"
    channels = ["ops"]        # optional, as are name (the prefix, default the preset's), group, repeat

expands to the rules below, named `backend.slow`, `backend.very-slow`, ... Every server rule judges each
endpoint (service, method, route) on its own: one slow or failing endpoint fires even when the service's
aggregate looks fine, and a fast health check cannot hide a slow checkout.

"for" is how long the condition must hold, evaluation by evaluation (a 1-minute average above 500 ms at
every evaluation for 5 minutes), so a single slow minute does not page anyone. min_samples keeps an
endpoint with a handful of requests from firing on one of them.
"""

from __future__ import annotations

from rumhouse.budgets.targets import SpecError

BACKEND = {
    # name: the rule's keys, as a [[alerts]] table would give them
    "slow": {"metric": "server_duration", "stat": "mean", "above": 500, "window": "1m", "for": "5m",
             "severity": "warning", "each": "endpoint", "min_samples": 5},
    "very-slow": {"metric": "server_duration", "stat": "mean", "above": 1000, "window": "1m", "for": "2m",
                  "severity": "critical", "each": "endpoint", "min_samples": 5},
    "errors": {"metric": "server_error_rate", "above": 0.05, "window": "5m", "for": "0s",
               "severity": "warning", "each": "endpoint", "min_samples": 20},
    "db-slow": {"metric": "db_duration", "stat": "p95", "above": 100, "window": "5m", "for": "5m",
                "severity": "warning", "min_samples": 20},
    "db-pool": {"metric": "db_pool_usage", "above": 0.9, "window": "5m", "for": "0s",
                "severity": "warning", "min_samples": 1},
}  # fmt: skip

# Hosts (query/hosts.py: host.name), each judged on its own, from points sent every 10 s or so.
HOSTS = {
    "memory": {"metric": "host_memory", "stat": "mean", "above": 0.8, "window": "1m", "for": "5m",
               "severity": "warning", "each": "host", "min_samples": 1},
    "memory-critical": {"metric": "host_memory", "stat": "max", "above": 0.9, "window": "1m", "for": "0s",
                        "severity": "critical", "each": "host", "min_samples": 1},
    "cpu": {"metric": "host_cpu", "stat": "mean", "above": 0.8, "window": "1m", "for": "10m",
            "severity": "warning", "each": "host", "min_samples": 1},
}  # fmt: skip

# AI calls (docs/ai.md). A cost limit is the site's own: a rule of its own (metric = "ai_cost", window = "24h").
AI = {
    "slow": {"metric": "ai_duration", "stat": "p95", "above": 10_000, "window": "5m", "for": "5m",
             "severity": "warning", "min_samples": 5},
    "errors": {"metric": "ai_error_rate", "above": 0.05, "window": "5m", "for": "0s",
               "severity": "warning", "min_samples": 20},
}  # fmt: skip

# Dependencies (docs/dependencies.md: what services and pages call), each judged on its own: one failing
# payment provider fires even while the database answers every call.
DEPENDENCIES = {
    "errors": {"metric": "dependency_error_rate", "above": 0.05, "window": "5m", "for": "5m",
               "severity": "warning", "each": "dependency", "min_samples": 10},
    "down": {"metric": "dependency_error_rate", "above": 0.5, "window": "1m", "for": "2m",
             "severity": "critical", "each": "dependency", "min_samples": 5},
    "slow": {"metric": "dependency_duration", "stat": "p95", "above": 2000, "window": "5m", "for": "5m",
             "severity": "warning", "each": "dependency", "min_samples": 10},
}  # fmt: skip

PRESETS = {"backend": BACKEND, "hosts": HOSTS, "ai": AI, "dependencies": DEPENDENCIES}
PASSED_ON = ("site", "channels", "group", "repeat")


def expand_preset(raw: dict, where: str) -> list[dict]:
    """A preset table -> the [[alerts]] tables it stands for."""
    name = raw["preset"]
    if name not in PRESETS:
        raise SpecError(f"{where}.preset must be one of {', '.join(PRESETS)}")
    unknown = set(raw) - {"preset", "name", *PASSED_ON}
    if unknown:
        raise SpecError(
            f"{where} (a preset) takes name, {', '.join(PASSED_ON)}; not {', '.join(sorted(unknown))}"
        )
    prefix = raw.get("name", name)
    if not isinstance(prefix, str):
        raise SpecError(f"{where}.name must be a string")
    given = {k: raw[k] for k in PASSED_ON if k in raw}
    return [{**keys, **given, "name": f"{prefix}.{suffix}"} for suffix, keys in PRESETS[name].items()]
