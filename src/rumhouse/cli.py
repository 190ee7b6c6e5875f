"""The `rumhouse` command: serve, migrate, sql, token, delete, demo, budgets."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import httpx
import orjson

from rumhouse.auth import read_admin_token
from rumhouse.logs import configure_logging
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
    from rumhouse.http_front import GuardedHttpProtocol
    from rumhouse.security_headers import uvicorn_headers

    if bool(args.tls_cert) != bool(args.tls_key):
        return _fail("--tls-cert and --tls-key go together")

    workers = settings.workers  # --workers was put in the environment before it was read (main)
    if workers > 1 and not settings.clickhouse_url:
        return _fail(
            "several workers need the server engine (RUMHOUSE_CLICKHOUSE_URL): "
            "the embedded engine's data folder is owned by one process"
        )
    app = create_app(settings, pin_event_loop=settings.pin_event_loop and workers == 1)
    runtime = app.state.runtime
    url = f"http://{args.host}:{args.port}"
    public = settings.public_url or url
    site = next(iter(runtime.sites.by_key))
    # The server's address without the user and password.
    where = (
        f"ClickHouse at {settings.clickhouse_url.split('@')[-1]}"
        if settings.clickhouse_url
        else (settings.data_dir.resolve())
    )
    print(f"rumhouse is starting on {url} (data in {where})", flush=True)
    print("Paste this into your pages:", flush=True)
    print(f'  <script src="{public}/rum.js" data-site="{site}" defer></script>', flush=True)
    if runtime.admin_token_created:
        print(
            "An admin token was generated and saved in the data folder; it is shown only this once:",
            flush=True,
        )
        print(f"  {runtime.admin_token}", flush=True)
    if workers > 1:
        # Each worker process builds its own app (and store) from the same environment, the count
        # included (each takes a spool folder of its own); the admin token file was made above,
        # before they start, so they all read the same one.
        print(f"with {workers} worker processes", flush=True)
    uvicorn.run(
        app if workers == 1 else "rumhouse.app:create_app",
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        # One log line per beacon would cost more than handling it; /metrics counts requests instead.
        access_log=args.access_log,
        loop="uvloop",
        server_header=False,
        # nosniff, no-referrer, no framing on every answer, written by uvicorn (security_headers.py).
        headers=uvicorn_headers(),
        # Limits on request heads, bodies and connections per client and in all (http_front.py).
        http=GuardedHttpProtocol,
        # Slow or stalled clients must not pin connections: beacons are small and sent at once.
        timeout_keep_alive=5,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        # Client IPs are resolved by rumhouse itself, honouring only RUMHOUSE_TRUSTED_PROXIES.
        proxy_headers=False,
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from rumhouse.runtime import open_store
    from rumhouse.store.migrations import migrate

    store = open_store(settings)
    try:
        applied = migrate(
            store,
            retention_days=settings.retention_days,
            retention_overrides=dict(settings.retention_overrides),
            rollup_retention_days=settings.rollup_retention_days,
            progress=_progress,
        )
    finally:
        store.close()
    print("applied: " + ", ".join(applied) if applied else "the schema is up to date")
    return 0


def _render(columns: list[str], rows: list[list], fmt: str) -> str:
    if fmt == "json":
        return orjson.dumps(
            [dict(zip(columns, row, strict=True)) for row in rows], option=orjson.OPT_INDENT_2
        ).decode()
    if fmt == "csv":
        from rumhouse.api.table import delimited

        return delimited(columns, rows, "csv").rstrip("\n")
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row[i], (int, float)) for row in rows) and bool(rows) for i in range(len(columns))
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

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


def _server_url(args: argparse.Namespace) -> str:
    return (args.url or os.environ.get("RUMHOUSE_URL") or DEFAULT_URL).rstrip("/")


def _admin_token(args: argparse.Namespace, settings: Settings) -> str:
    """--token, else $RUMHOUSE_ADMIN_TOKEN, else the token file of the data folder; '' when none is found."""
    return args.token or settings.admin_token or read_admin_token(settings.data_dir)


def _auth(token: str) -> dict[str, str]:
    # No header at all without a token: the server then says what it wants (an empty `Bearer ` is not
    # even a valid header value).
    return {"authorization": f"Bearer {token}"} if token else {}


def _refusal(response: httpx.Response, url: str, token: str, settings: Settings) -> str:
    """What to tell the user when the server refused a call."""
    if response.status_code == 401:
        if not token:
            return (
                f"rumhouse at {url} needs the admin token, and none was found: pass --token, set "
                f"RUMHOUSE_ADMIN_TOKEN, or run this where the data folder is (now {settings.data_dir})"
            )
        return f"rumhouse at {url} refused the token: it is not valid there (unknown, mistyped or revoked)"
    try:
        doc = response.json()
        if isinstance(doc, dict) and doc.get("message"):
            return f"{doc.get('error', response.status_code)}: {doc['message']}"
    except ValueError:
        pass
    return response.text.strip() or f"HTTP {response.status_code}"


def _call_server(args: argparse.Namespace, settings: Settings, method: str, path: str, local, **request):
    """Call the running server with the admin token; returns the 200 response's JSON, or an exit code.

    In embedded mode the server owns the data folder. When no server answers and the folder is here
    (and no --url was asked for), `local(store)` runs on the folder opened in this process instead."""
    url = _server_url(args)
    token = _admin_token(args, settings)
    headers = {**_auth(token), **request.pop("headers", {})}
    try:
        response = httpx.request(method, f"{url}{path}", headers=headers, timeout=600, **request)
    except httpx.ConnectError:
        if args.url or not settings.data_dir.is_dir():
            return _fail(f"cannot reach rumhouse at {url}; is `rumhouse serve` running?")
        return _run_local(settings, local)
    if response.status_code != 200:
        return _fail(_refusal(response, url, token, settings), 1)
    return response.json()


def _run_local(settings: Settings, local):
    from rumhouse.runtime import open_store

    store = open_store(settings)
    try:
        return local(store)
    except StoreError as exc:
        return _fail(str(exc), 1)
    finally:
        store.close()


def cmd_sql(args: argparse.Namespace, settings: Settings) -> int:
    def local(store):
        # The same check and limits as the server's SQL route (usersql/).
        from rumhouse.usersql.guard import Refused
        from rumhouse.usersql.run import EngineTooOld, QueryFailed, prepare, run

        try:
            text = prepare(store, args.query, settings.sql_limits)
            result = run(store, text, settings.sql_limits)
        except Refused as exc:
            return _fail(f"{exc.reason}: {exc}", 1)
        except QueryFailed as exc:
            return _fail(f"query_failed: {exc}", 1)
        except EngineTooOld as exc:
            return _fail(f"sql_unavailable: {exc}", 1)
        return {"columns": result.columns, "rows": result.rows}

    doc = _call_server(
        args,
        settings,
        "POST",
        "/api/v1/sql",
        local,
        params={"format": "json"},
        content=args.query.encode("utf-8"),
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    if isinstance(doc, int):
        return doc
    print(_render(doc["columns"], doc["rows"], args.format))
    return 0


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    from rumhouse.api.admin import parse_before
    from rumhouse.deletion import delete_site_data

    try:
        before = parse_before(args.before)
    except ValueError:
        return _fail("--before is a date like 2026-01-31")
    if not _confirm_delete(args):
        return 1
    _progress(
        f"deleting {'rows older than ' + args.before if args.before else 'all data'} of site {args.site!r}"
        " from every table (a mutation per table: it can take a while)"
    )
    doc = _call_server(
        args,
        settings,
        "DELETE",
        f"/api/v1/admin/sites/{args.site}/data",
        lambda store: {"deleted": delete_site_data(store, args.site, before)},
        params={"before": args.before} if args.before else {},
    )
    if isinstance(doc, int):
        return doc
    _print_deleted(args.site, doc["deleted"])
    return 0


def _print_deleted(site: str, deleted: dict[str, int]) -> None:
    total = sum(deleted.values())
    detail = ", ".join(f"{table} {n}" for table, n in sorted(deleted.items()) if n)
    print(f"deleted {total} rows of site {site!r}" + (f" ({detail})" if detail else ""))


def _admin_call(
    settings: Settings, args: argparse.Namespace, method: str, path: str, **kwargs
) -> httpx.Response:
    return httpx.request(
        method,
        f"{_server_url(args)}{path}",
        headers=_auth(_admin_token(args, settings)),
        timeout=30,
        **kwargs,
    )


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    """Through the running server (it owns the data folder); with none running, on the folder itself."""
    try:
        if args.action == "create":
            response = _admin_call(
                settings,
                args,
                "POST",
                "/api/v1/tokens",
                json={"role": args.role, "sites": args.site or [], "name": args.name or ""},
            )
        elif args.action == "list":
            response = _admin_call(settings, args, "GET", "/api/v1/tokens")
        else:
            response = _admin_call(settings, args, "DELETE", f"/api/v1/tokens/{args.id}")
    except httpx.ConnectError:
        if args.url or not settings.data_dir.is_dir():
            return _fail("cannot reach rumhouse; is `rumhouse serve` running?")
        return _token_local(args, settings)
    if response.status_code >= 400:
        return _fail(_refusal(response, _server_url(args), _admin_token(args, settings), settings), 1)
    if args.action == "create":
        _print_new_token(response.json())
    elif args.action == "list":
        doc = response.json()
        print(_render(doc["columns"], [[r[c] for c in doc["columns"]] for r in doc["rows"]], "table"))
    else:
        print(f"revoked {args.id}")
    return 0


def _print_new_token(info: dict) -> None:
    sites = ", ".join(info["sites"]) or "every site"
    print(
        f"created {info['role']} token {info['id']} for {sites}; it is shown only this once:", file=sys.stderr
    )
    print(info["token"])


def _token_local(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from rumhouse.runtime import open_store
    from rumhouse.store.migrations import migrate
    from rumhouse.tokens import Tokens

    store = open_store(settings)
    try:
        migrate(
            store,
            retention_days=settings.retention_days,
            retention_overrides=dict(settings.retention_overrides),
            rollup_retention_days=settings.rollup_retention_days,
        )
        tokens = Tokens(store)
        if args.action == "create":
            try:
                created = tokens.create(args.role, args.site or [], args.name or "")
            except ValueError as exc:
                return _fail(str(exc))
            _print_new_token({"token": created.token, **dataclasses.asdict(created.info)})
        elif args.action == "list":
            rows = [dataclasses.asdict(t) for t in tokens.list()]
            columns = ["id", "role", "sites", "name", "created_at", "revoked"]
            print(
                _render(
                    columns,
                    [[",".join(r[c]) if c == "sites" else r[c] for c in columns] for r in rows],
                    "table",
                )
            )
        elif tokens.revoke(args.id):
            print(f"revoked {args.id}")
        else:
            return _fail(f"no token with id {args.id!r}", 1)
    finally:
        store.close()
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from rumhouse.demo import run_demo

    url = _server_url(args)
    try:
        result = run_demo(
            url,
            site=args.site,
            page_views=args.page_views,
            seed=args.seed,
            origin=args.origin,
            progress=_progress,
        )
    except httpx.HTTPError as exc:
        return _fail(f"cannot send beacons to {url}: {exc}")
    print(
        f"sent {result.beacons} beacons for {result.page_views} page views: {result.accepted} accepted",
        end="",
    )
    if result.rejected:
        print(
            ", rejected: "
            + ", ".join(f"{n} with HTTP {status}" for status, n in sorted(result.rejected.items()))
        )
        return 1
    print()
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """The performance report, as the running server renders it (GET /api/v1/report), into a file."""
    params = {"site": args.site, "period": args.period, "format": args.format}
    try:
        response = _admin_call(settings, args, "GET", "/api/v1/report", params=params)
    except httpx.ConnectError:
        return _fail("cannot reach rumhouse; is `rumhouse serve` running?")
    if response.status_code != 200:
        return _fail(f"the report failed: HTTP {response.status_code} {response.text[:200]}")
    out = Path(args.out or f"rumhouse-{args.site}-{args.period}.{args.format}")
    out.write_bytes(response.content)
    print(out)
    return 0


def cmd_sourcemaps(args: argparse.Namespace, settings: Settings) -> int:
    """Uploads a source map for a script URL (PUT /api/v1/sourcemaps), so errors read back as the original code."""
    try:
        body = Path(args.file).read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}")
    params = {"site": args.site, "url": args.script_url, "release": args.release or ""}
    try:
        response = _admin_call(settings, args, "PUT", "/api/v1/sourcemaps", params=params, content=body)
    except httpx.ConnectError:
        return _fail("cannot reach rumhouse; is `rumhouse serve` running?")
    if response.status_code != 200:
        return _fail(f"the upload failed: HTTP {response.status_code} {response.text[:300]}")
    stored = response.json()
    print(
        f"{stored['url']} ({stored['release'] or 'any release'}): {stored['sources']} sources, {stored['bytes']} bytes"
    )
    return 0


def cmd_budgets(args: argparse.Namespace, settings: Settings) -> int:
    """The CI gate; exit codes in budgets/gate.py."""
    from rumhouse.budgets import gate
    from rumhouse.budgets.model import parse_duration
    from rumhouse.budgets.targets import SpecError

    try:
        since = parse_duration(args.since, "--since")
    except SpecError as exc:
        return _fail(str(exc))
    params = {"site": args.site, "since": args.since, **({"release": args.release} if args.release else {})}
    doc = _call_server(
        args,
        settings,
        "GET",
        "/api/v1/budgets/status",
        lambda store: _budgets_local(store, args, since),
        params=params,
    )
    if isinstance(doc, int):
        return gate.REFUSED
    comparison = []
    if args.release and doc.get("compared", True):
        compare = _call_server(
            args,
            settings,
            "GET",
            "/api/v1/releases/compare",
            lambda store: {"metrics": []},
            params={
                "site": args.site,
                "b": args.release,
                **gate.window_params(since),
                **({"a": args.baseline} if args.baseline else {}),
            },
        )
        if isinstance(compare, int):
            print("release comparison: not available (see above)")
        else:
            comparison = compare["metrics"]
    rows = doc["budgets"]
    print(
        f"budgets of site {args.site}"
        + (f", release {args.release}" if args.release else "")
        + f", last {args.since}:"
    )
    print(_render(*gate.status_table(rows), "table"))
    if comparison:
        print(f"\nrelease {comparison[0]['release_b']} vs {comparison[0]['release_a']} (p75):")
        columns = [
            "metric",
            "samples_a",
            "samples_b",
            "p75_a",
            "p75_b",
            "change",
            "ci_low",
            "ci_high",
            "verdict",
        ]
        print(_render(columns, [[c[k] for k in columns] for c in comparison], "table"))
    code, reasons = gate.verdict(rows, comparison)
    for reason in reasons:
        print(("warning: " if args.warn_only else "") + reason, file=sys.stderr)
    if args.warn_only:
        return 0
    print({0: "within budget", 1: "FAILED: over budget", 2: "NOT JUDGED"}[code])
    return code


def _budgets_local(store, args: argparse.Namespace, since: int) -> dict:
    """No server runs: judge the budgets on the data folder itself (no release comparison)."""
    from datetime import UTC, datetime

    from rumhouse.budgets.repository import BudgetRepository
    from rumhouse.budgets.status import budget_status
    from rumhouse.config_file import load_config

    settings = Settings.from_env()
    config = load_config(settings.config_file)
    repo = BudgetRepository(store, config.alerting.budgets)
    now = datetime.now(UTC)
    rows = [
        budget_status(store, repo, b, now=now, since=since, release=args.release, prices=config.ai_prices)
        for b in repo.all(args.site)
    ]
    return {"budgets": rows, "compared": False}


def _progress(message: str) -> None:
    """How far a long command has come: on stderr, so that stdout keeps only its result."""
    print(f"rumhouse: {message}", file=sys.stderr, flush=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rumhouse")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _confirm_delete(args: argparse.Namespace) -> bool:
    """--yes, or the user types the site key at the prompt; without a terminal to ask on, no."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        _fail("refusing to delete without confirmation: add --yes (nothing was deleted)")
        return False
    what = f"rows older than {args.before}" if args.before else "ALL data"
    print(f"This deletes {what} of site {args.site!r}, for good.", file=sys.stderr)
    answer = input(f"Type the site key ({args.site}) to go on: ").strip()
    if answer != args.site:
        _fail("not confirmed; nothing was deleted")
        return False
    return True


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rumhouse", description="Real User Monitoring on ClickHouse")
    parser.add_argument("--version", action="version", version=f"rumhouse {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the beacon endpoint, API and dashboard")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="least severe log messages shown (default info)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        help="worker processes, server engine only (default $RUMHOUSE_WORKERS or 1)",
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (off: one line per beacon is costly)"
    )
    serve.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM; with --tls-key)")
    serve.add_argument("--tls-key", help="the certificate's private key (PEM)")

    commands.add_parser("migrate", help="apply the schema migrations in clickhouse/")

    sql = commands.add_parser("sql", help="run one SELECT over the public tables (docs/security.md)")
    sql.add_argument(
        "query", help='the SELECT, e.g. "SELECT name, count() FROM rumhouse.vitals GROUP BY name"'
    )
    sql.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
    sql.add_argument("--token", help="admin token (default $RUMHOUSE_ADMIN_TOKEN or the data folder's)")
    sql.add_argument(
        "--format",
        default="table",
        choices=["table", "csv", "json"],
        help="table (default, for people), csv or json",
    )

    token = commands.add_parser("token", help="create, list or revoke API tokens")
    token_actions = token.add_subparsers(dest="action", required=True)
    create = token_actions.add_parser("create", help="create a token and print it (shown once)")
    create.add_argument("--role", required=True, choices=["viewer", "admin", "ingest"])
    create.add_argument(
        "--site", action="append", help="site the token may read (repeat; admin: omit for all)"
    )
    create.add_argument("--name", help="a note saying what the token is for")
    token_actions.add_parser("list", help="list tokens (ids, roles, sites; never the tokens)")
    revoke = token_actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", help="the token's id (the part after rh_, as `rumhouse token list` shows it)")
    for sub in token_actions.choices.values():
        sub.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
        sub.add_argument("--token", help="admin token (default $RUMHOUSE_ADMIN_TOKEN or the data folder's)")

    delete = commands.add_parser("delete", help="delete a site's data (all of it, or older than --before)")
    delete.add_argument("--site", required=True, help="the site key whose data goes")
    delete.add_argument(
        "--before", help="only rows older than this date (YYYY-MM-DD or an ISO date-time, UTC)"
    )
    delete.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
    delete.add_argument("--token", help="admin token (default $RUMHOUSE_ADMIN_TOKEN or the data folder's)")
    delete.add_argument("--yes", action="store_true", help="do not ask first (for scripts)")

    demo = commands.add_parser("demo", help="send realistic synthetic beacons")
    demo.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
    demo.add_argument("--site", default="demo", help="site key to send for (default demo)")
    demo.add_argument(
        "--page-views", type=int, default=500, help="how many page views to make up (default 500)"
    )
    demo.add_argument("--seed", type=int, default=None, help="random seed, for the same data again")
    demo.add_argument("--origin", help="Origin header to send, for sites that restrict origins")

    report = commands.add_parser(
        "report", help="write a site's weekly or monthly performance report to a file"
    )
    report.add_argument("--site", required=True)
    report.add_argument("--period", choices=("week", "month"), default="week")
    report.add_argument("--format", choices=("pdf", "html", "json"), default="pdf")
    report.add_argument("--out", help="the file (default rumhouse-SITE-PERIOD.FORMAT)")
    report.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
    report.add_argument("--token", help="a token that reads the site (default $RUMHOUSE_ADMIN_TOKEN)")

    maps = commands.add_parser("sourcemaps", help="source maps, to read error stacks as the original code")
    map_actions = maps.add_subparsers(dest="action", required=True)
    upload = map_actions.add_parser("upload", help="upload FILE, the source map of the script at --url")
    upload.add_argument("file")
    upload.add_argument("--site", required=True)
    upload.add_argument("--script-url", required=True, help="the minified script's URL, as pages load it")
    upload.add_argument("--release", help="the release it belongs to (default: any)")
    upload.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
    upload.add_argument("--token", help="an admin token of the site (default $RUMHOUSE_ADMIN_TOKEN)")

    budgets = commands.add_parser("budgets", help="performance budgets (the CI gate)")
    budget_actions = budgets.add_subparsers(dest="action", required=True)
    check = budget_actions.add_parser(
        "check", help="judge a site's budgets on real-user data: exit 1 breached, 2 too few samples, 0 within"
    )
    check.add_argument("--site", required=True)
    check.add_argument(
        "--release", help="only page views of this release; also compared with the previous one"
    )
    check.add_argument(
        "--baseline", help="release to compare --release with (default: the one seen before it)"
    )
    check.add_argument("--since", default="24h", help="window ending now: 30m, 24h, 7d (default 24h)")
    check.add_argument("--warn-only", action="store_true", help="print what is wrong but always exit 0")
    check.add_argument("--url", help=f"rumhouse server (default $RUMHOUSE_URL or {DEFAULT_URL})")
    check.add_argument(
        "--token", help="a token that reads the site (default $RUMHOUSE_ADMIN_TOKEN or the data folder's)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The server logs at its --log-level; the other commands say what went wrong themselves, and log
    # only warnings (a store that retries, say).
    configure_logging(args.log_level if args.command == "serve" else "warning")
    if args.command == "serve" and args.workers:
        # The command line wins over the environment, and worker processes read only the environment:
        # put it there before the one read of the settings, never after.
        os.environ["RUMHOUSE_WORKERS"] = str(args.workers)
    try:
        settings = Settings.from_env()
        handler = {
            "serve": cmd_serve,
            "migrate": cmd_migrate,
            "sql": cmd_sql,
            "delete": cmd_delete,
            "token": cmd_token,
            "demo": cmd_demo,
            "budgets": cmd_budgets,
            "report": cmd_report,
            "sourcemaps": cmd_sourcemaps,
        }[args.command]
        return handler(args, settings)
    except (SettingsError, ConfigError, StoreError) as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
