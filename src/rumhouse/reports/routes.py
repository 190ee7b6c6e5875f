"""GET /api/v1/report: a site's weekly or monthly performance report (performance.py), as JSON, as a
self-contained HTML page (`format=html`) or as a PDF (`format=pdf`)."""

from __future__ import annotations

from typing import Any, Literal, Protocol

import msgspec
from starlette.responses import Response

from rumhouse.ai.prices import PriceTable
from rumhouse.api.operation import Call, Operation
from rumhouse.api.routes import resolve_site
from rumhouse.api.runtime import ApiRuntime
from rumhouse.budgets.model import Budget
from rumhouse.budgets.repository import BudgetRepository
from rumhouse.reports import performance


class ReportRuntime(ApiRuntime, Protocol):
    @property
    def config_budgets(self) -> tuple[Budget, ...]: ...

    @property
    def ai_prices(self) -> PriceTable: ...


class ReportQuery(msgspec.Struct, kw_only=True):
    site: str | None = None  # may be left out when the token reads exactly one site
    period: Literal["week", "month"] = "week"  # the 7 or 30 days ending at the next whole hour
    format: Literal["json", "html", "pdf"] = "json"


class PerformanceReport(msgspec.Struct, kw_only=True):
    site: str
    period: str
    from_: str = msgspec.field(name="from")
    to: str
    generated: str
    vitals: list[dict[str, Any]]  # p75 with its 95% interval and samples, against the period before
    lcp_daily: list[dict[str, Any]]
    budgets: list[dict[str, Any]]
    releases: dict[str, Any] | None  # the latest release against the one before it; null with fewer than two
    suggestions: list[dict[str, Any]]  # the top five, with their status
    errors: list[dict[str, Any]]
    api_calls: list[dict[str, Any]]
    endpoints: list[dict[str, Any]]
    crux: list[dict[str, Any]]


def report_operations(runtime: ReportRuntime) -> list[Operation]:
    def report(call: Call):
        site = resolve_site(call)
        q: ReportQuery = call.query
        repo = BudgetRepository(runtime.store, runtime.config_budgets)
        built = performance.build(runtime.store, site, q.period, repo=repo, prices=runtime.ai_prices)
        call.audit(site=site)
        name = f"rumhouse-{site}-{q.period}-{built['to'][:10]}"
        if q.format == "html":
            return Response(performance.render_html(built), media_type="text/html; charset=utf-8",
                            headers={"content-disposition": f'inline; filename="{name}.html"'})  # fmt: skip
        if q.format == "pdf":
            return Response(performance.render_pdf(built), media_type="application/pdf",
                            headers={"content-disposition": f'attachment; filename="{name}.pdf"'})  # fmt: skip
        return msgspec.convert(built, PerformanceReport)

    return [
        Operation(
            "GET",
            "/report",
            "performance_report",
            "A site's weekly or monthly performance report: vitals against the period before and their budgets,"
            " the latest release, top suggestions, errors, API calls, backend endpoints, the CrUX view; JSON,"
            " ?format=html or ?format=pdf",
            report,
            ReportQuery,
            answer=PerformanceReport,
            exports=("text/html", "application/pdf"),
            errors=(400, 503),
        )
    ]
