"""Task options and Prefect retry conditions, layered on top of the client's own retries.

The client already retries what core's retry rule allows (``activepieces_core.constants.RETRY_DOC``);
a task retry, when a user adds some, repeats only failures that the same rule calls retryable,
so the two layers never disagree. The conditions read ``state.data`` (the raised exception, as
the engine passes it), so they behave the same for sync and async tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from typing_extensions import ParamSpec

from activepieces_core import is_retryable, is_safe_to_resend

__all__ = ["TAG", "RetryCondition", "api_task", "retry_if_rejected", "retry_if_retryable"]

P = ParamSpec("P")
R = TypeVar("R")

TAG = "activepieces"
"""Tag on every task: ``prefect concurrency-limit create activepieces 5`` bounds API calls."""

RetryCondition = Callable[[Any, Any, Any], bool]


def _error(state: Any) -> BaseException | None:
    data = getattr(state, "data", None)
    return data if isinstance(data, BaseException) else None


def retry_if_retryable(task: Any, task_run: Any, state: Any) -> bool:
    """Retry what the client itself retries (core's ``is_retryable``); never 4xx."""
    error = _error(state)
    return error is not None and is_retryable(error)


def retry_if_rejected(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only failures proven to have written nothing (429, connection refused): for creates.

    A 5xx, timeout or dropped connection may have committed the project, so creating again
    could duplicate it; `ensure_project` is the idempotent way to retry those. The rule is the
    client's own (``is_safe_to_resend``).
    """
    error = _error(state)
    return error is not None and is_safe_to_resend(error)


def api_task(
    name: str,
    *,
    retry_condition: RetryCondition = retry_if_retryable,
    task_run_name: str | Callable[[], str] | None = None,
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """``@task`` for API calls: uncached, tagged `TAG`, retried only when safe.

    * ``NO_CACHE``: with result persistence on, Prefect's default policy would turn a second
      identical write (or a freshness read) in the same flow run into a cached no-op.
    * no task retries by default (the client retries itself); when a user adds them with
      ``with_options(retries=...)``, ``retry_condition`` keeps 4xx from retrying.
    """
    decorator: Callable[[Callable[P, R]], Task[P, R]] = task(
        name=name,
        cache_policy=NO_CACHE,
        tags=[TAG],
        retry_condition_fn=retry_condition,
        task_run_name=task_run_name,
    )
    return decorator
