"""Alert rules evaluated in the server on an interval, and the channels they notify.

config.py     [[budgets]], [[alerts]] and [[channels]] of the TOML config
machine.py    one rule's state: ok -> pending -> firing -> resolved; what to notify (pure, clock given)
channels.py   webhook (HMAC-SHA256 signed), Slack incoming webhook, e-mail over SMTP
notifier.py   one notification per group and channel; delivery with retries and backoff
journal.py    state, history and deliveries in ClickHouse (or in memory, for tests)
service.py    the evaluator: a background thread started by Runtime.start, stopped by stop
routes.py     /api/v1/alerts...: rules and states, acknowledge, resolve, history, deliveries
"""
