"""What the API's operations may read of the running app: runtime.Runtime, as a type the API can name
without importing the app (which imports the API). Everything here exists once the app has started,
which it has before the first request."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from rumhouse.settings import Settings
from rumhouse.sites import SiteRegistry
from rumhouse.store.base import Store


class Flushes(Protocol):
    def flush(self) -> object: ...


class AuditReader(Protocol):
    def recent(self, *, since: datetime, token: str, site: str, limit: int) -> list[dict]: ...


class CountsRefusals(Protocol):
    def refused(self, reason: str) -> None: ...


class ApiRuntime(Protocol):
    @property
    def store(self) -> Store: ...

    @property
    def writer(self) -> Flushes: ...  # what was accepted, still in the buffer, is written by flush()

    @property
    def audit(self) -> AuditReader: ...  # the audit log (audit.py), newest first

    @property
    def settings(self) -> Settings: ...

    @property
    def metrics(self) -> CountsRefusals: ...  # /metrics: every refusal counted by its error word

    @property
    def sites(self) -> SiteRegistry: ...

    @property
    def admin_token(self) -> str: ...
