"""The `rumhouse` command: serve, migrate, sql, demo."""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys

import httpx
import orjson

from rumhouse.auth import read_admin_token
from rumhouse.settings import Settings, SettingsError
from rumhouse.sites import ConfigError
from rumhouse.store.base import StoreError

DEFAULT_URL = "http://127.0.0.1:8080"


def _fail(message: str, code: int = 2) -> int:
    print(f"rumhouse: {message}", file=sys.stderr)
    return code


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from rumhouse.app import create_app

    app = create_app(settings)
    runtime = app.state.runtime
    url = f"http://{args.host}:{args.port}"
    public = settings.public_url or url
    site = next(iter(runtime.sites.by_key))
    print(f"rumhouse is starting on {url} (data in {settings.data_dir.resolve()})", flush=True)
    print("Paste this into your pages:", flush=True)
    print(f'  <script src="{public}/rum.js" data-site="{site}" defer></script>', flush=True)
    if runtime.admin_token_created:
        print("An admin token was generated and saved in the data folder; it is shown only this once:", flush=True)
        print(f"  {runtime.admin_token}", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        server_header=False,
        # Slow or stalled clients must not pin connections: beacons are small and sent at once.
        timeout_keep_alive=5,
        proxy_headers=False,
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from rumhouse.app import open_store
    from rumhouse.store.migrations import migrate

    store = open_store(settings)
    try:
        applied = migrate(
            store, retention_days=settings.retention_days, rollup_retention_days=settings.rollup_retention_days
        )
    finally:
        store.close()
    print("applied: " + ", ".join(applied) if applied else "the schema is up to date")
    return 0


def _render(columns: list[str], rows: list[list], fmt: str) -> str:
    if fmt == "json":
        return orjson.dumps([dict(zip(columns, row)) for row in rows], option=orjson.OPT_INDENT_2).decode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) and bool(rows) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)] + [line(row) for row in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _cell(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def cmd_sql(args: argparse.Namespace, settings: Settings) -> int:
    url = (args.url or os.environ.get("RUMHOUSE_URL") or DEFAULT_URL).rstrip("/")
    token = args.token or settings.admin_token or read_admin_token(settings.data_dir)
    try:
        response = httpx.post(
            f"{url}/api/v1/sql",
            params={"format": "json"},
            content=args.query.encode("utf-8"),
            headers={"authorization": f"Bearer {token}", "content-type": "text/plain; charset=utf-8"},
            timeout=60,
        )
    except httpx.ConnectError:
        if args.url or not settings.data_dir.is_dir():
            return _fail(f"cannot reach rumhouse at {url}; is `rumhouse serve` running?")
        return _sql_local(args, settings)
    if response.status_code != 200:
        return _fail(response.text.strip() or f"HTTP {response.status_code}", 1)
    doc = response.json()
    print(_render(doc["columns"], doc["rows"], args.format))
    return 0


def _sql_local(args: argparse.Namespace, settings: Settings) -> int:
    """No server is running: open the data folder here, read-only."""
    from rumhouse.app import open_store

    try:
        store = open_store(settings)
    except StoreError as exc:
        return _fail(str(exc))
    try:
        result = store.query(args.query, readonly=True)
    except StoreError as exc:
        return _fail(str(exc), 1)
    finally:
        store.close()
    print(_render(result.columns, result.rows, args.format))
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from rumhouse.demo import run_demo

    url = (args.url or os.environ.get("RUMHOUSE_URL") or DEFAULT_URL).rstrip("/")
    try:
        result = run_demo(url, site=args.site, page_views=args.page_views, seed=args.seed, origin=args.origin)
    except httpx.HTTPError as exc:
        return _fail(f"cannot send beacons to {url}: {exc}")
    print(f"sent {result.beacons} beacons for {result.page_views} page views: {result.accepted} accepted", end="")
    if result.rejected:
        print(", rejected: " + ", ".join(f"{n} with HTTP {status}" for status, n in sorted(result.rejected.items())))
        return 1
    print()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rumhouse", description="Real User Monitoring on ClickHouse")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the beacon endpoint, API and dashboard")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])

    commands.add_parser("migrate", help="apply the schema migrations in clickhouse/")

    sql = commands.add_parser("sql", help="run a read-only SQL query")
    sql.add_argument("query")
    sql.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
    sql.add_argument("--token", help="admin token (default $RUMHOUSE_ADMIN_TOKEN or the data folder's)")
    sql.add_argument("--format", default="table", choices=["table", "csv", "json"])

    demo = commands.add_parser("demo", help="send realistic synthetic beacons")
    demo.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
    demo.add_argument("--site", default="demo")
    demo.add_argument("--page-views", type=int, default=500)
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--origin", help="Origin header to send, for sites that restrict origins")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        handler = {"serve": cmd_serve, "migrate": cmd_migrate, "sql": cmd_sql, "demo": cmd_demo}[args.command]
        return handler(args, settings)
    except (SettingsError, ConfigError, StoreError) as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
