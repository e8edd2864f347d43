"""``client.projects.export_state``: the replace body of a live project.

The sync client reads the listings one after the other (`_ops.export_state`); the async client
reads the independent ones at once (the flags, flows, folders, tables and connections, then
every table's fields), as upstream's CLI does with ``Promise.all``. Both build the body with
the same `_ops.assemble`, so ``replace(export_state(x))`` answers all unchanged either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from activepieces_core.models import Project
from activepieces_core.models.contents import ProjectState
from activepieces_core.resources._base import AsyncResource, all_rows
from activepieces_core.resources.contents import _ops as ops

__all__ = ["export_async", "gather"]


async def gather(*calls: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run ``calls`` concurrently (asyncio or trio) and return their results in order.

    A failure is re-raised as itself (the first by position, once all have finished), not
    wrapped in an exception group: callers catch the client's own error types.
    """
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


async def export_async(resource: AsyncResource, project: Project | str) -> ProjectState:
    """The replace body of ``project``, its listings read concurrently."""
    pid = ops.project_id(project)
    version, flows, folders, tables, connections = await gather(
        lambda: resource._run(ops.flags_version()),
        lambda: resource._run(all_rows(ops.flows_page(pid))),
        lambda: resource._run(all_rows(ops.folders_page(pid))),
        lambda: resource._run(all_rows(ops.tables_page(pid))),
        lambda: resource._run(all_rows(ops.connections_page(pid))),
    )
    fields = await gather(
        *(lambda table=table: resource._run(ops.table_fields(table.id)) for table in tables)
    )
    return ops.assemble(
        version, flows, folders, list(zip(tables, fields, strict=True)), connections
    )
