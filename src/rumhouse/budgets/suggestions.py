"""Optimization suggestions computed from a site's data, each with its evidence, an estimate of its
impact (a share between 0 and 1 of what it is about: p75 LCP, script bytes, failed calls...), and a
priority. At most 5 are shown, and only those whose impact is over 10%.

Each check is a function of a few aggregates (those several checks share are read once per compute();
page views per host or endpoint are counted with `uniq`, exact up to 65,536 and within about 1% past
that, where an exact count made the suggestions of a busy site the slowest panel); the thresholds are
the published "good" limits where there is one (TTFB 800 ms, CLS 0.1) and stated here where there is
not. The estimates are simple on purpose: they rank the work, they do not promise a number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from rumhouse.ai.prices import PriceTable
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store
from rumhouse.tables import THRESHOLDS

MIN_IMPACT = 0.10
SHOWN = 5
MIN_PAGE_VIEWS = 20
# Decoded bytes per page view: what the browser parses and runs (scripts) or decodes (images), whatever
# the compression and the cache did to the transfer. About 500 KB of script is what a mid-range phone
# parses and runs without a long task dominating the load.
SCRIPT_BUDGET = 500_000
IMAGE_BUDGET = 1_000_000
SLOW_API_MS = 500
SLOW_THIRD_PARTY_MS = 500
CHATTY_CALLS = 3  # the same endpoint more often than this per page view: batch it
TEXT_TYPES = ("script", "css", "other")


@dataclass
class Suggestion:
    subject: str  # kind:subject, e.g. batching:api.example.com/cart
    kind: str
    title: str
    action: str
    impact: float
    evidence: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable across computations (status is kept under it) and safe in a URL path."""
        return f"{self.kind}-{hashlib.sha256(self.subject.encode()).hexdigest()[:12]}"

    @property
    def priority(self) -> str:
        return "high" if self.impact >= 0.3 else "medium" if self.impact >= 0.15 else "low"

    def to_dict(self) -> dict:
        return {
            "id": self.key,
            "subject": self.subject,
            "kind": self.kind,
            "title": self.title,
            "action": self.action,
            "impact": round(self.impact, 4),
            "priority": self.priority,
            "evidence": self.evidence,
        }


def _q(store: Store, sql: str, f: Filters) -> list[list]:
    return store.query(sql, f.params(), readonly=True).rows


# What several checks of one compute() read (a vital's p75, the page views), read once: at 10M page views
# each is a scan of a day's raw rows.
_shared: ContextVar[dict | None] = ContextVar("suggestion_facts", default=None)


def once(key: str, read: Callable[[], Any]) -> Any:
    """`read()`, read once per compute() under `key` (every time when a check is called on its own)."""
    facts = _shared.get()
    if facts is None:  # a check called on its own
        return read()
    if key not in facts:
        facts[key] = read()
    return facts[key]


SHARED_VITALS = ("TTFB", "LCP", "CLS")  # the vitals whose p75 the checks judge


def _p75(store: Store, f: Filters, name: str) -> tuple[float | None, int]:
    """The exact p75 of a vital (one of SHARED_VITALS) and its samples."""

    def read() -> dict[str, tuple[float | None, int]]:
        rows = _q(
            store,
            "SELECT name, quantileExactInclusive(0.75)(value), count() FROM rumhouse.vitals"
            f" WHERE {f.raw_where()} AND name IN {SHARED_VITALS} GROUP BY name",
            f,
        )
        return {name: (float(value), int(n)) for name, value, n in rows if n}

    found: dict = once("p75", read)
    return found.get(name, (None, 0))


def _page_views(store: Store, f: Filters) -> int:
    return once(
        "page_views",
        lambda: _q(store, f"SELECT count() FROM rumhouse.page_views WHERE {f.raw_where()}", f)[0][0],
    )


def slow_server(store: Store, f: Filters) -> list[Suggestion]:
    ttfb, n_ttfb = _p75(store, f, "TTFB")
    lcp, n_lcp = _p75(store, f, "LCP")
    if not ttfb or not lcp or min(n_ttfb, n_lcp) < MIN_PAGE_VIEWS:
        return []
    impact = max(0.0, ttfb - THRESHOLDS["TTFB"][0]) / lcp
    return [
        Suggestion(
            "server:document",
            "server",
            "Much of LCP is spent before the first byte",
            "Speed up the server response or cache the HTML (CDN, full-page cache)",
            min(impact, 1.0),
            {"p75_ttfb_ms": ttfb, "p75_lcp_ms": lcp, "ttfb_share_of_lcp": ttfb / lcp, "samples": n_lcp},
        )
    ]


