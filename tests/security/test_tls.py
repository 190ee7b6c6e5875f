"""`rumhouse serve --tls-cert/--tls-key`: the service over HTTPS, with HSTS on its answers."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time

import httpx
import orjson
import trustme

from support.server import CHROME_UA, REPO, free_port, server_env


def test_serve_over_https(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    port = free_port()
    env = server_env(tmp_path / "data")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rumhouse",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--tls-cert",
            str(cert_file),
            "--tls-key",
            str(key_file),
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(
            base_url=f"https://127.0.0.1:{port}",
            verify=ssl.create_default_context(cafile=str(ca_file)),
            timeout=10,
        ) as client:
            deadline = time.monotonic() + 90
            while True:
                assert process.poll() is None, "rumhouse exited"
                try:
                    health = client.get("/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            assert health.status_code == 200
            assert health.headers["strict-transport-security"].startswith("max-age=")
            beacon = orjson.dumps({"site": "demo", "pv": "tlstlstlstls0001", "url": "https://a.example/"})
            sent = client.post(
                "/beacon", content=beacon, headers={"content-type": "text/plain", "user-agent": CHROME_UA}
            )
            assert sent.status_code == 204
        # Plain HTTP to the TLS port gets nothing useful.
        try:
            plain = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            assert plain.status_code != 200
        except httpx.TransportError:
            pass
    finally:
        process.terminate()
        process.wait(60)


def test_a_certificate_without_its_key_is_refused(tmp_path):
    env = {**os.environ, **server_env(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "rumhouse", "serve", "--tls-cert", str(tmp_path / "c.pem")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "--tls-cert and --tls-key go together" in done.stderr
