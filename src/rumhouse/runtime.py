"""What serves requests, built once per process: the config's sites, the ingest pipeline, the metrics,
the admin token, the alerting, the audit log; and, at start-up, the store (migrated), the spool and
the writer. app.py builds one for `rumhouse serve`; the CLI opens a store the same way (open_store)."""

from __future__ import annotations

import logging

from rumhouse.alerts.service import Alerting
from rumhouse.audit import AuditLog
from rumhouse.auth import ensure_admin_token
from rumhouse.budgets.model import Budget
from rumhouse.config_file import load_config
from rumhouse.http_front import FrontCollector
from rumhouse.ingest.pipeline import Pipeline
from rumhouse.metrics import Metrics
from rumhouse.settings import Settings
from rumhouse.settle import Settler
from rumhouse.sites import SiteRegistry
from rumhouse.spool import Spool, claim_worker_spool
from rumhouse.store.base import Store, StoreError
from rumhouse.store.migrations import migrate
from rumhouse.writer import Writer

log = logging.getLogger("rumhouse")


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


class Runtime:
    """Everything a request needs, built once per process. The store is opened at start-up, in the
    serving process, because chDB ties a data folder to the process that opened it."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        config = load_config(settings.config_file)  # the TOML file, read once
        self.sites = SiteRegistry(config.sites)
        self.ai_prices = config.ai_prices  # what AI tokens cost (ai/prices.py)
        self.slas = config.slas  # what dependencies promise (dependencies/sla.py)
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
            prices=config.ai_prices,
        )
        self.audit = AuditLog()
        self._spool_lock = None
        self.settler: Settler | None = None

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
        # With several workers on this machine, the one holding spool slot 0 evaluates alert rules and
        # settles the vitals that wait for their final value.
        leader = self._spool_lock is None or folder.name == "worker-0"
        self.alerting.start(evaluate=leader)
        if leader:
            self.settler = Settler(
                self.store,
                self.metrics,
                after=self.settings.settle_after,
                interval=self.settings.settle_interval,
            )
            self.settler.start()

    def stop(self) -> None:
        self.alerting.stop()
        if self.settler is not None:
            self.settler.stop()
        self.audit.close()
        if self._writer is not None:
            self._writer.close()
        if self._store is not None:
            self._store.close()
        if self._spool_lock is not None:
            self._spool_lock.close()
