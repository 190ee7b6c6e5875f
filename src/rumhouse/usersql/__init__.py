"""People's SQL (`POST /api/v1/sql`, `rumhouse sql`): parsed by ClickHouse, checked against allow-lists
(guard.py), then run under limits of its own (settings.SqlLimits, run.py)."""
