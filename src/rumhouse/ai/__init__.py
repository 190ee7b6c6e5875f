"""AI calls: what they cost (prices.py, from the configuration's price table) and what the API answers of
them (routes.py), from the GenAI spans of otel_traces (clickhouse/0017_gen_ai.sql, query/ai.py)."""
