"""The evaluator: every `interval` seconds each rule is observed and stepped, changes are journaled and
notified; between evaluations, deliveries that wait for a retry are tried when due.

Time comes from an injected clock (`clock() -> epoch seconds`) and each step takes `now`, so tests
drive an hour of simulated time in a loop without sleeping. In the server, a daemon thread started
by Runtime.start runs `run_forever` until Runtime.stop sets the stop event.

Intervals come from RUMHOUSE_ALERT_INTERVAL (seconds between evaluations, default 60) and
RUMHOUSE_ALERT_RETRY (first retry delay of a failed delivery, default 5; it doubles each time).
RUMHOUSE_ALERT_INTERVAL=0 turns evaluation off in a process: with several workers on one ClickHouse,
exactly one should evaluate, or every worker would notify (docs/alerts.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rumhouse.ai.prices import PriceTable
from rumhouse.alerts import scheduled_reports
from rumhouse.alerts.config import AlertingConfig, Rule, template_name
from rumhouse.alerts.journal import MemoryJournal, StoreJournal
from rumhouse.alerts.machine import Change, RuleState, acknowledge, resolve, step
from rumhouse.alerts.notifier import Notifier
from rumhouse.budgets.measure import Measurement, measure, measure_each
from rumhouse.budgets.repository import BudgetRepository
from rumhouse.budgets.status import budget_status
from rumhouse.query.filters import Filters
from rumhouse.store.base import StoreError

log = logging.getLogger("rumhouse.alerts")

Observation = tuple[bool | None, float | None]  # breached (None: no verdict), value
# What observing a rule gives: one observation, or for a rule judged per endpoint (or host) one per
# endpoint seen in its window (one without requests, or points, in the window gets no verdict: its state
# stays).
Observed = Observation | dict[str, Observation]


class Alerting:
    def __init__(
        self,
        config: AlertingConfig,
        *,
        store=None,
        journal=None,
        clock: Callable[[], float] = time.time,
        observe: Callable[[Rule, float], Observed] | None = None,
        interval: float = 60,
        retry: float = 5,
        senders=None,
        prices: PriceTable | None = None,  # what AI tokens cost, for ai_cost rules and budgets
    ) -> None:
        self.config = config
        self.prices = prices
        self.store = store
        self.clock = clock
        self.interval = interval  # RUMHOUSE_ALERT_INTERVAL, read with the other settings (settings.py)
        self.journal = journal or MemoryJournal()
        self.observe = observe or self.observe_store
        self.notifier = Notifier(
            {c.name: c for c in config.channels},
            backoff=retry,
            senders=senders,
            on_change=self._save_delivery,
        )
        self.rules = {r.name: r for r in config.rules}
        self.states: dict[str, RuleState] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # Observations

    def observe_store(self, rule: Rule, now: float) -> Observed:
        at = datetime.fromtimestamp(now, UTC)
        if rule.budget:
            repo = BudgetRepository(self.store, self.config.budgets)
            budget = repo.get(rule.budget)
            if budget is None:
                return None, None
            status = budget_status(self.store, repo, budget, now=at, since=rule.window, prices=self.prices)
            verdict = {"breached": True, "insufficient": None}.get(status["state"], False)
            return verdict, status["value"]
        if rule.target is None or rule.above is None:  # parse_rule gives a rule a budget or both of these
            return None, None
        f = Filters(rule.site, at - timedelta(seconds=rule.window), at, "custom")
        if rule.each:
            return {e: self._verdict(rule, m) for e, m in measure_each(self.store, rule.target, f).items()}
        return self._verdict(rule, measure(self.store, rule.target, f, self.prices))

    @staticmethod
    def _verdict(rule: Rule, m: Measurement) -> Observation:
        if m.samples < rule.min_samples or m.value is None or rule.above is None:
            return None, m.value
        return m.value > rule.above, m.value

    # Rules

    def rule_named(self, name: str) -> Rule | None:
        """A configured rule, or one endpoint's rule of a configured `each` rule ("errors[api GET /x]")."""
        rule = self.rules.get(name)
        if rule is not None:
            return rule
        template = self.rules.get(template_name(name))
        if template is None or not template.each or not name.endswith("]"):
            return None
        return template.for_subject(name[len(template.name) + 1 : -1])

    def listed(self, states: dict[str, RuleState]) -> dict[str, Rule]:
        """What the API lists: every configured rule, then the endpoints' rules that have a state."""
        found = dict(self.rules)
        for name in sorted(states):
            if name not in found and (rule := self.rule_named(name)) is not None:
                found[name] = rule
        return found

    # Evaluation

    def start_state(self) -> None:
        self.states = self.journal_states()

    def evaluate(self, now: float | None = None) -> list[Change]:
        now = self.clock() if now is None else now
        # The journal is the truth: an acknowledgement or resolution may have been made through
        # another worker's API since the last evaluation.
        with self._lock:
            self.start_state()
        items: list = []
        for template in self.rules.values():
            try:
                observed = self.observe(template, now)
            except StoreError as exc:
                log.warning("alert rule %s not evaluated: %s", template.name, exc)
                continue
            per_rule = (
                [(template.for_subject(e), o) for e, o in sorted(observed.items())]
                if isinstance(observed, dict)
                else [(template, observed)]
            )
            for rule, (breached, value) in per_rule:
                items += self._step(rule, breached, value, now)
        changes = [change for _, _, change in items]
        self.notifier.notify(items, now)
        self.send_reports(now)
        return changes

    def send_reports(self, now: float) -> None:
        """The scheduled reports whose latest period has not been sent to every channel yet."""
        for schedule in self.config.reports:
            end = scheduled_reports.period_end(schedule.period, now)
            key = scheduled_reports.key(schedule, end)
            try:
                missing = tuple(c for c in schedule.channels if c not in self.journal.channels_sent(key))
                if not missing:
                    continue
                repo = BudgetRepository(self.store, self.config.budgets)
                doc = scheduled_reports.build(
                    self.store, schedule, end, now, repo, self.prices or PriceTable()
                )
            except StoreError as exc:
                log.warning("report %s not built: %s", schedule.name, exc)
                continue
            self.notifier.notify_report(key, missing, doc, now)

    def _step(self, rule: Rule, breached: bool | None, value: float | None, now: float) -> list:
        """One rule's state moved by one observation; returns (rule, state, change) per change made."""
        with self._lock:
            before = self.states.get(rule.name, RuleState())
            after, made = step(rule, before, breached, value, now)
            self.states[rule.name] = after
        if after != before:
            self.journal.save_state(rule.name, after)
        for change in made:
            if change.after != change.before:
                self.journal.record(change, rule.site)
        return [(rule, after, change) for change in made]

    def deliver(self, now: float | None = None):
        return self.notifier.deliver_due(self.clock() if now is None else now)

    def _save_delivery(self, d) -> None:
        try:
            self.journal.save_delivery(d)
        except StoreError as exc:
            log.warning("delivery %s not journaled: %s", d.id, exc)

    # Manual actions (API)

    def act(self, name: str, action: str, who: str, note: str = "") -> RuleState:
        rule = self.rule_named(name)
        if rule is None:
            raise KeyError(name)
        now = self.clock()
        with self._lock:
            current = self.journal_states().get(name, RuleState())
            fn = acknowledge if action == "ack" else resolve
            after, change = fn(rule, current, who, now, note)
            self.states[name] = after
        self.journal.save_state(name, after)
        self.journal.record(change, rule.site)
        if change.notify:
            self.notifier.notify([(rule, after, change)], now)
        return after

    def snapshot(self) -> dict[str, RuleState]:
        """Rule states; a process that does not evaluate reads them from the journal."""
        if self._thread is None and self.store is not None:
            return self.journal_states()
        with self._lock:
            return dict(self.states)

    def journal_states(self) -> dict[str, RuleState]:
        return {name: s for name, s in self.journal.load_states().items() if self.rule_named(name)}

    # The background thread

    def attach(self, store) -> None:
        """The server's store, opened at start-up: observations read it, the journal writes to it."""
        self.store = store
        self.journal = StoreJournal(store)

    def start(self, *, evaluate: bool = True) -> None:
        """`evaluate=False`: serve the API from the journal, leave evaluation to another process."""
        if not (self.rules or self.config.reports) or self.interval <= 0 or not evaluate:
            return
        self.start_state()
        # Notifications still waiting for a retry when the process stopped are retried, not lost.
        known = set(self.notifier.channels)
        self.notifier.pending = {d.id: d for d in self.journal.pending_deliveries() if d.channel in known}
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="rumhouse-alerts", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        next_evaluation = 0.0
        while not self._stop.is_set():
            now = self.clock()
            try:
                if now >= next_evaluation:
                    next_evaluation = now + self.interval
                    self.evaluate(now)
                self.deliver(now)
            except Exception:  # the loop must outlive one bad evaluation
                log.exception("alert evaluation failed")
            self._stop.wait(min(self.interval, 0.5))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
