"""Drivers that run an operation (`_ops.Op`) over a sync or an async transport.

Every resource (``client.projects`` and the others) subclasses `SyncResource` or
`AsyncResource`; its methods only hand operations to ``_run`` and page listings to ``_pages``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from activepieces_core._http import AsyncTransport, Call, Sleep, SyncTransport
from activepieces_core._ops import Cursor, Op, raw_next
from activepieces_core.errors import APIError
from activepieces_core.models import Page

__all__ = ["AsyncResource", "SyncResource"]

R = TypeVar("R")
T = TypeVar("T")
PageOp = Callable[[str | None], Op[Page[T]]]
#: Event-loop turns given to the next page's request before the caller gets this page, so it
#: is on the wire and the server prepares it while the caller works (aiohttp's pool writes it
#: in one turn, httpx's own in three; twice that for margin: tests/core/client/test_client_pages).
_HANDOVER_TURNS = 8


def _as_page(page: Page[T]) -> Page[T]:
    return page


def _step(op: Op[R], result: Any, error: APIError | None) -> Call | Sleep:
    """Feed a result (or an error) into ``op`` and return its next instruction."""
    return op.throw(error) if error is not None else op.send(result)


class SyncResource:
    """Base of the synchronous resources: runs operations on a `SyncTransport`."""

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def _run(self, op: Op[R]) -> R:
        try:
            step = next(op)
            while True:
                result: Any = None
                error: APIError | None = None
                if isinstance(step, Sleep):
                    self._transport.sleep(step.seconds)
                else:
                    try:
                        result = self._transport.execute(step)
                    except APIError as exc:
                        error = exc
                step = _step(op, result, error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        finally:
            # An interrupted caller (KeyboardInterrupt, a timeout) must not leave the
            # operation suspended mid-way: close it, as httpx closes its auth flows.
            op.close()

    def _pages(self, page_op: PageOp[T]) -> Iterator[T]:
        """Every row of a paged listing; ``page_op(cursor)`` reads one page."""
        for page in self._page_list(page_op, _as_page):
            yield from page.data

    def _page_list(
        self, body_op: Callable[[str | None], Op[Any]], parse: Callable[[Any], Page[T]]
    ) -> Iterator[Page[T]]:
        """Every page of a listing, in order (``body_op(cursor)`` reads one page's body)."""
        cursor = Cursor()
        while True:
            body = self._run(body_op(cursor.value))
            page = parse(body)
            yield page
            if not cursor.advance(page):
                return


class AsyncResource:
    """Base of the asynchronous resources: runs operations on an `AsyncTransport`."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def _run(self, op: Op[R]) -> R:
        try:
            step = next(op)
            while True:
                result: Any = None
                error: APIError | None = None
                if isinstance(step, Sleep):
                    await self._transport.sleep(step.seconds)
                else:
                    try:
                        result = await self._transport.execute(step)
                    except APIError as exc:
                        error = exc
                step = _step(op, result, error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        finally:
            op.close()  # see SyncResource._run (cancellation lands here too)

    async def _pages(self, page_op: PageOp[T]) -> AsyncIterator[T]:
        """Every row of a paged listing, fetched lazily (see `SyncResource._pages`)."""
        cursor = Cursor()
        while True:
            page = await self._run(page_op(cursor.value))
            for row in page.data:
                yield row
            if not cursor.advance(page):
                return

    async def _page_list(
        self, body_op: Callable[[str | None], Op[Any]], parse: Callable[[Any], Page[T]]
    ) -> AsyncIterator[Page[T]]:
        """Every page of a listing, in order, the next one requested before this one is
        parsed and handed over: the server prepares page k+1 while the caller works on page k
        (which at platform scale is most of a plan's client time)."""
        cursor = Cursor()
        fetch: asyncio.Future[Any] | None = asyncio.ensure_future(self._run(body_op(None)))
        try:
            while fetch is not None:
                body = await fetch
                fetch = None
                if cursor.advance_to(*raw_next(body)):
                    fetch = asyncio.ensure_future(self._run(body_op(cursor.value)))
                    for _ in range(_HANDOVER_TURNS):
                        await asyncio.sleep(0)
                yield parse(body)
        finally:
            # The caller stopped early (or failed): no stray request, and no "exception was
            # never retrieved" for one that already failed. Not awaited: awaiting here could
            # swallow the caller's own cancellation.
            if fetch is not None and not fetch.cancel() and not fetch.cancelled():
                fetch.exception()
