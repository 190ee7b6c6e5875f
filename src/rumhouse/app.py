"""The Starlette application: its routes, middleware and lifespan around one Runtime (runtime.py),
whose store and writer open at start-up.

POST /beacon          ingest/endpoint.py -> ingest/batching.py -> ingest/pipeline.py -> writer.py -> store/
POST /v1/traces       OTLP/HTTP from backends: otlp/endpoint.py -> otlp/decode.py -> otlp/spans.py -> writer.py
POST /v1/metrics      the same, for metric points (otlp/metrics.py)
GET  /rum.js          the snippet (built from snippet/ into static/rum.js); /rum-ws.js its WebSocket add-on
GET  /rum-stub.js     the inline stub's text, to paste into a page's <head>
GET  /healthz         liveness, and whether the store answers
GET  /metrics         rumhouse's own health, Prometheus text format
GET  /readyz          readiness: not ready while the spool is full
POST /api/v1/sql      read-only SQL for admin tokens (api/sql.py, usersql/)
GET  /api/v1/audit    the audit log of API calls, for admin tokens (api/audit.py, audit.py)
DELETE /api/v1/admin/sites/{site}/data   delete a site's data (api/admin.py)
GET  /api/v1/...      the JSON API, its OpenAPI document, tokens; GET / the dashboard (api/)
"""

from __future__ import annotations

import contextlib
import gc
import hmac
import logging

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rumhouse.ai.operations import operation_operations
from rumhouse.ai.routes import ai_operations
from rumhouse.alerts.api import alerting_operations
from rumhouse.api import api_routes
from rumhouse.api.access import Access, ApiError, problem
from rumhouse.api.explorer import explorer_operations
from rumhouse.audit import AuditMiddleware
from rumhouse.auth import bearer
from rumhouse.clients import ClientAddress
from rumhouse.dependencies.routes import dependency_operations
from rumhouse.errors.routes import error_operations
from rumhouse.http_front import FrontLimits
from rumhouse.http_front import configure as configure_front
from rumhouse.ingest.endpoint import BeaconEndpoint
from rumhouse.metrics import CONTENT_TYPE
from rumhouse.otlp.endpoint import OtlpEndpoint
from rumhouse.placement import ThreadPlacement
from rumhouse.rate_limits import TokenBuckets
from rumhouse.reports.routes import report_operations
from rumhouse.runtime import Runtime
from rumhouse.security_headers import SecurityHeaders
from rumhouse.settings import Settings
from rumhouse.snippet import STUB, WEBSOCKETS, snippet_response_factory
from rumhouse.store.base import Store, StoreError

log = logging.getLogger("rumhouse")


class _LateBound:
    """The beacon endpoint needs the writer, which exists only once the lifespan has started. The first
    beacon builds it and puts it in the app's place of this object, so later ones go straight to it."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.app: RumhouseApp | None = None

    async def __call__(self, scope, receive, send) -> None:
        rt = self.runtime
        settings = rt.settings
        endpoint = BeaconEndpoint(
            rt.pipeline,
            rt.writer,
            rt.metrics,
            rt.sites,
            max_body_bytes=settings.max_body_bytes,
            country_header=settings.country_header,
            body_timeout=settings.body_timeout,
            ip_limits=TokenBuckets(settings.ip_rate_limit, settings.ip_burst),
            client_address=ClientAddress(settings.trusted_proxies),
        )
        if self.app is not None:
            self.app.beacon = endpoint
        await endpoint(scope, receive, send)


class _LateOtlp:
    """The OTLP endpoint, built at start-up (it needs the writer); an ASGI app, as the router wants."""

    app: RumhouseApp | None = None

    async def __call__(self, scope, receive, send) -> None:
        endpoint = self.app.otlp if self.app is not None else None
        if endpoint is None:
            await Response("starting\n", 503, headers={"retry-after": "1"})(scope, receive, send)
            return
        await endpoint(scope, receive, send)


class RumhouseApp(Starlette):
    """Starlette, except that beacons go straight to their endpoint, before the middleware and router:
    those cost about 5 µs a request, and /beacon takes nearly all requests. The router keeps a /beacon
    route too, so that listings of the app's routes show it."""

    beacon: _LateBound | BeaconEndpoint
    otlp: OtlpEndpoint | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/beacon":
            await self.beacon(scope, receive, send)  # security_headers.COMMON: uvicorn adds them
            return
        await super().__call__(scope, receive, send)


