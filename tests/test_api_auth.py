"""Every route of the application, listed from the app itself: each /api/ route answers 401 without a
token (and with a wrong or revoked one), and 403 with a token of another site."""

from pathlib import Path

import pytest
from starlette.routing import Mount, Route

from rumhouse.app import create_app
from rumhouse.settings import Settings
from support.server import ADMIN_TOKEN

# Routes outside /api/ and why they are public.
PUBLIC = {
    "/beacon": "the beacon: browsers send it without a token",
    "/rum.js": "the snippet",
    "/rum-stub.js": "the inline stub's text, to paste into pages",
    "/rum-ws.js": "the WebSocket add-on, loaded by pages",
    "/v1/traces": "OTLP from backends: its own ingest tokens (otlp/endpoint.py)",
    "/v1/metrics": "OTLP from backends: its own ingest tokens (otlp/endpoint.py)",
    "/healthz": "liveness for load balancers",
    "/readyz": "readiness for load balancers",
    "/metrics": "Prometheus scrapes it",
    "/": "the dashboard page: it holds no data and signs in with a token",
    "/dashboard": "the dashboard's static files",
}


def app_routes() -> list[tuple[str, str]]:
    """(method, path) of every route, path parameters filled in."""
    app = create_app(Settings(data_dir=Path("/nonexistent"), admin_token=ADMIN_TOKEN))
    found = []
    for route in app.routes:
        if isinstance(route, Mount):
            found.append(("GET", route.path))
            continue
        assert isinstance(route, Route)
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            # `{name:path}` (a name that may hold slashes) is `{name}` in the OpenAPI document.
            path = route.path.replace(":path}", "}")
            found.append((method, path.replace("{id}", "abc123").replace("{site}", "demo")))
    return found


ROUTES = app_routes()
API = [(m, p) for m, p in ROUTES if p.startswith("/api/")]


def test_every_route_is_either_api_or_known_public():
    others = {p for _, p in ROUTES if not p.startswith("/api/")}
    assert others == set(PUBLIC)
    assert len(API) >= 15  # nine read routes, sites, openapi, tokens (3), sql, site data deletion


def call(server, method, path, token=None, **params):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = b"SELECT 1" if path.endswith("/sql") else b'{"role": "viewer", "sites": ["demo"]}'
    return server.client.request(
        method, path, params=params, headers=headers, content=body if method == "POST" else None
    )


@pytest.mark.parametrize(("method", "path"), API)
def test_api_route_needs_a_token(reading, method, path):
    assert call(reading, method, path, site="demo").status_code == 401
    response = call(reading, method, path, "rh_nope_notatoken", site="demo")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert call(reading, method, path, "garbage", site="demo").status_code == 401


# Routes that name no site: the OpenAPI document and the list of the token's own sites.
SITELESS = {"/api/v1/openapi.json", "/api/v1/sites"}
# Budget, alert, suggestion and release routes, and one page view's record, answer JSON documents, not
# filtered tables (docs/budgets.md, docs/alerts.md, docs/api.md); their own parameters are described instead.
NOT_TABLES = (
    "/api/v1/budgets",
    "/api/v1/alerts",
    "/api/v1/suggestions",
    "/api/v1/releases",
    "/api/v1/audit",
    "/api/v1/page-views/",
    "/api/v1/report",
    "/api/v1/sourcemaps",
    "/api/v1/errors/",
)


@pytest.mark.parametrize(("method", "path"), API)
def test_api_route_refuses_a_token_of_another_site(reading, shop_token, method, path):
    response = call(reading, method, path, shop_token, site="demo")
    if path in SITELESS:
        # Nothing of site demo can be read through them: the sites list names only shop.
        assert response.status_code == 200
        if path.endswith("/sites"):
            assert [r["site"] for r in response.json()["rows"]] == ["shop"]
        return
    if "{name}" in path:
        # A named budget or alert rule: another site's answers as a missing one does, telling nothing.
        assert response.status_code == 404, response.text
        return
    assert response.status_code == 403, response.text


def test_the_same_token_reads_its_own_site(reading, shop_token):
    response = call(reading, "GET", "/api/v1/vitals/summary", shop_token, site="shop")
    assert response.status_code == 200
    # Without site=, a token for one site reads that site.
    response = call(reading, "GET", "/api/v1/vitals/summary", shop_token)
    assert response.status_code == 200 and response.json()["filters"]["site"] == "shop"


def test_admin_scoped_to_a_site_cannot_run_sql_or_manage_tokens(reading):
    scoped_admin = reading.token("admin", "demo")
    assert call(reading, "GET", "/api/v1/vitals/summary", scoped_admin, site="demo").status_code == 200
    assert call(reading, "POST", "/api/v1/sql", scoped_admin).status_code == 403
    assert call(reading, "GET", "/api/v1/tokens", scoped_admin).status_code == 403
    assert call(reading, "POST", "/api/v1/sql", ADMIN_TOKEN).status_code == 200


def test_openapi_describes_every_api_route(reading, demo_token):
    doc = reading.client.get("/api/v1/openapi.json", headers={"authorization": f"Bearer {demo_token}"}).json()
    assert doc["openapi"].startswith("3.1")
    described = {
        (m.upper(), p.replace("{id}", "abc123").replace("{site}", "demo"))
        for p, ops in doc["paths"].items()
        for m in ops
    }
    assert described == {(m, p) for m, p in API if p.startswith("/api/v1/")}
    for path, ops in doc["paths"].items():
        if (
            "get" in ops
            and path not in SITELESS
            and "/tokens" not in path
            and not path.startswith(NOT_TABLES)
        ):
            names = {p["name"] for p in ops["get"]["parameters"]}
            assert {
                "site",
                "range",
                "from",
                "to",
                "path",
                "browser",
                "os",
                "device",
                "country",
                "connection",
                "release",
                "format",
            } <= names, path
