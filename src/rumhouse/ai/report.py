"""The AI usage report: per day, week or month of a window, what a site's AI calls did and cost, and per
model how well they went. The API answers it as JSON, or as a PDF (fpdf2, its core fonts: no system
library) that people can file or mail.
"""

from __future__ import annotations

from fpdf import FPDF

from rumhouse.pdf import table as _table
from rumhouse.pdf import text as _text


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def summary(usage: list[dict], models: list[dict]) -> dict:
    """Totals of a window: calls, failures, tokens, cost (priced calls only, and how many were not)."""
    priced = [r for r in usage if r["cost_usd"] is not None]
    return {
        "calls": sum(r["calls"] for r in usage),
        "failures": sum(r["failures"] for r in usage),
        "input_tokens": sum(r["input_tokens"] for r in usage),
        "output_tokens": sum(r["output_tokens"] for r in usage),
        "cost_usd": sum(r["cost_usd"] for r in priced),
        "unpriced_calls": sum(r["calls"] for r in usage if r["cost_usd"] is None),
        "models": len(models),
    }


def render_pdf(
    site: str, period: str, window: str, totals: dict, usage: list[dict], models: list[dict]
) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _text(f"AI usage report: {site}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(
        0,
        6,
        _text(f"{window}, per {period} (UTC). Costs are estimates from the price table."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    lines = [
        f"Calls: {totals['calls']:,} ({totals['failures']:,} failed)",
        f"Tokens: {totals['input_tokens']:,} in, {totals['output_tokens']:,} out",
        f"Estimated cost: {_money(totals['cost_usd'])}"
        + (
            f" ({totals['unpriced_calls']:,} calls of unpriced models not counted)"
            if totals["unpriced_calls"]
            else ""
        ),
    ]
    for line in lines:
        pdf.cell(0, 6, _text(line), new_x="LMARGIN", new_y="NEXT")
    _table(
        pdf,
        f"Per {period}",
        ["Period", "Model", "Calls", "Failed", "Tokens in", "Tokens out", "Cost"],
        [
            [
                r["period"][:10],
                r["model"],
                f"{r['calls']:,}",
                f"{r['failures']:,}",
                f"{r['input_tokens']:,}",
                f"{r['output_tokens']:,}",
                _money(r["cost_usd"]),
            ]
            for r in usage
        ],
        [24, 50, 18, 16, 26, 26, 30],
    )
    _table(
        pdf,
        "Per model",
        ["Model", "Calls", "Success", "Rate-limited", "p95 ms", "Cost"],
        [
            [
                r["model"],
                f"{r['calls']:,}",
                f"{r['success_rate']:.1%}",
                f"{r['rate_limited']:,}",
                "n/a" if r["p95_ms"] is None else f"{r['p95_ms']:,.0f}",
                _money(r["cost_usd"]),
            ]
            for r in models
        ],
        [60, 20, 22, 26, 26, 36],
    )
    return bytes(pdf.output())
