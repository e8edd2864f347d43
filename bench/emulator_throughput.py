"""Requests per second the emulator serves on loopback, for list and create.

    uv run --frozen python bench/emulator_throughput.py [--seconds 3] [--procs 2] [--clients 8]

The emulator runs as its console script in a child process, as a real server would. Load comes
from ``--procs`` client processes with ``--clients`` concurrent keep-alive connections each
(asyncio httpx). For every phase the bench prints the achieved rate and the emulator's own CPU
time per request, read from /proc: ``1000 / cpu-ms`` is what one core of emulator can serve,
whatever the load generator manages on the same machine.

Phases: list (first page) on the seeded platform; create (unique names); list once
``--projects`` TEAM projects exist (keyset paging must not degrade with size); a page by
cursor; a lookup by ``externalId``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

PHASES = ("list", "create", "fill", "list_big", "cursor", "lookup")


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _request(client: httpx.AsyncClient, phase: str, n: int, extra: str) -> httpx.Request:
    if phase in ("create", "fill"):
        body = {"displayName": f"Tenant {n}", "externalId": f"{phase}-{n}"}
        return client.build_request("POST", "/projects", json=body)
    if phase == "cursor":
        return client.build_request("GET", "/projects", params={"cursor": extra})
    if phase == "lookup":
        return client.build_request("GET", "/projects", params={"externalId": f"create-{extra}"})
    return client.build_request("GET", "/projects")


async def _load(
    url: str,
    key: str,
    phase: str,
    worker: int,
    clients: int,
    seconds: float,
    total: int,
    extra: str,
) -> tuple[int, int]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    deadline = time.perf_counter() + seconds
    state = {"next": 0, "done": 0, "bad": 0}
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, limits=limits, timeout=30
    ) as client:

        async def loop() -> None:
            while time.perf_counter() < deadline and (total <= 0 or state["next"] < total):
                n = state["next"]
                state["next"] += 1
                response = await client.send(
                    _request(client, phase, worker * 10_000_000 + n, extra)
                )
                state["done"] += 1
                state["bad"] += response.status_code >= 300

        await asyncio.gather(*(loop() for _ in range(clients)))
    return state["done"], state["bad"]


def _worker(args: tuple[str, str, str, int, int, float, int, str]) -> tuple[int, int]:
    return asyncio.run(_load(*args))


def run_phase(
    pool: mp.pool.Pool,
    proc: subprocess.Popen[str],
    url: str,
    key: str,
    phase: str,
    opts: argparse.Namespace,
    *,
    total: int = 0,
    extra: str = "",
) -> tuple[int, float, int, float]:
    """(requests, seconds, non-2xx, emulator CPU ms per request)."""
    per_proc = -(-total // opts.procs) if total else 0
    seconds = 1e9 if total else opts.seconds
    jobs = [(url, key, phase, w, opts.clients, seconds, per_proc, extra) for w in range(opts.procs)]
    cpu_before, started = cpu_seconds(proc.pid), time.perf_counter()
    results = pool.map(_worker, jobs)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(proc.pid) - cpu_before
    count = sum(r[0] for r in results)
    return count, elapsed, sum(r[1] for r in results), 1000 * cpu / max(count, 1)


def report(name: str, result: tuple[int, float, int, float]) -> None:
    count, elapsed, bad, cpu_ms = result
    print(
        f"{name:<30} {count / elapsed:7.0f} req/s achieved | emulator {cpu_ms:5.2f} CPU-ms/req"
        f" = {1000 / cpu_ms if cpu_ms else float('inf'):6.0f} req/s per core"
        f"  ({count} requests, {bad} non-2xx)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--clients", type=int, default=8, help="connections per process")
    parser.add_argument("--projects", type=int, default=10_000)
    opts = parser.parse_args()
    proc, url, key = start_emulator()
    ctx = mp.get_context("spawn")
    try:
        with (
            ctx.Pool(opts.procs) as pool,
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client,
        ):
            print(f"emulator {url}; {opts.procs}x{opts.clients} clients; {os.cpu_count()} CPUs")
            report("list (small platform)", run_phase(pool, proc, url, key, "list", opts))
            created = run_phase(pool, proc, url, key, "create", opts)
            report("create", created)
            missing = opts.projects - created[0]
            if missing > 0:
                run_phase(pool, proc, url, key, "fill", opts, total=missing)
            team = len(
                client.get("/projects", params={"types": "TEAM", "limit": -1}).json()["data"]
            )
            report(f"list ({team} projects)", run_phase(pool, proc, url, key, "list_big", opts))
            cursor = client.get("/projects").json()["next"]
            report("list by cursor", run_phase(pool, proc, url, key, "cursor", opts, extra=cursor))
            report("list ?externalId=", run_phase(pool, proc, url, key, "lookup", opts, extra="5"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
