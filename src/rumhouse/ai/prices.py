"""The price table: what a model's tokens cost, per million, in US dollars. Costs are estimates: tokens
times these prices, as the providers publish them, not what an invoice says (discounts, batch prices,
regional prices and taxes are not known here).

The shipped table (DEFAULT_PRICES, the providers' list prices as of PRICES_DATE) is a starting point;
the configuration's `[[ai_prices]]` tables add models and replace the shipped ones of the same name:

    [[ai_prices]]
    model = "gpt-4o-mini"      # matches that model and its dated versions (gpt-4o-mini-2024-07-18)
    input = 0.15               # per million input tokens
    output = 0.60              # per million output tokens
    cached_input = 0.075       # per million input tokens read from the provider's cache (default: input)

A model matches the longest name of the table that it is, or starts with followed by "-", "@" or ":".
"""

from __future__ import annotations

from dataclasses import dataclass

from rumhouse.sites import ConfigError

PRICES_DATE = "2025-06"


@dataclass(frozen=True)
class Price:
    model: str
    input: float
    output: float
    cached_input: float | None = None

    def cost(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float:
        """US dollars: cached input tokens at their price (they are part of the input tokens)."""
        cached = min(cached_tokens, input_tokens)
        cached_price = self.input if self.cached_input is None else self.cached_input
        return (
            (input_tokens - cached) * self.input + cached * cached_price + output_tokens * self.output
        ) / 1e6


DEFAULT_PRICES = (
    Price("gpt-4o", 2.50, 10.00, 1.25),
    Price("gpt-4o-mini", 0.15, 0.60, 0.075),
    Price("gpt-4.1", 2.00, 8.00, 0.50),
    Price("gpt-4.1-mini", 0.40, 1.60, 0.10),
    Price("gpt-4.1-nano", 0.10, 0.40, 0.025),
    Price("o3", 2.00, 8.00, 0.50),
    Price("o3-mini", 1.10, 4.40, 0.55),
    Price("o4-mini", 1.10, 4.40, 0.275),
    Price("text-embedding-3-small", 0.02, 0.0),
    Price("text-embedding-3-large", 0.13, 0.0),
    Price("claude-3-5-haiku", 0.80, 4.00, 0.08),
    Price("claude-3-5-sonnet", 3.00, 15.00, 0.30),
    Price("claude-3-7-sonnet", 3.00, 15.00, 0.30),
    Price("claude-sonnet-4", 3.00, 15.00, 0.30),
    Price("claude-opus-4", 15.00, 75.00, 1.50),
    Price("gemini-2.0-flash", 0.10, 0.40, 0.025),
    Price("gemini-2.5-flash", 0.30, 2.50, 0.075),
    Price("gemini-2.5-pro", 1.25, 10.00, 0.31),
)

_SEPARATORS = ("-", "@", ":")


class PriceTable:
    def __init__(self, prices: tuple[Price, ...] = DEFAULT_PRICES) -> None:
        self.prices = {p.model: p for p in prices}
        self._longest_first = sorted(self.prices, key=len, reverse=True)

    def find(self, model: str) -> Price | None:
        if model in self.prices:
            return self.prices[model]
        for name in self._longest_first:
            if model.startswith(name) and model[len(name)] in _SEPARATORS:
                return self.prices[name]
        return None

    def cost(self, model: str, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float | None:
        """US dollars, or None for a model the table does not price."""
        price = self.find(model)
        return None if price is None else price.cost(input_tokens, output_tokens, cached_tokens)


def _number(raw: dict, key: str, where: str, required: bool = True) -> float | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1_000_000:
        raise ConfigError(f"{where}.{key} must be a price in US dollars per million tokens (0 to 1000000)")
    return float(value)


def parse_prices(tables: list) -> PriceTable:
    """The configuration's [[ai_prices]] on top of the shipped table."""
    prices = {p.model: p for p in DEFAULT_PRICES}
    seen = set()
    for i, raw in enumerate(tables):
        where = f"ai_prices[{i}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} must be a table")
        model = raw.get("model")
        if not isinstance(model, str) or not 1 <= len(model) <= 128:
            raise ConfigError(f"{where}.model must be a model name (1 to 128 characters)")
        if model in seen:
            raise ConfigError(f"{where}: model {model!r} is priced twice")
        seen.add(model)
        prices[model] = Price(
            model,
            _number(raw, "input", where) or 0.0,
            _number(raw, "output", where) or 0.0,
            _number(raw, "cached_input", where, required=False),
        )
    return PriceTable(tuple(prices.values()))
