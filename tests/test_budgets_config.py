"""The [[budgets]], [[alerts]] and [[channels]] tables: what is accepted, and messages that name the field."""

import tomllib

import pytest

from rumhouse.alerts.config import parse_alerting
from rumhouse.budgets.targets import SpecError


def parse(text: str):
    return parse_alerting(tomllib.loads(text))


def test_a_full_config_parses():
    config = parse("""
[[budgets]]
name = "lcp"
site = "shop"
metric = "LCP"
limit = 2500
[[alerts]]
name = "a"
budget = "lcp"
for = "10m"
repeat = "2h"
channels = ["hook"]
[[channels]]
name = "hook"
type = "webhook"
url = "https://example.test/h"
secret = "hush-123"
""")
    (budget,), (rule,), (channel,) = config.budgets, config.rules, config.channels
    assert (budget.target.stat, budget.min_samples, budget.warn_at, budget.window) == ("p75", 50, 0.8, 86400)
    assert (rule.site, rule.hold, rule.repeat, rule.group_key) == ("shop", 600, 7200, "a")
    assert channel.secret == "hush-123" and "hush-123" not in repr(channel)  # secrets stay out of logs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[budgets]]\nname = "b"\nsite = "s"\nmetric = "LCPX"\nlimit = 1',
            "budgets[0].metric must be one of",
        ),
        (
            '[[budgets]]\nname = "b"\nsite = "s"\nmetric = "LCP"\nlimit = -1',
            "budgets[0].limit must be a number",
        ),
        (
            '[[budgets]]\nname = "b"\nsite = "s"\nmetric = "error_rate"\nlimit = 2',
            "budgets[0].limit must be a number from 0 to 1",
        ),
        (
            '[[budgets]]\nname = "b"\nsite = "s"\nmetric = "LCP"\nstat = "p42"\nlimit = 1',
            "budgets[0].stat must be one of",
        ),
        (
            '[[budgets]]\nname = "b"\nsite = "s"\nmetric = "LCP"\nendpoint = "/api/*"\nlimit = 1',
            "endpoint applies to",
        ),
        (
            '[[budgets]]\nname = "b"\nsite = "s"\nmetric = "LCP"\nlimit = 1\nwindow = "1 day"',
            "budgets[0].window must be a duration",
        ),
        (
            '[[budgets]]\nname = "b"\nsite = "s"\nmetric = "LCP"\nlimit = 1\n[[budgets]]\nname = "b"\nsite = "s"\nmetric = "LCP"\nlimit = 2',
            "budget 'b' is defined twice",
        ),
        ('[[alerts]]\nname = "a"\nbudget = "nope"', "alerts[0].budget names no budget"),
        (
            '[[alerts]]\nname = "a"\nsite = "s"\nmetric = "LCP"\nabove = 1\nchannels = ["x"]',
            "unknown channels: x",
        ),
        ('[[channels]]\nname = "c"\ntype = "pager"', "channels[0].type must be one of"),
        (
            '[[channels]]\nname = "c"\ntype = "webhook"\nurl = "ftp://x"',
            "channels[0].url must be an http(s) URL",
        ),
        (
            '[[channels]]\nname = "c"\ntype = "email"\nto = ["nobody"]',
            "channels[0].to must be a list of e-mail",
        ),
        (
            '[[channels]]\nname = "c"\ntype = "webhook"\nurl = "https://x"\nsecret_env = "RUMHOUSE_TEST_UNSET_SECRET"',
            "RUMHOUSE_TEST_UNSET_SECRET, which is not set",
        ),
        (
            '[[alerts]]\nname = "a"\nsite = "s"\nmetric = "LCP"\nabove = 1\nseverity = "page-me"',
            "alerts[0].severity must be one of info, warning, critical",
        ),
        (
            '[[alerts]]\nname = "a"\nsite = "s"\nmetric = "LCP"\nabove = 1\neach = "endpoint"',
            'alerts[0].each = "endpoint" applies to server_duration',
        ),
        ('[[alerts]]\npreset = "frontend"\nsite = "s"', "alerts[0].preset must be one of backend"),
        ('[[alerts]]\npreset = "backend"\nsite = "s"\nabove = 3', "(a preset) takes name, site"),
    ],
)
def test_bad_definitions_name_the_field(text, message):
    with pytest.raises(SpecError) as caught:
        parse(text)
    assert message in str(caught.value)
