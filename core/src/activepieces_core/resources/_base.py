"""What every resource shares: operations (`Op`), their helpers, and the drivers that run them.

An operation is a generator that yields `Call`/`Sleep` instructions and receives parsed bodies
(or has the error thrown in), as httpx's auth flows do; `SyncResource` and `AsyncResource` drive
it with a sync or an async transport. So each resource's logic (validation, convergence,
look-ups) is written once, without I/O, in its ``_ops`` module; its surface classes only hand
operations to ``_run`` and page listings to ``_pages`` / ``_page_list``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any, TypeVar

import anyio.lowlevel
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from activepieces_core._http import AsyncTransport, Call, Sleep, SyncTransport, _trio_running
from activepieces_core.errors import APIError, InvalidRequestError, UnexpectedResponseError
from activepieces_core.models import Page
from activepieces_core.models.project import OWNED
from activepieces_core.retries import RetryPolicy, is_ambiguous_write

__all__ = [
    "AsyncResource",
    "Cursor",
    "Op",
    "SyncResource",
    "all_rows",
    "create_once",
    "find_row",
    "next_cursor",
    "parse",
    "require_id",
    "scan_pages",
    "write_once",
]

R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
P = TypeVar("P")
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
        # The body was just decoded and is held by nothing else: models keep its parts as
        # they are (a flow's body, uncopied).
        return model.model_validate(body, context=OWNED)
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


def next_cursor(page: Any) -> tuple[str | None, bool]:
    """A page's ``next`` cursor and whether it has rows: of a parsed `Page`, or of a page body
    read before it is parsed (so the next request can be on its way meanwhile); a body of any
    other shape reads as the last page and is left to `parse` to report."""
    if isinstance(page, Page):
        return page.next, bool(page.data)
    if not isinstance(page, dict):
        return None, False
    cursor, rows = page.get("next"), page.get("data")
    return (cursor if isinstance(cursor, str) else None), bool(isinstance(rows, list) and rows)


def scan_pages(
    page_op: Callable[[str | None], Op[P]], visit: Callable[[P], R | None]
) -> Op[R | None]:
    """The one paging loop: every page of a listing in order, ``page_op(cursor)`` reading one
    (a `Page` or its body), each handed to ``visit`` until it returns something (the result)
    or the pages end (None). A cursor the server repeats is an error (see `Cursor`).

    The resources' lazy iterators run it too (their ``visit`` hands each page to the caller).
    """
    cursor = Cursor()
    while True:
        page = yield from page_op(cursor.value)
        found = visit(page)
        if found is not None or not cursor.advance_to(*next_cursor(page)):
            return found


def all_rows(page_op: Callable[[str | None], Op[Page[T]]]) -> Op[list[T]]:
    """Every row of a paged listing (see `scan_pages`)."""
    rows: list[T] = []
    yield from scan_pages(page_op, lambda page: rows.extend(page.data))
    return rows


def find_row(
    page_op: Callable[[str | None], Op[Page[T]]], match: Callable[[T], bool]
) -> Op[T | None]:
    """The first row ``match`` accepts, reading pages only until it is found; None if none."""

    def first(page: Page[T]) -> T | None:
        return next(filter(match, page.data), None)

    found: T | None = yield from scan_pages(page_op, first)
    return found


def write_once(
    write: Callable[[], Op[T]],
    read_back: Callable[[APIError], Op[T | None]],
    policy: RetryPolicy,
    *,
    look_after: Callable[[APIError], bool] = is_ambiguous_write,
) -> Op[T]:
    """Write; after a failure that may have written (``look_after``), read back before
    writing again: never a duplicate, never a lost write.

    ``read_back(error)`` returns the result when the read shows the write done (by this call or
    by someone else), or None to write again after a wait, at most ``policy.max_retries`` more
    times. ``write`` may depend on what ``read_back`` read. Every ``ensure``, ``invite`` and
    ``remove`` runs on it.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return (yield from write())
        except APIError as exc:
            if not look_after(exc):
                raise
            done = yield from read_back(exc)
            if done is not None:
                return done
            if attempt > policy.max_retries:
                raise
            yield Sleep(policy.wait_for(attempt, exc))


def _never(exc: APIError) -> bool:
    return False


def create_once(
    create: Callable[[], Op[T]],
    find: Callable[[], Op[T | None]],
    policy: RetryPolicy,
    *,
    taken: Callable[[APIError], bool] = _never,
) -> Op[tuple[T, T | None]]:
    """Create, looking again after every failure that may have written (`write_once`).

    Returns ``(resource, created)``: ``created`` is the resource when this call made it (or an
    ambiguous attempt evidently did), None when ``taken(error)`` said someone else owns the
    identity (a conflict). Shared by every ``ensure``.
    """

    def made() -> Op[tuple[T, T | None]]:
        resource = yield from create()
        return resource, resource

    def look(exc: APIError) -> Op[tuple[T, T | None] | None]:
        found = yield from find()
        if found is None:
            return None
        return found, (None if taken(exc) else found)

    return (
        yield from write_once(
            made, look, policy, look_after=lambda exc: taken(exc) or is_ambiguous_write(exc)
        )
    )


