"""The TOML config file (`RUMHOUSE_CONFIG`), read once: its shape decoded into msgspec structs that refuse
any key they do not know, then each table checked by its own parser (sites.py, budgets/model.py,
alerts/config.py).

A misspelt key or table (`origin =`, `[[budget]]`) stops the start with a message that names the key, the
table and the file, instead of being silently ignored. Values are typed loosely here (`Any`) on purpose:
the parsers check them and say what a value must be, in the file's own terms.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from rumhouse.ai.prices import PriceTable, parse_prices
from rumhouse.alerts.config import AlertingConfig, parse_alerting
from rumhouse.budgets.model import BudgetSpec
from rumhouse.budgets.targets import SpecError
from rumhouse.dependencies.sla import SlaTable, parse_slas
from rumhouse.sites import DEFAULT_SITES, ConfigError, Site, parse_sites

UNSET: Any = msgspec.UNSET


class _Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class _Target(_Table):
    metric: Any = UNSET
    stat: Any = UNSET
    path: Any = UNSET
    endpoint: Any = UNSET
    resource_type: Any = UNSET


class SiteTable(_Table):
    key: Any = UNSET
    name: Any = UNSET
    origins: Any = UNSET
    rate_limit: Any = UNSET
    burst: Any = UNSET


class _Measured(_Target):
    """What budgets and alert rules both have: a name, a site, and a window with its least samples."""

    name: Any = UNSET
    site: Any = UNSET
    window: Any = UNSET
    min_samples: Any = UNSET


def _loose(name: str, typed: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """A table with the keys of `typed`, each of any type: the parsers check the values."""
    return msgspec.defstruct(name, [(key, Any, UNSET) for key in typed.__struct_fields__], bases=(_Table,))


# The keys of a budget, as the API takes them (budgets/model.py).
BudgetTable = _loose("BudgetTable", BudgetSpec)


class AlertTable(_Measured):
    budget: Any = UNSET
    above: Any = UNSET
    hold: Any = msgspec.field(default=UNSET, name="for")
    repeat: Any = UNSET
    group: Any = UNSET
    channels: Any = UNSET
    severity: Any = UNSET
    each: Any = UNSET
    preset: Any = UNSET


class ChannelTable(_Table):
    name: Any = UNSET
    type: Any = UNSET
    url: Any = UNSET
    secret: Any = UNSET
    secret_env: Any = UNSET
    smtp_host: Any = UNSET
    smtp_port: Any = UNSET
    sender: Any = msgspec.field(default=UNSET, name="from")
    to: Any = UNSET
    username: Any = UNSET
    password: Any = UNSET
    password_env: Any = UNSET
    starttls: Any = UNSET


class ReportTable(_Table):
    name: Any = UNSET
    site: Any = UNSET
    period: Any = UNSET
    channels: Any = UNSET


class PriceTableRow(_Table):
    model: Any = UNSET
    input: Any = UNSET
    output: Any = UNSET
    cached_input: Any = UNSET


class DependencyRow(_Table):
    name: Any = UNSET
    availability: Any = UNSET
    p95_ms: Any = UNSET


class ConfigDocument(_Table):
    sites: list[SiteTable] = []
    ai_prices: list[PriceTableRow] = []
    dependencies: list[DependencyRow] = []
    budgets: list[BudgetTable] = []  # type: ignore[valid-type]  # a struct made at import, above
    alerts: list[AlertTable] = []
    channels: list[ChannelTable] = []
    reports: list[ReportTable] = []


TABLES: dict[str, Any] = {
    "sites": SiteTable,
    "budgets": BudgetTable,
    "alerts": AlertTable,
    "channels": ChannelTable,
    "reports": ReportTable,
    "ai_prices": PriceTableRow,
    "dependencies": DependencyRow,
}


@dataclass(frozen=True)
class Config:
    sites: tuple[Site, ...] = DEFAULT_SITES
    alerting: AlertingConfig = field(default_factory=AlertingConfig)
    ai_prices: PriceTable = field(default_factory=PriceTable)
    slas: SlaTable = field(default_factory=SlaTable)


def load_config(path: Path | None) -> Config:
    """The config file's sites, budgets, alert rules, channels, scheduled reports, AI prices and dependency
    targets; defaults
    without a file."""
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"RUMHOUSE_CONFIG names {path}, which does not exist") from None
    except OSError as exc:
        raise ConfigError(f"RUMHOUSE_CONFIG names {path}, which cannot be read: {exc.strerror}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_config(document, str(path))


def parse_config(document: dict, source: str = "the config") -> Config:
    try:
        decoded = msgspec.convert(document, ConfigDocument)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {explain(str(exc))}") from None
    # Back to plain tables, with only the keys the file has (UNSET fields are left out), for the parsers.
    plain = msgspec.to_builtins(decoded)
    try:
        return Config(
            parse_sites(plain),
            parse_alerting(plain),
            parse_prices(plain.get("ai_prices", [])),
            parse_slas(plain.get("dependencies", [])),
        )
    except (SpecError, ConfigError) as exc:
        raise ConfigError(f"{source}: {exc}") from None


_UNKNOWN = re.compile(r"Object contains unknown field `(?P<key>[^`]*)`(?: - at `\$(?P<at>[^`]*)`)?")
_AT = re.compile(r"^\.(?P<table>\w+)\[(?P<index>\d+)\]$")


def explain(message: str) -> str:
    """msgspec's message, in the file's terms: `unknown key 'origin' in [[sites]] number 1 (sites[0])`."""
    found = _UNKNOWN.match(message)
    if not found:
        return message.replace("$.", "").replace("`$`", "the file")
    key, at = found["key"], found["at"] or ""
    if not at:
        known = ", ".join(f"[[{name}]]" for name in TABLES)
        return f"unknown table or key {key!r} at the top level (the tables are {known})"
    place = _AT.match(at)
    if place:
        table, index = place["table"], int(place["index"])
        fields = TABLES[table].__struct_encode_fields__
        return (
            f"unknown key {key!r} in [[{table}]] number {index + 1} ({table}[{index}]); "
            f"its keys are {', '.join(sorted(fields))}"
        )
    return f"unknown key {key!r} at {at.lstrip('.')}"
