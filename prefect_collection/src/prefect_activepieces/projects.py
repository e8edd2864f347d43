"""Tasks for single project operations, each returning plain JSON-safe dicts.

Every operation comes as a sync task (``create_project``) and an async twin
(``acreate_project``). The sync tasks work everywhere, including async flows; the async twins
must be awaited from async flows. Calling an async task from a *sync* flow silently does
nothing in Prefect 3 (it returns an un-awaited coroutine), so use the sync names there, or
``acreate_project.submit(...).result()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from prefect.runtime import task_run

from prefect_activepieces import _calls
from prefect_activepieces._options import api_task
from prefect_activepieces._retry import retry_if_rejected
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

IfExists = Literal["update", "return", "fail"]


class _Unset:
    """Type of `UNSET`."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()
"""Default of ``ensure_project(pieces=...)``: leave the pieces setting as it is."""


def _ensure_call(
    external_id: str,
    display_name: str | None,
    pieces: Sequence[str] | _Unset | None,
    if_exists: IfExists,
    fields: Mapping[str, Any],
) -> _calls.Call:
    extra = dict(fields)
    if not isinstance(pieces, _Unset):
        extra["pieces"] = pieces
    return _calls.ensure(external_id, display_name, if_exists=if_exists, **extra)


def _delete_call(project_id: str | None, external_id: str | None, missing_ok: bool) -> _calls.Call:
    # A task retry after a delete that committed but lost its response sees 404: that is the
    # delete having worked, not a failure.
    retried = task_run.get_run_count() > 1
    return _calls.delete(project_id, external_id, missing_ok=missing_ok or retried)


# ---------------------------------------------------------------------------------- create


@api_task("Create Activepieces project", retry_condition=retry_if_rejected)
def create_project(
    credentials: ActivepiecesCredentials,
    display_name: str,
    external_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
) -> dict[str, Any]:
    """Create a TEAM project (one POST) and return it.

    Not idempotent: prefer `ensure_project` when the project has an external id. Task retries
    (if enabled) only repeat a create the server refused with 429.
    """
    return _calls.run(  # type: ignore[no-any-return]
        credentials,
        _calls.create(
            display_name,
            external_id=external_id,
            metadata=metadata,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
            alert_receiver_email=alert_receiver_email,
        ),
    )


@api_task("Create Activepieces project", retry_condition=retry_if_rejected)
async def acreate_project(
    credentials: ActivepiecesCredentials,
    display_name: str,
    external_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
) -> dict[str, Any]:
    """Async `create_project`."""
    return await _calls.arun(  # type: ignore[no-any-return]
        credentials,
        _calls.create(
            display_name,
            external_id=external_id,
            metadata=metadata,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
            alert_receiver_email=alert_receiver_email,
        ),
    )


# ---------------------------------------------------------------------------------- ensure


@api_task("Ensure Activepieces project", task_run_name="ensure-project-{external_id}")
def ensure_project(
    credentials: ActivepiecesCredentials,
    external_id: str,
    display_name: str | None = None,
    pieces: Sequence[str] | _Unset | None = UNSET,
    if_exists: IfExists = "update",
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    releases_enabled: bool | None = None,
    icon_color: str | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
) -> dict[str, Any]:
    """Create the project with ``external_id`` unless it exists; idempotent, safe to retry.

    ``pieces``: `UNSET` leaves the setting alone, ``None`` allows all pieces, a list is the
    allow-list (short names such as ``"slack"`` are expanded). ``if_exists``: ``"update"``
    converges the given fields, ``"return"`` leaves the project as is, ``"fail"`` raises.
    Other ``None`` fields are left unmanaged. Returns ``{"project": {...}, "action":
    "created" | "updated" | "unchanged"}``.
    """
    return _calls.run(  # type: ignore[no-any-return]
        credentials,
        _ensure_call(
            external_id,
            display_name,
            pieces,
            if_exists,
            {
                "metadata": None if metadata is None else dict(metadata),
                "max_concurrent_jobs": max_concurrent_jobs,
                "releases_enabled": releases_enabled,
                "icon_color": icon_color,
                "global_connection_external_ids": global_connection_external_ids,
                "alert_receiver_email": alert_receiver_email,
            },
        ),
    )


@api_task("Ensure Activepieces project", task_run_name="ensure-project-{external_id}")
async def aensure_project(
    credentials: ActivepiecesCredentials,
    external_id: str,
    display_name: str | None = None,
    pieces: Sequence[str] | _Unset | None = UNSET,
    if_exists: IfExists = "update",
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    releases_enabled: bool | None = None,
    icon_color: str | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
) -> dict[str, Any]:
    """Async `ensure_project`."""
    return await _calls.arun(  # type: ignore[no-any-return]
        credentials,
        _ensure_call(
            external_id,
            display_name,
            pieces,
            if_exists,
            {
                "metadata": None if metadata is None else dict(metadata),
                "max_concurrent_jobs": max_concurrent_jobs,
                "releases_enabled": releases_enabled,
                "icon_color": icon_color,
                "global_connection_external_ids": global_connection_external_ids,
                "alert_receiver_email": alert_receiver_email,
            },
        ),
    )


