"""Performance budgets, the CI gate, optimization suggestions and release comparison.

targets.py      what is measured: a metric, a statistic and the rows it covers (path, endpoint, type)
measure.py      a target over a time window -> value and sample count (SQL per metric kind)
model.py        a budget: parsed from TOML or API JSON, validated the same way
judge.py        value + limit + override -> within / warning / breached / insufficient / overridden
repository.py   budgets from the config (code) and the API (ClickHouse), overrides
release.py      release A vs release B per metric, bootstrap confidence interval on p75
suggestions.py  optimization suggestions from the data, with evidence, impact and priority
routes.py       /api/v1/budgets..., /api/v1/releases/compare, /api/v1/suggestions
"""
