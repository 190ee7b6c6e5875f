"""The Starlette application: routes, and the runtime (store, writer) opened at start-up.

POST /beacon          ingest/endpoint.py -> ingest/batching.py -> ingest/pipeline.py -> writer.py -> store/
GET  /rum.js          the snippet (built from snippet/ into static/rum.js)
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
import fcntl
import gc
import gzip
import hmac
import logging
from pathlib import Path

import anyio
import brotli
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rumhouse.alerts.api import alerting_operations
from rumhouse.alerts.service import Alerting
from rumhouse.api import api_routes
from rumhouse.api.access import Access
from rumhouse.audit import AuditLog, AuditMiddleware
from rumhouse.auth import bearer, ensure_admin_token
from rumhouse.budgets.model import Budget
from rumhouse.clients import ClientAddress
from rumhouse.config_file import load_config
from rumhouse.http_front import FrontCollector, FrontLimits
from rumhouse.http_front import configure as configure_front
from rumhouse.ingest.endpoint import BeaconEndpoint
from rumhouse.ingest.limits import TokenBuckets
from rumhouse.ingest.pipeline import Pipeline
from rumhouse.metrics import CONTENT_TYPE, Metrics
from rumhouse.placement import ThreadPlacement
from rumhouse.security_headers import SecurityHeaders
from rumhouse.settings import Settings
from rumhouse.sites import SiteRegistry
from rumhouse.spool import Spool
from rumhouse.store.base import Store, StoreError
from rumhouse.store.migrations import migrate
from rumhouse.writer import Writer

log = logging.getLogger("rumhouse")
SNIPPET = Path(__file__).parent / "static" / "rum.js"


def open_store(settings: Settings) -> Store:
    """The server engine when RUMHOUSE_CLICKHOUSE_URL is set, else the embedded engine."""
    if settings.clickhouse_url:
        from rumhouse.store.server import ServerStore

        return ServerStore(
            settings.clickhouse_url,
            compress=settings.clickhouse_compress,
            ca_cert=settings.clickhouse_ca_cert,
            cluster=settings.cluster,
            sql_user=settings.clickhouse_sql_user,
            sql_password=settings.clickhouse_sql_password,
        )
    if settings.cluster:
        raise StoreError("RUMHOUSE_CLUSTER needs a ClickHouse server: set RUMHOUSE_CLICKHOUSE_URL too")
    try:
        from rumhouse.store.embedded import EmbeddedStore
    except ModuleNotFoundError as exc:
        if exc.name != "chdb":
            raise
        raise StoreError(
            "the embedded engine needs chDB, which this install has not: pip install 'rumhouse[embedded]' "
            "(or bash scripts/setup-python.sh), or set RUMHOUSE_CLICKHOUSE_URL to use a ClickHouse server"
        ) from None

    return EmbeddedStore(settings.data_dir)


def claim_worker_spool(base: Path):
    """With several worker processes (RUMHOUSE_WORKERS), each takes a spool folder of its own,
    `<spool>/worker-<n>`, held by an exclusive lock for the life of the process: two processes never
    append to or replay one folder, and a restarted worker takes a free folder and replays what a dead
    one left there. Returns the folder and the open lock file (closing it releases the folder)."""
    base.mkdir(parents=True, exist_ok=True)
    slot = 0
    while True:
        folder = base / f"worker-{slot}"
        folder.mkdir(exist_ok=True)
        handle = open(folder / ".lock", "a+", encoding="utf-8")  # noqa: SIM115 (held until stop)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            slot += 1
            continue
        return folder, handle


class Runtime:
    """Everything a request needs, built once per process. The store is opened at start-up, in the
    serving process, because chDB ties a data folder to the process that opened it."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        config = load_config(settings.config_file)  # the TOML file, read once
        self.sites = SiteRegistry(config.sites)
        self.metrics = Metrics()
        self.metrics.registry.register(FrontCollector())  # the HTTP front's connections and refusals
        self.pipeline = Pipeline(
            self.sites,
            query_allowlist=settings.query_allowlist,
            drop_bots=settings.drop_bots,
            site_rate_limit=settings.site_rate_limit,
            site_burst=settings.site_burst,
        )
        self.admin_token, self.admin_token_created = ensure_admin_token(
            settings.admin_token, settings.data_dir
        )
        self._store = store
        self._writer: Writer | None = None
        self.alerting = Alerting(
            config.alerting,
            interval=settings.alert_interval,  # budgets, rules, channels
            retry=settings.alert_retry,
        )
        self.audit = AuditLog()
        self._spool_lock = None

    @property
    def store(self) -> Store:
        """The store, open once started (and before: the one create_app was given, if any)."""
        if self._store is None:
            raise RuntimeError("the store opens when the app starts")
        return self._store

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            raise RuntimeError("the writer starts with the app")
        return self._writer

    @property
    def started(self) -> bool:
        return self._writer is not None

    @property
    def config_budgets(self) -> tuple[Budget, ...]:
        """The budgets of the config file (budgets made through the API are rows in the store)."""
        return self.alerting.config.budgets

    def start(self) -> None:
        if self._store is None:
            self._store = open_store(self.settings)
        migrate(
            self.store,
            retention_days=self.settings.retention_days,
            retention_overrides=dict(self.settings.retention_overrides),
            rollup_retention_days=self.settings.rollup_retention_days,
            progress=log.info,
        )
        folder = self.settings.spool_path
        if self.settings.workers > 1:
            folder, self._spool_lock = claim_worker_spool(folder)
        spool = Spool(folder, max_bytes=self.settings.spool_max_bytes)
        self._writer = Writer(
            self.store,
            self.metrics,
            spool,
            flush_interval=self.settings.flush_interval,
            flush_rows=self.settings.flush_rows,
        )
        self._writer.start()
        self.audit.start(self.store)
        self.alerting.attach(self.store)
        # With several workers on this machine, the one holding spool slot 0 evaluates alert rules.
        self.alerting.start(evaluate=self._spool_lock is None or folder.name == "worker-0")

    def stop(self) -> None:
        self.alerting.stop()
        self.audit.close()
        if self._writer is not None:
            self._writer.close()
        if self._store is not None:
            self._store.close()
        if self._spool_lock is not None:
            self._spool_lock.close()


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


