"""Optimization suggestions computed from a site's data, each with its evidence, an estimate of its
impact (a share between 0 and 1 of what it is about: p75 LCP, script bytes, failed calls...), and a
priority. At most 5 are shown, and only those whose impact is over 10%.

Each check is a function of a few aggregates; the thresholds are the published "good" limits where
there is one (TTFB 800 ms, CLS 0.1) and stated here where there is not. The estimates are simple on
purpose: they rank the work, they do not promise a number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

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


def _p75_and_count(store: Store, f: Filters, expression: str, source: str) -> tuple[float | None, int]:
    """The exact p75 of `expression` over the rows of `source` (our own SQL text), and how many."""
    rows = _q(store, f"SELECT quantileExactInclusive(0.75)({expression}), count() FROM {source}", f)
    value, n = rows[0] if rows else (None, 0)
    return (float(value) if n and value is not None else None), int(n)


def _p75(store: Store, f: Filters, name: str) -> tuple[float | None, int]:
    return _p75_and_count(store, f, "value", f"rumhouse.vitals WHERE {f.raw_where()} AND name = '{name}'")


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


def _per_view_bytes(store: Store, f: Filters, rtype: str) -> tuple[float | None, int]:
    per_view = (
        f"(SELECT page_view_id, sum(decoded_bytes) AS b FROM rumhouse.resources WHERE {f.raw_where()}"
        f" AND type = '{rtype}' GROUP BY page_view_id)"
    )
    return _p75_and_count(store, f, "b", per_view)


def heavy_scripts(store: Store, f: Filters) -> list[Suggestion]:
    out = []
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
        value, n = _per_view_bytes(store, f, rtype)
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


def uncompressed_text(store: Store, f: Filters) -> list[Suggestion]:
    rows = _q(
        store,
        "SELECT resource_host, sumIf(decoded_bytes, encoded_bytes = decoded_bytes AND decoded_bytes > 1024),"
        " sum(decoded_bytes), uniqExact(page_view_id) FROM rumhouse.resources"
        f" WHERE {f.raw_where()} AND type IN ('script', 'css', 'other') GROUP BY resource_host",
        f,
    )
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
    rows = _q(
        store,
        "SELECT sum(cache_hits), sum(count), uniqExact(page_view_id) FROM rumhouse.resources"
        f" WHERE {f.raw_where()} AND third_party = 0 AND type IN ('script', 'css', 'font', 'img')",
        f,
    )
    hits, n, views = rows[0] if rows else (0, 0, 0)
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
    rows = _q(
        store,
        "SELECT resource_host, sum(duration_total_ms) / sum(count), uniqExact(page_view_id)"
        f" FROM rumhouse.resources WHERE {f.raw_where()} AND third_party = 1 GROUP BY resource_host",
        f,
    )
    views = _q(store, f"SELECT count() FROM rumhouse.page_views WHERE {f.raw_where()}", f)[0][0] or 1
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
    views = _q(store, f"SELECT count() FROM rumhouse.page_views WHERE {f.raw_where()}", f)[0][0]
    rows = _q(
        store,
        "SELECT endpoint, count() AS n, uniqExact(page_view_id), quantileExactInclusive(0.75)(duration_ms),"
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


def compute(store: Store, f: Filters, prices: PriceTable | None = None) -> list[Suggestion]:
    """Every suggestion worth more than MIN_IMPACT, best first (ties by id, so the order is stable)."""
    # Imported here: backend_suggestions builds on this module's Suggestion.
    from rumhouse.budgets import ai_suggestions, backend_suggestions, operation_suggestions

    checks = (*CHECKS, *backend_suggestions.CHECKS)
    found = [s for check in checks for s in check(store, f) if s.impact > MIN_IMPACT]
    found += [
        s
        for check in (*ai_suggestions.CHECKS, *operation_suggestions.CHECKS)
        for s in check(store, f, prices or PriceTable())
        if s.impact > MIN_IMPACT
    ]
    return sorted(found, key=lambda s: (-s.impact, s.key))
