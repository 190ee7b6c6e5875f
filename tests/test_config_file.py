"""The TOML config, decoded once: a misspelt key or table stops the start, naming the key, the table and
the file; the alert settings are read with the others, and a bad one is a message, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rumhouse.config_file import load_config
from rumhouse.sites import ConfigError
from support.budget_data import BUDGET_CONFIG
from support.server import CONFIG, REPO, server_env


def write(tmp_path, text: str):
    path = tmp_path / "rumhouse.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '[[sites]]\nkey = "shop"\norigin = ["https://shop.example"]\n',
            "unknown key 'origin' in [[sites]] number 1 (sites[0]); its keys are burst, key, name, origins, rate_limit",
        ),
        (
            '[[sites]]\nkey = "a"\n[[sites]]\nkey = "b"\nrate = 5\n',
            "unknown key 'rate' in [[sites]] number 2 (sites[1])",
        ),
        ('[[budget]]\nname = "lcp"\n', "unknown table or key 'budget' at the top level"),
        (
            '[[alerts]]\nname = "x"\nsite = "s"\nmetric = "LCP"\nthreshold = 4000\n',
            "unknown key 'threshold' in [[alerts]] number 1",
        ),
        (
            '[[channels]]\nname = "ops"\ntype = "webhook"\nurl = "https://h.example"\nsecrets = "x"\n',
            "unknown key 'secrets' in [[channels]] number 1",
        ),
        ('sites = "demo"\n', "Expected `array`, got `str`"),
        ('[[sites]]\nkey = "bad key!"\n', "sites[0].key must be 1-64 characters"),
    ],
)
def test_mistakes_are_named_with_the_file(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message, message


def test_a_full_config_still_loads(tmp_path):
    config = load_config(write(tmp_path, CONFIG + BUDGET_CONFIG.replace("{alerting}", "")))
    assert [s.key for s in config.sites] == ["demo", "shop"]
    assert config.alerting.budgets and {b.name for b in config.alerting.budgets} >= {"lcp-warn", "rare-lcp"}


def test_alert_keys_spelt_as_python_keywords(tmp_path):
    text = (
        '[[channels]]\nname = "mail"\ntype = "email"\nfrom = "rum@example.com"\nto = ["ops@example.com"]\n'
        '[[alerts]]\nname = "slow"\nsite = "s"\nmetric = "LCP"\nabove = 4000\nfor = "5m"\nchannels = ["mail"]\n'
    )
    config = load_config(write(tmp_path, text))
    assert config.alerting.rules[0].hold == 300 and config.alerting.channels[0].sender == "rum@example.com"


@pytest.mark.parametrize(
    "extra, expected",
    [
        (
            {"RUMHOUSE_CONFIG_TEXT": '[[sites]]\nkey = "shop"\norigin = ["*"]\n'},
            "unknown key 'origin' in [[sites]]",
        ),
        ({"RUMHOUSE_ALERT_INTERVAL": "abc"}, "RUMHOUSE_ALERT_INTERVAL must be a number, got 'abc'"),
    ],
)
def test_serve_stops_with_the_message(tmp_path, extra, expected):
    env = server_env(tmp_path / "data", extra.pop("RUMHOUSE_CONFIG_TEXT", CONFIG), **extra)
    done = subprocess.run(
        [sys.executable, "-m", "rumhouse", "serve", "--port", "1"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done
    assert expected in done.stderr and "Traceback" not in done.stderr, done.stderr
