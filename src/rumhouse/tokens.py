"""API tokens: roles (viewer, admin; ingest for OpenTelemetry senders), scoped to sites, stored hashed in
`rumhouse.tokens`. An ingest token belongs to exactly one site and can only send (POST /v1/traces,
/v1/metrics): the reading API refuses it.

A token reads `rh_<id>_<secret>`. The id is public (listed, used to revoke); only a SHA-256 of the
whole token is stored, so a copy of the database gives nobody a working token. The secret is 256 random
bits, which is why a plain (unsalted, fast) hash is enough: there is nothing to guess.

The admin token of the settings (RUMHOUSE_ADMIN_TOKEN or the data folder's) is an unscoped admin too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

import orjson

from rumhouse.store.base import Store, row_version

ROLES = ("viewer", "admin", "ingest")
# A revoked token stops working within this many seconds on every worker (the lookup cache).
CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class Principal:
    """Who is asking: a role, and the sites it may read (empty: every site)."""

    role: str
    sites: tuple[str, ...] = ()
    token_id: str = ""
    name: str = ""  # the token's name, for the audit log

    @property
    def unscoped(self) -> bool:
        return not self.sites

    def may_read(self, site: str) -> bool:
        return self.unscoped or site in self.sites

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class TokenInfo:
    id: str
    role: str
    sites: list[str]
    name: str
    created_at: str
    revoked: bool = False


@dataclass
class NewToken:
    token: str = field(repr=False)
    info: TokenInfo


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def split_token(token: str) -> str | None:
    """The id of a well-formed token, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "rh" or not parts[1] or not parts[2]:
        return None
    return parts[1]


class Tokens:
    """Create, list, revoke and check tokens against the store (one instance per process)."""

    def __init__(self, store: Store, admin_token: str = "") -> None:
        self.store = store
        self.admin_token = admin_token
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def create(self, role: str, sites: list[str], name: str = "") -> NewToken:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if role == "viewer" and not sites:
            raise ValueError("a viewer token needs at least one site")
        if role == "ingest" and len(sites) != 1:
            raise ValueError("an ingest token belongs to exactly one site (--site)")
        token_id = secrets.token_hex(6)
        token = f"rh_{token_id}_{secrets.token_urlsafe(32)}"
        # Array parameters do not travel the same way through every engine: JSON in a String does.
        self.store.command(
            "INSERT INTO rumhouse.tokens (id, hash, role, sites, name, created_at, revoked, version) VALUES"
            " ({id:String}, {hash:String}, {role:String}, JSONExtract({sites:String}, 'Array(String)'), {name:String}, now(), 0,"
            " {version:UInt64})",
            {
                "id": token_id,
                "hash": hash_token(token),
                "role": role,
                "sites": orjson.dumps(list(sites)).decode(),
                "name": name,
                "version": row_version(),
            },
        )
        return NewToken(token, self._info(token_id))

    def list(self) -> list[TokenInfo]:
        result = self.store.query(
            "SELECT id, role, sites, name, toString(created_at), revoked FROM rumhouse.tokens FINAL ORDER BY created_at, id"
        )
        return [TokenInfo(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in result.rows]

    def _info(self, token_id: str) -> TokenInfo:
        return next(t for t in self.list() if t.id == token_id)

    def revoke(self, token_id: str) -> bool:
        """True when a token with this id existed (revoked now or before)."""
        found = self.store.query(
            "SELECT count() FROM rumhouse.tokens WHERE id = {id:String}", {"id": token_id}
        ).scalar()
        if not found:
            return False
        # A newer row for the id, copied from the current one with revoked = 1.
        self.store.command(
            "INSERT INTO rumhouse.tokens (id, hash, role, sites, name, created_at, revoked, version)"
            " SELECT id, hash, role, sites, name, created_at, 1, {version:UInt64}"
            " FROM rumhouse.tokens FINAL WHERE id = {id:String}",
            {"id": token_id, "version": row_version()},
        )
        with self._lock:
            self._cache.clear()
        return True

    def authenticate(self, token: str) -> Principal | None:
        """The principal behind a bearer token, or None when it is unknown, malformed or revoked."""
        if not token:
            return None
        if self.admin_token and hmac.compare_digest(token.encode(), self.admin_token.encode()):
            return Principal("admin", (), "settings", "admin token")
        token_id = split_token(token)
        if token_id is None:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        row = self.store.query(
            "SELECT hash, role, sites, revoked, name FROM rumhouse.tokens FINAL WHERE id = {id:String}",
            {"id": token_id},
            readonly=True,
        ).rows
        principal = None
        if row and hmac.compare_digest(row[0][0], digest) and not row[0][3]:
            principal = Principal(row[0][1], tuple(row[0][2]), token_id, row[0][4])
        with self._lock:
            if len(self._cache) > 10_000:  # bounded: random wrong tokens must not grow it forever
                self._cache.clear()
            self._cache[digest] = (now, principal)
        return principal
