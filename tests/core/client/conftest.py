"""Fixtures for the client tests: sync and async clients bound to the per-test emulator.

Retries never sleep for real: the clients get a recording ``sleep``; the recorded waits are
what the tests assert on.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient


class Sleeps(list[float]):
    """Recorded waits; ``sync`` / ``async_`` are the callables handed to the clients."""

    def sync(self, seconds: float) -> None:
        self.append(seconds)

    async def async_(self, seconds: float) -> None:
        self.append(seconds)


class Either:
    """One surface over a sync or an async client, so each test covers both.

    ``await api.get(...)`` calls the sync method directly or awaits the async one;
    ``await api.collect(**filters)`` drains ``iter``.
    """

    def __init__(self, client: ActivepiecesClient | AsyncActivepiecesClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncActivepiecesClient)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client.projects, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return call

    async def collect(self, **filters: Any) -> list[Any]:
        if isinstance(self.client, AsyncActivepiecesClient):
            return [p async for p in self.client.projects.iter(**filters)]
        return list(self.client.projects.iter(**filters))


def options(emu: Any, **overrides: Any) -> dict[str, Any]:
    """Client options for ``emu``: short timeout, some retries."""
    values: dict[str, Any] = {
        "api_key": emu.api_key,
        "base_url": emu.url,
        "timeout": 5.0,
        "max_retries": 3,
    }
    values.update(overrides)
    return values


@pytest.fixture
def emu(activepieces_emulator: Any) -> Any:
    """The emulator, reset for this test."""
    return activepieces_emulator


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(params=["sync", "async", "async-httpx"])
async def make_api(
    request: pytest.FixtureRequest, emu: Any, sleeps: Sleeps
) -> AsyncIterator[Callable[..., Either]]:
    """Factory ``make_api(**client_options)`` -> `Either`: sync, async on aiohttp (the
    default backend) and async on httpx's own transport."""
    made: list[Either] = []

    def make(**overrides: Any) -> Either:
        opts = options(emu, **overrides)
        if request.param == "sync":
            client: Any = ActivepiecesClient(**opts, sleep=sleeps.sync)
        else:
            backend = "httpx" if request.param == "async-httpx" else "aiohttp"
            client = AsyncActivepiecesClient(**opts, async_backend=backend, sleep=sleeps.async_)
            assert client.http_backend == backend
        made.append(Either(client))
        return made[-1]

    yield make
    for either in made:
        if isinstance(either.client, AsyncActivepiecesClient):
            await either.client.aclose()
        else:
            either.client.close()


@pytest.fixture
def api(make_api: Callable[..., Either]) -> Either:
    """A sync or async client (parametrised) for the emulator."""
    return make_api()


class Gate:
    """The emulator's sleep for a delayed request (a route given a ``latency``): holds each one
    until ``together`` of them have arrived, so requests meant to be in flight at once are, on
    any machine. ``arrived`` is set by the first (the emulator's loop runs in its own thread).
    """

    def __init__(self, together: int) -> None:
        self.together = together
        self.count = 0
        self.arrived = threading.Event()
        self._open: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, seconds: float) -> None:
        if self._open is None:
            self._open = asyncio.Event()  # on the emulator's loop
            self._loop = asyncio.get_running_loop()
        self.count += 1
        self.arrived.set()
        if self.count >= self.together:
            self._open.set()
        await self._open.wait()

    def release(self) -> None:
        """Let every held request go (from any thread). A request held past its test would
        stay in flight on the shared emulator for the whole session, and every later test
        that counts the requests in flight (``emu.stats()``) would count it."""
        if self._loop is not None and self._open is not None:
            self._loop.call_soon_threadsafe(self._open.set)


@pytest.fixture
def gate(emu: Any) -> Iterator[Callable[[str, int], Gate]]:
    """``gate(route, together)``: ``route``'s requests wait until ``together`` have arrived
    (more than ever arrive: held until the test ends, then let go)."""
    installed: list[Gate] = []

    def install(route: str, together: int) -> Gate:
        held = Gate(together)
        emu.faults.sleep = held
        emu.faults.set(route, latency=1.0)  # the value is never waited: the gate decides
        installed.append(held)
        return held

    yield install
    for held in installed:
        held.release()
