"""Shared `@task` options: every task is uncached, tagged, and retried only when safe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from typing_extensions import ParamSpec

from prefect_activepieces._retry import retry_if_transient

__all__ = ["TAG", "RetryCondition", "api_task"]

P = ParamSpec("P")
R = TypeVar("R")

TAG = "activepieces"
"""Tag on every task: ``prefect concurrency-limit create activepieces 5`` bounds API calls."""

RetryCondition = Callable[[Any, Any, Any], bool]


def api_task(
    name: str,
    *,
    retry_condition: RetryCondition = retry_if_transient,
    task_run_name: str | None = None,
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """``@task`` for one API operation.

    * ``NO_CACHE``: with result persistence on, Prefect's default policy would turn a second
      identical write (or a freshness read) in the same flow run into a cached no-op.
    * no task retries by default (the client retries transient failures itself); when a user
      adds them with ``with_options(retries=...)``, ``retry_condition`` keeps 4xx from retrying.
    """
    decorator: Callable[[Callable[P, R]], Task[P, R]] = task(
        name=name,
        cache_policy=NO_CACHE,
        tags=[TAG],
        retry_condition_fn=retry_condition,
        task_run_name=task_run_name,
    )
    return decorator
