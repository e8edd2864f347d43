"""Project operations, each written once: its signature, its docs, and the call it makes.

Each function here takes a task's arguments (without the credentials) and returns a `Call`:
one method call on the core ``projects`` resource plus a ``shape`` turning the result into
plain JSON-safe data. `run` performs it with a sync client, `arun` with an async one; the
tasks in `prefect_activepieces.projects` are generated from these functions, so the sync task
and its async twin share everything but the awaiting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from prefect.runtime import task_run

from activepieces_core import UNSET, IfExists
from activepieces_core.errors import NotFoundError
from prefect_activepieces.credentials import ActivepiecesCredentials

if TYPE_CHECKING:
    from activepieces_core import Unset

__all__ = [
    "UNSET",
    "Call",
    "IfExists",
    "arun",
    "create_project",
    "delete_project",
    "ensure_project",
    "get_project",
    "list_projects",
    "run",
    "sync_project_pieces",
    "update_project",
]

R = TypeVar("R")
Project = dict[str, Any]


class _Raise:
    """Marker: let `NotFoundError` propagate."""


_RAISE = _Raise()


def _project(project: Any) -> Project:
    data: Project = project.to_dict()
    return data


@dataclass(frozen=True)
class Call(Generic[R]):
    """``client.projects.<method>(*args, **kwargs)``, then ``shape(result)``."""

    method: str
    shape: Callable[[Any], R]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    # The method returns an iterator over all pages: drain it before shaping.
    collect: bool = False
    # Returned instead of raising when the server answers 404.
    missing: R | _Raise = _RAISE


def _on_missing(call: Call[R], exc: NotFoundError) -> R:
    if isinstance(call.missing, _Raise):
        raise exc
    return call.missing


def run(credentials: ActivepiecesCredentials, call: Call[R]) -> R:
    """Perform ``call`` with a sync client."""
    with credentials.get_client() as client:
        method = getattr(client.projects, call.method)
        try:
            result = method(*call.args, **call.kwargs)
            if call.collect:
                result = list(result)
        except NotFoundError as exc:
            return _on_missing(call, exc)
    return call.shape(result)


async def arun(credentials: ActivepiecesCredentials, call: Call[R]) -> R:
    """Perform ``call`` with an async client."""
    async with credentials.get_async_client() as client:
        method = getattr(client.projects, call.method)
        try:
            if call.collect:
                result: Any = [item async for item in method(*call.args, **call.kwargs)]
            else:
                result = await method(*call.args, **call.kwargs)
        except NotFoundError as exc:
            return _on_missing(call, exc)
    return call.shape(result)


def _list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def _dict(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else dict(values)


def _exactly_one(project_id: str | None, external_id: str | None) -> None:
    if (project_id is None) == (external_id is None):
        raise ValueError("pass exactly one of project_id or external_id")


def create_project(
    display_name: str,
    external_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    global_connection_external_ids: Sequence[str] | None = None,
    alert_receiver_email: str | None = None,
) -> Call[Project]:
    """Create a TEAM project (one POST) and return it.

    Not idempotent: prefer `ensure_project` when the project has an external id. Task retries,
    if enabled, only repeat a create the server refused with 429.
    """
    return Call(
        "create",
        _project,
        (display_name,),
        {
            "external_id": external_id,
            "metadata": _dict(metadata),
            "max_concurrent_jobs": max_concurrent_jobs,
            "global_connection_external_ids": _list(global_connection_external_ids),
            "alert_receiver_email": alert_receiver_email,
        },
    )


def ensure_project(
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
) -> Call[dict[str, Any]]:
    """Create the project with ``external_id`` unless it exists; idempotent, safe to retry.

    ``display_name`` defaults to the external id. ``pieces``: `UNSET` leaves the setting
    alone, ``None`` allows all pieces, a list is the allow-list (short names such as
    ``"slack"`` are expanded). ``if_exists``: ``"update"`` converges the given fields,
    ``"return"`` leaves an existing project as is, ``"fail"`` raises
    `ExternalIdConflictError`. Other ``None`` fields are not managed. Returns
    ``{"project": {...}, "action": "created" | "updated" | "unchanged"}``.
    """
    kwargs: dict[str, Any] = {
        "pieces": pieces,
        "if_exists": if_exists,
        "metadata": _dict(metadata),
        "max_concurrent_jobs": max_concurrent_jobs,
        "releases_enabled": releases_enabled,
        "icon_color": icon_color,
        "global_connection_external_ids": _list(global_connection_external_ids),
        "alert_receiver_email": alert_receiver_email,
    }
    return Call(
        "ensure",
        lambda result: {"project": _project(result.project), "action": result.action},
        (external_id, display_name or external_id),
        kwargs,
    )


def get_project(
    project_id: str | None = None, external_id: str | None = None
) -> Call[Project | None]:
    """Read one project by id (404 raises `NotFoundError`) or by external id (``None`` if absent)."""
    _exactly_one(project_id, external_id)
    if project_id is not None:
        return Call("get", _project, (project_id,))
    return Call("get_by_external_id", lambda p: None if p is None else _project(p), (external_id,))


def list_projects(
    external_id: str | None = None,
    display_name: str | None = None,
    types: Sequence[str] | None = None,
    page_size: int | None = None,
) -> Call[list[Project]]:
    """All projects matching the filters, following every page.

    ``types`` filters by project type (e.g. ``["TEAM"]``); ``page_size`` sets the page length.
    """
    return Call(
        "iter",
        lambda projects: [_project(p) for p in projects],
        kwargs={
            "external_id": external_id,
            "display_name": display_name,
            "types": _list(types),
            "limit": page_size,
        },
        collect=True,
    )


def update_project(
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
) -> Call[Project]:
    """Update the given fields (``None`` = leave unchanged) and return the project.

    ``metadata`` replaces the whole object; ``pieces`` replaces the allow-list (use
    `sync_project_pieces` to also set the filter type in one step).
    """
    return Call(
        "update",
        _project,
        (project_id,),
        {
            "display_name": display_name,
            "external_id": external_id,
            "metadata": _dict(metadata),
            "icon_color": icon_color,
            "releases_enabled": releases_enabled,
            "pieces": _list(pieces),
            "pieces_filter_type": pieces_filter_type,
            "max_concurrent_jobs": max_concurrent_jobs,
            "global_connection_external_ids": _list(global_connection_external_ids),
        },
    )


def sync_project_pieces(project_id: str, pieces: Sequence[str] | None) -> Call[dict[str, Any]]:
    """Make ``pieces`` the project's allow-list (``None`` = all pieces); no write when equal.

    Returns ``{"project": {...}, "changed": bool}``.
    """
    return Call(
        "sync_pieces",
        lambda result: {"project": _project(result.project), "changed": bool(result.changed)},
        (project_id, _list(pieces)),
    )


def delete_project(
    project_id: str | None = None, external_id: str | None = None, missing_ok: bool = False
) -> Call[dict[str, Any]]:
    """Delete a project by id or external id; returns ``{"deleted", "project_id", "external_id"}``.

    With ``missing_ok`` an absent project gives ``deleted: False`` instead of raising
    `NotFoundError`. A task retry after a delete whose response was lost also sees the 404:
    that counts as deleted.
    """
    _exactly_one(project_id, external_id)
    retried = task_run.get_run_count() > 1
    if project_id is not None:
        outcome = {"deleted": True, "project_id": project_id, "external_id": None}
        gone = {**outcome, "deleted": retried}
        return Call(
            "delete",
            lambda _: outcome,
            (project_id,),
            missing=gone if missing_ok or retried else _RAISE,
        )
    absent = {"deleted": retried, "project_id": None, "external_id": external_id}
    return Call(
        "delete_by_external_id",
        lambda p: (
            absent
            if p is None
            else {"deleted": True, "project_id": p.id, "external_id": external_id}
        ),
        (external_id,),
        {"missing_ok": missing_ok or retried},
        missing=absent if missing_ok or retried else _RAISE,
    )