def part_operations(runtime: Runtime) -> list:
    """The API operations of the parts the API does not know (budgets, alerts, suggestions, AI): the app
    hands them over, and the OpenAPI document describes them with the API's own."""
    return [
        *alerting_operations(runtime),
        *ai_operations(runtime),
        *operation_operations(runtime),
        *dependency_operations(runtime),
        *explorer_operations(runtime),
        *report_operations(runtime),
        *error_operations(runtime),
    ]


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    pin_event_loop: bool = False,
) -> RumhouseApp:
    settings = settings or Settings.from_env()
    runtime = Runtime(settings, store)
    # The HTTP front's limits, in this process (each worker process builds its app through here).
    configure_front(
        FrontLimits(
            head_timeout=settings.head_timeout,
            body_timeout=settings.body_timeout + 5,
            max_head_bytes=settings.max_head_bytes,
            per_client=settings.max_connections_per_client,
            total=settings.max_connections,
        ),
        settings.trusted_proxies,
    )

    async def healthz(request: Request) -> Response:
        if not runtime.started:
            return JSONResponse({"status": "unavailable", "store": "starting"}, status_code=503)
        store = runtime.store
        try:
            await anyio.to_thread.run_sync(lambda: store.query("SELECT 1"))
        except StoreError as exc:
            return JSONResponse({"status": "unavailable", "store": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "store": "ok"})

    async def readyz(request: Request) -> Response:
        """Ready to take beacons: started, and room left in the spool (a full spool answers 503)."""
        if not runtime.started:
            return JSONResponse({"ready": False, "reason": "starting"}, status_code=503)
        if runtime.writer.is_full():
            return JSONResponse({"ready": False, "reason": "spool_full"}, status_code=503)
        return JSONResponse({"ready": True})

    async def metrics(request: Request) -> Response:
        # Optional: the figures name every site, so a deployment that exposes /metrics sets a token.
        expected = settings.metrics_token
        if expected and not hmac.compare_digest(bearer(request).encode(), expected.encode()):
            return Response(
                "unauthorized: /metrics needs RUMHOUSE_METRICS_TOKEN as a bearer token\n",
                status_code=401,
                media_type="text/plain",
                headers={"www-authenticate": 'Bearer realm="rumhouse metrics"'},
            )
        return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)

    async def api_metrics(request: Request) -> Response:
        """/metrics under /api/, for deployments that expose only /api/: authenticated as the rest of it,
        with RUMHOUSE_METRICS_TOKEN or an unscoped admin's token."""
        expected = settings.metrics_token
        token = bearer(request)
        if not (expected and token and hmac.compare_digest(token.encode(), expected.encode())):
            try:
                who = await access.principal(request)
            except ApiError as exc:
                return problem(exc.status, exc.error, exc.message, exc.headers)
            if not (who.is_admin and who.unscoped):
                return problem(
                    403, "forbidden", "/api/metrics needs an unscoped admin token or RUMHOUSE_METRICS_TOKEN"
                )
        return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: RumhouseApp):
        runtime.start()
        log.info(
            "ready: %d site(s), %s",
            len(runtime.sites.by_key),
            "ClickHouse server" if settings.clickhouse_url else f"embedded engine in {settings.data_dir}",
        )
        app.beacon = beacon  # a new writer: the endpoint is built again, for it, at the first beacon
        app.otlp = OtlpEndpoint(
            runtime.writer,
            runtime.metrics,
            lambda token: access.tokens.authenticate(token),
            max_body_bytes=settings.otlp_max_body_bytes,
            max_decoded_bytes=settings.otlp_max_decoded_bytes,
            limits=TokenBuckets(settings.otlp_rate_limit, settings.otlp_burst),
        )
        # In the event loop's thread: `rumhouse serve` asks for this, never an app built in a test.
        placement = ThreadPlacement() if pin_event_loop else None
        if placement is not None and placement.start():
            log.info(
                "event loop on CPU %d, other threads on %s", placement.loop_cpu, sorted(placement.others)
            )
        # Everything built so far lives as long as the process: move it out of the cyclic GC's reach,
        # so that collections on the hot path only scan what requests allocate.
        gc.freeze()
        try:
            yield
        finally:
            runtime.stop()
            if placement is not None:
                placement.stop()

    beacon = _LateBound(runtime)

    otlp = _LateOtlp()

    access = Access(runtime)  # one for every route: one token cache, one view of who is asking
    app = RumhouseApp(
        routes=[
            Route("/beacon", beacon),
            Route("/v1/traces", otlp, methods=["POST"]),
            Route("/v1/metrics", otlp, methods=["POST"]),
            Route("/rum.js", snippet_response_factory()),
            Route("/rum-stub.js", snippet_response_factory(STUB)),
            Route("/rum-ws.js", snippet_response_factory(WEBSOCKETS)),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/api/metrics", api_metrics),
            *api_routes(runtime, access, part_operations(runtime)),
        ],
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), Middleware(AuditMiddleware, audit=runtime.audit)],
    )
    beacon.app = app
    otlp.app = app
    app.beacon = beacon
    app.state.runtime = runtime
    return app
