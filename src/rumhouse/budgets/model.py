"""A budget: a target on a site, a limit, and how sure we must be before judging it.

The same parser reads `[[budgets]]` tables of the TOML config and the JSON bodies of the admin API:

    [[budgets]]
    name = "lcp"              # unique; the id in the API and in `rumhouse budgets check`
    site = "shop"
    metric = "LCP"            # see targets.py for the kinds
    stat = "p75"              # p50, p75, p90, p95, p99 or mean (rates: rate)
    limit = 2500              # ms, bytes, a CLS score, or a rate between 0 and 1
    path = "/checkout*"       # optional glob on the page path
    min_samples = 50          # fewer samples: no verdict (the CI gate exits 2)
    warn_at = 0.8             # warning from this share of the limit
    window = "24h"            # window the server judges it over (the CLI's --since wins)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec

from rumhouse.budgets.targets import SpecError, Target, parse_target, target_fields

UNSET: Any = msgspec.UNSET

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, where: str) -> int:
    """'90s', '10m', '24h', '7d' -> seconds."""
    match = DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise SpecError(f"{where} must be a duration like 90s, 10m, 24h or 7d")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def number(
    raw: dict, key: str, where: str, default=None, *, lo: float = 0, hi: float = float("inf")
) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise SpecError(f"{where}.{key} must be a number from {lo:g} to {hi:g}")
    return float(value)


class BudgetSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A budget's keys and their types: a [[budgets]] table of the config file (whose values
    config_file.py leaves to parse_budget, to be told in the file's terms) or an API body (PUT takes the
    name from the path). docs/budgets.md says what each means."""

    name: str = UNSET
    site: str = UNSET
    metric: str = (
        UNSET  # a vital (LCP, ...), or a kind of targets.py (api_p95, error_rate, resource_bytes, ...)
    )
    stat: str = UNSET  # p50, p75, p90, p95, p99, mean or rate
    limit: float = UNSET
    path: str = UNSET
    endpoint: str = UNSET
    resource_type: str = UNSET
    min_samples: int = UNSET
    warn_at: float = UNSET
    window: str = UNSET  # 90s, 10m, 24h, 7d

    def given(self) -> dict[str, Any]:
        """The keys the body or table has (those left out stay out, for parse_budget's defaults)."""
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not UNSET}


@dataclass(frozen=True)
class Budget:
    name: str
    site: str
    target: Target
    limit: float
    min_samples: int = 50
    warn_at: float = 0.8
    window: int = 86400
    source: str = "config"  # config (TOML, read-only through the API) or api

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "site": self.site,
            **target_fields(self.target),
            "limit": self.limit,
            "min_samples": self.min_samples,
            "warn_at": self.warn_at,
            "window": f"{self.window}s",
            "source": self.source,
            "description": f"{self.target.describe()} <= {self.limit:g}",
        }


def parse_budget(raw: object, where: str, source: str = "config") -> Budget:
    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be a table")
    name, site = raw.get("name"), raw.get("site")
    if not isinstance(name, str) or not NAME.match(name):
        raise SpecError(f"{where}.name must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' or '-'")
    if not isinstance(site, str) or not site:
        raise SpecError(f"{where}.site must be a site key")
    target = parse_target(raw, where)
    hi = 1.0 if target.stat == "rate" else float("inf")
    limit = number(raw, "limit", where, lo=0, hi=hi)
    min_samples = int(number(raw, "min_samples", where, 50, lo=1, hi=1e9))
    warn_at = number(raw, "warn_at", where, 0.8, lo=0.01, hi=1)
    window = parse_duration(raw.get("window", "24h"), f"{where}.window")
    return Budget(name, site, target, limit, min_samples, warn_at, window, source)


def parse_budgets(document: dict) -> tuple[Budget, ...]:
    raw = document.get("budgets", [])
    if not isinstance(raw, list):
        raise SpecError("budgets must be an array of tables ([[budgets]])")
    budgets = tuple(parse_budget(item, f"budgets[{i}]") for i, item in enumerate(raw))
    names = [b.name for b in budgets]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise SpecError(f"budget {duplicate!r} is defined twice")
    return budgets
