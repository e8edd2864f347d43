"""Drivers that run an operation (`_ops.Op`) over a sync or an async transport.

Every resource (``client.projects`` and the others) subclasses `SyncResource` or
`AsyncResource`; its methods only hand operations to ``_run`` and page listings to ``_pages``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from activepieces_core._http import AsyncTransport, Call, Sleep, SyncTransport
from activepieces_core._ops import Cursor, Op
from activepieces_core.errors import APIError
from activepieces_core.models import Page

__all__ = ["AsyncResource", "SyncResource"]

R = TypeVar("R")
T = TypeVar("T")
PageOp = Callable[[str | None], Op[Page[T]]]


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
        cursor = Cursor()
        while True:
            page = self._run(page_op(cursor.value))
            yield from page.data
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
