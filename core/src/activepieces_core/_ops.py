"""What every resource's operations share: the `Op` type, id checks and tolerant parsing.

An operation is a generator that yields `Call`/`Sleep` instructions and receives parsed bodies
(or has the error thrown in); `_resource` drives it with a sync or an async transport. So each
resource's logic (validation, convergence, lookups) is written once, without I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from activepieces_core._http import Call, Sleep
from activepieces_core._retry import RetryPolicy, is_ambiguous_write
from activepieces_core.errors import APIError, InvalidRequestError, UnexpectedResponseError
from activepieces_core.models import Page

__all__ = ["Cursor", "Op", "create_once", "parse", "raw_next", "require_id"]

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
