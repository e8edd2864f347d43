"""Tasks for single project operations, each returning plain JSON-safe dicts.

Every operation comes as a sync task (``create_project``) and an async twin
(``acreate_project``), both generated from the one definition in `_operations`. The sync tasks
work everywhere, including async flows; await the async twins from async flows only. Calling
an async task from a *sync* flow silently does nothing in Prefect 3 (it returns an un-awaited
coroutine), so use the sync names there, or ``acreate_project.submit(...).result()``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, TypeVar

from prefect import Task
from typing_extensions import ParamSpec

from prefect_activepieces import _operations as ops
from prefect_activepieces._operations import UNSET, IfExists
from prefect_activepieces._options import RetryCondition, api_task
from prefect_activepieces._retry import retry_if_rejected, retry_if_transient
from prefect_activepieces.credentials import ActivepiecesCredentials

__all__ = [
    "UNSET",
    "IfExists",
    "acreate_project",
    "adelete_project",
    "aensure_project",
    "aget_project",
    "alist_projects",
    "async_project_pieces",
    "async_tasks",
    "aupdate_project",
    "create_project",
    "delete_project",
    "ensure_project",
    "get_project",
    "list_projects",
    "sync_project_pieces",
    "sync_tasks",
    "update_project",
]

P = ParamSpec("P")
R = TypeVar("R")

SyncTask = Task[Concatenate[ActivepiecesCredentials, P], R]
AsyncTask = Task[Concatenate[ActivepiecesCredentials, P], Coroutine[Any, Any, R]]


def _signature_of(operation: Callable[..., Any]) -> inspect.Signature:
    """The operation's signature with ``credentials`` in front: what Prefect binds against."""
    signature = inspect.signature(operation)
    credentials = inspect.Parameter(
        "credentials", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ActivepiecesCredentials
    )
    return signature.replace(
        parameters=[credentials, *signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )


def _twins(
    operation: Callable[P, ops.Call[R]],
    name: str,
    *,
    retry_condition: RetryCondition = retry_if_transient,
    task_run_name: str | None = None,
) -> tuple[SyncTask[P, R], AsyncTask[P, R]]:
    """The sync task and its async twin for ``operation``."""

    def sync_fn(credentials: ActivepiecesCredentials, *args: P.args, **kwargs: P.kwargs) -> R:
        return ops.run(credentials, operation(*args, **kwargs))

    async def async_fn(
        credentials: ActivepiecesCredentials, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        return await ops.arun(credentials, operation(*args, **kwargs))

    signature = _signature_of(operation)
    for fn, fn_name, doc in (
        (sync_fn, operation.__name__, operation.__doc__),
        (
            async_fn,
            f"a{operation.__name__}",
            f"Async `{operation.__name__}`.\n\n{operation.__doc__}",
        ),
    ):
        functools.update_wrapper(fn, operation, assigned=("__module__",), updated=())
        # Prefect keys tasks on the qualified name and binds parameters through the signature.
        fn.__name__ = fn.__qualname__ = fn_name
        fn.__doc__ = doc
        fn.__signature__ = signature  # type: ignore[union-attr]
        fn.__module__ = __name__
    decorate = api_task(name, retry_condition=retry_condition, task_run_name=task_run_name)
    return decorate(sync_fn), decorate(async_fn)


create_project, acreate_project = _twins(
    ops.create_project, "Create Activepieces project", retry_condition=retry_if_rejected
)
ensure_project, aensure_project = _twins(
    ops.ensure_project, "Ensure Activepieces project", task_run_name="ensure-project-{external_id}"
)
get_project, aget_project = _twins(ops.get_project, "Get Activepieces project")
list_projects, alist_projects = _twins(ops.list_projects, "List Activepieces projects")
update_project, aupdate_project = _twins(
    ops.update_project, "Update Activepieces project", task_run_name="update-project-{project_id}"
)
# `async_project_pieces` is the `a`-prefixed twin of `sync_project_pieces`.
sync_project_pieces, async_project_pieces = _twins(
    ops.sync_project_pieces,
    "Sync Activepieces project pieces",
    task_run_name="sync-pieces-{project_id}",
)
delete_project, adelete_project = _twins(ops.delete_project, "Delete Activepieces project")

sync_tasks = (
    create_project,
    ensure_project,
    get_project,
    list_projects,
    update_project,
    sync_project_pieces,
    delete_project,
)
"""Every sync project task."""

async_tasks = (
    acreate_project,
    aensure_project,
    aget_project,
    alist_projects,
    aupdate_project,
    async_project_pieces,
    adelete_project,
)
"""Every async project task, in the same order as `sync_tasks`."""
