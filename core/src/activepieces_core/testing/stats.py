"""Load the emulator has seen: requests served and the peak number in flight at once.

Emulator-only routes, outside ``/api/v1`` and never faulted or logged (a test's oracle, not the
API): ``GET /__emulator/stats`` answers ``{"requests": n, "in_flight": k, "max_in_flight": m}``
and ``POST /__emulator/stats/reset`` starts counting again (the peak restarts at what is in
flight now). Both need a platform's API key, as the API does. A request counts from the moment
it reaches the app until its response is sent (or its connection dropped); the stats routes
themselves are not counted, so polling them does not move the figures. A test asserts with
them that N orchestrator workers sharing one budget never had more requests in flight than
the budget allows.
"""

from __future__ import annotations

import threading

__all__ = ["RESET_PATH", "STATS_PATH", "RequestStats", "match_stats_route"]

STATS_PATH = "/__emulator/stats"
RESET_PATH = "/__emulator/stats/reset"


def match_stats_route(method: str, path: str) -> str | None:
    """``"stats"`` / ``"stats.reset"`` for the stats routes, None for any other request."""
    path = path.rstrip("/") or "/"
    if path == STATS_PATH and method == "GET":
        return "stats"
    if path == RESET_PATH and method == "POST":
        return "stats.reset"
    return None


class RequestStats:
    """Thread-safe counters: requests seen, in flight now, and the peak in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._in_flight = 0
        self._max_in_flight = 0

    def begin(self) -> None:
        """A request arrived: count it, in flight until its `end`."""
        with self._lock:
            self._requests += 1
            self._in_flight += 1
            if self._in_flight > self._max_in_flight:
                self._max_in_flight = self._in_flight

    def end(self) -> None:
        """A request `begin` counted is answered (or dropped)."""
        with self._lock:
            self._in_flight -= 1

    def snapshot(self) -> dict[str, int]:
        """``{"requests": n, "in_flight": k, "max_in_flight": m}``."""
        with self._lock:
            return {
                "requests": self._requests,
                "in_flight": self._in_flight,
                "max_in_flight": self._max_in_flight,
            }

    def reset(self) -> None:
        """Start counting again; the peak restarts at the requests in flight now."""
        with self._lock:
            self._requests = 0
            self._max_in_flight = self._in_flight
