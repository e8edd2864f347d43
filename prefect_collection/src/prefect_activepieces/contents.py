"""Tasks for a project's contents (flows, tables, folders, connection references).

`export_project_state` reads a project's replace body (core's ``client.projects.export_state``:
what upstream's own CLI sends), `replace_project_state` makes a project's contents a body's
(``POST /v1/projects/:id/replace``). Each has an async twin. A project is named by
``project_id`` or ``external_id`` (exactly one); a state file lives locally or in a Prefect
filesystem block (`prefect_activepieces.storage`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect.logging import get_run_logger
from prefect.runtime import task_run

from activepieces_core import Project
from activepieces_core.errors import NotFoundError
from activepieces_core.models.contents import ProjectState, ReplaceResult
from activepieces_core.parsing import exactly_one
from prefect_activepieces._retry import api_task
from prefect_activepieces.credentials import ActivepiecesCredentials
from prefect_activepieces.exceptions import ReplaceItemsFailedError
from prefect_activepieces.storage import (
    StateInput,
    Storage,
    aread_state,
    awrite_state,
    read_state,
    write_state,
)

__all__ = [
    "aexport_project_state",
    "areplace_project_state",
    "export_project_state",
    "replace_project_state",
]

Json = dict[str, Any]


def _target() -> str:
    params = task_run.parameters
    return str(params.get("project_id") or params.get("external_id") or "")


def _missing(external_id: str) -> NotFoundError:
    return NotFoundError(f"no project with external id {external_id!r}", code="ENTITY_NOT_FOUND")


def _check_target(project_id: str | None, external_id: str | None) -> None:
    exactly_one(project_id=project_id, external_id=external_id)  # before any request


def _project(client: Any, project_id: str | None, external_id: str | None) -> Project | str:
    """The project by id (no request) or by external id (one lookup; `NotFoundError`)."""
    if project_id:
        return project_id
    found: Project | None = client.projects.find(external_id=external_id)
    if found is None:
        raise _missing(str(external_id))
    return found


async def _aproject(client: Any, project_id: str | None, external_id: str | None) -> Project | str:
    """Async `_project`."""
    if project_id:
        return project_id
    found: Project | None = await client.projects.find(external_id=external_id)
    if found is None:
        raise _missing(str(external_id))
    return found


def _exported(state: ProjectState, where: str | None) -> Json:
    body = state.to_body()
    get_run_logger().info(
        "Exported %d flow(s), %d table(s), %d folder(s), %d connection(s)%s",
        len(state.flows),
        len(state.tables),
        len(state.folders),
        len(state.connections),
        f" to {where}" if where else "",
    )
    return body


def _outcome(project_id: str, result: ReplaceResult, allow_failed_items: bool) -> Json:
    """The task's result; a 207 fails the task unless ``allow_failed_items``."""
    outcome: Json = {"projectId": project_id, **result.to_dict()}
    logger = get_run_logger()
    a = result.applied
    logger.info(
        "Replaced project %s (HTTP %s): flows %d created, %d updated, %d deleted, %d unchanged",
        project_id,
        result.status,
        a.flows_created,
        a.flows_updated,
        a.flows_deleted,
        a.flows_unchanged,
    )
    for item in result.failed:
        logger.warning(
            "Not applied: %s %s (%s): %s", item.kind, item.external_id, item.op, item.error
        )
    for connection in result.connections_awaiting_authorization:
        logger.info(
            "Connection to authorise: %s (%s)", connection.external_id, connection.piece_name
        )
    if result.failed and not allow_failed_items:
        raise ReplaceItemsFailedError(project_id, outcome)
    return outcome


# --- export -----------------------------------------------------------------------------------

_EXPORT = "Export Activepieces project state"


@api_task(_EXPORT, task_run_name=lambda: f"export-state-{_target()}")
def export_project_state(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
    path: str | Path | None = None,
    storage: Storage | None = None,
) -> Json:
    """The project's contents as a replace body (camelCase JSON, as ``projects export`` writes).

    With ``path`` the body is also written there: a local file, or a path in ``storage`` (a
    filesystem block or a saved one's ``"<block-type-slug>/<name>"``); JSON, or YAML by
    suffix. A missing project (by external id) is `NotFoundError`.
    """
    if path is None and storage is not None:
        raise ValueError("storage needs a path to write to")
    _check_target(project_id, external_id)
    with credentials.get_client() as client:
        state = client.projects.export_state(_project(client, project_id, external_id))
    where = None if path is None else write_state(path, state, storage)
    return _exported(state, where)


@api_task(_EXPORT, task_run_name=lambda: f"export-state-{_target()}")
async def aexport_project_state(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
    path: str | Path | None = None,
    storage: Storage | None = None,
) -> Json:
    """Async `export_project_state`."""
    if path is None and storage is not None:
        raise ValueError("storage needs a path to write to")
    _check_target(project_id, external_id)
    async with credentials.get_async_client() as client:
        project = await _aproject(client, project_id, external_id)
        state = await client.projects.export_state(project)
    where = None if path is None else await awrite_state(path, state, storage)
    return _exported(state, where)


# --- replace ----------------------------------------------------------------------------------

_REPLACE = "Replace Activepieces project state"


@api_task(_REPLACE, task_run_name=lambda: f"replace-state-{_target()}")
def replace_project_state(
    credentials: ActivepiecesCredentials,
    state: StateInput,
    project_id: str | None = None,
    external_id: str | None = None,
    storage: Storage | None = None,
    allow_failed_items: bool = False,
) -> Json:
    """Make the project's flows, tables and folders exactly ``state``'s; returns the answer.

    ``state`` is a replace body (e.g. `export_project_state`'s result) or a state file's path
    (local, or in ``storage``), validated before any request (`InvalidStateError`). Flows,
    tables and folders with an external id that ``state`` lacks are **deleted**; connection
    references are added as placeholders, never deleted.

    Returns ``{"projectId", "status": 200 | 207, "applied": {flowsCreated, ...}, "failed",
    "connectionsAwaitingAuthorization", "piecesInstalled", "durationMs"}``.

    Raises:
        ReplaceItemsFailedError: the server answered 207 (some items not applied; the rest
            was): unless ``allow_failed_items``, which returns the 207 answer instead.
        ReplacePreflightError: 422, a preflight check failed (``.errors``); nothing written.
        PieceInstallError: 502, a required piece could not be installed (``.failures``).
        ReplaceInProgressError: another replace of the project kept running (409).
        FeatureDisabledError: the platform's plan lacks ``environmentsEnabled`` (402).
    """
    _check_target(project_id, external_id)
    wanted = read_state(state, storage)  # a bad body fails here, before any request
    with credentials.get_client() as client:
        project = _project(client, project_id, external_id)
        result = client.projects.replace(project, wanted)
    target = project if isinstance(project, str) else project.id
    return _outcome(target, result, allow_failed_items)


@api_task(_REPLACE, task_run_name=lambda: f"replace-state-{_target()}")
async def areplace_project_state(
    credentials: ActivepiecesCredentials,
    state: StateInput,
    project_id: str | None = None,
    external_id: str | None = None,
    storage: Storage | None = None,
    allow_failed_items: bool = False,
) -> Json:
    """Async `replace_project_state`."""
    _check_target(project_id, external_id)
    wanted = await aread_state(state, storage)
    async with credentials.get_async_client() as client:
        project = await _aproject(client, project_id, external_id)
        result = await client.projects.replace(project, wanted)
    target = project if isinstance(project, str) else project.id
    return _outcome(target, result, allow_failed_items)
