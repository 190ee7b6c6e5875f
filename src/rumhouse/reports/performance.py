"""The performance report of a site, weekly or monthly: the Core Web Vitals against the period before and
against their budgets, the latest release against the one before it, the top suggestions and their status,
errors, API calls and the backend's endpoints, and the view the Chrome UX Report would have. One
structure (build), written as JSON by the API, as a self-contained HTML page (render_html, with SVG
charts) and as a PDF (render_pdf) to file or mail.

A week is the 7 days, a month the 30 days, ending at the next whole hour (as the API's 7d and 30d: the
rollups answer them).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from fpdf import FPDF
from starlette.datastructures import QueryParams

from rumhouse import pdf
from rumhouse.ai.prices import PriceTable
from rumhouse.api import backend, events, vitals
from rumhouse.api.thresholds import METRICS, THRESHOLDS, rating
from rumhouse.budgets.release import compare_releases, previous_release
from rumhouse.budgets.repository import BudgetRepository
from rumhouse.budgets.status import budget_status
from rumhouse.budgets.suggestion_status import statuses
from rumhouse.budgets.suggestions import compute
from rumhouse.query.filters import Filters
from rumhouse.store.base import Store

PERIODS = {"week": 7, "month": 30}
SHOWN = ("LCP", "INP", "CLS", "FCP", "TTFB")


def _latest_release(store: Store, f: Filters) -> str | None:
    found = store.query(
        f"SELECT release FROM rumhouse.page_views WHERE {f.raw_where()} AND release != ''"
        " GROUP BY release ORDER BY min(time) DESC LIMIT 1",
        f.params(),
        readonly=True,
    ).rows
    return found[0][0] if found else None


def build(
    store: Store,
    site: str,
    period: str,
    *,
    repo: BudgetRepository,
    prices: PriceTable,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    f = Filters(site, end - timedelta(days=PERIODS[period]), end, "custom")
    before = f.with_(start=f.start - (f.end - f.start), end=f.start)
    current, earlier = (
        vitals.summary_rows(store, f, "rollup", ci=True),
        vitals.summary_rows(store, before, "rollup"),
    )
    shown = []
    for name in (m for m in METRICS if m in current and m in SHOWN):
        row, then = current[name], earlier.get(name, {})
        p75, previous = row["p75"], then.get("p75")
        shown.append(
            {
                "metric": name,
                "p75": p75,
                "samples": row["samples"],
                "ci_low": row["p75_ci_low"],
                "ci_high": row["p75_ci_high"],
                "enough": row["enough"],
                "rating": rating(name, p75) if p75 is not None else None,
                "good": row["good"],
                "poor": row["poor"],
                "previous_p75": previous,
                "change": p75 / previous - 1 if p75 is not None and previous else None,
            }
        )
    daily = vitals.timeseries(store, f, QueryParams({"metric": "LCP", "bucket": "86400"})).rows
    budgets = [
        {k: status[k] for k in ("name", "metric", "stat", "value", "limit", "state", "samples")}
        for status in (budget_status(store, repo, b, now=now, prices=prices) for b in repo.all(site))
    ]
    release_b = _latest_release(store, f)
    release_a = previous_release(store, f, release_b) if release_b else None
    releases = (
        {
            "release_a": release_a,
            "release_b": release_b,
            "metrics": compare_releases(store, f, release_a, release_b),
        }
        if release_a and release_b
        else None
    )
    known = statuses(store, site)
    suggestions = [
        {"title": s.title, "action": s.action, "impact": s.impact, "kind": s.kind,
         "status": known.get(s.key, {}).get("status", "open")}
        for s in compute(store, f, prices)[:5]
    ]  # fmt: skip
    few = QueryParams({"limit": "5"})
    return {
        "site": site,
        "period": period,
        "from": f.start.isoformat(),
        "to": f.end.isoformat(),
        "generated": now.isoformat(timespec="seconds"),
        "vitals": shown,
        "lcp_daily": [{"day": r["time"][:10], "p75": r["value"], "samples": r["samples"]} for r in daily],
        "budgets": budgets,
        "releases": releases,
        "suggestions": suggestions,
        "errors": events.errors(store, f, few).rows,
        "api_calls": events.api_calls(store, f, few).rows,
        "endpoints": backend.endpoints(store, f, few).rows,
        "crux": vitals.crux_view(store, f, QueryParams({})).rows,
    }


def _value(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if metric == "CLS" else f"{value:,.0f} ms"


def _change(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1%}"


BAND_RGB = {
    "good": (12, 122, 67),
    "needs-improvement": (227, 160, 8),
    "poor": (214, 50, 50),
    None: (150, 150, 150),
}


def _bars_svg(points: list[dict]) -> str:
    """The daily LCP p75 as an SVG bar chart, each bar in its rating's colour."""
    top = max((p["p75"] for p in points if p["p75"] is not None), default=0) or 1
    width = 600 / max(len(points), 1)
    parts = ['<svg class="chart" viewBox="0 0 600 140" role="img" aria-label="LCP p75 per day">']
    for i, p in enumerate(points):
        if p["p75"] is None:
            continue
        h = 110 * p["p75"] / top
        r, g, b = BAND_RGB[rating("LCP", p["p75"])]
        parts.append(
            f'<rect x="{i * width + 1:.1f}" y="{120 - h:.1f}" width="{max(width - 2, 1):.1f}" height="{h:.1f}"'
            f' fill="rgb({r},{g},{b})"><title>{p["day"]}: {p["p75"]:,.0f} ms ({p["samples"]} samples)</title></rect>'
        )
    good, poor = THRESHOLDS["LCP"]
    for limit in (good, poor):
        y = 120 - 110 * limit / top
        if y > 0:
            parts.append(
                f'<line x1="0" x2="600" y1="{y:.1f}" y2="{y:.1f}" stroke="#555" stroke-dasharray="4"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f"<table><thead><tr>{cells}</tr></thead><tbody>{body or '<tr><td>(none)</td></tr>'}</tbody></table>"
    )


