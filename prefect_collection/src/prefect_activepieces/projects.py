"""Tasks for single project operations, each returning plain JSON-safe dicts.

Every operation comes as a sync task (``create_project``) and an async twin
(``acreate_project``), each a few lines over the core client. The sync tasks work everywhere,
including async flows; await the async twins from async flows only. Calling an async task
from a *sync* flow silently does nothing in Prefect 3 (it returns an un-awaited coroutine), so
use the sync names there, or ``acreate_project.submit(...).result()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prefect.runtime import task_run

from activepieces_core import UNSET, IfExists, Project, Unset
from activepieces_core.errors import NotFoundError
from activepieces_core.parsing import exactly_one
from activepieces_core.project_fields import PROJECT_FIELDS, UPDATE_FIELDS, field_values
from prefect_activepieces._retry import api_task, retry_if_rejected
from prefect_activepieces.credentials import ActivepiecesCredentials

__all__ = [
    "UNSET",
    "IfExists",
    "acreate_project",
    "adelete_project",
    "aensure_project",
    "aget_project",
    "alist_projects",
    "aset_project_pieces",
    "async_tasks",
    "aupdate_project",
    "create_project",
    "delete_project",
    "ensure_project",
    "get_project",
    "list_projects",
    "set_project_pieces",
    "sync_tasks",
    "update_project",
]

Json = dict[str, Any]

# The ensure and update tasks name their parameters after core's project fields and pass
# those on by core's description (`field_values` of the task's ``locals()``), so a new field
# needs only its parameter here. ``display_name`` of ensure defaults to the external id.
_ENSURE_ARGS = tuple(f for f in PROJECT_FIELDS if f.ensure and f.name != "display_name")


def _dump(project: Project) -> Json:
    data: Json = project.to_dict()
    return data


def _target() -> str:
    """Task run name of a get/delete: the id or external id it acts on."""
    params = task_run.parameters
    return str(params.get("project_id") or params.get("external_id") or "")


# --- create -----------------------------------------------------------------------------------

_CREATE = "Create Activepieces project"


@api_task(_CREATE, retry_condition=retry_if_rejected)
def create_project(
    credentials: ActivepiecesCredentials,
    display_name: str,
    external_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
) -> Json:
    """Create a TEAM project (one POST) and return it.

    Not idempotent: prefer `ensure_project` when the project has an external id. Task retries,
    if enabled, only repeat a create that provably wrote nothing (429, refused connection).
    """
    with credentials.get_client() as client:
        project = client.projects.create(
            display_name,
            external_id=external_id,
            metadata=metadata,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
            alert_receiver_email=alert_receiver_email,
        )
    return _dump(project)


@api_task(_CREATE, retry_condition=retry_if_rejected)
async def acreate_project(
    credentials: ActivepiecesCredentials,
    display_name: str,
    external_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
) -> Json:
    """Async `create_project`."""
    async with credentials.get_async_client() as client:
        project = await client.projects.create(
            display_name,
            external_id=external_id,
            metadata=metadata,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
            alert_receiver_email=alert_receiver_email,
        )
    return _dump(project)


# --- ensure -----------------------------------------------------------------------------------

_ENSURE = "Ensure Activepieces project"
_ENSURE_RUN = "ensure-project-{external_id}"


@api_task(_ENSURE, task_run_name=_ENSURE_RUN)
def ensure_project(
    credentials: ActivepiecesCredentials,
    external_id: str,
    display_name: str | None = None,
    pieces: Sequence[str] | Unset | None = UNSET,
    if_exists: IfExists = "update",
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    releases_enabled: bool | None = None,
    icon_color: str | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
    notify_flow_owner_on_failure: bool | None = None,
    active_flows_limit: int | None = None,
    worker_group_id: str | None = None,
    execution_data_retention_days: int | None = None,
    sensitive: bool | None = None,
) -> Json:
    """Create the project with ``external_id`` unless it exists; idempotent, safe to retry.

    ``display_name`` defaults to the external id. ``pieces``: `UNSET` leaves the setting
    alone, ``None`` allows all pieces, a list is the allow-list (short names such as
    ``"slack"`` are expanded). ``if_exists``: ``"update"`` converges the given fields,
    ``"return"`` leaves an existing project as is, ``"fail"`` raises
    `ExternalIdConflictError`. Other ``None`` fields are not managed; that includes
    ``notify_flow_owner_on_failure``, ``active_flows_limit`` (positive), ``worker_group_id``
    (non-blank; platforms with worker groups), ``execution_data_retention_days`` (positive)
    and ``sensitive``, which a new project gets in the one update after its create. Bad values
    raise `InvalidRequestError` before any request. Returns
    ``{"project": {...}, "action": "created" | "updated" | "unchanged"}``.
    """
    with credentials.get_client() as client:
        result = client.projects.ensure(
            external_id,
            display_name or external_id,
            if_exists=if_exists,
            **field_values(_ENSURE_ARGS, locals()),
        )
    return {"project": _dump(result.project), "action": result.action}


@api_task(_ENSURE, task_run_name=_ENSURE_RUN)
async def aensure_project(
    credentials: ActivepiecesCredentials,
    external_id: str,
    display_name: str | None = None,
    pieces: Sequence[str] | Unset | None = UNSET,
    if_exists: IfExists = "update",
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    releases_enabled: bool | None = None,
    icon_color: str | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
    notify_flow_owner_on_failure: bool | None = None,
    active_flows_limit: int | None = None,
    worker_group_id: str | None = None,
    execution_data_retention_days: int | None = None,
    sensitive: bool | None = None,
) -> Json:
    """Async `ensure_project`."""
    async with credentials.get_async_client() as client:
        result = await client.projects.ensure(
            external_id,
            display_name or external_id,
            if_exists=if_exists,
            **field_values(_ENSURE_ARGS, locals()),
        )
    return {"project": _dump(result.project), "action": result.action}


# --- get --------------------------------------------------------------------------------------

_GET = "Get Activepieces project"


@api_task(_GET, task_run_name=lambda: f"get-project-{_target()}")
def get_project(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
) -> Json | None:
    """Read one project by id (404 raises `NotFoundError`) or by external id (``None`` if absent)."""
    by_id = exactly_one(project_id=project_id, external_id=external_id) == "project_id"
    with credentials.get_client() as client:
        if by_id:
            return _dump(client.projects.get(str(project_id)))
        project = client.projects.get_by_external_id(str(external_id))
    return None if project is None else _dump(project)


@api_task(_GET, task_run_name=lambda: f"get-project-{_target()}")
async def aget_project(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
) -> Json | None:
    """Async `get_project`."""
    by_id = exactly_one(project_id=project_id, external_id=external_id) == "project_id"
    async with credentials.get_async_client() as client:
        if by_id:
            return _dump(await client.projects.get(str(project_id)))
        project = await client.projects.get_by_external_id(str(external_id))
    return None if project is None else _dump(project)


# --- list -------------------------------------------------------------------------------------

_LIST = "List Activepieces projects"


@api_task(_LIST)
def list_projects(
    credentials: ActivepiecesCredentials,
    external_id: str | None = None,
    display_name: str | None = None,
    types: Sequence[str] | None = None,
    page_size: int | None = None,
) -> list[Json]:
    """All projects matching the filters, following every page.

    ``types`` filters by project type (e.g. ``["TEAM"]``); ``page_size`` sets the page length.
    """
    with credentials.get_client() as client:
        return [
            _dump(p)
            for p in client.projects.iter(
                external_id=external_id, display_name=display_name, types=types, limit=page_size
            )
        ]


@api_task(_LIST)
async def alist_projects(
    credentials: ActivepiecesCredentials,
    external_id: str | None = None,
    display_name: str | None = None,
    types: Sequence[str] | None = None,
    page_size: int | None = None,
) -> list[Json]:
    """Async `list_projects`."""
    async with credentials.get_async_client() as client:
        return [
            _dump(p)
            async for p in client.projects.iter(
                external_id=external_id, display_name=display_name, types=types, limit=page_size
            )
        ]


# --- update -----------------------------------------------------------------------------------

_UPDATE = "Update Activepieces project"
_UPDATE_RUN = "update-project-{project_id}"


@api_task(_UPDATE, task_run_name=_UPDATE_RUN)
def update_project(
    credentials: ActivepiecesCredentials,
    project_id: str,
    display_name: str | None = None,
    external_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    icon_color: str | None = None,
    releases_enabled: bool | None = None,
    pieces: Sequence[str] | None = None,
    pieces_filter_type: str | None = None,
    max_concurrent_jobs: int | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    notify_flow_owner_on_failure: bool | None = None,
    active_flows_limit: int | None = None,
    worker_group_id: str | None = None,
    execution_data_retention_days: int | None = None,
    sensitive: bool | None = None,
) -> Json:
    """Update the given fields (``None`` = leave unchanged) and return the project.

    ``metadata`` replaces the whole object; ``pieces`` replaces the allow-list (use
    `set_project_pieces` to also set the filter type in one step). The 2026 fields
    (``notify_flow_owner_on_failure``, ``active_flows_limit``, ``worker_group_id``,
    ``execution_data_retention_days``, ``sensitive``) are as for `ensure_project`.
    """
    with credentials.get_client() as client:
        project = client.projects.update(
            project_id,
            external_id=external_id,
            pieces_filter_type=pieces_filter_type,
            **field_values(UPDATE_FIELDS, locals()),
        )
    return _dump(project)


@api_task(_UPDATE, task_run_name=_UPDATE_RUN)
async def aupdate_project(
    credentials: ActivepiecesCredentials,
    project_id: str,
    display_name: str | None = None,
    external_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    icon_color: str | None = None,
    releases_enabled: bool | None = None,
    pieces: Sequence[str] | None = None,
    pieces_filter_type: str | None = None,
    max_concurrent_jobs: int | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    notify_flow_owner_on_failure: bool | None = None,
    active_flows_limit: int | None = None,
    worker_group_id: str | None = None,
    execution_data_retention_days: int | None = None,
    sensitive: bool | None = None,
) -> Json:
    """Async `update_project`."""
    async with credentials.get_async_client() as client:
        project = await client.projects.update(
            project_id,
            external_id=external_id,
            pieces_filter_type=pieces_filter_type,
            **field_values(UPDATE_FIELDS, locals()),
        )
    return _dump(project)


# --- set pieces -------------------------------------------------------------------------------

_PIECES = "Set Activepieces project pieces"
_PIECES_RUN = "set-pieces-{project_id}"


@api_task(_PIECES, task_run_name=_PIECES_RUN)
def set_project_pieces(
    credentials: ActivepiecesCredentials, project_id: str, pieces: Sequence[str] | None
) -> Json:
    """Make ``pieces`` the project's allow-list (``None`` = all pieces); no write when equal.

    Returns ``{"project": {...}, "changed": bool}``.
    """
    with credentials.get_client() as client:
        result = client.projects.sync_pieces(project_id, pieces)
    return {"project": _dump(result.project), "changed": bool(result.changed)}


@api_task(_PIECES, task_run_name=_PIECES_RUN)
async def aset_project_pieces(
    credentials: ActivepiecesCredentials, project_id: str, pieces: Sequence[str] | None
) -> Json:
    """Async `set_project_pieces`."""
    async with credentials.get_async_client() as client:
        result = await client.projects.sync_pieces(project_id, pieces)
    return {"project": _dump(result.project), "changed": bool(result.changed)}


# --- delete -----------------------------------------------------------------------------------

_DELETE = "Delete Activepieces project"


def _deleted(deleted: bool, project_id: str | None, external_id: str | None) -> Json:
    return {
        "deleted": deleted,
        "project_id": project_id or None,
        "external_id": external_id or None,
    }


def _gone(
    exc: NotFoundError, missing_ok: bool, project_id: str | None, external_id: str | None
) -> Json:
    """The outcome of a delete that met a 404.

    On a task retry the 404 is what an earlier attempt whose response was lost left behind,
    so it counts as deleted; on a first attempt it raises unless ``missing_ok``.
    """
    retried = task_run.get_run_count() > 1
    if not (missing_ok or retried):
        raise exc
    return _deleted(retried, project_id, external_id)


@api_task(_DELETE, task_run_name=lambda: f"delete-project-{_target()}")
def delete_project(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
    missing_ok: bool = False,
) -> Json:
    """Delete a project by id or external id; returns ``{"deleted", "project_id", "external_id"}``.

    With ``missing_ok`` an absent project gives ``deleted: False`` instead of raising
    `NotFoundError`. A task retry after a delete whose response was lost also sees the 404:
    that counts as deleted.
    """
    by_id = exactly_one(project_id=project_id, external_id=external_id) == "project_id"
    try:
        with credentials.get_client() as client:
            if by_id:
                client.projects.delete(str(project_id))
                return _deleted(True, project_id, None)
            found = client.projects.delete_by_external_id(str(external_id))
    except NotFoundError as exc:
        return _gone(exc, missing_ok, project_id, external_id)
    return _deleted(found is not None, found.id if found else None, external_id)


@api_task(_DELETE, task_run_name=lambda: f"delete-project-{_target()}")
async def adelete_project(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
    missing_ok: bool = False,
) -> Json:
    """Async `delete_project`."""
    by_id = exactly_one(project_id=project_id, external_id=external_id) == "project_id"
    try:
        async with credentials.get_async_client() as client:
            if by_id:
                await client.projects.delete(str(project_id))
                return _deleted(True, project_id, None)
            found = await client.projects.delete_by_external_id(str(external_id))
    except NotFoundError as exc:
        return _gone(exc, missing_ok, project_id, external_id)
    return _deleted(found is not None, found.id if found else None, external_id)


sync_tasks = (
    create_project,
    ensure_project,
    get_project,
    list_projects,
    update_project,
    set_project_pieces,
    delete_project,
)
"""Every sync project task."""

async_tasks = (
    acreate_project,
    aensure_project,
    aget_project,
    alist_projects,
    aupdate_project,
    aset_project_pieces,
    adelete_project,
)
"""Every async project task, in the same order as `sync_tasks`."""
