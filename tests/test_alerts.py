"""Alert rules with simulated time: an hour of evaluations runs in milliseconds. No storms: one
notification per state change, reminders on the set interval, grouping; acknowledgement and manual
resolution tracked with who and when."""

import math
import tomllib

from rumhouse.alerts.config import parse_alerting
from rumhouse.alerts.service import Alerting

MINUTE = 60
HOUR = 3600
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def build(rules_toml: str, pattern, *, channels=("rec",)):
    """An Alerting whose observation of every rule at time t is pattern(rule, t - T0) (True: breached),
    and whose channels record what they are sent."""
    hooks = "".join(
        f'[[channels]]\nname = "{c}"\ntype = "webhook"\nurl = "http://127.0.0.1:9/"\n' for c in channels
    )
    config = parse_alerting(tomllib.loads(rules_toml + hooks))
    sent = []
    clock = Clock()
    alerting = Alerting(
        config,
        clock=clock,
        interval=MINUTE,
        retry=5,
        observe=lambda rule, now: (pattern(rule, now - T0), 1.0),
        senders={"webhook": lambda channel, doc: sent.append((channel.name, doc))},
    )
    return alerting, clock, sent


def run(alerting, clock, seconds, step=MINUTE):
    """Evaluate every `step` seconds over [0, seconds), delivering as the server loop does."""
    for t in range(0, seconds, step):
        clock.now = T0 + t
        alerting.evaluate()
        alerting.deliver()


RULE = """
[[alerts]]
name = "{name}"
site = "s"
metric = "LCP"
above = 4000
for = "{hold}"
repeat = "{repeat}"
channels = ["rec"]
{extra}
"""


def rule(name="r", hold="10m", repeat="30m", extra=""):
    return RULE.format(name=name, hold=hold, repeat=repeat, extra=extra)


def test_breached_for_an_hour_fires_once_then_reminds_on_the_interval():
    alerting, clock, sent = build(rule(hold="10m", repeat="20m"), lambda r, t: True)
    run(alerting, clock, HOUR)
    # Independently: pending at 0, firing once 10 minutes have passed, then one reminder per 20 minutes
    # of evaluations that fall inside the hour (last evaluation at 59 minutes).
    fire_at, last = 10 * MINUTE, HOUR - MINUTE
    reminders = math.floor((last - fire_at) / (20 * MINUTE))
    kinds = [doc["kind"] for _, doc in sent]
    assert kinds == ["firing"] + ["reminder"] * reminders
    assert len(sent) == 1 + reminders == 3
    assert alerting.snapshot()["r"].state == "firing"


def test_no_reminders_when_repeat_is_zero():
    alerting, clock, sent = build(rule(hold="0s", repeat="0s"), lambda r, t: True)
    run(alerting, clock, HOUR)
    assert [doc["kind"] for _, doc in sent] == ["firing"]


def test_flapping_shorter_than_for_sends_nothing():
    # Breached for 4 minutes, clear for 4 minutes, all hour long; `for` is 5 minutes: never fires.
    flapping = lambda r, t: (t // (4 * MINUTE)) % 2 == 0
    alerting, clock, sent = build(rule(hold="5m"), flapping)
    run(alerting, clock, HOUR)
    assert sent == []
    states = [e["to"] for e in alerting.journal.events(10_000)]
    assert "firing" not in states and states.count("pending") == 8  # 8 breached stretches in an hour


def test_flapping_with_no_hold_notifies_once_per_state_change():
    flapping = lambda r, t: (t // (4 * MINUTE)) % 2 == 0
    alerting, clock, sent = build(rule(hold="0s", repeat="30m"), flapping)
    run(alerting, clock, HOUR)
    # Independently: count the changes of the pattern over the evaluation times.
    values = [flapping(None, t) for t in range(0, HOUR, MINUTE)]
    fired = sum(1 for i, v in enumerate(values) if v and (i == 0 or not values[i - 1]))
    resolved = sum(1 for i, v in enumerate(values) if not v and i > 0 and values[i - 1])
    assert [doc["kind"] for _, doc in sent].count("firing") == fired == 8
    assert [doc["kind"] for _, doc in sent].count("resolved") == resolved == 7
    assert len(sent) == fired + resolved  # each stretch is shorter than `repeat`: no reminders


def test_a_group_changing_together_sends_one_notification():
    rules = "".join(rule(f"r{i}", hold="0s", extra='group = "checkout"') for i in range(3)) + rule(
        "alone", hold="0s"
    )
    alerting, clock, sent = build(rules, lambda r, t: t < 30 * MINUTE)
    run(alerting, clock, HOUR)
    firing = [doc for _, doc in sent if doc["kind"] == "firing"]
    resolved = [doc for _, doc in sent if doc["kind"] == "resolved"]
    assert sorted(d["group"] for d in firing) == ["alone", "checkout"]
    assert sorted(a["rule"] for a in next(d for d in firing if d["group"] == "checkout")["alerts"]) == [
        "r0",
        "r1",
        "r2",
    ]
    assert len(resolved) == 2 and len(sent) == 4


def test_acknowledged_alert_sends_no_reminders_and_keeps_who_and_when():
    alerting, clock, sent = build(rule(hold="0s", repeat="10m"), lambda r, t: True)
    run(alerting, clock, 5 * MINUTE)
    clock.now = T0 + 5 * MINUTE + 1
    state = alerting.act("r", "ack", "tok123", "looking")
    assert state.acked_by == "tok123" and state.acked_at == T0 + 5 * MINUTE + 1
    for t in range(6 * MINUTE, HOUR, MINUTE):
        clock.now = T0 + t
        alerting.evaluate()
        alerting.deliver()
    assert [doc["kind"] for _, doc in sent] == ["firing"]
    ack = next(e for e in alerting.journal.events() if e["to"] == "acknowledged")
    assert ack["actor"] == "tok123" and ack["note"] == "looking"


def test_manual_resolution_then_refire_is_a_new_incident():
    breached = {"on": True}
    alerting, clock, sent = build(rule(hold="0s", repeat="1h"), lambda r, t: breached["on"])
    run(alerting, clock, 2 * MINUTE)
    clock.now = T0 + 2 * MINUTE
    state = alerting.act("r", "resolve", "alice", "fixed the CDN")
    assert state.state == "resolved" and state.resolved_by == "alice"
    breached["on"] = False
    for t in range(3 * MINUTE, 10 * MINUTE, MINUTE):
        clock.now = T0 + t
        alerting.evaluate()
        alerting.deliver()
    assert alerting.snapshot()["r"].state == "resolved"
    assert [doc["kind"] for _, doc in sent] == ["firing", "resolved"]


def test_no_verdict_changes_nothing():
    alerting, clock, sent = build(rule(hold="0s"), lambda r, t: True if t < 5 * MINUTE else None)
    run(alerting, clock, HOUR)
    # Still firing, but no reminder at 30 minutes: without data there is nothing new to say.
    assert [doc["kind"] for _, doc in sent] == ["firing"]
    assert alerting.snapshot()["r"].state == "firing"