#: Event-loop turns given to the next page's request before the caller gets this page, so it
#: is on the wire and the server prepares it while the caller works (aiohttp's pool writes it
#: in one turn, httpx's own in three; twice that for margin: tests/core/client/test_client_pages).
_HANDOVER_TURNS = 8


def _step(op: Op[R], result: Any, error: APIError | None) -> Call | Sleep:
    """Feed a result (or an error) into ``op`` and return its next instruction."""
    return op.throw(error) if error is not None else op.send(result)


class SyncResource:
    """Base of the synchronous resources: runs operations on a `SyncTransport`."""

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def _run(self, op: Op[R]) -> R:
        steps = self._steps(op)
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]

    def _steps(self, op: Op[R]) -> Generator[None, None, R]:
        """Run ``op``, pausing after each instruction (so pages reach a caller as they come)."""
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
                yield
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        finally:
            # An interrupted caller (KeyboardInterrupt, a timeout, a loop left early) must not
            # leave the operation suspended mid-way: close it, as httpx closes its auth flows.
            op.close()

    def _pages(self, page_op: Callable[[str | None], Op[Page[T]]]) -> Iterator[T]:
        """Every row of a paged listing, fetched lazily; ``page_op(cursor)`` reads one page."""
        for page in self._page_list(page_op, _as_page):
            yield from page.data

    def _page_list(
        self, body_op: Callable[[str | None], Op[Any]], parse: Callable[[Any], Page[T]]
    ) -> Generator[Page[T], None, None]:
        """Every page of a listing, in order, each requested when the caller asks for it
        (``body_op(cursor)`` reads one page's body; `scan_pages` follows the cursors)."""
        ready: deque[Any] = deque()
        steps = self._steps(scan_pages(body_op, ready.append))
        try:
            for _ in steps:
                while ready:
                    yield parse(ready.popleft())
        finally:
            steps.close()
        while ready:
            yield parse(ready.popleft())


def _as_page(page: Page[T]) -> Page[T]:
    return page


class AsyncResource:
    """Base of the asynchronous resources: runs operations on an `AsyncTransport`."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def _execute(self, step: Call | Sleep) -> tuple[Any, APIError | None]:
        """One instruction: the parsed body, or the error to throw into the operation."""
        if isinstance(step, Sleep):
            await self._transport.sleep(step.seconds)
            return None, None
        try:
            return await self._transport.execute(step), None
        except APIError as exc:
            return None, exc

    async def _run(self, op: Op[R]) -> R:
        try:
            step = next(op)
            while True:
                step = _step(op, *(await self._execute(step)))
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        finally:
            op.close()  # see SyncResource._steps (cancellation lands here too)

    async def _pages(self, page_op: Callable[[str | None], Op[Page[T]]]) -> AsyncIterator[T]:
        """Every row of a paged listing (see `_page_list`)."""
        async for page in self._page_list(page_op, _as_page):
            for row in page.data:
                yield row

    async def _page_list(
        self, body_op: Callable[[str | None], Op[Any]], parse: Callable[[Any], Page[T]]
    ) -> AsyncGenerator[Page[T], None]:
        """Every page of a listing, in order (`scan_pages` follows the cursors).

        Under asyncio the next page is requested before this one is parsed and handed over: the
        server prepares page k+1 while the caller works on page k (which at platform scale is
        most of a plan's client time). Under trio (no task outlives a nursery, and a generator
        must not hold one across ``yield``) each page is requested when the caller asks for it.
        """
        ready: deque[Any] = deque()
        op = scan_pages(body_op, ready.append)
        ahead = not _trio_running()
        fetch: asyncio.Future[tuple[Any, APIError | None]] | None = None
        try:
            step = next(op)
            while True:
                if ahead and ready:
                    fetch = asyncio.ensure_future(self._execute(step))
                    for _ in range(_HANDOVER_TURNS):
                        await anyio.lowlevel.checkpoint()
                while ready:
                    yield parse(ready.popleft())
                outcome = await fetch if fetch is not None else await self._execute(step)
                fetch = None
                step = _step(op, *outcome)
        except StopIteration:
            pass
        finally:
            op.close()
            # The caller stopped early (or failed): no stray request, and no "exception was
            # never retrieved" for one that already failed. Not awaited: awaiting here could
            # swallow the caller's own cancellation.
            if fetch is not None and not fetch.cancel() and not fetch.cancelled():
                fetch.exception()
        while ready:
            yield parse(ready.popleft())
