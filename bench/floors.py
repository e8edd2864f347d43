"""A job's floor: the least wall time the server and this machine allow (issue 22).

Two limits, whichever is larger:

* the **latency floor**: ``requests x latency / concurrency`` (every request waits the
  injected latency; at most ``concurrency`` are in flight);
* the **CPU floor**: ``requests x`` what one plain request costs this process's CPU (raw
  httpx, ``GET /projects?limit=1`` and its JSON decoded, on loopback with no latency),
  measured in the same run as the job, so a loaded machine raises both alike.

A job's ratio is its wall time over the larger floor; the targets are 1.15x for the engine
and 1.25x through the CLI (start-up and file loading included).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Floor:
    """The floors of one job: ``requests`` sent at ``latency`` with ``concurrency``, each
    costing ``cpu_per_request`` at least."""

    requests: int
    latency: float
    concurrency: int
    cpu_per_request: float

    @property
    def latency_floor(self) -> float:
        return self.requests * self.latency / self.concurrency

    @property
    def cpu_floor(self) -> float:
        return self.requests * self.cpu_per_request

    @property
    def seconds(self) -> float:
        """The larger floor: what the job is held to."""
        return max(self.latency_floor, self.cpu_floor)

    def ratio(self, wall: float) -> float:
        return wall / self.seconds if self.seconds > 0 else float("inf")


def verdict(ratio: float, target: float) -> str:
    return "OK" if ratio <= target else "MISSED"
