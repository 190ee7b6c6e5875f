"""The dashboard: static files built from dashboard/ (npm) into static/dashboard/, committed, so the
Python package serves them without npm. `/` is its page; it signs in with an API token and reads /api/v1."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static" / "dashboard"


def dashboard_routes() -> list:
    async def index(request: Request) -> Response:
        # The page holds no data (it reads the API with the token): caching it is safe, but a fresh
        # copy after an upgrade matters more than a few bytes.
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    return [
        Route("/", index, methods=["GET"], name="dashboard"),
        Mount("/dashboard", StaticFiles(directory=STATIC, check_dir=False), name="dashboard-assets"),
    ]
