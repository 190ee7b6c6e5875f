"""Budgets, alerts, suggestions and the release comparison on the dashboard, in Chromium, against a server
of their own on the budget dataset (support/budget_data.py: budgets and alert rules that breach and fire,
three releases of which the last is slower): what each panel shows is what the API answers, and what
people do there (acknowledge an alert, set a suggestion's status) is what the API then says."""

from __future__ import annotations

import io

import orjson
import pytest
from pypdf import PdfReader

from support.budget_fixtures import running_receivers, start_budget_server
from support.chromium import TALL, launch, require_chromium
from support.load import wait_until
from support.server import ADMIN_TOKEN, REPO

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "test-artifacts" / "dashboard"
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, budget_data):
    with running_receivers() as (http, smtp):
        started = start_budget_server(tmp_path_factory.mktemp("manage") / "data", budget_data, http, smtp)
        try:
            yield started
        finally:
            started.close()


@pytest.fixture(scope="module")
def page(playwright):
    require_chromium("the dashboard test")
    browser = launch(playwright)
    context = browser.new_context(viewport={"width": 1440, "height": TALL}, accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    yield page
    browser.close()


def api(server, route: str, **params):
    answer = server.client.get(f"/api/v1{route}", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()


def ready(page):
    page.wait_for_selector("body[data-state='ready']", state="attached")


def test_budgets_alerts_suggestions_and_a_release(server, page):
    # The evaluator runs every second: wait for the slow API rule to fire.
    wait_until(lambda: any(a["rule"] == "api-slow" and a["state"] == "firing"
                           for a in api(server, "/alerts", site="budget")["alerts"]), timeout=30)  # fmt: skip
    page.goto(f"{server.url}/?site=budget&range=24h")
    page.fill("#token", ADMIN_TOKEN)
    page.click("#sign-in button[type=submit]")
    ready(page)

    status = api(server, "/budgets/status", site="budget")["budgets"]
    assert {b["state"] for b in status} >= {"breached"}
    for b in status:
        row = page.locator(f'#budgets-panel tr[data-budget="{b["name"]}"]')
        assert row.get_attribute("data-state") == b["state"]
        assert row.locator(".state").inner_text() == b["state"]

    # Compliance day by day over the window, as /budgets/report says.
    report = {
        c["budget"]: c
        for c in api(server, "/budgets/report", site="budget", range="24h", period="day")["budgets"]
    }
    for name, c in report.items():
        judged = [p for p in c["periods"] if p["state"] != "insufficient"]
        within = sum(p["state"] in ("within", "warning") for p in judged)
        row = page.locator(f'#budgets-panel tr[data-budget="{name}"]')
        assert row.locator("td").nth(6).inner_text() == f"{within} of {len(judged)} days"
        assert row.locator(".strip .day").count() == len(c["periods"])
    # Waive a breached budget for a day from its row (the justification asked for), then end the override.
    breached = next(b["name"] for b in status if b["state"] == "breached" and not b["override"])
    page.once("dialog", lambda dialog: dialog.accept("a known incident"))
    page.click(f'#budgets-panel button[data-override-new="{breached}"]')
    page.wait_for_selector(f'#budgets-panel tr[data-budget="{breached}"][data-state=overridden]')
    [made] = [o for o in api(server, f"/budgets/{breached}/overrides")["overrides"] if o["active"]]
    assert made["justification"] == "a known incident" and made["limit"] is None
    page.click(f'#budgets-panel button[data-override-end="{made["id"]}"]')
    page.wait_for_selector(f'#budgets-panel tr[data-budget="{breached}"][data-state=breached]')
    assert not [o for o in api(server, f"/budgets/{breached}/overrides")["overrides"] if o["active"]]

    alerts = {a["rule"]: a for a in api(server, "/alerts", site="budget")["alerts"]}
    for rule, a in alerts.items():
        assert page.locator(f'#alerts-panel tr[data-rule="{rule}"]').get_attribute("data-state") == a["state"]
    # Acknowledge the firing one: the API says who, and the history shows it.
    page.click('#alerts-panel button[data-alert-action=ack][data-rule="api-slow"]')
    wait_until(lambda: api(server, "/alerts", site="budget")["alerts"] and any(
        a["rule"] == "api-slow" and a["acknowledged_by"] for a in api(server, "/alerts", site="budget")["alerts"]))  # fmt: skip
    page.wait_for_selector('#alerts-panel tr[data-rule="api-slow"] >> text=acknowledged by')
    assert page.locator("#alerts-panel [data-history] tbody tr", has_text="api-slow").count() >= 1

    page.locator("#alerts-panel").screenshot(path=str(ARTIFACTS / "12-alerts-1440.png"))

    # A site with chatty pages: its suggestions, best first, and a status set from the dashboard.
    page.select_option("#site", "chatty")
    ready(page)
    suggestions = api(server, "/suggestions", site="chatty", range="24h")["suggestions"]
    assert suggestions
    shown = page.locator("#suggestions-panel tr[data-suggestion-row]")
    assert [shown.nth(i).get_attribute("data-suggestion-row") for i in range(shown.count())] == [
        s["id"] for s in suggestions
    ]
    first = suggestions[0]["id"]
    page.select_option(f'#suggestions-panel select[data-suggestion="{first}"]', "accepted")
    page.wait_for_selector(
        f'#suggestions-panel select[data-suggestion="{first}"][data-saved=accepted]', state="attached"
    )
    again = {s["id"]: s for s in api(server, "/suggestions", site="chatty", range="24h")["suggestions"]}
    assert again[first]["status"] == "accepted"

    # The release site: v3 against the release before it.
    page.select_option("#site", "rel")
    ready(page)
    page.wait_for_selector("#release-b option[value=v3]", state="attached")
    page.select_option("#release-b", "v3")
    compared = api(server, "/releases/compare", site="rel", range="24h", b="v3")
    page.wait_for_selector("#release-panel tr[data-metric=LCP]")
    for m in compared["metrics"]:
        assert (
            page.locator(f"#release-panel tr[data-metric={m['metric']}]").get_attribute("data-verdict")
            == m["verdict"]
        )
    assert compared["release_a"] == "v2"
    assert page.locator("#release-panel tr[data-metric=LCP]").get_attribute("data-verdict") == "regression"
    page.locator("#release-panel").screenshot(path=str(ARTIFACTS / "13-release-1440.png"))
    # The monthly report, as a PDF, from its button: the budget site's figures in its text.
    page.select_option("#site", "budget")
    ready(page)
    with page.expect_download() as got:
        page.click("#reports-panel button[data-report=month][data-format=pdf]")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(got.value.path().read_bytes())).pages)
    assert "Performance report: budget, month" in text
    for b in api(server, "/budgets/status", site="budget")["budgets"]:
        assert b["name"] in text
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("#suggestions-panel").screenshot(path=str(ARTIFACTS / "14-suggestions-390.png"))
    assert page.problems == []


