"""The audit log: every read through the API, the exports and the SQL route is recorded with time, token
id and name, route, site and rows returned, never the token itself; admins read it, nobody else does."""

from __future__ import annotations

from support.server import ADMIN_TOKEN

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


def make_token(server, role: str, *sites: str, name: str) -> str:
    made = server.client.post(
        "/api/v1/tokens", json={"role": role, "sites": list(sites), "name": name}, headers=ADMIN
    )
    assert made.status_code == 201, made.text
    return made.json()["token"]


def test_reads_exports_and_sql_are_recorded(server):
    viewer = make_token(server, "viewer", "demo", name="audited-viewer")
    headers = {"authorization": f"Bearer {viewer}"}
    summary = server.client.get("/api/v1/vitals/summary", params={"site": "demo"}, headers=headers)
    assert summary.status_code == 200
    exported = server.client.get(
        "/api/v1/vitals/summary", params={"site": "demo", "format": "csv"}, headers=headers
    )
    assert exported.status_code == 200
    sql = server.client.post("/api/v1/sql", content="SELECT name FROM rumhouse.vitals LIMIT 3", headers=ADMIN)
    assert sql.status_code == 200
    denied = server.client.get("/api/v1/vitals/summary", params={"site": "shop"}, headers=headers)
    assert denied.status_code == 403
    assert (
        server.client.get(
            "/api/v1/vitals/summary",
            params={"site": "demo"},
            headers={"authorization": "Bearer rh_forged_token"},
        ).status_code
        == 401
    )

    answer = server.client.get("/api/v1/audit", params={"limit": 50}, headers=ADMIN)
    assert answer.status_code == 200
    assert viewer not in answer.text and ADMIN_TOKEN not in answer.text
    entries = answer.json()["rows"]
    token_id = viewer.split("_")[1]
    mine = [e for e in entries if e["token_id"] == token_id]
    summaries = [e for e in mine if e["route"] == "/api/v1/vitals/summary" and e["status"] == 200]
    assert len(summaries) == 2 and {e["site"] for e in summaries} == {"demo"}
    assert all(e["token_name"] == "audited-viewer" and e["role"] == "viewer" for e in mine)
    # Each entry records the rows of its own answer (beacons of earlier tests may land in between).
    csv_rows = len(exported.text.strip().splitlines()) - 1
    assert sorted(e["rows"] for e in summaries) == sorted([len(summary.json()["rows"]), csv_rows])
    assert [e["status"] for e in mine if e["site"] == "shop"] == [403]
    [sql_entry] = [e for e in entries if e["route"] == "/api/v1/sql" and "LIMIT 3" in e["detail"]]
    assert sql_entry["token_id"] == "settings" and sql_entry["rows"] == len(sql.json()["rows"])
    assert any(e["status"] == 401 and e["token_id"] == "" for e in entries)
    # Newest first.
    times = [e["time"] for e in entries]
    assert times == sorted(times, reverse=True)


def test_only_unscoped_admins_read_the_audit_log(server):
    viewer = make_token(server, "viewer", "demo", name="v")
    scoped_admin = make_token(server, "admin", "demo", name="a")
    assert server.client.get("/api/v1/audit").status_code == 401
    assert (
        server.client.get("/api/v1/audit", headers={"authorization": f"Bearer {viewer}"}).status_code == 403
    )
    assert (
        server.client.get("/api/v1/audit", headers={"authorization": f"Bearer {scoped_admin}"}).status_code
        == 403
    )
    refused = server.client.post("/api/v1/sql", content="SELECT * FROM rumhouse.audit_log", headers=ADMIN)
    assert refused.status_code == 400 and "audit_log" in refused.text


def test_audit_filters(server):
    viewer = make_token(server, "viewer", "demo", name="filtered")
    server.client.get("/api/v1/sites", headers={"authorization": f"Bearer {viewer}"})
    token_id = viewer.split("_")[1]
    rows = server.client.get("/api/v1/audit", params={"token": token_id}, headers=ADMIN).json()["rows"]
    assert rows and {r["token_id"] for r in rows} == {token_id}
    assert server.client.get("/api/v1/audit", params={"limit": 0}, headers=ADMIN).status_code == 400
    assert server.client.get("/api/v1/audit", params={"since": "yesterday"}, headers=ADMIN).status_code == 400
