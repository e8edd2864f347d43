"""Fault plan: seeded, per-route, changeable at run time, plus scripted "nth request" faults."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from .routes import ROUTES

FAULT_KINDS: tuple[str, ...] = (
    "429",
    "500",
    "502",
    "503",
    "502_html",
    "503_html",
    "drop_before",
    "drop_after",
    "slow",
)
#: A gateway's 502 whose JSON message echoes the request it refused: the request line with its
#: query string and the ``Authorization`` header (real proxies do). Only when named: a rate's
#: default mix stays `FAULT_KINDS`, so seeded fault campaigns keep their sequences.
ECHO_KIND = "502_echo"
#: Every kind `FaultPlan.set` and `FaultPlan.script` accept.
ALL_FAULT_KINDS: tuple[str, ...] = (*FAULT_KINDS, ECHO_KIND)

#: How the emulator waits out latency and ``slow`` (``asyncio.sleep`` unless a test injects one).
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RouteFaults:
    """Faults for one route (or ``"*"``)."""

    latency: float = 0.0
    jitter: float = 0.0
    rate: float = 0.0
    kinds: tuple[tuple[str, float], ...] = tuple((k, 1.0) for k in FAULT_KINDS)
    retry_after: float = 1
    slow_seconds: float = 5.0

    @cached_property
    def plain(self) -> Decision:
        """The decision for a request these settings neither fault nor jitter."""
        return Decision(None, self.latency, self.retry_after, self.slow_seconds)


@dataclass(frozen=True)
class Decision:
    """What to do with one request: ``kind`` None = no fault (maybe still a delay)."""

    kind: str | None
    delay: float
    retry_after: float
    slow_seconds: float


class FaultPlan:
    """Thread-safe; tests change it while the server runs."""

    def __init__(self, seed: int | None = 0) -> None:
        self._lock = threading.Lock()
        self._seed_value = seed
        self.clear()

    def clear(self) -> None:
        """No faults, no scripts, counters and RNG back to the seed, the real sleep again."""
        with self._lock:
            #: Awaited (on the server's loop) for a request's latency and a ``slow`` fault; a
            #: test may record the waits instead of timing them.
            self.sleep: Sleep = asyncio.sleep
            #: False (the default): a request waits out its latency, then the emulator handles
            #: it. True: the latency counts from the request's arrival and the handling runs
            #: inside it (the answer leaves ``latency`` after arrival, or when handled if
            #: later), as a server whose processing is part of its response time. The benches
            #: set it so that the emulator's own CPU does not add to every round trip; tests
            #: that hold requests on their latency (a race, a barrier) keep the default.
            self.latency_from_arrival = False
            self._routes: dict[str, RouteFaults] = {}
            self._scripts: dict[str, dict[int, str]] = {}
            self._seen: Counter[str] = Counter()
            self._rng = random.Random(self._seed_value)
            self.injected: Counter[str] = Counter()

    def seed(self, seed: int | None) -> None:
        """Re-seed the fault RNG (deterministic fault sequences)."""
        with self._lock:
            self._seed_value = seed
            self._rng = random.Random(seed)

    def set(
        self,
        route: str = "*",
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        rate: float = 0.0,
        kinds: Iterable[str] | Mapping[str, float] = FAULT_KINDS,
        retry_after: float = 1,
        slow_seconds: float = 5.0,
    ) -> None:
        """Replace the faults of ``route`` (``"*"`` = routes without their own setting)."""
        _check_route(route)
        weights = (
            tuple((k, float(w)) for k, w in kinds.items())
            if isinstance(kinds, Mapping)
            else tuple((k, 1.0) for k in kinds)
        )
        for kind, _ in weights:
            _check_kind(kind)
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if rate > 0 and not any(w > 0 for _, w in weights):
            raise ValueError("a positive rate needs at least one kind with a positive weight")
        config = RouteFaults(latency, jitter, rate, weights, retry_after, slow_seconds)
        with self._lock:
            self._routes[route] = config

    def script(self, route: str, nth: int, kind: str) -> None:
        """Make the ``nth`` request on ``route`` counted from now (1 = the next one) fail."""
        _check_route(route)
        _check_kind(kind)
        if nth < 1:
            raise ValueError("nth starts at 1")
        with self._lock:
            self._scripts.setdefault(route, {})[self._seen[route] + nth] = kind

    def decide(self, route: str) -> Decision:
        """Called once per API request, in arrival order."""
        with self._lock:
            config = self._routes.get(route) or self._routes.get("*") or _NO_FAULTS
            kind: str | None = None
            seen = self._seen
            seen[route] += 1
            seen["*"] += 1
            if self._scripts:
                for name in (route, "*"):
                    scripted = self._scripts.get(name, {}).pop(seen[name], None)
                    kind = kind or scripted
            if kind is None and not config.jitter and not config.rate:
                return config.plain  # the common case: a fixed latency, no fault
            delay = config.latency
            if config.jitter:
                delay += self._rng.uniform(0.0, config.jitter)
            if kind is None and config.rate and config.kinds and self._rng.random() < config.rate:
                names = [k for k, _ in config.kinds]
                weights = [w for _, w in config.kinds]
                kind = self._rng.choices(names, weights=weights, k=1)[0]
            if kind is not None:
                self.injected[kind] += 1
            return Decision(kind, delay, config.retry_after, config.slow_seconds)


_NO_FAULTS = RouteFaults()


def _check_route(route: str) -> None:
    if route != "*" and route not in ROUTES:
        raise ValueError(f"route must be '*' or one of {ROUTES}")


def _check_kind(kind: str) -> None:
    if kind not in ALL_FAULT_KINDS:
        raise ValueError(f"fault kind must be one of {ALL_FAULT_KINDS}")
