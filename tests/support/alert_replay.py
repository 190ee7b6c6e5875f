"""Alert rules evaluated over a stopped server's data on a simulated clock: the real evaluator, rules,
store and notifier, stepping through time that already passed in the data.

It runs in a child process, as folder_sql.py does (chDB opens one data folder per process). Usage:
`replay_alerts(data_dir, rules_toml, start, end, step)` -> {"changes": [...], "sent": [...]}: every state
change the evaluator made, and every document its (recording) channel was sent. The states are
written to the folder's journal, as the server's evaluator writes them.
"""

from __future__ import annotations

from pathlib import Path

from support.folder_sql import in_child

_CHILD = """
import json, sys, tomllib
from pathlib import Path
from rumhouse.alerts.channels import summary_line
from rumhouse.alerts.config import parse_alerting
from rumhouse.alerts.service import Alerting
from rumhouse.store.embedded import EmbeddedStore

job = json.loads(sys.stdin.read())
store = EmbeddedStore(Path(sys.argv[1]))
sent = []
now = [job["start"]]
config = parse_alerting(tomllib.loads(job["rules"]))
alerting = Alerting(
    config,
    clock=lambda: now[0],
    senders={"webhook": lambda channel, doc: sent.append({**doc, "summary": summary_line(doc)})},
)
alerting.attach(store)  # states and history go to the folder, where the restarted server reads them
changes = []
while now[0] <= job["end"]:
    for c in alerting.evaluate():
        changes.append({"rule": c.rule, "from": c.before, "to": c.after, "at": c.at, "value": c.value,
                        "notify": c.notify})
    alerting.deliver()
    now[0] += job["step"]
store.close()
print(json.dumps({"changes": changes, "sent": sent}))
"""


def replay_alerts(data_dir: Path, rules: str, start: float, end: float, step: float = 60) -> dict:
    job = {"rules": rules, "start": start, "end": end, "step": step}
    result = in_child(_CHILD, data_dir, job)
    assert isinstance(result, dict)
    return result


def changes(result: dict, rule: str, to: str) -> list[dict]:
    """The state changes of a replay's `rule` into state `to` ("firing", "resolved", ...), in time order."""
    return [c for c in result["changes"] if c["rule"] == rule and c["to"] == to]


# A channel for the rules of a replay: the replay records what it would be sent (nothing is delivered).
RECORDER = """
[[channels]]
name = "rec"
type = "webhook"
url = "http://127.0.0.1:9/"
"""


def first_sustained(times, breached, hold):
    """The first evaluation time at which `breached` has held at every evaluation for `hold` seconds:
    when a rule with that `for` fires, worked out from the data the test sent."""
    since = None
    for t in times:
        if not breached(t):
            since = None
            continue
        since = t if since is None else since
        if t - since >= hold:
            return t
    return None
