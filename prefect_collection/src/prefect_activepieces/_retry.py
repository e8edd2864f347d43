"""Retry conditions for Prefect task retries layered on top of the client's own retries.

The client already retries transient failures (honouring ``Retry-After``); these conditions
decide whether a failure that survived those retries is worth another task attempt. They are
plain functions reading ``state.data`` (the raised exception, as the engine passes it), so
they behave the same for sync and async tasks — no ``state.result()`` coroutine trap.
"""

from __future__ import annotations

from typing import Any

from activepieces_core import is_safe_to_resend
from activepieces_core.errors import APIError

__all__ = ["retry_if_rejected", "retry_if_transient"]


def _error(state: Any) -> BaseException | None:
    data = getattr(state, "data", None)
    return data if isinstance(data, BaseException) else None


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry 429, 5xx, timeouts and connection failures; never 4xx or client-side errors."""
    error = _error(state)
    return isinstance(error, APIError) and error.is_transient


def retry_if_rejected(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only failures proven to have written nothing (429, connection refused): for creates.

    A 5xx, timeout or dropped connection may have committed the project, so creating again
    could duplicate it; `ensure_project` is the idempotent way to retry those. The rule is the
    client's own (``is_safe_to_resend``), so both layers agree.
    """
    error = _error(state)
    return error is not None and is_safe_to_resend(error)
