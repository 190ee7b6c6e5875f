"""Ingest benchmark: beacons/s and events/s through the real server into the embedded engine.

Starts `rumhouse serve` on a loopback port with a fresh data folder, drives it with a load generator
sending realistic beacons of 10 events each, every one with its own page view id, over keep-alive
connections, then checks that the rows landed equal the events the server accepted, and that every
beacon answered 204 is among them.

The load generator is wrk (C, one thread, benchmarks/beacons.lua makes the bodies) when it is installed
(scripts/test.sh installs it), else an asyncio one in this process, which costs the machine about half
as much CPU again per beacon as wrk: on a 2-core machine the generator's share of the CPU is part of the
figure. The same generator measures the reference (a bare ASGI app answering 204) in the same run.

    python benchmarks/ingest.py              # 20 s of load
    python benchmarks/ingest.py --smoke      # a short run, as in CI (then benchmarks/compare.py)

Prints the figures and writes them as JSON (benchmarks/results/ingest.json). Figures from a shared
2-core machine are noisy: compare runs on one machine, not across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from rumhouse.tables import EVENT_TABLES
from support.server import CHROME_UA, RumhouseServer

PV_SLOT = b"PVPVPVPVPVPVPVPV"


def beacon_template(i: int) -> bytes:
    """A typical first beacon of a page view: the breakdown plus 9 events (10 rows in all)."""
    body = {
        "v": 1,
        "site": "demo",
        "pv": PV_SLOT.decode(),
        "seq": 0,
        "url": f"https://shop.example/products/{i}?utm_source=bench",
        "ref": "https://www.google.com/",
        "rel": "v1.0.0",
        "nt": "navigate",
        "now": 4200.5,
        "nav": {
            "dns": 12.1,
            "connect": 20.4,
            "tls": 18.2,
            "server": 180.3,
            "download": 25.9,
            "render": 410.2,
            "load": 1320.7,
            "size": 18400,
            "st": [["db", 42.5]],
        },
        "ctx": {"et": "4g", "rtt": 50, "dl": 10, "mem": 8, "cpu": 8, "vw": 1280, "vh": 720},
        "ev": [
            {"k": "vital", "n": "TTFB", "v": 240.5 + i % 50},
            {"k": "vital", "n": "FCP", "v": 620.5 + i % 300},
            {"k": "vital", "n": "LCP", "v": 1180.25 + i % 900, "a": "img.hero"},
            {"k": "vital", "n": "CLS", "v": 0.01 * (i % 20)},
            {"k": "vital", "n": "INP", "v": 80 + i % 200},
            {"k": "api", "m": "GET", "u": f"https://shop.example/api/products/{i}?x=1", "s": 200, "d": 85.5},
            {"k": "api", "m": "POST", "u": "https://shop.example/api/cart", "s": 201, "d": 120.5},
            {
                "k": "res",
                "t": "script",
                "h": "shop.example",
                "n": 12,
                "tb": 300000,
                "eb": 290000,
                "db": 900000,
                "ch": 3,
                "d": 1200,
                "dm": 300,
                "su": "https://shop.example/static/app.js",
            },
            {
                "k": "res",
                "t": "img",
                "h": "cdn.example",
                "tp": True,
                "n": 20,
                "tb": 800000,
                "eb": 790000,
                "db": 790000,
                "ch": 5,
                "d": 3000,
                "dm": 500,
                "su": "https://cdn.example/i/hero.jpg",
            },
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


EVENTS_PER_BEACON = 10


async def connection(
    host: str,
    port: int,
    templates: list[bytes],
    counter,
    deadline: float,
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST /beacon HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {CHROME_UA}\r\n"
        "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: "
    ).encode()
    try:
        while time.perf_counter() < deadline:
            n = next(counter)
            body = templates[n % len(templates)].replace(PV_SLOT, b"%016x" % n)
            started = time.perf_counter()
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            response = await reader.readuntil(b"\r\n\r\n")
            latencies.append(time.perf_counter() - started)
            status = int(response[9:12])
            statuses[status] = statuses.get(status, 0) + 1
            if status != 204:  # an answer with a body: read it, keep the connection usable
                length = 0
                for line in response.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
    finally:
        writer.close()


async def probe_freshness(port: int, deadline: float, every: float = 0.2) -> list[float]:
    """Post a marked beacon every `every` seconds and poll, without forcing a flush, until its row is
    visible to a query: the seconds from each 204 to visibility."""
    import httpx

    from support.server import ADMIN_TOKEN

    base = f"http://127.0.0.1:{port}"
    waiting: dict[str, float] = {}
    found: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        n = 0
        next_probe = time.perf_counter()
        while time.perf_counter() < deadline or waiting:
            now = time.perf_counter()
            if now >= next_probe and now < deadline:
                pv = f"probe{n:011d}"
                n += 1
                body = {
                    "site": "shop",
                    "pv": pv,
                    "url": "https://shop.example/",
                    "ev": [{"k": "vital", "n": "FCP", "v": 1}],
                }
                response = await client.post(
                    "/beacon",
                    content=json.dumps(body),
                    headers={
                        "origin": "https://shop.example",
                        "user-agent": CHROME_UA,
                        "content-type": "text/plain",
                    },
                )
                if response.status_code == 204:
                    waiting[pv] = time.perf_counter()
                next_probe += every
            if waiting:
                # The beacons table is ordered by (site, time): finding one site's rows is cheap.
                response = await client.post(
                    "/api/v1/sql",
                    params={"flush": "false"},
                    content="SELECT page_view_id FROM rumhouse.beacons WHERE site = 'shop' AND time > now() - 600",
                    headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
                )
                seen = {row[0] for row in response.json()["rows"]}
                arrived = time.perf_counter()
                for pv in [pv for pv in waiting if pv in seen]:
                    found.append(arrived - waiting.pop(pv))
                if time.perf_counter() > deadline + 30:
                    break
            await asyncio.sleep(0.05)
    return found


async def drive(
    port: int, seconds: float, connections: int, freshness: list[float] | None = None
) -> tuple[float, list[float], dict]:
    import itertools

    templates = [beacon_template(i) for i in range(500)]
    counter = itertools.count()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    deadline = started + seconds
    load = asyncio.gather(
        *(
            connection("127.0.0.1", port, templates, counter, deadline, latencies, statuses)
            for _ in range(connections)
        )
    )
    if freshness is None:
        await load
    else:
        _, found = await asyncio.gather(load, probe_freshness(port, deadline))
        freshness.extend(found)
    return time.perf_counter() - started, latencies, statuses


class Outcome:
    """What the load generator saw: 204s, other answers, seconds, answer-time percentiles (ms)."""

    def __init__(
        self, accepted: int, other: dict[str, int], seconds: float, p50_ms: float, p99_ms: float
    ) -> None:
        self.accepted, self.other, self.seconds, self.p50_ms, self.p99_ms = (
            accepted,
            other,
            seconds,
            p50_ms,
            p99_ms,
        )


def run_wrk(port: int, args, first_id: int = 0) -> Outcome:
    """wrk -t1 (one thread, so page view ids never repeat) with benchmarks/beacons.lua."""
    with tempfile.NamedTemporaryFile("wb", suffix=".txt") as templates:
        templates.write(b"\n".join(beacon_template(i) for i in range(500)) + b"\n")
        templates.flush()
        command = [
            "wrk",
            "-t1",
            f"-c{args.connections}",
            f"-d{args.seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "benchmarks" / "beacons.lua"),
            "-H",
            "Content-Type: text/plain;charset=UTF-8",
            "-H",
            f"User-Agent: {CHROME_UA}",
            f"http://127.0.0.1:{port}/beacon",
            "--",
            templates.name,
            str(first_id),
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    other = {}
    if result["not_2xx"]:
        other["not_2xx"] = result["not_2xx"]
    if result["socket_errors"]:
        other["socket_errors"] = result["socket_errors"]
    return Outcome(
        result["answered"] - result["not_2xx"],
        other,
        result["seconds"],
        result["p50_us"] / 1000,
        result["p99_us"] / 1000,
    )


def run_asyncio(port: int, args, freshness: list[float] | None = None) -> Outcome:
    elapsed, latencies, statuses = asyncio.run(drive(port, args.seconds, args.connections, freshness))
    latencies.sort()
    other = {str(k): v for k, v in statuses.items() if k != 204}
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan")
    return Outcome(statuses.get(204, 0), other, elapsed, p50, p99)


def generate_load(port: int, args, freshness: list[float] | None = None) -> Outcome:
    """The load, and (when `freshness` is a list) the freshness probe beside it, until both are done."""
    if args.generator == "asyncio":
        return run_asyncio(port, args, freshness)
    if freshness is None:
        return run_wrk(port, args)

    async def both() -> Outcome:
        probe = asyncio.ensure_future(probe_freshness(port, time.perf_counter() + args.seconds))
        outcome = await asyncio.get_running_loop().run_in_executor(None, run_wrk, port, args)
        freshness.extend(await probe)
        return outcome

    return asyncio.run(both())


def measure_reference(args) -> float:
    """Beacons/s of the bare ASGI reference app under the same load generator."""
    import subprocess

    from support.server import free_port

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "reference_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--http",
            "httptools",
            "--loop",
            "uvloop",
        ],
        cwd=ROOT / "benchmarks",
    )
    try:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.post(f"http://127.0.0.1:{port}/", content=b"{}")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        outcome = generate_load(port, args)
        return outcome.accepted / outcome.seconds
    finally:
        process.terminate()
        process.wait(30)


def wait_until_quiet(server, still: float = 0.5) -> None:
    """Until the server has taken no beacon for `still` seconds: requests wrk left in flight (or in the
    server's socket buffers) are handled after wrk has exited, and must be counted with the rest."""
    received = -1.0
    while (now := server.metric("rumhouse_beacons_received_total")) != received:
        received = now
        time.sleep(still)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--generator",
        choices=("wrk", "asyncio"),
        default="wrk" if shutil.which("wrk") else "asyncio",
        help="load generator (default: wrk when installed)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a short run: 3 s each for the reference and rumhouse"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "ingest.json")
    args = parser.parse_args()
    if args.smoke:
        args.seconds = 3.0
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    reference = measure_reference(args)
    with tempfile.TemporaryDirectory() as tmp:
        server = RumhouseServer(
            Path(tmp) / "data", RUMHOUSE_FLUSH_INTERVAL="1.0", RUMHOUSE_SITE_RATE_LIMIT="0"
        ).start()
        try:
            freshness: list[float] = []
            outcome = generate_load(server.port, args, freshness)
            wait_until_quiet(server)
            landed_at = time.perf_counter()
            # Probe beacons (site shop, one vital each) are not part of the load's count.
            landed = sum(
                server.scalar(f"SELECT count() FROM rumhouse.{t} WHERE site = 'demo'") for t in EVENT_TABLES
            )
            visible_after = time.perf_counter() - landed_at
            # wrk stops with some beacons in flight: the server may have taken them without the 204
            # reaching wrk. So the server's own count of accepted events is what must have landed.
            server_events = server.metric("rumhouse_events_accepted_total") - len(freshness)
            refused = server.metric_sum("rumhouse_beacons_dropped_total")
        finally:
            server.close()

    accepted = outcome.accepted
    elapsed = outcome.seconds
    sent_events = accepted * EVENTS_PER_BEACON
    figures = {
        "generator": args.generator,
        "beacons": accepted,
        "seconds": round(elapsed, 3),
        "beacons_per_s": round(accepted / elapsed, 1),
        "events_per_s": round(sent_events / elapsed, 1),
        "p50_ms": round(outcome.p50_ms, 3),
        "p99_ms": round(outcome.p99_ms, 3),
        "connections": args.connections,
        "events_answered_204": sent_events,
        "events_accepted_by_server": int(server_events),
        "rows_landed": landed,
        "refused": int(refused),
        "non_204": outcome.other,
        "final_flush_s": round(visible_after, 3),
        "freshness_p50_s": round(statistics.median(freshness), 3) if freshness else None,
        "freshness_p99_s": round(sorted(freshness)[max(0, int(len(freshness) * 0.99) - 1)], 3)
        if freshness
        else None,
        "freshness_probes": len(freshness),
        "reference_beacons_per_s": round(reference, 1),
        "ratio_to_reference": round(accepted / elapsed / reference, 4) if reference else None,
    }
    print(
        f"ingest ({args.generator}): {figures['beacons_per_s']:,.0f} beacons/s, {figures['events_per_s']:,.0f} "
        f"events/s over {accepted:,} beacons in {elapsed:.1f} s ({args.connections} connections); answer p50 "
        f"{figures['p50_ms']} ms, p99 {figures['p99_ms']} ms"
    )
    print(
        f"ingest: rows landed {landed:,}; events accepted by the server {int(server_events):,}; "
        f"events answered 204 {sent_events:,}; beacons refused {int(refused)}"
    )
    print(
        f"freshness: from 204 to visible in a query, p50 {figures['freshness_p50_s']} s, "
        f"p99 {figures['freshness_p99_s']} s ({len(freshness)} probes during the load)"
    )
    print(
        f"ingest: reference (bare ASGI app answering 204) {reference:,.0f} requests/s; rumhouse at "
        f"{figures['ratio_to_reference']:.2f} of it"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n")
    in_flight = args.connections * EVENTS_PER_BEACON  # at most one unanswered beacon per connection
    if (
        landed != server_events
        or not sent_events <= landed <= sent_events + in_flight
        or figures["non_204"]
        or refused
    ):
        print(
            "ingest: FAILED: rows landed differ from events accepted, or beacons were refused",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
