"""Bridges: any client flavour to an async client, and async engine calls to sync callers."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from functools import wraps
from typing import ParamSpec, TypeAlias, TypeVar

from activepieces_core.client import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.config import ClientConfig

__all__ = ["AnyClient", "JobClients", "async_client", "blocking", "job_clients", "run_sync"]

P = ParamSpec("P")
T = TypeVar("T")
WORKERS_PER_POOL = 4
AnyClient: TypeAlias = ActivepiecesClient | AsyncActivepiecesClient | ClientConfig


@asynccontextmanager
async def async_client(client: AnyClient) -> AsyncIterator[AsyncActivepiecesClient]:
    """Yield an async client: the given one as is, or a fresh one (closed after) from its config.

    A sync client's connection pool cannot be awaited on, so its ``config`` seeds a new async
    client with the same URL, key, timeouts and retry policy.
    """
    async with job_clients(client) as clients:
        yield clients.first


class JobClients:
    """The async clients of one job (a plan, an apply, or both): `first` at once, the ones an
    apply spreads its workers over (`pools`) when it knows how many it runs.

    A job given an async client uses it as is: it may carry a custom transport the caller
    relies on. Otherwise the clients are made from the given client's config and closed with
    the job (`job_clients`); a plan and its apply share them, so the apply's first writes go
    on the connections the plan's reads opened.
    """

    def __init__(self, first: AsyncActivepiecesClient, stack: AsyncExitStack | None) -> None:
        self.first = first
        self._stack = stack
        self._pools: list[AsyncActivepiecesClient] = [first]

    async def pools(self, workers: int) -> list[AsyncActivepiecesClient]:
        """Clients to spread ``workers`` over: ``[first]`` when it runs on aiohttp or was given.

        httpx's own async pool slows down sharply when many tasks share it (its pool lock is
        contended on every request), so on that backend a job gets one pool per
        `WORKERS_PER_POOL` workers; not one each, because every pool also loads the CA bundle
        (~0.1 s of CPU). Made when first asked for, and kept for the job.
        """
        stack = self._stack
        if stack is None or self.first.http_backend == "aiohttp":
            return self._pools
        wanted = max(1, -(-workers // WORKERS_PER_POOL))
        config = self.first.config
        while len(self._pools) < wanted:
            fresh = AsyncActivepiecesClient.from_config(config)
            self._pools.append(await stack.enter_async_context(fresh))
        return self._pools


@asynccontextmanager
async def job_clients(client: AnyClient) -> AsyncIterator[JobClients]:
    """The `JobClients` of one job: ``client`` itself when async, else made from its config
    (a sync client's pool cannot be awaited on) and closed when the job ends."""
    if isinstance(client, AsyncActivepiecesClient):
        yield JobClients(client, None)
        return
    config = client if isinstance(client, ClientConfig) else client.config
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(AsyncActivepiecesClient.from_config(config))
        yield JobClients(first, stack)


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run ``factory()`` to completion in a fresh event loop and return its result.

    Works from plain threads (no loop) and from code already inside a running loop (Jupyter,
    async frameworks calling sync tasks), where it runs the loop in a helper thread.
    """

    async def main() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not in_loop:
        # Outside the except block: a failure must not print a chained "no running event loop".
        return asyncio.run(main())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ap-tenants") as pool:
        # The helper thread runs in a copy of this context (the active kinds, for one).
        return pool.submit(contextvars.copy_context().run, asyncio.run, main()).result()


def blocking(afn: Callable[P, Awaitable[T]], doc: str) -> Callable[P, T]:
    """The sync twin of coroutine function ``afn``: same parameters, run through `run_sync`."""

    @wraps(afn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return run_sync(lambda: afn(*args, **kwargs))

    wrapper.__doc__ = doc
    return wrapper
