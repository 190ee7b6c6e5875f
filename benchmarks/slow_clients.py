"""Idle and slow clients against a real server: does a well-behaved client still get its answers?

Starts `rumhouse serve` on a loopback port, then holds, from other loopback addresses (127.0.<n>.<m>),
`--idle` connections that never send a byte and `--slow` clients that drip a request head one header
at a time (each reconnects when the server closes it, so the pressure stays for the whole run). While
they hold, a well-behaved client on 127.0.0.1 sends beacons one after another, with a fresh connection
every tenth, and asks /healthz now and then. Prints its latencies and what the server refused.

    python benchmarks/slow_clients.py                  # 5,000 idle + 500 slow, 20 s
    python benchmarks/slow_clients.py --smoke          # smaller and shorter, as in CI

Exits non-zero if a beacon was not answered 204 or /healthz did not answer 200 (latencies are printed,
not judged: the machine is shared). Everything stops by itself after --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.server import CHROME_UA, RumhouseServer

BEACON = b'{"site":"demo","pv":"%s","url":"https://a.example/p","ev":[{"k":"vital","n":"LCP","v":1200}]}'


def attacker_address(i: int, per_address: int) -> str:
    n = i // per_address
    return f"127.0.{2 + n // 250}.{1 + n % 250}"


async def hold_idle(port: int, i: int, per_address: int, until: float) -> int:
    """One connection that sends nothing; opened again whenever the server closes it. Returns reconnects."""
    reconnects = 0
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(attacker_address(i, per_address), 0)
            )
        except OSError:
            await asyncio.sleep(0.5)
            continue
        try:
            await asyncio.wait_for(reader.read(1), timeout=max(0.01, until - time.monotonic()))
        except (TimeoutError, OSError):
            pass
        writer.close()
        reconnects += 1
    return reconnects


async def drip_head(port: int, i: int, per_address: int, until: float) -> None:
    """A client that sends its request head one header a second and never ends it."""
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(attacker_address(i, per_address), 0)
            )
            writer.write(b"POST /beacon HTTP/1.1\r\nHost: x\r\n")
            n = 0
            while time.monotonic() < until and not reader.at_eof():
                writer.write(b"X-Slow-%d: 1\r\n" % n)
                await writer.drain()
                n += 1
                try:
                    if await asyncio.wait_for(reader.read(256), timeout=1.0):
                        break  # the server answered (408) and closes
                except TimeoutError:
                    pass
            writer.close()
        except OSError:
            await asyncio.sleep(0.5)


async def well_behaved(port: int, until: float) -> dict:
    import httpx

    latencies, health, statuses = [], [], {}
    n = 0
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        while time.monotonic() < until:
            if n % 10 == 9:  # a fresh connection now and then: new connections must get in too
                await client.aclose()
                client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/beacon",
                    content=BEACON % (b"%016x" % n),
                    headers={"content-type": "text/plain", "user-agent": CHROME_UA},
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
            latencies.append((time.perf_counter() - started) * 1000)
            if n % 25 == 0:
                try:
                    health.append((await client.get("/healthz")).status_code)
                except httpx.HTTPError:
                    health.append(0)
            n += 1
            await asyncio.sleep(0.01)
    finally:
        await client.aclose()
    latencies.sort()
    return {
        "beacons": n,
        "statuses": statuses,
        "healthz": {str(s): health.count(s) for s in set(health)},
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "max_ms": round(latencies[-1], 2),
    }


async def attack(port: int, idle: int, slow: int, seconds: float, per_address: int) -> dict:
    until = time.monotonic() + seconds
    holders = [asyncio.create_task(hold_idle(port, i, per_address, until)) for i in range(idle)]
    drips = [asyncio.create_task(drip_head(port, idle + i, per_address, until)) for i in range(slow)]
    await asyncio.sleep(min(3.0, seconds / 4))  # let them take their places first
    good = await well_behaved(port, until)
    await asyncio.gather(*holders, *drips, return_exceptions=True)
    return good


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--slow", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--per-address", type=int, default=200, help="attacking connections per loopback address"
    )
    parser.add_argument("--smoke", action="store_true", help="1,000 idle + 100 slow for 8 s")
    args = parser.parse_args()
    if args.smoke:
        args.idle, args.slow, args.seconds = 1000, 100, 8
    with tempfile.TemporaryDirectory() as tmp:
        server = RumhouseServer(Path(tmp) / "data", RUMHOUSE_HEADER_TIMEOUT="5").start()
        try:
            good = asyncio.run(attack(server.port, args.idle, args.slow, args.seconds, args.per_address))
            refused = {
                k[1][0][1]: v
                for k, v in server.metrics().items()
                if k[0] == "rumhouse_connections_refused_total"
            }
        finally:
            server.close()
    result = {"idle": args.idle, "slow": args.slow, "seconds": args.seconds, **good, "refused": refused}
    print(
        f"slow clients: {args.idle} idle + {args.slow} slow-head connections for {args.seconds:g} s; "
        f"a well-behaved client sent {good['beacons']} beacons: {good['statuses']}, "
        f"p50 {good['p50_ms']} ms, p99 {good['p99_ms']} ms, max {good['max_ms']} ms; /healthz {good['healthz']}; "
        f"the server closed: {refused}"
    )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "slow_clients.json").write_text(json.dumps(result, indent=2))
    ok = good["statuses"] == {204: good["beacons"]} and set(good["healthz"]) == {"200"}
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
