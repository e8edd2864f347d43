"""What every resource shares: operations (`Op`), their helpers, and the drivers that run them.

An operation is a generator that yields `Call`/`Sleep` instructions and receives parsed bodies
(or has the error thrown in), as httpx's auth flows do; `SyncResource` and `AsyncResource` drive
it with a sync or an async transport. So each resource's logic (validation, convergence,
look-ups) is written once, without I/O, in its ``_ops`` module; its surface classes only hand
operations to ``_run`` and page listings to ``_pages`` / ``_page_list``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from activepieces_core._http import AsyncTransport, Call, Sleep, SyncTransport
from activepieces_core.errors import APIError, InvalidRequestError, UnexpectedResponseError
from activepieces_core.models import Page
from activepieces_core.retries import RetryPolicy, is_ambiguous_write

__all__ = [
    "AsyncResource",
    "Cursor",
    "Op",
    "SyncResource",
    "create_once",
    "parse",
    "raw_next",
    "require_id",
]

R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
#: An operation: yields instructions, receives parsed bodies, returns the result.
Op = Generator[Call | Sleep, Any, R]


def require_id(value: str, what: str) -> str:
    """``value`` if it is a non-empty string, else `InvalidRequestError` (nothing sent)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{what} must be a non-empty string")
    return value


def parse(model: type[M], body: Any) -> M:
    """Validate a response body; a shape we cannot read is an `UnexpectedResponseError`."""
    try:
        return model.model_validate(body)
    except PydanticValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors()})
        raise UnexpectedResponseError(
            f"unexpected {model.__name__} response: bad or missing {', '.join(fields)}"
        ) from None


class Cursor:
    """Follows ``next`` cursors across pages; a cursor the server repeats is an error.

    A repeated cursor would page forever (or silently drop rows if we stopped), so it is an
    `UnexpectedResponseError` wherever pages are followed: the client's ``iter`` and the planner.
    """

    def __init__(self) -> None:
        self.value: str | None = None
        self._seen: set[str] = set()

    def advance(self, page: Page[Any]) -> bool:
        """Move to ``page.next``; False at the end (no cursor or an empty page)."""
        return self.advance_to(page.next, bool(page.data))

    def advance_to(self, cursor: str | None, has_rows: bool) -> bool:
        """Move to ``cursor`` (a page's ``next``); False at the end (none, or no rows)."""
        if not cursor or not has_rows:
            return False
        if cursor in self._seen:
            raise UnexpectedResponseError(
                f"the server repeated the page cursor {cursor!r}; stopping instead of looping"
            )
        self._seen.add(cursor)
        self.value = cursor
        return True


def raw_next(body: Any) -> tuple[str | None, bool]:
    """A page body's ``next`` cursor and whether it has rows, read before the page is parsed
    (so the next request can be on its way meanwhile); a body of any other shape reads as
    the last page and is left to `parse` to report."""
    if not isinstance(body, dict):
        return None, False
    cursor, rows = body.get("next"), body.get("data")
    return (cursor if isinstance(cursor, str) else None), bool(isinstance(rows, list) and rows)


def _never(exc: APIError) -> bool:
    return False


def create_once(
    create: Callable[[], Op[T]],
    find: Callable[[], Op[T | None]],
    policy: RetryPolicy,
    *,
    taken: Callable[[APIError], bool] = _never,
) -> Op[tuple[T, T | None]]:
    """Create, looking again after every failure that may have written; never a duplicate.

    Returns ``(resource, created)``: ``created`` is the resource when this call made it (or an
    ambiguous attempt evidently did), None when ``taken(error)`` said someone else owns the
    identity (a conflict). Creates again, after a wait, only when the look-up finds nothing,
    at most ``policy.max_retries`` more times. Shared by every ``ensure``.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            made = yield from create()
            return made, made
        except APIError as exc:
            conflict = taken(exc)
            if not (conflict or is_ambiguous_write(exc)):
                raise
            found = yield from find()
            if found is not None:
                return found, (None if conflict else found)
            if attempt > policy.max_retries:
                raise
            yield Sleep(policy.wait_for(attempt, exc))


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
