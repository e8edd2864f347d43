"""``client.projects.export_state``: the replace body of a live project.

The sync client reads the listings one after the other (`_ops.export_state`); the async client
reads the independent ones at once (the flags, flows, folders, tables and connections, then
every table's fields), as upstream's CLI does with ``Promise.all``. Both build the body with
the same `_ops.assemble`, so ``replace(export_state(x))`` answers all unchanged either way.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio

from activepieces_core.models import Project
from activepieces_core.models.contents import Field, Flow, Folder, ProjectState, Table
from activepieces_core.resources._base import AsyncResource, Op, all_rows
from activepieces_core.resources.contents import _ops as ops

__all__ = ["Gate", "export_async", "export_managed", "gather", "server_version"]


async def gather(*calls: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run ``calls`` concurrently (asyncio or trio) and return their results in order.

    A failure is re-raised as itself (the first by position, once all have finished), not
    wrapped in an exception group: callers catch the client's own error types.
    """
    if len(calls) < 2:  # no task group for nothing to overlap (a project without tables)
        return [await call() for call in calls]
    if _on_asyncio():
        # asyncio's own gather costs half an anyio task group (a re-sync gathers per tenant).
        done = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
        failed = next((r for r in done if isinstance(r, BaseException)), None)
        if failed is not None:
            raise failed
        return done
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException | None] = [None] * len(calls)

    async def run(index: int) -> None:
        try:
            results[index] = await calls[index]()
        except Exception as exc:
            errors[index] = exc

    async with anyio.create_task_group() as group:
        for index in range(len(calls)):
            group.start_soon(run, index)
    failure = next((e for e in errors if e is not None), None)
    if failure is not None:
        raise failure
    return results


def _on_asyncio() -> bool:
    try:
        return asyncio.current_task() is not None
    except RuntimeError:  # no asyncio loop running here: trio
        return False


#: Held around each listing of an export (e.g. an ``asyncio.Semaphore`` shared by every
#: export of a job, so that its reads keep to the job's requests-in-flight budget).
Gate = AbstractAsyncContextManager[Any]


async def _listings(
    resource: AsyncResource,
    pid: str,
    *extra: Callable[[], Op[Any]],
    gate: Gate | None = None,
) -> tuple[list[Flow], list[Folder], list[tuple[Table, list[Field]]], list[Any]]:
    """The project's flows, folders and tables with their fields, and the results of
    ``extra`` operations read beside them: the independent listings at once, then the fields
    (each inside ``gate``, when given)."""

    def read(op: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            if gate is None:
                return await resource._run(op())
            async with gate:
                return await resource._run(op())

        return run

    flows, folders, tables, *more = await gather(
        read(lambda: all_rows(ops.flows_page(pid))),
        read(lambda: all_rows(ops.folders_page(pid))),
        read(lambda: all_rows(ops.tables_page(pid))),
        *(read(op) for op in extra),
    )
    fields = await gather(*(read(functools.partial(ops.table_fields, t.id)) for t in tables))
    return flows, folders, list(zip(tables, fields, strict=True)), more


async def server_version(resource: AsyncResource) -> str:
    """The server's version, as a replace body names it (``GET /v1/flags``; see
    `_ops.flags_version`): pass it to `export_async` to export several projects."""
    return await resource._run(ops.flags_version())


async def export_async(
    resource: AsyncResource,
    project: Project | str,
    *,
    version: str | None = None,
    gate: Gate | None = None,
) -> ProjectState:
    """The replace body of ``project``, its listings read concurrently (each inside ``gate``,
    when given: a job's requests-in-flight budget). ``version``: the server's, when the caller
    read it already (``GET /v1/flags`` is the same for every project of a platform: archiving
    many tenants reads it once, not per tenant)."""
    pid = ops.project_id(project)
    flags = () if version is not None else (ops.flags_version,)
    flows, folders, tables, (connections, *read) = await _listings(
        resource, pid, lambda: all_rows(ops.connections_page(pid)), *flags, gate=gate
    )
    return ops.assemble(read[0] if read else str(version), flows, folders, tables, connections)


async def export_managed(
    resource: AsyncResource, project: Project | str, *, gate: Gate | None = None
) -> ProjectState:
    """What replace compares of ``project``: its flows, folders and tables (with their fields),
    read concurrently (each listing inside ``gate``, when given); for a diff, not for a body to
    send elsewhere.

    Three listings, not five: replace never deletes a connection and the diff compares none
    (`activepieces_core.contents_diff`), and the server's version (``GET /v1/flags``, the same
    for every project of a platform) is no part of it either, so the state has no connections,
    no required pieces (nor are they compared) and names the version ``0.0.0``. The tenant
    planner reads each managed tenant with this.
    """
    flows, folders, tables, _ = await _listings(resource, ops.project_id(project), gate=gate)
    return ops.assemble(ops.UNKNOWN_VERSION, flows, folders, tables, [], pieces=False)
