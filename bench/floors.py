"""A job's floor: the least wall time the server and this machine allow (issue 22).

Two limits, whichever is larger (the issue's floor):

* the **latency floor**: ``requests x latency / concurrency`` (every request waits the
  injected latency; at most ``concurrency`` are in flight);
* the **CPU floor**: ``requests x`` what one plain request costs this process's CPU (raw
  httpx, ``GET /projects?limit=1`` and its JSON decoded, on loopback with no latency),
  measured in the same run as the job, so a loaded machine raises both alike.

A job's ratio is its wall time over the larger floor; the targets are 1.15x for the engine
and 1.25x through the CLI (start-up and file loading included).

A third figure says how much of a ratio is the server's: the **server floor**,
``requests x round_trip / concurrency``, where ``round_trip`` is what one request takes this
server under the same load when a raw client (aiohttp, no library code: one POST per new
project, ``concurrency`` in flight) sends them (`server_round_trip`). The latency floor assumes
the server answers in exactly its latency; the emulator also spends its own CPU on each request,
serially on one loop, so ``round_trip`` is a little more than ``latency``. A job at 1.0x its
server floor is as fast as any client could be against this server on this machine.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx

ENGINE_TARGET = 1.15
CLI_TARGET = 1.25


def raw_request_cpu(url: str, api_key: str, requests: int = 400) -> float:
    """CPU seconds this process spends on one raw httpx request (the median of 5 rounds);
    the emulator must have no latency or faults set."""
    endpoint = url.rstrip("/") + "/projects"
    rounds: list[float] = []
    with httpx.Client(headers={"Authorization": f"Bearer {api_key}"}, timeout=60) as raw:
        for _ in range(20):  # warm the pool
            raw.get(endpoint, params={"limit": 1}).json()
        per_round = max(1, requests // 5)
        for _ in range(5):
            started = time.process_time()
            for _ in range(per_round):
                response = raw.get(endpoint, params={"limit": 1})
                response.raise_for_status()
                response.json()
            rounds.append((time.process_time() - started) / per_round)
    return sorted(rounds)[len(rounds) // 2]


#: One request of a raw client: (method, path under the API root, JSON body or None).
RawCall = tuple[str, str, Any]


async def raw_send(
    url: str, api_key: str, calls: Sequence[RawCall], concurrency: int
) -> tuple[float, list[bytes]]:
    """``calls`` sent by a raw aiohttp client (no library code: bodies encoded up front),
    ``concurrency`` in flight (worker ``k`` sends every ``concurrency``-th call from ``k``): the
    wall seconds and the answers' bodies (in no particular order). Raises on a status >= 300."""
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    root = url.rstrip("/")
    encoded = [(m, root + p, None if b is None else json.dumps(b).encode()) for m, p, b in calls]
    answers: list[bytes] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:

        async def worker(first: int) -> None:
            for method, address, body in encoded[first::concurrency]:
                async with session.request(method, address, data=body) as response:
                    answer = await response.read()
                    if response.status >= 300:
                        raise RuntimeError(
                            f"{method} {address}: {response.status} {answer[:200]!r}"
                        )
                    answers.append(answer)

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return time.perf_counter() - started, answers


def server_round_trip(url: str, api_key: str, concurrency: int, requests: int = 4000) -> float:
    """Seconds one request takes the server at ``url`` with ``concurrency`` in flight, sent by a
    raw client (`raw_send`): ``requests`` project creates (new external ids), wall x concurrency
    / requests. Set the latency on the server first; it creates projects, so reset it after."""
    prefix = f"raw-{time.monotonic_ns()}"
    calls = [
        ("POST", "/projects", {"displayName": f"Raw {i}", "externalId": f"{prefix}-{i}"})
        for i in range(requests)
    ]
    seconds, _ = asyncio.run(raw_send(url, api_key, calls, concurrency))
    return seconds * concurrency / requests


@dataclass(frozen=True)
class Floor:
    """The floors of one job: ``requests`` sent at ``latency`` with ``concurrency``, each
    costing ``cpu_per_request`` at least."""

    requests: int
    latency: float
    concurrency: int
    cpu_per_request: float
    #: `server_round_trip` in this run, when measured.
    round_trip: float | None = None

    @property
    def latency_floor(self) -> float:
        return self.requests * self.latency / self.concurrency

    @property
    def cpu_floor(self) -> float:
        return self.requests * self.cpu_per_request

    @property
    def server_floor(self) -> float | None:
        if self.round_trip is None:
            return None
        return self.requests * self.round_trip / self.concurrency

    def server_ratio(self, wall: float) -> float | None:
        """``wall`` over the server floor: 1.0 is a raw client's speed against this server."""
        floor = self.server_floor
        return wall / floor if floor else None

    @property
    def seconds(self) -> float:
        """The larger floor: what the job is held to."""
        return max(self.latency_floor, self.cpu_floor)

    def ratio(self, wall: float) -> float:
        return wall / self.seconds if self.seconds > 0 else float("inf")


def verdict(ratio: float, target: float) -> str:
    return "OK" if ratio <= target else "MISSED"
