"""Who may read: bearer tokens on every /api/ route (the beacon is public).

The admin token comes from RUMHOUSE_ADMIN_TOKEN; without it, one is generated on first start, kept
in the data folder (`admin-token`, readable by its owner only, so that `rumhouse sql` on the same
machine finds it) and printed once.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from starlette.requests import Request

TOKEN_FILE = "admin-token"


def token_file(data_dir: Path) -> Path:
    return data_dir / TOKEN_FILE


def read_admin_token(data_dir: Path) -> str:
    try:
        return token_file(data_dir).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def ensure_admin_token(configured: str, data_dir: Path) -> tuple[str, bool]:
    """(the admin token, whether it was generated just now)."""
    if configured:
        return configured, False
    existing = read_admin_token(data_dir)
    if existing:
        return existing, False
    data_dir.mkdir(parents=True, exist_ok=True)
    token = "rh_" + secrets.token_urlsafe(32)
    path = token_file(data_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token, True


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