# ------------------------------------------------------------------------------------- get


@api_task("Get Activepieces project")
def get_project(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
) -> dict[str, Any] | None:
    """Read one project by id (404 raises) or by external id (``None`` when absent)."""
    return _calls.run(credentials, _calls.get(project_id, external_id))  # type: ignore[no-any-return]


@api_task("Get Activepieces project")
async def aget_project(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
) -> dict[str, Any] | None:
    """Async `get_project`."""
    return await _calls.arun(credentials, _calls.get(project_id, external_id))  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------ list


@api_task("List Activepieces projects")
def list_projects(
    credentials: ActivepiecesCredentials,
    external_id: str | None = None,
    display_name: str | None = None,
    types: Sequence[str] | None = None,
    page_size: int | None = None,
) -> list[dict[str, Any]]:
    """All projects matching the filters, following every page.

    ``types`` filters by project type (``["TEAM"]``); ``page_size`` sets the page length.
    """
    return _calls.run(  # type: ignore[no-any-return]
        credentials,
        _calls.list_all(
            external_id=external_id, display_name=display_name, types=types, page_size=page_size
        ),
    )


@api_task("List Activepieces projects")
async def alist_projects(
    credentials: ActivepiecesCredentials,
    external_id: str | None = None,
    display_name: str | None = None,
    types: Sequence[str] | None = None,
    page_size: int | None = None,
) -> list[dict[str, Any]]:
    """Async `list_projects`."""
    return await _calls.arun(  # type: ignore[no-any-return]
        credentials,
        _calls.list_all(
            external_id=external_id, display_name=display_name, types=types, page_size=page_size
        ),
    )


# ---------------------------------------------------------------------------------- update


@api_task("Update Activepieces project", task_run_name="update-project-{project_id}")
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
) -> dict[str, Any]:
    """Update the given fields (``None`` = leave unchanged) and return the project."""
    return _calls.run(  # type: ignore[no-any-return]
        credentials,
        _calls.update(
            project_id,
            display_name=display_name,
            external_id=external_id,
            metadata=None if metadata is None else dict(metadata),
            icon_color=icon_color,
            releases_enabled=releases_enabled,
            pieces=None if pieces is None else list(pieces),
            pieces_filter_type=pieces_filter_type,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
        ),
    )


@api_task("Update Activepieces project", task_run_name="update-project-{project_id}")
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
) -> dict[str, Any]:
    """Async `update_project`."""
    return await _calls.arun(  # type: ignore[no-any-return]
        credentials,
        _calls.update(
            project_id,
            display_name=display_name,
            external_id=external_id,
            metadata=None if metadata is None else dict(metadata),
            icon_color=icon_color,
            releases_enabled=releases_enabled,
            pieces=None if pieces is None else list(pieces),
            pieces_filter_type=pieces_filter_type,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
        ),
    )


# ---------------------------------------------------------------------------------- pieces


@api_task("Sync Activepieces project pieces", task_run_name="sync-pieces-{project_id}")
def sync_project_pieces(
    credentials: ActivepiecesCredentials,
    project_id: str,
    pieces: Sequence[str] | None,
) -> dict[str, Any]:
    """Make ``pieces`` the project's allow-list (``None`` = all pieces); no write when equal.

    Returns ``{"project": {...}, "changed": bool}``.
    """
    return _calls.run(credentials, _calls.sync_pieces(project_id, pieces))  # type: ignore[no-any-return]


@api_task("Sync Activepieces project pieces", task_run_name="sync-pieces-{project_id}")
async def async_project_pieces(
    credentials: ActivepiecesCredentials,
    project_id: str,
    pieces: Sequence[str] | None,
) -> dict[str, Any]:
    """Async `sync_project_pieces`."""
    return await _calls.arun(credentials, _calls.sync_pieces(project_id, pieces))  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------- delete


@api_task("Delete Activepieces project")
def delete_project(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
    missing_ok: bool = False,
) -> dict[str, Any]:
    """Delete a project by id or external id; returns ``{"deleted", "project_id", "external_id"}``.

    With ``missing_ok`` an absent project gives ``deleted: False`` instead of raising.
    """
    return _calls.run(credentials, _delete_call(project_id, external_id, missing_ok))  # type: ignore[no-any-return]


@api_task("Delete Activepieces project")
async def adelete_project(
    credentials: ActivepiecesCredentials,
    project_id: str | None = None,
    external_id: str | None = None,
    missing_ok: bool = False,
) -> dict[str, Any]:
    """Async `delete_project`."""
    return await _calls.arun(credentials, _delete_call(project_id, external_id, missing_ok))  # type: ignore[no-any-return]


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
