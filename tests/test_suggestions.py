"""Suggestions from seeded scenarios: each problem site gets its suggestion first, a healthy site gets
none; evidence figures equal those computed here; status is tracked through the API."""

from collections import Counter

import numpy as np
import pytest

from support.budget_data import EXPECTED_TOP
from support.server import ADMIN_TOKEN

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


def suggestions(server, site, headers=ADMIN):
    response = server.client.get("/api/v1/suggestions", params={"site": site}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["suggestions"]


@pytest.mark.parametrize("site", sorted(EXPECTED_TOP))
def test_each_scenario_puts_its_suggestion_first(budget_server, site):
    found = suggestions(budget_server, site)
    assert found and found[0]["kind"] == EXPECTED_TOP[site], found
    assert len(found) <= 5
    assert all(s["impact"] > 0.1 for s in found)
    assert [s["impact"] for s in found] == sorted((s["impact"] for s in found), reverse=True)
    top = found[0]
    assert top["priority"] == "high" and top["evidence"] and top["action"] and top["status"] == "open"


def test_a_healthy_site_gets_none(budget_server):
    assert suggestions(budget_server, "healthy") == []


def test_evidence_is_the_data(budget_server, budget_data):
    def rows(table, site):
        return [r for r in budget_data.table(table) if r["site"] == site]

    chatty = suggestions(budget_server, "chatty")[0]["evidence"]
    calls = rows("api_calls", "chatty")
    per_view = Counter(r["page_view_id"] for r in calls)
    assert chatty["calls"] == len(calls) and chatty["page_views"] == len(per_view)
    assert chatty["calls_per_page_view"] == pytest.approx(len(calls) / len(per_view))

    server = suggestions(budget_server, "slowserver")[0]["evidence"]
    ttfb = [r["value"] for r in rows("vitals", "slowserver") if r["name"] == "TTFB"]
    lcp = [r["value"] for r in rows("vitals", "slowserver") if r["name"] == "LCP"]
    assert server["p75_ttfb_ms"] == pytest.approx(np.quantile(ttfb, 0.75))
    assert server["p75_lcp_ms"] == pytest.approx(np.quantile(lcp, 0.75))

    text = suggestions(budget_server, "plaintext")[0]["evidence"]
    plain = [r for r in rows("resources", "plaintext") if r["type"] in ("script", "css")]
    assert text["uncompressed_bytes"] == sum(
        r["decoded_bytes"] for r in plain if r["encoded_bytes"] == r["decoded_bytes"]
    )

    heavy = suggestions(budget_server, "heavyjs")[0]["evidence"]
    scripts = [r["decoded_bytes"] for r in rows("resources", "heavyjs") if r["type"] == "script"]
    assert heavy["p75_decoded_bytes_per_page_view"] == pytest.approx(np.quantile(scripts, 0.75))


def test_status_is_tracked(budget_server):
    c = budget_server.client
    key = suggestions(budget_server, "chatty")[0]["id"]
    assert (
        c.put(
            f"/api/v1/suggestions/{key}", params={"site": "chatty"}, json={"status": "accepted"}
        ).status_code
        == 401
    )
    viewer = {"authorization": f"Bearer {budget_server.token('viewer', 'chatty')}"}
    assert (
        c.put(
            f"/api/v1/suggestions/{key}", params={"site": "chatty"}, json={"status": "done"}, headers=viewer
        ).status_code
        == 403
    )
    assert (
        c.put(
            f"/api/v1/suggestions/{key}", params={"site": "chatty"}, json={"status": "later"}, headers=ADMIN
        ).status_code
        == 400
    )
    for status in ("accepted", "done", "dismissed", "open"):
        r = c.put(
            f"/api/v1/suggestions/{key}",
            params={"site": "chatty"},
            json={"status": status, "note": f"now {status}"},
            headers=ADMIN,
        )
        assert r.status_code == 200
        top = suggestions(budget_server, "chatty", viewer)[0]
        assert top["id"] == key and top["status"] == status and top["note"] == f"now {status}"
