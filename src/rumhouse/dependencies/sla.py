"""What a dependency promises: the configuration's `[[dependencies]]` tables.

    [[dependencies]]
    name = "api.stripe.com"     # a dependency as /dependencies names it; "*" matches any characters
    availability = 99.9         # percent of calls that must not fail
    p95_ms = 800                # the 95th percentile of their duration must not be over this

Either target may be left out (it is then not judged). A dependency matched by no table has no target.
The first table that matches a name applies, so a specific name goes before a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from rumhouse.sites import ConfigError


@dataclass(frozen=True)
class Sla:
    name: str  # a dependency's name, or a pattern with *
    availability: float | None = None  # percent, 0 to 100
    p95_ms: float | None = None

    def met(self, availability: float | None, p95_ms: float | None) -> bool | None:
        """Whether figures meet the targets (availability a share, 0 to 1); None without figures."""
        if availability is None:
            return None
        if self.availability is not None and availability * 100 < self.availability:
            return False
        return not (self.p95_ms is not None and p95_ms is not None and p95_ms > self.p95_ms)


class SlaTable:
    def __init__(self, slas: tuple[Sla, ...] = ()) -> None:
        self.slas = slas

    def find(self, dependency: str) -> Sla | None:
        return next((s for s in self.slas if fnmatchcase(dependency, s.name)), None)


def _number(raw: dict, key: str, where: str, hi: float) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= hi:
        raise ConfigError(f"{where}.{key} must be a number from 0 to {hi:g}")
    return float(value)


def parse_slas(tables: list) -> SlaTable:
    slas = []
    for i, raw in enumerate(tables):
        where = f"dependencies[{i}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} must be a table")
        name = raw.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 256:
            raise ConfigError(f"{where}.name must be a dependency's name or a pattern (1 to 256 characters)")
        sla = Sla(name, _number(raw, "availability", where, 100), _number(raw, "p95_ms", where, 3_600_000))
        if sla.availability is None and sla.p95_ms is None:
            raise ConfigError(f"{where} sets no target: availability (percent), p95_ms or both")
        slas.append(sla)
    return SlaTable(tuple(slas))
