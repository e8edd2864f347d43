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

__all__ = ["AnyClient", "async_client", "async_pools", "blocking", "run_sync"]

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
    if isinstance(client, AsyncActivepiecesClient):
        yield client
        return
    config = client if isinstance(client, ClientConfig) else client.config
    async with AsyncActivepiecesClient.from_config(config) as fresh:
        yield fresh


@asynccontextmanager
async def async_pools(
    client: AnyClient, workers: int
) -> AsyncIterator[list[AsyncActivepiecesClient]]:
    """Async clients to spread ``workers`` over, or ``[client]`` when given an async client.

    One client when it runs on aiohttp. httpx's own async pool slows down sharply when many
    tasks share it (its pool lock is contended on every request), so on that backend a client
    built here gets one pool per `WORKERS_PER_POOL` workers; not one each, because every pool
    also loads the CA bundle (~0.1 s of CPU). An async client passed in is used as is: it may
    carry a custom transport the caller relies on.
    """
    if isinstance(client, AsyncActivepiecesClient):
        yield [client]
        return
    config = client if isinstance(client, ClientConfig) else client.config
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(AsyncActivepiecesClient.from_config(config))
        pools = 1 if first.http_backend == "aiohttp" else max(1, -(-workers // WORKERS_PER_POOL))
        yield [first] + [
            await stack.enter_async_context(AsyncActivepiecesClient.from_config(config))
            for _ in range(pools - 1)
        ]


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