class RumhouseApp(Starlette):
    """Starlette, except that beacons go straight to their endpoint, before the middleware and router:
    those cost about 5 µs a request, and /beacon takes nearly all requests. The router keeps a /beacon
    route too, so that listings of the app's routes show it."""

    beacon: _LateBound | BeaconEndpoint

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/beacon":
            await self.beacon(scope, receive, send)  # security_headers.COMMON: uvicorn adds them
            return
        await super().__call__(scope, receive, send)


def snippet_response_factory():
    """The snippet, with gzip and brotli versions made once at start-up."""
    source = SNIPPET.read_bytes()
    variants = {"gzip": gzip.compress(source, 9), "br": brotli.compress(source, quality=11)}

    async def rum_js(request: Request) -> Response:
        accepted = request.headers.get("accept-encoding", "")
        headers = {
            "cache-control": "public, max-age=3600",
            "vary": "Accept-Encoding",
            "access-control-allow-origin": "*",
        }
        for encoding in ("br", "gzip"):
            if encoding in variants and encoding in accepted:
                headers["content-encoding"] = encoding
                return Response(variants[encoding], media_type="text/javascript", headers=headers)
        return Response(source, media_type="text/javascript", headers=headers)

    return rum_js


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

    @contextlib.asynccontextmanager
    async def lifespan(app: RumhouseApp):
        runtime.start()
        log.info(
            "ready: %d site(s), %s",
            len(runtime.sites.by_key),
            "ClickHouse server" if settings.clickhouse_url else f"embedded engine in {settings.data_dir}",
        )
        app.beacon = beacon  # a new writer: the endpoint is built again, for it, at the first beacon
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
    access = Access(runtime)  # one for every route: one token cache, one view of who is asking
    app = RumhouseApp(
        routes=[
            Route("/beacon", beacon),
            Route("/rum.js", snippet_response_factory()),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            *api_routes(runtime, access, alerting_operations(runtime)),
        ],
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), Middleware(AuditMiddleware, audit=runtime.audit)],
    )
    beacon.app = app
    app.beacon = beacon
    app.state.runtime = runtime
    return app