def _per_view_bytes(store: Store, f: Filters) -> dict[str, tuple[float | None, int]]:
    """Per type (script, img): the p75 of the decoded bytes of a page view with that type, and how many
    page views had it; both types in one pass over the resources."""
    types = ("script", "img")
    per_view = ", ".join(
        f"sumIf(decoded_bytes, type = '{t}') AS b_{t}, countIf(type = '{t}') AS n_{t}" for t in types
    )
    stats = ", ".join(f"quantileExactInclusiveIf(0.75)(b_{t}, n_{t} > 0), countIf(n_{t} > 0)" for t in types)
    [row] = _q(
        store,
        f"SELECT {stats} FROM (SELECT page_view_id, {per_view} FROM rumhouse.resources WHERE {f.raw_where()}"
        f" AND type IN {types} GROUP BY page_view_id)",
        f,
    )
    out = {}
    for i, t in enumerate(types):
        value, n = row[2 * i], int(row[2 * i + 1])
        out[t] = (float(value) if n and value is not None else None, n)
    return out


def heavy_scripts(store: Store, f: Filters) -> list[Suggestion]:
    out = []
    per_view = _per_view_bytes(store, f)
    for rtype, budget, kind, title, action in (
        (
            "script",
            SCRIPT_BUDGET,
            "scripts",
            "Heavy JavaScript per page view",
            "Split the bundle by route, load what is below the fold later, drop unused dependencies",
        ),
        (
            "img",
            IMAGE_BUDGET,
            "images",
            "Heavy images per page view",
            "Serve AVIF/WebP at the displayed size (srcset) and lazy-load images below the fold",
        ),
    ):
        value, n = per_view[rtype]
        if value is None or n < MIN_PAGE_VIEWS or value <= budget:
            continue
        out.append(
            Suggestion(
                f"{kind}:all",
                kind,
                title,
                action,
                (value - budget) / value,
                {"p75_decoded_bytes_per_page_view": value, "budget_bytes": budget, "page_views": n},
            )
        )
    return out


TEXT = f"type IN {TEXT_TYPES}"
FIRST_PARTY_STATIC = "third_party = 0 AND type IN ('script', 'css', 'font', 'img')"


def _resources(store: Store, f: Filters) -> tuple[list[list], list]:
    """What the resource checks read, in one pass over the window's resources: per host, and over all hosts
    (the row of the empty grouping set), the columns
    [host, uncompressed text bytes, text bytes, page views with text, cache hits of first-party static files,
    those files, page views with them, third-party duration sum, third-party resources, page views with them].
    Page views are counted with `uniq`: exact up to 65,536 of them, within about 1% past that."""

    def read() -> tuple[list[list], list]:
        rows = _q(
            store,
            "SELECT grouping(resource_host), resource_host,"
            f" sumIf(decoded_bytes, {TEXT} AND encoded_bytes = decoded_bytes AND decoded_bytes > 1024),"
            f" sumIf(decoded_bytes, {TEXT}), uniqIf(page_view_id, {TEXT}),"
            f" sumIf(cache_hits, {FIRST_PARTY_STATIC}), sumIf(count, {FIRST_PARTY_STATIC}),"
            f" uniqIf(page_view_id, {FIRST_PARTY_STATIC}), sumIf(duration_total_ms, third_party = 1),"
            " sumIf(count, third_party = 1), uniqIf(page_view_id, third_party = 1)"
            f" FROM rumhouse.resources WHERE {f.raw_where()}"
            # The empty set's row (grouping() = 1) holds the totals: page views are not a sum of the hosts'.
            " GROUP BY GROUPING SETS ((resource_host), ())",
            f,
        )
        total = next((r[1:] for r in rows if r[0]), ["", *[0] * 9])
        return [r[1:] for r in rows if not r[0]], total

    return once("resources", read)


def uncompressed_text(store: Store, f: Filters) -> list[Suggestion]:
    rows = [r[:4] for r in _resources(store, f)[0] if r[3]]  # the hosts with text
    total = sum(r[2] for r in rows)
    plain = sum(r[1] for r in rows)
    if not total or sum(r[3] for r in rows) < MIN_PAGE_VIEWS:
        return []
    # gzip or brotli shrink text by about 70%: that share of the uncompressed bytes goes away.
    impact = 0.7 * plain / total
    hosts = sorted(((r[0], r[1]) for r in rows if r[1]), key=lambda x: -x[1])[:5]
    return [
        Suggestion(
            "compression:text",
            "compression",
            "Text resources are served uncompressed",
            "Turn on gzip or brotli for JavaScript, CSS and other text on these hosts",
            impact,
            {
                "uncompressed_bytes": plain,
                "text_bytes": total,
                "hosts": [{"host": h, "uncompressed_bytes": b} for h, b in hosts],
            },
        )
    ]


def cache_hits(store: Store, f: Filters) -> list[Suggestion]:
    hits, n, views = _resources(store, f)[1][4:7]
    if not n or views < MIN_PAGE_VIEWS:
        return []
    rate = hits / n
    # Static files with long cache lifetimes are hit on most repeat views; under half hints at no caching.
    return [
        Suggestion(
            "cache:static",
            "cache",
            "Low cache-hit rate on static files",
            "Fingerprint file names and send Cache-Control: max-age=31536000, immutable",
            max(0.0, 0.5 - rate),
            {"cache_hit_rate": rate, "resources": n},
        )
    ]


