"""Suggestion and release comparison operations:

GET /api/v1/suggestions?site=S&range=7d        at most 5, best first, each with its status
PUT /api/v1/suggestions/{id}?site=S            {"status": "open|accepted|done|dismissed", "note": "..."}
GET /api/v1/releases/compare?site=S&a=v1&b=v2[&range=7d][&confidence=0.95][&min_effect=0.05]
    (b alone: a is the release first seen before it)
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from rumhouse.api.access import ApiError
from rumhouse.api.filters import ParamError, parse_filters
from rumhouse.api.operation import Call, Operation
from rumhouse.api.query_types import WindowQuery
from rumhouse.budgets.release import compare_releases, previous_release
from rumhouse.budgets.routes import BudgetsRuntime
from rumhouse.budgets.suggestion_status import set_status, statuses
from rumhouse.budgets.suggestions import SHOWN, compute

Status = Literal["open", "accepted", "done", "dismissed"]


class Suggestion(msgspec.Struct, kw_only=True):
    id: str
    subject: str
    kind: str
    title: str
    action: str
    impact: float
    priority: str
    evidence: dict[str, Any]
    status: Status
    note: str | None = None
    updated_by: str | None = None
    updated_at: str | None = None


class Suggestions(msgspec.Struct):
    site: str
    filters: dict[str, Any]
    suggestions: list[Suggestion]
    considered: int  # how many were found before the best SHOWN were kept


class SiteOnly(msgspec.Struct):
    site: str


class StatusBody(msgspec.Struct, forbid_unknown_fields=True):
    status: Status
    note: str = ""


class StatusSet(msgspec.Struct):
    id: str
    site: str
    status: Status


class CompareQuery(WindowQuery, kw_only=True):
    b: str | None = None  # the release to judge (required)
    a: str | None = None  # the baseline (default: the release seen before b)
    confidence: float = 0.95  # of the interval, in [0.5, 1)
    min_effect: float = 0.05  # smallest change that counts, in [0, 1)


class MetricVerdict(msgspec.Struct, kw_only=True):
    metric: str
    release_a: str
    release_b: str
    samples_a: int
    samples_b: int
    p75_a: float | None
    p75_b: float | None
    change: float | None  # b's p75 relative to a's
    ci_low: float | None  # the bootstrap interval of the change
    ci_high: float | None
    verdict: str


class ReleaseComparison(msgspec.Struct):
    site: str
    release_a: str
    release_b: str
    filters: dict[str, Any]
    metrics: list[MetricVerdict]


def _site(call: Call) -> str:
    if not call.query.site:
        raise ApiError(400, "bad_request", "site is required")
    return call.query.site


def suggestion_operations(runtime: BudgetsRuntime) -> list[Operation]:
    def listing(call: Call) -> Suggestions:
        site = _site(call)
        call.reader_of(site)
        f = parse_filters(call.params, site)
        found = compute(runtime.store, f, runtime.ai_prices)
        known = statuses(runtime.store, site)
        rows = [{**s.to_dict(), **known.get(s.key, {"status": "open"})} for s in found[:SHOWN]]
        return Suggestions(site, f.describe(), msgspec.convert(rows, list[Suggestion]), len(found))

    def change(call: Call) -> StatusSet:
        site = call.query.site
        call.admin_of(site)
        body: StatusBody = call.body
        set_status(runtime.store, site, call.path["id"], body.status, body.note, call.actor)
        return StatusSet(call.path["id"], site, body.status)

    def compare(call: Call) -> ReleaseComparison:
        q: CompareQuery = call.query
        site = _site(call)
        call.reader_of(site)
        f = parse_filters(call.params, site)
        if not q.b:
            raise ApiError(400, "bad_request", "b (the release to judge) is required")
        if not (0.5 <= q.confidence < 1 and 0 <= q.min_effect < 1):
            raise ParamError("confidence is in [0.5, 1) and min_effect in [0, 1)")
        a = q.a or previous_release(runtime.store, f, q.b)
        if not a:
            raise ApiError(400, "bad_request", f"no release was seen before {q.b!r}; give a")
        rows = compare_releases(runtime.store, f, a, q.b, confidence=q.confidence, min_effect=q.min_effect)
        return ReleaseComparison(site, a, q.b, f.describe(), msgspec.convert(rows, list[MetricVerdict]))

    return [
        Operation(
            "GET", "/suggestions", "suggestions", f"At most {SHOWN} optimization suggestions, best first",
            listing, WindowQuery, answer=Suggestions,
        ),
        Operation(
            "PUT", "/suggestions/{id}", "suggestion_status",
            "Set a suggestion's status: open, accepted, done, dismissed (admin)",
            change, SiteOnly, body=StatusBody, answer=StatusSet,
        ),
        Operation(
            "GET", "/releases/compare", "compare_releases",
            "Release a vs b per metric: p75, samples, bootstrap interval, verdict",
            compare, CompareQuery, answer=ReleaseComparison,
        ),
    ]  # fmt: skip
