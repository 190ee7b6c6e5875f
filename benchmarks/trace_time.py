"""Main-thread time of one script, from a Chrome trace (the events DevTools' Performance panel shows).

A script's time is what the renderer's main thread spends on that script's behalf:
- its evaluation: the `EvaluateScript` event of its URL (compiling what was not compiled in the background,
  running the top level, and every function and browser API the top level calls);
- every callback the browser calls in it: `FunctionCall` events whose function is in the script (performance
  observers, event listeners, timers, animation frames), each with all the browser work done inside it
  (`getEntriesByType`, `sendBeacon`, style or layout it forces, a garbage collection it triggers);
- code of the script that other JavaScript calls directly (the page calling a wrapped `fetch`, promise
  reactions): no trace event marks those, so they are counted from the V8 CPU profile recorded in the same
  trace (samples about every 0.2 ms with a frame of the script on the stack, outside the events above),
  except where a wrapper of the script forwards the page's own call to the browser function it wraps
  (`FORWARDED`: the page's `fetch` itself is the page's work, not the wrapper's).

Each event's CPU time of the main thread (`tdur`) is counted, and its wall time (`dur`) too: on a shared
machine wall time also counts the time the thread waited for a core, CPU time does not. A sample stands for
the wall time until the next one; its CPU time is estimated with the CPU share (`tdur / dur`) of the
innermost traced event around it (the page's task that called the script). Not counted: work on other
threads or processes (background parsing, the network).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8",
    "v8.execute",
    "disabled-by-default-v8.cpu_profiler",
]
TOP = ("EvaluateScript", "FunctionCall", "v8.compile")
# The browser functions that rum.js wraps (api.js, spa.js). Its wrappers are anonymous in the minified
# build (no name to match the wrapped function's), so the names are listed.
FORWARDED = {"fetch", "open", "send", "pushState", "replaceState"}


@dataclass
class ScriptTime:
    eval_cpu: float = 0.0  # ms
    eval_wall: float = 0.0
    callbacks_cpu: float = 0.0
    callbacks_wall: float = 0.0
    calls: int = 0
    sampled_cpu: float = 0.0  # ms of code called from other scripts (CPU profile samples)
    sampled_wall: float = 0.0

    @property
    def cpu(self) -> float:
        return self.eval_cpu + self.callbacks_cpu + self.sampled_cpu

    @property
    def wall(self) -> float:
        return self.eval_wall + self.callbacks_wall + self.sampled_wall


def _url(event: dict) -> str:
    args = event.get("args") or {}
    return (args.get("data") or {}).get("url") or args.get("fileName") or ""


def script_time(trace: bytes, url: str) -> ScriptTime | None:
    """The main-thread time of the script at `url` in a trace; None when the script did not run."""
    data = json.loads(trace)
    events = data["traceEvents"] if isinstance(data, dict) else data
    ours = [e for e in events if e.get("ph") == "X" and e["name"] in TOP and _url(e) == url]
    evaluations = [e for e in ours if e["name"] == "EvaluateScript"]
    if not evaluations:
        return None
    pid, tid = evaluations[0]["pid"], evaluations[0]["tid"]
    ours = sorted((e for e in ours if (e["pid"], e["tid"]) == (pid, tid)), key=lambda e: (e["ts"], -e["dur"]))

    # Only the outermost of nested events counts (a compile inside an evaluation is part of it).
    spans: list[tuple[float, float]] = []
    out = ScriptTime()
    for e in ours:
        if spans and e["ts"] < spans[-1][1]:
            continue
        spans.append((e["ts"], e["ts"] + e["dur"]))
        cpu, wall = e.get("tdur", e["dur"]) / 1000, e["dur"] / 1000
        if e["name"] == "FunctionCall":
            out.callbacks_cpu += cpu
            out.callbacks_wall += wall
            out.calls += 1
        else:
            out.eval_cpu += cpu
            out.eval_wall += wall

    cpu, wall = _sampled_outside(events, pid, tid, url, spans)
    out.sampled_cpu, out.sampled_wall = cpu / 1000, wall / 1000
    return out


def _sampled_outside(
    events: list[dict], pid: int, tid: int, url: str, spans: list[tuple[float, float]]
) -> tuple[float, float]:
    """Microseconds (CPU, wall) of CPU-profile samples of the main thread with a frame of `url` on the
    stack, outside `spans`: code of the script that other JavaScript called."""
    profiles = {e["id"] for e in events if e["name"] == "Profile" and (e["pid"], e["tid"]) == (pid, tid)}
    nodes: dict[int, dict] = {}
    samples: list[tuple[float, int]] = []
    t = None
    for e in events:
        if e["name"] not in ("Profile", "ProfileChunk") or e.get("id") not in profiles:
            continue
        d = e["args"]["data"]
        t = d.get("startTime", t)
        profile = d.get("cpuProfile") or {}
        for node in profile.get("nodes", []):
            nodes[node["id"]] = node
        for sample, delta in zip(profile.get("samples", []), d.get("timeDeltas", []), strict=False):
            t += delta
            samples.append((t, sample))
    samples.sort()
    if len(samples) < 2:
        return 0.0, 0.0
    tasks = [
        e
        for e in events
        if e.get("ph") == "X" and (e["pid"], e["tid"]) == (pid, tid) and e.get("dur") and "tdur" in e
    ]

    def cpu_share(ts: float) -> float:
        around = [e for e in tasks if e["ts"] <= ts < e["ts"] + e["dur"]]
        inner = max(around, key=lambda e: e["ts"], default=None)
        return min(inner["tdur"] / inner["dur"], 1.0) if inner else 1.0

    steps = sorted(b[0] - a[0] for a, b in pairwise(samples))
    step = steps[len(steps) // 2]
    memo: dict[int, bool] = {}

    def in_script(node_id: int) -> bool:
        if node_id not in memo:
            node = nodes.get(node_id)
            memo[node_id] = bool(node) and (
                node["callFrame"].get("url") == url or in_script(node.get("parent", -1))
            )
        return memo[node_id]

    def forwarded(node_id: int) -> bool:
        # A wrapped browser function (no URL) called directly by the script.
        leaf = nodes[node_id]["callFrame"]
        caller = nodes.get(nodes[node_id].get("parent", -1), {}).get("callFrame", {})
        return not leaf.get("url") and leaf.get("functionName") in FORWARDED and caller.get("url") == url

    cpu, wall, i = 0.0, 0.0, 0
    for (ts, sample), (next_ts, _) in pairwise(samples):
        while i < len(spans) and spans[i][1] <= ts:
            i += 1
        if (i < len(spans) and spans[i][0] <= ts) or not in_script(sample) or forwarded(sample):
            continue
        # A sample stands for the time until the next one, but not for a gap in sampling.
        time = min(next_ts - ts, 2 * step)
        wall += time
        cpu += time * cpu_share(ts)
    return cpu, wall
