"""A real rumhouse server process on a loopback port, for end-to-end tests.

Started the way a user starts it (`python -m rumhouse serve`), with its own data folder, config and
admin token; read through the same SQL route that `rumhouse sql` uses.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "test-admin-token-0123456789"
CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CONFIG = """
[[sites]]
key = "demo"
name = "Demo"
origins = ["*"]

[[sites]]
key = "shop"
name = "Shop"
origins = ["https://shop.example", "http://localhost:3000"]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, config_text: str = CONFIG, **extra: str) -> dict[str, str]:
    config = data_dir.parent / f"{data_dir.name}.toml"
    config.write_text(config_text, encoding="utf-8")
    env = {
        **os.environ,
        "RUMHOUSE_DATA_DIR": str(data_dir),
        "RUMHOUSE_CONFIG": str(config),
        "RUMHOUSE_ADMIN_TOKEN": ADMIN_TOKEN,
        "RUMHOUSE_FLUSH_INTERVAL": "0.2",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])),
    }
    env.update(extra)
    return env


class RumhouseServer:
    def __init__(self, data_dir: Path, *, faulty: bool = False, config: str = CONFIG, **env: str) -> None:
        """`faulty`: run tests/support/faulty_server.py, whose store is down while `self.fail_flag` exists."""
        self.data_dir = data_dir
        self.fail_flag = data_dir.parent / f"{data_dir.name}.store-down"
        if faulty:
            env["RUMHOUSE_TEST_FAIL_FILE"] = str(self.fail_flag)
        self.faulty = faulty
        self.env = server_env(data_dir, config, **env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = data_dir.parent / f"{data_dir.name}.log"
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def start(self, timeout: float = 90) -> RumhouseServer:
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            program = (
                [str(REPO / "tests" / "support" / "faulty_server.py")]
                if self.faulty
                else ["-m", "rumhouse", "serve"]
            )
            self.process = subprocess.Popen(
                [sys.executable, *program, "--port", str(self.port), "--log-level", "warning"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rumhouse exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if self.client.get("/healthz").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"rumhouse did not become healthy in {timeout}s:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def close(self) -> None:
        if self.process is not None:
            self.stop()
        self.client.close()

    def post(
        self,
        body: bytes | str,
        *,
        content_type: str = "text/plain;charset=UTF-8",
        origin: str | None = None,
        user_agent: str = CHROME_UA,
        headers: dict | None = None,
    ) -> httpx.Response:
        sent = {"content-type": content_type, "user-agent": user_agent, **(headers or {})}
        if origin:
            sent["origin"] = origin
        return self.client.post(
            "/beacon", content=body.encode() if isinstance(body, str) else body, headers=sent
        )

    def sql(self, query: str) -> list[dict]:
        response = self.client.post(
            "/api/v1/sql", content=query, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert response.status_code == 200, response.text
        doc = response.json()
        return [dict(zip(doc["columns"], row, strict=True)) for row in doc["rows"]]

    def scalar(self, query: str):
        rows = self.sql(query)
        return next(iter(rows[0].values()))

    def metrics(self) -> dict[tuple[str, tuple], float]:
        """{(sample name, sorted labels): value} from /metrics."""
        token = self.env.get("RUMHOUSE_METRICS_TOKEN")
        text = self.client.get("/metrics", headers={"authorization": f"Bearer {token}"} if token else {}).text
        values = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return values

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)

    def metric_sum(self, name: str) -> float:
        return sum(v for (n, _), v in self.metrics().items() if n == name)
