"""The emulator's round trip on each route the benches lean on: is the server the floor? (issue 22)

    uv run --frozen python bench/emulator_round_trip.py [--requests 2000] [--latency 0.02]

A raw aiohttp client (no library code) sends ``--requests`` requests to one route with
``--concurrency`` (16) in flight, against the emulator in its own process
(`child_emulator.ChildEmulator`) with ``--latency`` on every route. For each route it prints the
wall time, its ratio to the latency floor (``requests x latency / concurrency``: a server that
answered in exactly its latency) and the emulator's CPU per request (its process's user + system
time, from /proc). The ratio is what a client bench loses to the emulator at best: the emulator
handles each burst of ``concurrency`` requests serially on one loop, so its CPU per request,
times the burst, lands on every round trip. Then one GET at a time: its round trip.

Routes: the projects' create, list (a page of 100), update; invitations' create and list; the
platform's members listing; the contents' reads (flows, folders, tables) and a 5-flow template
replace; on a piece-set platform: piece sets' create, update, assign and list.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from child_emulator import ChildEmulator
from floors import RawCall, raw_send

#: (method, path under /api/v1, JSON body or None) of the ``i``-th request of a route.
Request = RawCall


@dataclass
class Context:
    """What earlier routes created, for the routes that name it."""

    projects: list[str] = field(default_factory=list)
    piece_sets: list[str] = field(default_factory=list)
    template: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    name: str
    request: Callable[[int, Context], Request]
    #: Where the created item's id goes (answers' ``id``), for later routes.
    keep: str | None = None


def _pick(ids: list[str], i: int) -> str:
    return ids[i % len(ids)]


PROJECT_ROUTES = (
    Route(
        "projects create",
        lambda i, c: ("POST", "/projects", {"displayName": f"T {i}", "externalId": f"t-{i}"}),
        keep="projects",
    ),
    Route("projects list", lambda i, c: ("GET", "/projects?limit=100", None)),
    Route(
        "projects update",
        lambda i, c: (
            "POST",
            f"/projects/{_pick(c.projects, i)}",
            {"displayName": f"U {i}", "metadata": {"i": i}},
        ),
    ),
    Route(
        "invitations create",
        lambda i, c: (
            "POST",
            "/user-invitations",
            {
                "type": "PROJECT",
                "email": f"dev{i}@t.example",
                "projectId": _pick(c.projects, i),
                "projectRole": "Editor",
            },
        ),
    ),
    Route(
        "invitations list", lambda i, c: ("GET", "/user-invitations?type=PROJECT&limit=100", None)
    ),
    Route(
        "members platform", lambda i, c: ("GET", "/platform-project-members/users?limit=100", None)
    ),
    Route("flows list", lambda i, c: ("GET", f"/flows?projectId={_pick(c.projects, i)}", None)),
    Route("folders list", lambda i, c: ("GET", f"/folders?projectId={_pick(c.projects, i)}", None)),
    Route("tables list", lambda i, c: ("GET", f"/tables?projectId={_pick(c.projects, i)}", None)),
    Route(
        "projects replace",
        lambda i, c: ("POST", f"/projects/{_pick(c.projects, i)}/replace", c.template),
    ),
)
PIECE_SET_ROUTES = (
    Route(
        "piece_sets create",
        lambda i, c: ("POST", "/piece-sets", {"name": f"set-{i}", "key": f"set-{i}"}),
        keep="piece_sets",
    ),
    Route(
        "piece_sets update",
        lambda i, c: (
            "POST",
            f"/piece-sets/{_pick(c.piece_sets, i)}",
            {"pieces": {"mode": "exclude_all", "exceptions": ["@activepieces/piece-slack"]}},
        ),
    ),
    Route(
        "piece_sets assign",
        lambda i, c: (
            "POST",
            f"/piece-sets/{_pick(c.piece_sets, i)}/projects",
            {"projectIds": [_pick(c.projects, i)]},
        ),
    ),
    Route("piece_sets list", lambda i, c: ("GET", "/piece-sets?limit=100", None)),
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _send_all(
    emu: ChildEmulator, route: Route, context: Context, requests: int, concurrency: int
) -> float:
    """Wall seconds of ``requests`` requests of ``route``, ``concurrency`` in flight."""
    calls = [route.request(i, context) for i in range(requests)]
    seconds, answers = await raw_send(emu.url, emu.api_key, calls, concurrency)
    if route.keep:
        getattr(context, route.keep).extend(json.loads(answer)["id"] for answer in answers)
    return seconds


def _sequential_get(emu: ChildEmulator, rounds: int = 100) -> float:
    """Milliseconds one ``GET /projects?limit=1`` takes, one at a time."""

    async def run() -> float:
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            url = emu.url + "/projects?limit=1"
            async with session.get(url) as response:
                await response.read()
            started = time.perf_counter()
            for _ in range(rounds):
                async with session.get(url) as response:
                    await response.read()
            return (time.perf_counter() - started) * 1000 / rounds

    return asyncio.run(run())


def _template() -> dict[str, Any]:
    from contents import make_template  # the contents bench's 5-flow template

    return make_template().to_body()


def run_routes(
    emu: ChildEmulator, routes: tuple[Route, ...], context: Context, opts: argparse.Namespace
) -> None:
    pid = emu.pid
    for route in routes:
        cpu = cpu_seconds(pid)
        seconds = asyncio.run(_send_all(emu, route, context, opts.requests, opts.concurrency))
        cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / opts.requests
        floor = opts.requests * opts.latency / opts.concurrency
        print(
            f"{route.name:<20} {opts.requests:6d} {seconds:7.2f}s  {seconds / floor:6.3f}x"
            f"  {cpu_ms:6.3f} ms",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per route")
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    opts = parser.parse_args()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(
        f"raw aiohttp client, {opts.concurrency} in flight, {opts.latency * 1000:.0f} ms on every"
        f" route, {opts.requests} requests a route; {os.cpu_count()} CPUs; {load}"
    )
    print(f"{'route':<20} {'reqs':>6} {'wall':>8}  {'ratio':>7}  emulator CPU/request")
    context = Context(template=_template())
    emu = ChildEmulator(environments_enabled=True)
    try:
        emu.call("faults", latency=opts.latency)
        run_routes(emu, PROJECT_ROUTES, context, opts)
        print(
            f"sequential GET /projects?limit=1, one at a time: {_sequential_get(emu):.2f} ms"
            f" each ({opts.latency * 1000:.0f} ms latency)"
        )
    finally:
        emu.close()
    emu = ChildEmulator(manage_pieces_enabled=True)
    try:
        emu.call("faults", latency=opts.latency)
        context.projects = emu.call("seed", n=opts.requests)
        run_routes(emu, PIECE_SET_ROUTES, context, opts)
    finally:
        emu.close()


if __name__ == "__main__":
    main()
