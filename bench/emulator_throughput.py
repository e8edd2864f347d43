"""Requests per second the emulator serves on loopback, for list and create.

    uv run --frozen python bench/emulator_throughput.py [--seconds 3] [--clients 8] [--projects 10000]

The emulator runs as its console script in a child process (as a real server would, so its CPU
does not compete with the load generator for the GIL). Load: ``--clients`` concurrent
keep-alive connections from one asyncio httpx client. Phases: list (first page, limit 50) on
the seeded platform, create (unique names), then list again once ``--projects`` TEAM projects
exist (keyset paging must not degrade with size), a page walk by cursor, and a filtered lookup.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def start_emulator() -> tuple[subprocess.Popen[str], str, str]:
    script = Path(sys.executable).parent / "activepieces-emulator"
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-m", "activepieces_core.testing.cli"]
    )
    proc = subprocess.Popen(
        [*command, "--port", "0", "--random-seed", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().split(": ", 1)[1].strip()
    key = proc.stdout.readline().split(": ", 1)[1].strip()
    return proc, url, key


async def run_phase(
    client: httpx.AsyncClient,
    make: Callable[[int], httpx.Request],
    *,
    clients: int,
    seconds: float | None = None,
    total: int | None = None,
) -> tuple[int, float, int]:
    """(requests, elapsed seconds, non-2xx responses) for ``clients`` concurrent loops."""
    counter = itertools.count()
    deadline = time.perf_counter() + (seconds or 1e9)
    failures = 0

    async def loop() -> int:
        nonlocal failures
        done = 0
        while time.perf_counter() < deadline:
            n = next(counter)
            if total is not None and n >= total:
                break
            response = await client.send(make(n))
            if response.status_code >= 300:
                failures += 1
            done += 1
        return done

    started = time.perf_counter()
    counts = await asyncio.gather(*(loop() for _ in range(clients)))
    return sum(counts), time.perf_counter() - started, failures


def report(name: str, result: tuple[int, float, int]) -> None:
    count, elapsed, failures = result
    print(f"{name:<34} {count / elapsed:8.0f} req/s  ({count} requests, {failures} non-2xx)")


async def main_async(args: argparse.Namespace) -> None:
    proc, url, key = start_emulator()
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    try:
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, limits=limits, timeout=30
        ) as client:
            print(f"emulator {url}, {args.clients} concurrent clients, {os.cpu_count()} CPUs")
            report(
                "list (small platform)",
                await run_phase(
                    client,
                    lambda n: client.build_request("GET", "/projects"),
                    clients=args.clients,
                    seconds=args.seconds,
                ),
            )
            created = await run_phase(
                client,
                lambda n: client.build_request(
                    "POST",
                    "/projects",
                    json={"displayName": f"Tenant {n:06d}", "externalId": f"t{n}"},
                ),
                clients=args.clients,
                seconds=args.seconds,
            )
            report("create", created)
            missing = args.projects - created[0]
            if missing > 0:  # fill up to --projects, not timed
                offset = created[0] + 1_000_000
                await run_phase(
                    client,
                    lambda n: client.build_request(
                        "POST", "/projects", json={"displayName": f"Fill {n + offset}"}
                    ),
                    clients=args.clients,
                    total=missing,
                )
            report(
                f"list (>= {args.projects} projects)",
                await run_phase(
                    client,
                    lambda n: client.build_request("GET", "/projects"),
                    clients=args.clients,
                    seconds=args.seconds,
                ),
            )
            cursor = (await client.get("/projects", params={"limit": 50})).json()["next"]
            report(
                "list by cursor (page 2)",
                await run_phase(
                    client,
                    lambda n: client.build_request("GET", "/projects", params={"cursor": cursor}),
                    clients=args.clients,
                    seconds=args.seconds,
                ),
            )
            report(
                "list ?externalId= (lookup)",
                await run_phase(
                    client,
                    lambda n: client.build_request(
                        "GET", "/projects", params={"externalId": f"t{n % max(created[0], 1)}"}
                    ),
                    clients=args.clients,
                    seconds=args.seconds,
                ),
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--projects", type=int, default=10_000)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
