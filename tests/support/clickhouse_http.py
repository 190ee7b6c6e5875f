"""A stand-in for a ClickHouse server: the part of ClickHouse's HTTP interface that clickhouse-connect
uses, executing every query on chDB (the embedded ClickHouse engine), in its own process.

No current ClickHouse server can be installed on these machines, so this is how the server engine
(store/server.py) runs its real code path here: clickhouse-connect, its HTTP requests, ClickHouse's SQL
and formats, errors as ClickHouse sends them. What it serves:

- `GET /ping` and `GET /`: "Ok.";
- queries in the `query` URL parameter, the body, or both (joined by a newline, as ClickHouse does),
  or as multipart form fields; the output format from the query's FORMAT clause, else `default_format`,
  else TabSeparated;
- inserts with their data in any input format (`INSERT ... FORMAT JSONCompactEachRow` + rows,
  clickhouse-connect's Native inserts), through chDB's streaming insert, bytes as they came;
- query parameters `param_<name>` (in the URL or the form), the `database` parameter, and every other
  URL parameter as a ClickHouse setting for that one request (a fresh chDB connection per request
  carries them, so `readonly=1` and the limits apply like on a server; GET requests are read-only,
  readonly=2, as on a server);
- request bodies with Content-Encoding gzip, deflate, lz4 (frame), zstd or br, and chunked bodies;
  responses compressed when the client sends `enable_http_compression=1` and Accept-Encoding;
- errors as ClickHouse sends them: a non-2xx status, `X-ClickHouse-Exception-Code`, and the body
  "Code: N. DB::Exception: ... (NAME) (version ...)";
- HTTP basic auth, `X-ClickHouse-User`/`X-ClickHouse-Key`, or `user`/`password` parameters, checked
  against `--user`/`--password`.

Not served: sessions (`session_id` is accepted and ignored: each request is its own session, so SET
does not carry over), ClickHouse's own block compression (`compress=1`/`decompress=1`), progress
headers, and the Native format's protocol-version block header (clickhouse-connect then falls back to
protocol version 0).

Run it by hand: `python tests/support/clickhouse_http.py --data /tmp/ch --port 8123`.
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import email.policy
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

# Parameters of ClickHouse's HTTP interface that are not settings.
TRANSPORT = {
    "query",
    "database",
    "default_format",
    "session_id",
    "session_timeout",
    "session_check",
    "query_id",
    "quota_key",
    "buffer_size",
    "wait_end_of_query",
    "client_protocol_version",
    "role",
    "user",
    "password",
    "stacktrace",
}
# ClickHouse's error codes -> HTTP status, for the errors a client tells apart.
STATUS = {
    516: 401,
    192: 401,
    193: 401,
    194: 401,  # authentication
    164: 403,
    497: 403,  # READONLY, ACCESS_DENIED
    60: 404,
    81: 404,
    46: 404,  # unknown table, database, function
    62: 400,
    47: 400,
    6: 400,
    27: 400,
    117: 400,
    26: 400,
    72: 400,
    53: 400,
}
_CODE = re.compile(r"Code:\s*(\d+)\.\s*(?:DB::Exception:\s*)?")
_FORMAT_CLAUSE = re.compile(r"\bFORMAT\s+\w+\s*;?\s*$", re.IGNORECASE)
_INSERT_DATA = re.compile(rb"\s*(INSERT\s.*?)\bFORMAT[ \t]+(\w+)[ \t]*(?:\r?\n|$)", re.IGNORECASE | re.DOTALL)


def _decode_body(data: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "lz4":
        import lz4.frame

        return lz4.frame.decompress(data)
    if encoding == "zstd":
        from backports import zstd

        return zstd.decompress(data)
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    raise ValueError(f"unsupported Content-Encoding {encoding!r}")


def _encode_body(data: bytes, accepted: str) -> tuple[bytes, str | None]:
    for encoding in (e.split(";")[0].strip().lower() for e in accepted.split(",")):
        if encoding == "gzip":
            return gzip.compress(data, 1), "gzip"
        if encoding == "deflate":
            return zlib.compress(data, 1), "deflate"
        if encoding == "lz4":
            import lz4.frame

            return lz4.frame.compress(data), "lz4"
    return data, None


class Failure(Exception):
    def __init__(self, code: int, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status or STATUS.get(code, 500)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ChdbHttpServer

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch(get=True)

    def do_POST(self) -> None:
        self._dispatch(get=False)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, *, get: bool) -> None:
        query_id = ""
        try:
            body = self._read_body()
            url = urlsplit(self.path)
            if url.path in ("/ping", "/") and get and not url.query:
                self._send(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
                return
            if url.path != "/":
                raise Failure(0, f"There is no handle {url.path}", 404)
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            query_id = params.get("query_id") or str(uuid.uuid4())
            user = self._authenticate(params)
            body = _decode_body(body, self.headers.get("content-encoding", ""))
            content_type = self.headers.get("content-type", "")
            if content_type.startswith("multipart/form-data"):
                params.update(self._form_fields(content_type, body))
                body = b""
            if user in self.server.extra_users:  # which queries another user ran, for tests
                print(
                    f"as {user}: {params.get('query', '') or body[:200].decode('utf-8', 'replace')}".replace(
                        "\n", " "
                    ),
                    file=sys.stderr,
                    flush=True,
                )
            try:
                output, fmt, summary = self.server.execute(params, body, get=get)
            except Failure:
                raise
            except Exception as exc:  # a bug here must answer, not drop the connection
                raise Failure(1001, f"{type(exc).__name__}: {exc}".replace("\n", " ")) from exc
        except Failure as failure:
            text = f"Code: {failure.code}. DB::Exception: {failure}"
            if "(version" not in text:
                text += f" (version {self.server.version})"
            self._send(
                failure.status,
                (text + "\n").encode(),
                {
                    "X-ClickHouse-Exception-Code": str(failure.code),
                    "X-ClickHouse-Query-Id": query_id,
                    "Content-Type": "text/plain; charset=UTF-8",
                },
            )
            return
        headers = {
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": self.server.timezone,
            "X-ClickHouse-Server-Display-Name": "chdb-http-fixture",
            "X-ClickHouse-Summary": json.dumps(summary),
            "Content-Type": "text/plain; charset=UTF-8"
            if fmt.startswith(("TabSeparated", "CSV"))
            else "application/octet-stream",
        }
        if output:
            headers["X-ClickHouse-Format"] = fmt
        if params.get("enable_http_compression") in ("1", "true") and self.headers.get("accept-encoding"):
            output, encoding = _encode_body(output, self.headers["accept-encoding"])
            if encoding:
                headers["Content-Encoding"] = encoding
        self._send(200, output, headers)

    def _authenticate(self, params: dict[str, str]) -> str:
        user, password = "default", ""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        elif self.headers.get("x-clickhouse-user"):
            user, password = self.headers["x-clickhouse-user"], self.headers.get("x-clickhouse-key", "")
        elif "user" in params:
            user, password = params["user"], params.get("password", "")
        if (user, password) != (self.server.user, self.server.password) and self.server.extra_users.get(
            user
        ) != password:
            raise Failure(
                516,
                f"{user}: Authentication failed: password is incorrect, or there is no user with such name."
                " (AUTHENTICATION_FAILED)",
            )
        return user

    @staticmethod
    def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name and not part.get_filename():
                fields[name] = part.get_payload(decode=True).decode("utf-8")
        return fields

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ChdbHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address, data_dir: Path, *, user: str = "default", password: str = "", verbose: bool = False
    ) -> None:
        import chdb

        self.chdb = chdb
        self.path = str(data_dir.resolve())
        data_dir.mkdir(parents=True, exist_ok=True)
        # Held open for the life of the process: per-request connections to an open embedded server
        # cost about a millisecond.
        self.anchor = chdb.connect(self.path)
        self.version, self.timezone = (
            self.anchor.query("SELECT version(), timezone()", "TSV").bytes().decode().split()
        )
        self.user, self.password, self.verbose = user, password, verbose
        self.extra_users: dict[str, str] = {}  # more users that may log in (no grants: chDB has none)
        self.statements = 0
        self._count_lock = threading.Lock()
        super().__init__(address, Handler)

    def execute(self, params: dict[str, str], body: bytes, *, get: bool) -> tuple[bytes, str, dict]:
        if params.get("compress") in ("1", "true") or params.get("decompress") in ("1", "true"):
            raise Failure(
                0, "ClickHouse's block compression (compress=1, decompress=1) is not served here", 400
            )
        query = params.get("query", "").encode("utf-8")
        raw = (query + b"\n" + body if body else query) if query else body
        if not raw.strip():
            raise Failure(62, "Empty query. (SYNTAX_ERROR)")
        # INSERT ... FORMAT <fmt> followed by data, in any format (JSONCompactEachRow, Native, ...):
        # the statement and the data go to chDB's streaming insert, bytes as they came.
        insert = _INSERT_DATA.match(raw)
        data = raw[insert.end() :] if insert else b""
        sql = insert.group(1).decode("utf-8").rstrip() if insert else raw.decode("utf-8")
        settings = {k: v for k, v in params.items() if k not in TRANSPORT and not k.startswith("param_")}
        bind = {k[len("param_") :]: v for k, v in params.items() if k.startswith("param_")}
        if get and settings.get("readonly", "0") in ("", "0"):
            settings["readonly"] = "2"  # as on a server: GET cannot change data
        if params.get("database"):
            settings["database"] = params["database"]
        fmt = params.get("default_format") or "TabSeparated"
        found = _FORMAT_CLAUSE.search(sql)
        if found and not insert:
            fmt = found.group(0).split()[1].rstrip(";")
        conn = self.chdb.connect(f"{self.path}?{urlencode(settings)}" if settings else self.path)
        try:
            if insert:
                with conn.send_insert(sql, insert.group(2).decode()) as inserter:
                    if data:
                        inserter.append(data)
                    written = inserter.finish().rows_written
                result = None
            else:
                result = conn.query(sql, fmt, params=bind or None)
        except Exception as exc:
            message = str(exc).strip()
            codes = _CODE.findall(message)
            # chDB repeats the prefix ("Code: 164. DB::Exception: Code: 164. DB::Exception: ...").
            while _CODE.match(message):
                message = _CODE.sub("", message, count=1).strip()
            raise Failure(int(codes[0]) if codes else 1001, message) from None
        finally:
            conn.close()
        with self._count_lock:
            self.statements += 1
        output = result.bytes() if result is not None else b""
        summary = {
            "read_rows": str(result.rows_read() if result is not None else 0),
            "read_bytes": str(result.bytes_read() if result is not None else 0),
            "written_rows": str(written if insert else 0),
            "elapsed_ns": str(int((result.elapsed() if result is not None else 0) * 1e9)),
        }
        return output, fmt, summary

    def server_close(self) -> None:
        super().server_close()
        self.anchor.close()


class ClickHouseHttp:
    """The stand-in server in a child process (chDB: one data folder per process), for tests."""

    def __init__(
        self,
        data_dir: Path,
        *,
        user: str = "rumhouse",
        password: str = "secret p@ss",
        extra_users: dict[str, str] | None = None,
    ) -> None:
        self.data_dir, self.user, self.password = data_dir, user, password
        self.extra_users = extra_users or {}
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.log = data_dir.parent / f"{data_dir.name}-clickhouse-http.log"

    @property
    def url(self) -> str:
        from urllib.parse import quote

        return f"http://{quote(self.user, safe='')}:{quote(self.password, safe='')}@127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ClickHouseHttp:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--data",
                    str(self.data_dir),
                    "--port",
                    str(self.port),
                    "--user",
                    self.user,
                    "--password",
                    self.password,
                    *[
                        arg
                        for name, pw in self.extra_users.items()
                        for arg in ("--extra-user", f"{name}:{pw}")
                    ],
                ],
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                text=True,
            )
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline and self.process.poll() is None:
            line = self.process.stdout.readline()
            if line.startswith("listening on "):
                self.port = int(line.rsplit(":", 1)[1])
                return self
        raise RuntimeError(f"the ClickHouse HTTP fixture did not start: {line}\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None:
            self.process.stdout.close()
        self.process = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="chDB data folder (one per process)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123, help="0 picks a free port")
    parser.add_argument("--user", default="default")
    parser.add_argument("--password", default="")
    parser.add_argument("--extra-user", action="append", default=[], help="NAME:PASSWORD of another user")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    server = ChdbHttpServer(
        (args.host, args.port), args.data, user=args.user, password=args.password, verbose=args.verbose
    )
    server.extra_users = dict(pair.partition(":")[::2] for pair in args.extra_user)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(f"listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