def slow_third_parties(store: Store, f: Filters) -> list[Suggestion]:
    rows = [(r[0], r[7] / r[8], r[9]) for r in _resources(store, f)[0] if r[8]]
    views = _page_views(store, f) or 1
    lcp, _ = _p75(store, f, "LCP")
    out = []
    for host, avg, n in rows:
        if avg > SLOW_THIRD_PARTY_MS and n >= MIN_PAGE_VIEWS and lcp:
            out.append(
                Suggestion(
                    f"third_party:{host}",
                    "third_party",
                    f"Slow third-party host {host}",
                    "Load it async or after the page, self-host it, or drop it",
                    min(1.0, avg / lcp * n / views),
                    {"host": host, "avg_duration_ms": avg, "page_views": n},
                )
            )
    return out


def api_endpoints(store: Store, f: Filters) -> list[Suggestion]:
    views = _page_views(store, f)
    rows = _q(
        store,
        "SELECT endpoint, count() AS n, uniq(page_view_id), quantileExactInclusive(0.75)(duration_ms),"
        f" countIf(status = 0 OR status >= 400) FROM rumhouse.api_calls WHERE {f.raw_where()}"
        " GROUP BY endpoint ORDER BY n DESC LIMIT 50",
        f,
    )
    out = []
    for endpoint, calls, pv, p75, failed in rows:
        if pv < MIN_PAGE_VIEWS:
            continue
        reach = pv / max(views, pv)  # share of page views that call it
        per_view = calls / pv
        if per_view > CHATTY_CALLS:
            out.append(
                Suggestion(
                    f"batching:{endpoint}",
                    "batching",
                    f"{endpoint} is called {per_view:.1f} times per page view",
                    "Batch these calls into one request, or cache the answer in the page",
                    (per_view - 1) / per_view * reach,
                    {"endpoint": endpoint, "calls": calls, "page_views": pv, "calls_per_page_view": per_view},
                )
            )
        if p75 > SLOW_API_MS:
            out.append(
                Suggestion(
                    f"slow_api:{endpoint}",
                    "slow_api",
                    f"Slow API endpoint {endpoint}",
                    "Profile the endpoint; add an index or a cache; move work off the request path",
                    (p75 - SLOW_API_MS) / p75 * reach,
                    {"endpoint": endpoint, "p75_duration_ms": p75, "calls": calls},
                )
            )
        if failed / calls > 0.05:
            out.append(
                Suggestion(
                    f"api_errors:{endpoint}",
                    "api_errors",
                    f"Error-prone API endpoint {endpoint}",
                    "Look at the failing calls (status 0 is a network or CORS failure)",
                    min(1.0, failed / calls * reach * 2),
                    {"endpoint": endpoint, "error_rate": failed / calls, "failed": failed, "calls": calls},
                )
            )
    return out


def layout_shifts(store: Store, f: Filters) -> list[Suggestion]:
    cls, n = _p75(store, f, "CLS")
    if cls is None or n < MIN_PAGE_VIEWS or cls <= 0.1:
        return []
    return [
        Suggestion(
            "layout:cls",
            "layout",
            "Layout shifts (p75 CLS over 0.1)",
            "Reserve space for images, ads and embeds (width/height, aspect-ratio); avoid late-injected banners",
            (cls - 0.1) / cls,
            {"p75_cls": cls, "samples": n},
        )
    ]


CHECKS: tuple[Callable[[Store, Filters], list[Suggestion]], ...] = (
    slow_server,
    heavy_scripts,
    uncompressed_text,
    cache_hits,
    slow_third_parties,
    api_endpoints,
    layout_shifts,
)


def _any(store: Store, f: Filters, table: str, where: str) -> bool:
    return bool(_q(store, f"SELECT 1 FROM rumhouse.{table} WHERE {where} LIMIT 1", f))


def compute(store: Store, f: Filters, prices: PriceTable | None = None) -> list[Suggestion]:
    """Every suggestion worth more than MIN_IMPACT, best first (ties by id, so the order is stable)."""
    # Imported here: backend_suggestions builds on this module's Suggestion.
    from rumhouse.budgets import ai_suggestions, backend_suggestions, operation_suggestions

    # The checks of a source the site has no rows of in the window are left out (a site that sends beacons
    # only, say): each costs its query plans, tens of ms, even over no rows.
    spans = _any(store, f, "otel_traces", f.span_where())
    metrics = any(
        _any(store, f, t, f.span_where("TimeUnix")) for t in ("otel_metrics_sum", "otel_metrics_gauge")
    )
    measures = _any(store, f, "measures", f.raw_where(dimensions=False))
    checks = (
        *CHECKS,
        *(backend_suggestions.METRIC_CHECKS if metrics else ()),
        *(backend_suggestions.SPAN_CHECKS if spans else ()),
    )
    priced = (
        *(ai_suggestions.CHECKS if spans else ()),
        *(operation_suggestions.CHECKS if spans or measures else ()),
    )
    shared = _shared.set({})
    try:
        found = [s for check in checks for s in check(store, f) if s.impact > MIN_IMPACT]
        found += [
            s for check in priced for s in check(store, f, prices or PriceTable()) if s.impact > MIN_IMPACT
        ]
    finally:
        _shared.reset(shared)
    return sorted(found, key=lambda s: (-s.impact, s.key))
