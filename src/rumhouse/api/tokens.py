"""Token management for unscoped admin tokens: what `rumhouse token create/list/revoke` calls.

GET    /api/v1/tokens          the tokens (ids, roles, sites; never the tokens themselves)
POST   /api/v1/tokens          {"role": "viewer", "sites": ["demo"], "name": "..."} -> the token, once
DELETE /api/v1/tokens/{id}     revoke
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import msgspec

from rumhouse.api.access import Access, ApiError
from rumhouse.api.operation import Call, Operation
from rumhouse.api.table import TABLE_EXPORTS, Table, table_of

COLUMNS = ["id", "role", "sites", "name", "created_at", "revoked"]


class TokenRow(msgspec.Struct):
    id: str
    role: Literal["viewer", "admin", "ingest"]
    sites: str  # comma-separated site keys; empty: every site
    name: str
    created_at: str
    revoked: bool


class NewToken(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["viewer", "admin", "ingest"]
    sites: list[str] = []
    name: str = ""


class CreatedToken(msgspec.Struct):
    token: str  # shown once: only its hash is kept
    id: str
    role: str
    sites: list[str]
    name: str
    created_at: str
    revoked: bool


def token_operations(access: Access) -> list[Operation]:
    def listing(call: Call) -> Table:
        rows = [dataclasses.asdict(t) for t in access.tokens.list()]
        for row in rows:
            row["sites"] = ",".join(row["sites"])
        return Table(COLUMNS, rows, "raw")

    def create(call: Call) -> CreatedToken:
        new: NewToken = call.body
        if not all(new.sites):
            raise ApiError(400, "bad_request", "sites is a list of site keys")
        try:
            made = access.tokens.create(new.role, new.sites, new.name)
        except ValueError as exc:
            raise ApiError(400, "bad_request", str(exc)) from None
        return CreatedToken(token=made.token, **dataclasses.asdict(made.info))

    def revoke(call: Call) -> None:
        if not access.tokens.revoke(call.path["id"]):
            raise ApiError(404, "not_found", f"no token with id {call.path['id']!r}")

    return [
        Operation(
            "GET",
            "/tokens",
            "tokens",
            "List tokens (unscoped admin)",
            listing,
            answer=table_of(TokenRow),
            admin=True,
            exports=TABLE_EXPORTS,
        ),
        Operation(
            "POST",
            "/tokens",
            "create_token",
            "Create a token; the answer shows it once",
            create,
            body=NewToken,
            answer=CreatedToken,
            status=201,
            admin=True,
        ),
        Operation(
            "DELETE",
            "/tokens/{id}",
            "revoke_token",
            "Revoke a token",
            revoke,
            status=204,
            admin=True,
            errors=(404,),
        ),
    ]
