"""Sites: the public keys that pages put in `data-site`, and the page origins allowed to use them.

Sites are configuration as code, read from the TOML file named by `RUMHOUSE_CONFIG` (config_file.py):

    [[sites]]
    key = "demo"
    name = "Demo"
    origins = ["http://localhost:3000"]   # "*" allows any origin

Without a config file, one site `demo` that accepts any origin exists, so a first run just works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# An origin is scheme://host[:port], without a path: what browsers put in the Origin header.
_ORIGIN = re.compile(r"^https?://[^/\s?#]+$")


class ConfigError(ValueError):
    """The config file is unusable; the message says where."""


@dataclass(frozen=True)
class Site:
    key: str
    name: str
    origins: frozenset[str]
    # Beacons per second and burst for this site's token bucket; None: the server-wide default.
    rate_limit: float | None = None
    burst: int | None = None

    @property
    def any_origin(self) -> bool:
        return "*" in self.origins

    def allows_origin(self, origin: str | None) -> bool:
        """Browsers send `Origin` with every POST, sendBeacon included. A request without one is not
        from a page, so it is only allowed where the site accepts any origin."""
        if self.any_origin:
            return True
        return origin is not None and origin.lower() in self.origins


DEFAULT_SITES = (Site(key="demo", name="Demo", origins=frozenset({"*"})),)


def _parse_site(index: int, raw: object) -> Site:
    where = f"sites[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise ConfigError(f"{where}.key must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
    name = raw.get("name", key)
    if not isinstance(name, str):
        raise ConfigError(f"{where}.name must be a string")
    origins = raw.get("origins", ["*"])
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise ConfigError(f"{where}.origins must be a list of strings")
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ConfigError(f"{where}.origins: {origin!r} is not an origin like https://example.com")
    rate_limit = raw.get("rate_limit")
    if rate_limit is not None and (
        isinstance(rate_limit, bool) or not isinstance(rate_limit, (int, float)) or rate_limit < 0
    ):
        raise ConfigError(f"{where}.rate_limit must be a number of beacons per second (0: unlimited)")
    burst = raw.get("burst")
    if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 1):
        raise ConfigError(f"{where}.burst must be a whole number of beacons, at least 1")
    return Site(
        key=key,
        name=name,
        origins=frozenset(o.lower().rstrip("/") for o in origins),
        rate_limit=float(rate_limit) if rate_limit is not None else None,
        burst=burst,
    )


def parse_sites(document: dict) -> tuple[Site, ...]:
    raw_sites = document.get("sites", [])
    if not isinstance(raw_sites, list):
        raise ConfigError("sites must be an array of tables ([[sites]])")
    sites = tuple(_parse_site(i, raw) for i, raw in enumerate(raw_sites))
    keys = [site.key for site in sites]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate:
        raise ConfigError(f"site key {duplicate!r} is defined twice")
    return sites or DEFAULT_SITES


class SiteRegistry:
    """Sites by key, and the union of their origins for CORS preflights (which carry no body, so
    no site key: the POST that follows is checked against its own site)."""

    def __init__(self, sites: tuple[Site, ...]) -> None:
        self.by_key = {site.key: site for site in sites}
        self._any_origin = any(site.any_origin for site in sites)
        self._origins = frozenset().union(*(site.origins for site in sites))

    def get(self, key: str) -> Site | None:
        return self.by_key.get(key)

    def preflight_allows(self, origin: str) -> bool:
        return self._any_origin or origin.lower() in self._origins
