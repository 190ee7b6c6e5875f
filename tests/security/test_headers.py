"""Security headers on every answer of a real server, and a real browser refusing to frame the dashboard."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from support.chromium import launch, require_chromium

COMMON = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}


def answers(server):
    beacon = orjson.dumps({"site": "demo", "pv": "headershead0001", "url": "https://a.example/"})
    return {
        "dashboard": server.client.get("/"),
        "snippet": server.client.get("/rum.js"),
        "healthz": server.client.get("/healthz"),
        "metrics": server.client.get("/metrics"),
        "api without token": server.client.get("/api/v1/vitals/summary", params={"site": "demo"}),
        "not found": server.client.get("/nope"),
        "beacon accepted": server.post(beacon),
        "beacon refused": server.post(b"{"),
        "beacon preflight": server.client.options(
            "/beacon", headers={"origin": "https://a.example", "access-control-request-method": "POST"}
        ),
    }


def test_every_answer_carries_the_security_headers(server):
    for name, response in answers(server).items():
        for header, value in COMMON.items():
            assert response.headers.get(header) == value, (name, response.status_code, dict(response.headers))
        if name != "snippet" and not name.startswith("beacon"):
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"], name


def test_the_snippet_is_still_served_to_other_origins(server):
    response = server.client.get("/rum.js")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["content-type"].startswith("text/javascript")


@pytest.mark.browser
def test_another_site_cannot_frame_the_dashboard(server, playwright):
    require_chromium()
    browser = launch(playwright)
    try:
        page = browser.new_page()
        # A page of another origin (data:) that frames the dashboard, as a clickjacking page would.
        page.goto("data:text/html,<iframe id=f src='" + server.url + "/'></iframe>")
        page.wait_for_timeout(1500)
        # Chromium shows its error page in place of a frame it refused to display.
        assert page.frames[1].url.startswith("chrome-error://"), page.frames[1].url
    finally:
        browser.close()


def test_metrics_can_require_a_token(tmp_path):
    from support.server import RumhouseServer

    server = RumhouseServer(tmp_path / "data", RUMHOUSE_METRICS_TOKEN="metrics-secret-123").start()
    try:
        assert server.client.get("/metrics").status_code == 401
        assert server.client.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
        scraped = server.client.get("/metrics", headers={"authorization": "Bearer metrics-secret-123"})
        assert scraped.status_code == 200 and "rumhouse_beacons_received_total" in scraped.text
        assert server.metric("rumhouse_beacons_received_total") == 0  # the helper sends the token
    finally:
        server.close()


@pytest.mark.slow  # a server of its own: the fast suite keeps under two minutes
def test_the_process_is_in_the_metrics_and_api_metrics_needs_a_token(tmp_path):
    """/metrics names rumhouse's version and its process's CPU and memory, read here from /proc as well;
    /api/metrics serves the same to the metrics token or an unscoped admin, and to no one else."""
    from rumhouse import __version__
    from support.server import ADMIN_TOKEN, RumhouseServer

    server = RumhouseServer(tmp_path / "data", RUMHOUSE_METRICS_TOKEN="metrics-secret-123").start()
    try:
        assert server.process is not None
        status = Path(f"/proc/{server.process.pid}/status").read_text()
        rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) * 1024
        assert server.metric("rumhouse_build_info", version=__version__) == 1
        reported = server.metric("process_resident_memory_bytes")
        assert 0.5 * rss < reported < 2 * rss, (reported, rss)
        assert server.metric("process_cpu_seconds_total") > 0
        assert server.metric("process_start_time_seconds") > 0
        for token in ("metrics-secret-123", ADMIN_TOKEN):
            answer = server.client.get("/api/metrics", headers={"authorization": f"Bearer {token}"})
            assert answer.status_code == 200 and "process_resident_memory_bytes" in answer.text
        assert server.client.get("/api/metrics").status_code == 401
        viewer = server.client.post(
            "/api/v1/tokens",
            json={"role": "viewer", "sites": ["demo"]},
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        ).json()["token"]
        refused = server.client.get("/api/metrics", headers={"authorization": f"Bearer {viewer}"})
        assert refused.status_code == 403 and "unscoped admin" in refused.json()["message"]
    finally:
        server.close()