def sections(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables, as (title, header, rows of text): what HTML and PDF both show."""
    out = [
        (
            "Core Web Vitals (p75, 95% interval, against the period before)",
            ["Metric", "p75", "95% CI", "Samples", "Rating", "Before", "Change"],
            [[v["metric"], _value(v["metric"], v["p75"]),
              f"{_value(v['metric'], v['ci_low'])} - {_value(v['metric'], v['ci_high'])}",
              f"{v['samples']:,}" + ("" if v["enough"] else " (too few)"), v["rating"] or "n/a",
              _value(v["metric"], v["previous_p75"]), _change(v["change"])] for v in report["vitals"]],
        ),
        (
            "Budgets",
            ["Budget", "Metric", "Value", "Limit", "State"],
            [[b["name"], f"{b['stat']} {b['metric']}", "n/a" if b["value"] is None else f"{b['value']:,.3f}",
              f"{b['limit']:,}", b["state"]] for b in report["budgets"]],
        ),
    ]  # fmt: skip
    if report["releases"]:
        r = report["releases"]
        out.append(
            (
                f"Release {r['release_b']} against {r['release_a']}",
                ["Metric", r["release_a"], r["release_b"], "Change", "Verdict"],
                [[m["metric"], _value(m["metric"], m["p75_a"]), _value(m["metric"], m["p75_b"]), _change(m["change"]),
                  m["verdict"]] for m in r["metrics"]],
            )
        )  # fmt: skip
    out += [
        ("Top suggestions", ["Suggestion", "Impact", "Status"],
         [[s["title"], f"{s['impact']:.0%}", s["status"]] for s in report["suggestions"]]),
        ("Errors", ["Message", "Count", "Page views"],
         [[e["message"], f"{e['occurrences']:,}", "n/a" if e["page_views"] is None else f"{e['page_views']:,}"]
          for e in report["errors"]]),
        ("API calls", ["Endpoint", "Calls", "Errors", "p95"],
         [[f"{a['method']} {a['endpoint']}", f"{a['calls']:,}", f"{a['error_rate']:.1%}", _value("api", a["p95"])]
          for a in report["api_calls"]]),
        ("Backend endpoints", ["Endpoint", "Requests", "Errors", "p95"],
         [[f"{e['service']} {e['method']} {e['route']}", f"{e['requests']:,}", f"{e['error_rate']:.1%}",
           _value("server", e["p95"])] for e in report["endpoints"]]),
        ("As the Chrome UX Report would count it (28 days)", ["Metric", "All", "CrUX", "Difference"],
         [[c["metric"], _value(c["metric"], c["all_p75"]), _value(c["metric"], c["crux_p75"]), _change(c["difference"])]
          for c in report["crux"]]),
    ]  # fmt: skip
    return out


def title(report: dict[str, Any]) -> str:
    return f"Performance report: {report['site']}, {report['period']} to {report['to'][:16].replace('T', ' ')} UTC"


def summary_text(report: dict[str, Any]) -> str:
    """The report in a few plain lines, for a chat message or the text part of a mail."""
    lines = [title(report), f"{report['from'][:10]} to {report['to'][:10]}"]
    for v in report["vitals"]:
        lines.append(
            f"{v['metric']} p75 {_value(v['metric'], v['p75'])} ({v['rating'] or 'n/a'}, {v['samples']:,} samples,"
            f" {_change(v['change'])} against the period before)"
        )
    breached = [b["name"] for b in report["budgets"] if b["state"] == "breached"]
    lines.append(f"Budgets breached: {', '.join(breached) or 'none'} of {len(report['budgets'])}")
    if report["releases"]:
        r = report["releases"]
        verdicts = ", ".join(f"{m['metric']} {m['verdict']}" for m in r["metrics"])
        lines.append(f"Release {r['release_b']} against {r['release_a']}: {verdicts}")
    return "\n".join(lines)


def render_html(report: dict[str, Any]) -> str:
    body = "".join(f"<h2>{html.escape(t)}</h2>{_html_table(h, rows)}" for t, h, rows in sections(report))
    style = (
        "body{font:14px system-ui,sans-serif;max-width:900px;margin:24px auto;padding:0 12px;color:#222}"
        "table{border-collapse:collapse;width:100%;margin-bottom:8px}th,td{text-align:left;padding:4px 8px;"
        "border-bottom:1px solid #ddd}h2{font-size:16px;margin-top:22px}.chart{width:100%;height:auto}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title(report))}</title>'
        f"<style>{style}</style></head><body><h1>{html.escape(title(report))}</h1>"
        f"<p>{html.escape(report['from'][:10])} to {html.escape(report['to'][:10])}, generated"
        f" {html.escape(report['generated'])}.</p><h2>LCP p75 per day</h2>{_bars_svg(report['lcp_daily'])}"
        f"{body}</body></html>"
    )


def render_pdf(report: dict[str, Any]) -> bytes:
    doc = FPDF(format="A4")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_page()
    doc.set_font("Helvetica", "B", 15)
    doc.cell(0, 10, pdf.text(title(report)), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=9)
    doc.cell(0, 6, pdf.text(f"{report['from'][:10]} to {report['to'][:10]}, generated {report['generated']}"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    daily = report["lcp_daily"]
    pdf.bars(doc, "LCP p75 per day", [p["day"][5:] for p in daily], [p["p75"] for p in daily],
             [BAND_RGB[rating("LCP", p["p75"]) if p["p75"] is not None else None] for p in daily])  # fmt: skip
    for heading, head, rows in sections(report):
        widths = [int(180 * (2 if i == 0 else 1) / (len(head) + 1)) for i in range(len(head))]
        pdf.table(doc, heading, head, rows, widths)
    return bytes(doc.output())
