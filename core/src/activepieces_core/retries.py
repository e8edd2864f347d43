"""Retry rules and policy: what is retried, what may have written, how long to wait.

This module is the one answer to "is it retried?" (`activepieces_core.constants.RETRY_DOC`
says it in words): connection failures, timeouts, 429, 502, 503 and 504 for every request that
is safe to repeat; a plain 500 for reads only (a read is always safe to repeat, and one flaky
page must not sink a plan of thousands of tenants; a write that got a 500 may fail the same way
again); a create only when nothing can have been written (`is_safe_to_resend`), and otherwise
after looking it up (`is_ambiguous_write`, used by every ``ensure``).

Waits are exponential with full jitter, capped at ``backoff_max``; a ``Retry-After`` from the
server wins, within the same cap (``backoff_max`` is the longest single wait, ever). Sleeping is injected by the transport, so tests
never sleep for real.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from activepieces_core.constants import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_MAX_RETRIES,
    READ_RETRYABLE_STATUSES,
    RETRYABLE_STATUSES,
)
from activepieces_core.errors import (
    APIConnectionError,
    APIError,
    ExternalIdConflictError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)

__all__ = [
    "READ_RETRYABLE_STATUSES",
    "RETRYABLE_STATUSES",
    "RetryMode",
    "RetryPolicy",
    "is_ambiguous_write",
    "is_retryable",
    "is_safe_to_resend",
]

logger = logging.getLogger("activepieces_core")

#: "read": GET; "idempotent": update/delete and other repeatable writes; "create": only
#: failures proven to have written nothing.
RetryMode = Literal["read", "idempotent", "create"]
T = TypeVar("T")


def is_retryable(exc: BaseException, *, read: bool = False) -> bool:
    """Connection errors, timeouts, 429, 502, 503, 504 (and 500 when ``read``): repeatable."""
    if not isinstance(exc, APIError):
        return False
    if read:
        return exc.is_transient
    return isinstance(exc, APIConnectionError) or exc.status_code in RETRYABLE_STATUSES


def _is_read_retryable(exc: BaseException) -> bool:
    return is_retryable(exc, read=True)


def is_safe_to_resend(exc: BaseException) -> bool:
    """Failures that provably wrote nothing, so even a create may be repeated.

    A refused connection never reached the server, and a 429 is refused before any work.
    Timeouts, dropped connections and 5xx may have committed: see ``ensure``.
    """
    if isinstance(exc, APIConnectionError):
        return not exc.may_have_reached_server
    return isinstance(exc, RateLimitedError)


def is_ambiguous_write(exc: BaseException) -> bool:
    """A write failed in a way that may have committed, or because the target exists.

    Timeouts, dropped connections, 5xx (the server's duplicate-externalId is a 500), 429, a
    success status with an unreadable body, and conflicts: look the resource up before writing
    again. Definite refusals (validation, auth, quota, not found) are not ambiguous.
    """
    if isinstance(exc, (APIConnectionError, UnexpectedResponseError, ExternalIdConflictError)):
        return True
    if not isinstance(exc, APIError):
        return False
    return exc.status_code is None or exc.status_code >= 500 or is_retryable(exc)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to wait. ``rng`` is injectable for deterministic tests."""

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base: float = DEFAULT_BACKOFF_BASE
    backoff_max: float = DEFAULT_BACKOFF_MAX
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in ``[0, min(backoff_max, backoff_base * 2**(attempt-1))]``."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** max(0, attempt - 1))
        return self.rng() * ceiling

    def wait_for(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait after failed ``attempt`` (1-based): ``Retry-After`` if given."""
        hint = getattr(error, "retry_after", None)
        if isinstance(error, (RateLimitedError, ServerError)) and hint is not None:
            return min(float(hint), self.backoff_max)
        return self.backoff(attempt)

    def _wait(self, after: int, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.wait_for(state.attempt_number + after, error)

    def _kwargs(self, mode: RetryMode, after: int = 0) -> dict[str, object]:
        """tenacity's settings for a controller that takes over after ``after`` failed attempts
        (its attempt 1 is attempt ``after + 1``)."""

        def log(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            _log_retry(state.attempt_number + after, error, wait)

        return {
            "stop": stop_after_attempt(self.max_retries + 1 - after),
            "wait": lambda state: self._wait(after, state),
            "retry": retry_if_exception(_PREDICATES[mode]),
            "reraise": True,
            "before_sleep": log,
        }

    def retrying(
        self, mode: RetryMode, sleep: Callable[[float], None], *, after: int = 0
    ) -> Retrying:
        """A tenacity controller for one sync call (``after`` attempts of it already failed)."""
        return Retrying(sleep=sleep, **self._kwargs(mode, after))  # type: ignore[arg-type]

    def async_retrying(
        self, mode: RetryMode, sleep: Callable[[float], Awaitable[None]], *, after: int = 0
    ) -> AsyncRetrying:
        """A tenacity controller for one async call (``after`` attempts of it already failed)."""
        return AsyncRetrying(sleep=sleep, **self._kwargs(mode, after))  # type: ignore[arg-type]

    def _retry_first(self, mode: RetryMode, exc: Exception) -> float | None:
        """The wait before attempt 2 after attempt 1 failed with ``exc``; None: give up."""
        if self.max_retries < 1 or not _PREDICATES[mode](exc):
            return None
        wait = self.wait_for(1, exc)
        _log_retry(1, exc, wait)
        return wait

    def call(self, mode: RetryMode, sleep: Callable[[float], None], send: Callable[[int], T]) -> T:
        """``send(attempt)`` (1-based) until it succeeds or this policy gives up (the last
        error raised). The first attempt runs without a tenacity controller (building one
        costs about as much CPU as parsing a small response); a failure hands over to one."""
        try:
            return send(1)
        except Exception as exc:
            wait = self._retry_first(mode, exc)
            if wait is None:
                raise
        sleep(wait)
        for attempt in self.retrying(mode, sleep, after=1):
            with attempt:
                return send(attempt.retry_state.attempt_number + 1)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def acall(
        self,
        mode: RetryMode,
        sleep: Callable[[float], Awaitable[None]],
        send: Callable[[int], Awaitable[T]],
    ) -> T:
        """`call` for a coroutine ``send``."""
        try:
            return await send(1)
        except Exception as exc:
            wait = self._retry_first(mode, exc)
            if wait is None:
                raise
        await sleep(wait)
        async for attempt in self.async_retrying(mode, sleep, after=1):
            with attempt:
                return await send(attempt.retry_state.attempt_number + 1)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover


_PREDICATES: dict[RetryMode, Callable[[BaseException], bool]] = {
    "read": _is_read_retryable,
    "idempotent": is_retryable,
    "create": is_safe_to_resend,
}


def _log_retry(attempt: int, error: BaseException | None, wait: float) -> None:
    logger.info("retrying after attempt %d failed (%s); waiting %.2fs", attempt, error, wait)
