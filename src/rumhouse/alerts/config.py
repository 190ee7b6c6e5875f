"""The alerting half of the TOML config (`RUMHOUSE_CONFIG`, read by config_file.py), next to `[[sites]]`:

[[alerts]]
name = "slow-lcp"
site = "shop"
metric = "LCP"            # any target of budgets/targets.py ...
stat = "p75"
above = 4000              # ... with a threshold
# budget = "lcp"          # ... or: fires while this budget is breached
window = "10m"            # the data each evaluation looks at
for = "10m"               # how long the condition must hold before it fires
repeat = "1h"             # reminder interval while firing and not acknowledged ("0s": none)
group = "shop-perf"       # rules of one group that change together send one notification
min_samples = 20
severity = "critical"     # info | warning (the default) | critical: in the API and every notification
# each = "endpoint"       # judge every endpoint (server_*, api_* metrics) or host (host_*) on its own
channels = ["ops"]

[[alerts]]                # a preset: the backend rules of alerts/presets.py for one site
preset = "backend"
site = "shop"
channels = ["ops"]

[[channels]]
name = "ops"
type = "webhook"          # webhook | slack | email
url = "https://hooks.example/rum"
secret_env = "RUM_HOOK_SECRET"   # or secret = "..."; signs the body (X-Rumhouse-Signature)
# e-mail: smtp_host, smtp_port (25), from, to = [...], username/password_env, starttls = false

[[reports]]               # the performance report (reports/performance.py), sent on a schedule
name = "shop-weekly"
site = "shop"
period = "week"           # week: each Monday 00:00 UTC, the 7 days before; month: each 1st, the 30 days before
channels = ["ops"]        # e-mail: HTML with the PDF attached; webhook: the JSON; Slack: a summary
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from rumhouse.alerts.presets import expand_preset
from rumhouse.budgets.model import NAME, Budget, number, parse_budgets, parse_duration
from rumhouse.budgets.targets import SpecError, Target, parse_target

CHANNEL_TYPES = ("webhook", "slack", "email")
SEVERITIES = ("info", "warning", "critical")
# What a rule may judge one by one (`each`), and the metrics it may (budgets/measure.py says what an
# endpoint or a host is for them).
EACH = {
    "endpoint": ("server_duration", "server_error_rate", "api_duration", "api_error_rate"),
    "host": ("host_cpu", "host_memory", "websocket_connections"),
    "operation": ("operation_error_rate", "operation_failures_in_a_row", "operation_cost"),
    "dependency": ("dependency_error_rate", "dependency_duration"),
}


@dataclass(frozen=True)
class Rule:
    name: str
    site: str
    target: Target | None  # None when the rule watches a budget
    above: float | None = None
    budget: str = ""
    window: int = 600
    hold: int = 600  # `for` in the config
    repeat: int = 3600
    group: str = ""
    min_samples: int = 20
    channels: tuple[str, ...] = ()
    severity: str = "warning"
    each: str = ""  # a key of EACH: the rule is a template, judged per subject (`for_subject`)
    subject: str = ""  # on a rule made by for_subject: the endpoint or host it judges

    @property
    def group_key(self) -> str:
        return self.group or self.name

    def describe(self) -> str:
        if self.budget or self.target is None:
            return f"budget {self.budget} breached"
        what = f"{self.target.describe()} > {self.above or 0:g} for {self.hold}s"
        if self.subject:
            return f"{what} on {self.subject}"
        return f"{what}, each {self.each} on its own" if self.each else what

    def for_subject(self, subject: str) -> Rule:
        """One endpoint's or host's rule: its own state, history and notifications, under the name
        `template[subject]` ('[' is not allowed in a configured name, so the two never clash)."""
        return replace(self, name=f"{self.name}[{subject}]", each="", subject=subject)


def template_name(name: str) -> str:
    """The configured rule an endpoint's or host's rule comes from ("errors[api GET /cart]" -> "errors")."""
    return name.split("[", 1)[0]


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    url: str = ""
    secret: str = field(default="", repr=False)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    sender: str = "rumhouse@localhost"
    to: tuple[str, ...] = ()
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False


@dataclass(frozen=True)
class ReportSchedule:
    name: str
    site: str
    period: str  # "week" or "month" (reports/performance.PERIODS)
    channels: tuple[str, ...]


@dataclass(frozen=True)
class AlertingConfig:
    budgets: tuple[Budget, ...] = ()
    rules: tuple[Rule, ...] = ()
    channels: tuple[Channel, ...] = ()
    reports: tuple[ReportSchedule, ...] = ()


def _name(raw: dict, where: str) -> str:
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise SpecError(f"{where}.name must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' or '-'")
    return name


def parse_rule(raw: object, where: str, budgets: dict[str, Budget]) -> Rule:
    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be a table")
    name = _name(raw, where)
    budget = raw.get("budget", "")
    target, above = None, None
    if budget:
        if budget not in budgets:
            raise SpecError(f"{where}.budget names no budget of the config: {budget!r}")
        site = budgets[budget].site
    else:
        given = raw.get("site")
        if not isinstance(given, str) or not given:
            raise SpecError(f"{where}.site must be a site key")
        site = given
        target = parse_target(raw, where)
        above = number(raw, "above", where)
    channels = raw.get("channels", [])
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise SpecError(f"{where}.channels must be a list of channel names")
    group = raw.get("group", "")
    if not isinstance(group, str):
        raise SpecError(f"{where}.group must be a string")
    severity = raw.get("severity", "warning")
    if severity not in SEVERITIES:
        raise SpecError(f"{where}.severity must be one of {', '.join(SEVERITIES)}")
    each = raw.get("each", "")
    if each not in ("", *EACH):
        raise SpecError(f"{where}.each must be one of {', '.join(EACH)} (or left out)")
    if each and (target is None or target.metric not in EACH[each]):
        raise SpecError(f'{where}.each = "{each}" applies to {", ".join(EACH[each])}')
    return Rule(
        name,
        site,
        target,
        above,
        budget,
        window=parse_duration(raw.get("window", "10m"), f"{where}.window"),
        hold=parse_duration(raw.get("for", "0s"), f"{where}.for"),
        repeat=parse_duration(raw.get("repeat", "1h"), f"{where}.repeat"),
        group=group,
        min_samples=int(number(raw, "min_samples", where, 20, lo=1, hi=1e9)),
        channels=tuple(channels),
        severity=severity,
        each=each,
    )


def _secret(raw: dict, key: str, where: str) -> str:
    if raw.get(f"{key}_env"):
        value = os.environ.get(raw[f"{key}_env"])
        if value is None:
            raise SpecError(f"{where}.{key}_env names {raw[f'{key}_env']}, which is not set")
        return value
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise SpecError(f"{where}.{key} must be a string")
    return value


def parse_channel(raw: object, where: str) -> Channel:
    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be a table")
    name = _name(raw, where)
    kind = raw.get("type")
    if kind not in CHANNEL_TYPES:
        raise SpecError(f"{where}.type must be one of {', '.join(CHANNEL_TYPES)}")
    if kind in ("webhook", "slack"):
        url = raw.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise SpecError(f"{where}.url must be an http(s) URL")
        return Channel(name, kind, url=url, secret=_secret(raw, "secret", where))
    to = raw.get("to")
    if not isinstance(to, list) or not to or not all(isinstance(t, str) and "@" in t for t in to):
        raise SpecError(f"{where}.to must be a list of e-mail addresses")
    return Channel(
        name,
        kind,
        smtp_host=str(raw.get("smtp_host", "127.0.0.1")),
        smtp_port=int(number(raw, "smtp_port", where, 25, lo=1, hi=65535)),
        sender=str(raw.get("from", "rumhouse@localhost")),
        to=tuple(to),
        username=str(raw.get("username", "")),
        password=_secret(raw, "password", where),
        starttls=bool(raw.get("starttls", False)),
    )


def parse_report(raw: object, where: str) -> ReportSchedule:
    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be a table")
    name = _name(raw, where)
    site = raw.get("site")
    if not isinstance(site, str) or not site:
        raise SpecError(f"{where}.site must be a site key")
    period = raw.get("period", "week")
    if period not in ("week", "month"):
        raise SpecError(f"{where}.period must be week or month")
    channels = raw.get("channels")
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) for c in channels):
        raise SpecError(f"{where}.channels must be a list of one or more channel names")
    return ReportSchedule(name, site, period, tuple(channels))


def parse_alerting(document: dict) -> AlertingConfig:
    budgets = parse_budgets(document)
    channels = document.get("channels", [])
    rules = document.get("alerts", [])
    reports = document.get("reports", [])
    if not isinstance(channels, list) or not isinstance(rules, list) or not isinstance(reports, list):
        raise SpecError(
            "alerts, channels and reports must be arrays of tables ([[alerts]], [[channels]], [[reports]])"
        )
    parsed_channels = tuple(parse_channel(c, f"channels[{i}]") for i, c in enumerate(channels))
    by_name = {b.name: b for b in budgets}
    parsed_rules = tuple(
        rule
        for i, raw in enumerate(rules)
        for rule in (
            [parse_rule(r, f"alerts[{i}]", by_name) for r in expand_preset(raw, f"alerts[{i}]")]
            if isinstance(raw, dict) and "preset" in raw
            else [parse_rule(raw, f"alerts[{i}]", by_name)]
        )
    )
    parsed_reports = tuple(parse_report(r, f"reports[{i}]") for i, r in enumerate(reports))
    known = {c.name for c in parsed_channels}
    sending: tuple[tuple[str, Sequence[Rule | ReportSchedule]], ...] = (
        ("alerts", parsed_rules),
        ("reports", parsed_reports),
    )
    for what, items in sending:
        for i, item in enumerate(items):
            missing = [c for c in item.channels if c not in known]
            if missing:
                raise SpecError(f"{what}[{i}].channels names unknown channels: {', '.join(missing)}")
    for kind, named in (
        ("alert rule", parsed_rules),
        ("channel", parsed_channels),
        ("report", parsed_reports),
    ):
        names = [x.name for x in named]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise SpecError(f"{kind} {duplicate!r} is defined twice")
    return AlertingConfig(budgets, parsed_rules, parsed_channels, parsed_reports)
