"""Retry policy: which failures are retried, and how long to wait (tenacity underneath).

Waits are exponential with full jitter, capped at ``backoff_max``; a ``Retry-After`` from the
server wins, within the same cap (``backoff_max`` is the longest single wait, ever). Sleeping is injected by the transport, so tests
never sleep for real.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from activepieces_core.errors import APIConnectionError, APIError, RateLimitedError, ServerError

__all__ = [
    "RETRYABLE_STATUSES",
    "RetryMode",
    "RetryPolicy",
    "is_retryable",
    "is_safe_to_resend",
]

logger = logging.getLogger("activepieces_core")

#: Statuses retried for idempotent requests (500 is not: it is not known to be transient).
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})

#: "idempotent": GET/update/delete; "create": only failures proven to have written nothing.
RetryMode = Literal["idempotent", "create"]


def is_retryable(exc: BaseException) -> bool:
    """Connection errors, timeouts, 429, 502, 503, 504: safe to repeat an idempotent call."""
    if isinstance(exc, APIConnectionError):
        return True
    return isinstance(exc, APIError) and exc.status_code in RETRYABLE_STATUSES


def is_safe_to_resend(exc: BaseException) -> bool:
    """Failures that provably wrote nothing, so even a create may be repeated.

    A refused connection never reached the server, and a 429 is refused before any work.
    Timeouts, dropped connections and 5xx may have committed: see ``ensure``.
    """
    if isinstance(exc, APIConnectionError):
        return not exc.may_have_reached_server
    return isinstance(exc, RateLimitedError)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to wait. ``rng`` is injectable for deterministic tests."""

    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
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

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.wait_for(state.attempt_number, error)

    def _kwargs(self, mode: RetryMode) -> dict[str, object]:
        predicate = is_safe_to_resend if mode == "create" else is_retryable
        return {
            "stop": stop_after_attempt(self.max_retries + 1),
            "wait": self._wait,
            "retry": retry_if_exception(predicate),
            "reraise": True,
            "before_sleep": _log_retry,
        }

    def retrying(self, mode: RetryMode, sleep: Callable[[float], None]) -> Retrying:
        """A tenacity controller for one sync call."""
        return Retrying(sleep=sleep, **self._kwargs(mode))  # type: ignore[arg-type]

    def async_retrying(
        self, mode: RetryMode, sleep: Callable[[float], Awaitable[None]]
    ) -> AsyncRetrying:
        """A tenacity controller for one async call."""
        return AsyncRetrying(sleep=sleep, **self._kwargs(mode))  # type: ignore[arg-type]


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    logger.info(
        "retrying after attempt %d failed (%s); waiting %.2fs",
        state.attempt_number,
        error,
        wait,
    )
