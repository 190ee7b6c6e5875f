"""The price table: a model's dated versions take its price, the longest name wins, cached input tokens
cost their own price, the configuration adds and replaces models, and a bad entry names its field."""

import pytest

from rumhouse.ai.prices import DEFAULT_PRICES, PriceTable, parse_prices
from rumhouse.config_file import parse_config
from rumhouse.sites import ConfigError


def test_dated_versions_take_their_familys_price_and_the_longest_name_wins():
    table = PriceTable()
    assert table.find("gpt-4o-mini-2024-07-18").model == "gpt-4o-mini"  # not gpt-4o
    assert table.find("gpt-4o-2024-08-06").model == "gpt-4o"
    assert table.find("claude-3-5-sonnet@20240620").model == "claude-3-5-sonnet"
    assert table.find("gpt-4omni") is None and table.find("my-model") is None
    assert table.cost("my-model", 1000, 1000) is None


def test_cached_input_tokens_cost_their_own_price():
    table = PriceTable()
    # gpt-4o: 2.50 input, 10.00 output, 1.25 cached input, per million tokens.
    assert table.cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.50)
    assert table.cost("gpt-4o", 1_000_000, 500_000, 400_000) == pytest.approx(0.6 * 2.50 + 0.4 * 1.25 + 5.0)
    # Cached tokens are part of the input: never more than it.
    assert table.cost("gpt-4o", 100, 0, 1000) == pytest.approx(100 * 1.25 / 1e6)


def test_the_configuration_adds_and_replaces_models():
    config = parse_config(
        {
            "ai_prices": [
                {"model": "gpt-4o-mini", "input": 0.2, "output": 0.8},
                {"model": "in-house", "input": 0, "output": 0, "cached_input": 0},
            ]
        }
    )
    assert config.ai_prices.cost("gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000) == pytest.approx(1.0)
    assert config.ai_prices.cost("in-house", 5, 5) == 0
    assert len(config.ai_prices.prices) == len(DEFAULT_PRICES) + 1


@pytest.mark.parametrize(
    ("tables", "says"),
    [
        ([{"model": "", "input": 1, "output": 1}], "ai_prices[0].model must be a model name"),
        ([{"model": "m", "input": -1, "output": 1}], "ai_prices[0].input must be a price"),
        ([{"model": "m", "input": 1, "output": "free"}], "ai_prices[0].output must be a price"),
        ([{"model": "m", "input": 1, "output": 1}] * 2, "model 'm' is priced twice"),
    ],
)
def test_a_bad_price_names_its_field(tables, says):
    with pytest.raises(ConfigError) as caught:
        parse_prices(tables)
    assert says in str(caught.value)


def test_an_unknown_key_is_refused_by_the_config_file():
    with pytest.raises(ConfigError) as caught:
        parse_config({"ai_prices": [{"model": "m", "input": 1, "output": 1, "currency": "EUR"}]})
    assert "currency" in str(caught.value)