def test_custom_measures_and_server_timing_panels(server, page):
    for i in range(6):
        beacon = {"site": "demo", "pv": f"measure-{i:04d}", "url": "https://calm.example/pay", "last": True, "now": 900,
                  "nav": {"st": [["db", 10.0 + i], ["app", 3.0]]},
                  "ev": [{"k": "measure", "n": "checkout-step", "v": 100.0 * (i + 1), "ts": 400}]}  # fmt: skip
        assert server.post(orjson.dumps(beacon)).status_code == 204
    wait_until(lambda: server.scalar("SELECT count() FROM rumhouse.measures WHERE site = 'demo'") == 6)
    page.set_viewport_size({"width": 1440, "height": TALL})
    page.select_option("#site", "demo")
    ready(page)
    measures = api(server, "/measures", site="demo", range="24h", limit=20)["rows"]
    assert [(r["name"], r["count"]) for r in measures] == [("checkout-step", 6)]
    cells = page.locator("[data-table=measures] tbody tr").first.locator("td")
    assert [cells.nth(k).inner_text() for k in range(5)] == ["checkout-step", "6", "6", "350 ms", "475 ms"]
    timing = api(server, "/server-timing", site="demo", range="24h", limit=20)["rows"]
    shown = page.locator("[data-table=server-timing] tbody tr")
    assert shown.count() == len(timing) == 2
    for i, row in enumerate(timing):
        cells = shown.nth(i).locator("td")
        assert [cells.nth(k).inner_text() for k in range(3)] == [
            row["path"],
            row["entry"],
            str(row["page_views"]),
        ]
    assert page.problems == []
