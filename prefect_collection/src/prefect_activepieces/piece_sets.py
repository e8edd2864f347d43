"""Tasks for piece sets: which pieces the projects on a piece-set platform see.

On platforms whose plan has ``managePiecesEnabled`` (Activepieces EE and Cloud, 2026) a
project sees the pieces of its piece set (the platform's Default set unless another is
assigned); the project-plan allow-list that `set_project_pieces` writes no longer decides
anything there. Each task is a sync task and an async twin over ``client.piece_sets``. A set
is named by its ``key`` (what a tenant document's ``piece_sets`` and ``piece_set`` use) or by
its id. Only the name, key and piece selection are ever written: the action/trigger selections
a set may have are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect.runtime import task_run

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.errors import NotFoundError
from activepieces_core.models.piece_set import PieceSelection, PieceSet
from activepieces_core.parsing import exactly_one
from prefect_activepieces._retry import api_task
from prefect_activepieces.credentials import ActivepiecesCredentials

__all__ = [
    "aassign_piece_set",
    "adelete_piece_set",
    "aensure_piece_set",
    "assign_piece_set",
    "async_tasks",
    "delete_piece_set",
    "ensure_piece_set",
    "selection",
    "sync_tasks",
]

Json = dict[str, Any]


def selection(
    allow: Sequence[str] | None = None, block: Sequence[str] | None = None
) -> PieceSelection | None:
    """``allow`` (only these pieces) or ``block`` (every piece but these) as a selection.

    Neither: None (the set's pieces are not managed). Both: `ValueError`. Short names such as
    ``"slack"`` are expanded.
    """
    if allow is not None and block is not None:
        raise ValueError("give allow or block, not both")
    if isinstance(allow, str) or isinstance(block, str):
        raise TypeError("allow and block are lists of piece names, not one string")
    if allow is not None:
        return PieceSelection.allow(allow)
    return PieceSelection.block(block) if block is not None else None


def _target() -> str:
    """Task run name suffix: the key or id the task acts on."""
    params = task_run.parameters
    return str(params.get("key") or params.get("piece_set_id") or "")


def _missing(key: str) -> NotFoundError:
    return NotFoundError(
        f"no piece set with key {key!r}",
        code="ENTITY_NOT_FOUND",
        params={"entityType": "piece_set", "key": key},
    )


def _find(client: ActivepiecesClient, key: str | None, piece_set_id: str | None) -> PieceSet:
    if exactly_one(key=key, piece_set_id=piece_set_id) == "piece_set_id":
        return client.piece_sets.get(str(piece_set_id))
    found = client.piece_sets.get_by_key(str(key))
    if found is None:
        raise _missing(str(key))
    return found


async def _afind(
    client: AsyncActivepiecesClient, key: str | None, piece_set_id: str | None
) -> PieceSet:
    if exactly_one(key=key, piece_set_id=piece_set_id) == "piece_set_id":
        return await client.piece_sets.get(str(piece_set_id))
    found = await client.piece_sets.get_by_key(str(key))
    if found is None:
        raise _missing(str(key))
    return found


def _assigned(piece_set: PieceSet, project_ids: list[str]) -> Json:
    return {"piece_set_id": piece_set.id, "key": piece_set.key, "project_ids": project_ids}


def _project_ids(project_ids: Sequence[str] | str) -> list[str]:
    ids = [project_ids] if isinstance(project_ids, str) else list(project_ids)
    if not ids:
        raise ValueError("project_ids must name at least one project")
    return ids


# --- ensure -----------------------------------------------------------------------------------

_ENSURE = "Ensure Activepieces piece set"
_ENSURE_RUN = "ensure-piece-set-{key}"


@api_task(_ENSURE, task_run_name=_ENSURE_RUN)
def ensure_piece_set(
    credentials: ActivepiecesCredentials,
    key: str,
    name: str | None = None,
    allow: Sequence[str] | None = None,
    block: Sequence[str] | None = None,
) -> Json:
    """Create the set with ``key`` unless it exists, and converge its name and pieces.

    Idempotent and safe to retry: the key is looked up before creating and after any failure
    that may have written, so no duplicate set is made. ``name`` defaults to the key.
    ``allow``: only these pieces; ``block``: every piece but these; neither leaves the pieces
    as they are (a new set shows every piece). Returns ``{"piece_set": {...}, "action":
    "created" | "updated" | "unchanged"}``.
    """
    pieces = selection(allow, block)
    with credentials.get_client() as client:
        result = client.piece_sets.ensure(key, name or key, pieces=pieces)
    return {"piece_set": result.piece_set.to_dict(), "action": result.action}


@api_task(_ENSURE, task_run_name=_ENSURE_RUN)
async def aensure_piece_set(
    credentials: ActivepiecesCredentials,
    key: str,
    name: str | None = None,
    allow: Sequence[str] | None = None,
    block: Sequence[str] | None = None,
) -> Json:
    """Async `ensure_piece_set`."""
    pieces = selection(allow, block)
    async with credentials.get_async_client() as client:
        result = await client.piece_sets.ensure(key, name or key, pieces=pieces)
    return {"piece_set": result.piece_set.to_dict(), "action": result.action}


# --- assign -----------------------------------------------------------------------------------

_ASSIGN = "Assign Activepieces piece set"


@api_task(_ASSIGN, task_run_name=lambda: f"assign-piece-set-{_target()}")
def assign_piece_set(
    credentials: ActivepiecesCredentials,
    project_ids: Sequence[str] | str,
    key: str | None = None,
    piece_set_id: str | None = None,
) -> Json:
    """Move projects to the set named by ``key`` or ``piece_set_id`` (exactly one).

    Idempotent (a project already on the set stays there). ``key="default"`` is the
    platform's Default set, where projects go back to. Returns ``{"piece_set_id", "key",
    "project_ids"}``.
    """
    ids = _project_ids(project_ids)
    with credentials.get_client() as client:
        piece_set = _find(client, key, piece_set_id)
        client.piece_sets.assign(piece_set, ids)
    return _assigned(piece_set, ids)


@api_task(_ASSIGN, task_run_name=lambda: f"assign-piece-set-{_target()}")
async def aassign_piece_set(
    credentials: ActivepiecesCredentials,
    project_ids: Sequence[str] | str,
    key: str | None = None,
    piece_set_id: str | None = None,
) -> Json:
    """Async `assign_piece_set`."""
    ids = _project_ids(project_ids)
    async with credentials.get_async_client() as client:
        piece_set = await _afind(client, key, piece_set_id)
        await client.piece_sets.assign(piece_set, ids)
    return _assigned(piece_set, ids)


# --- delete -----------------------------------------------------------------------------------

_DELETE = "Delete Activepieces piece set"


def _deleted(deleted: bool, piece_set_id: str | None, key: str | None) -> Json:
    return {"deleted": deleted, "piece_set_id": piece_set_id or None, "key": key or None}


def _gone(exc: NotFoundError, missing_ok: bool, piece_set_id: str | None, key: str | None) -> Json:
    """A delete that met a 404: deleted by an earlier attempt on a task retry, else missing."""
    retried = task_run.get_run_count() > 1
    if not (missing_ok or retried):
        raise exc
    return _deleted(retried, piece_set_id, key)


@api_task(_DELETE, task_run_name=lambda: f"delete-piece-set-{_target()}")
def delete_piece_set(
    credentials: ActivepiecesCredentials,
    key: str | None = None,
    piece_set_id: str | None = None,
    missing_ok: bool = False,
) -> Json:
    """Delete the set named by ``key`` or ``piece_set_id``; its projects go back to Default.

    Returns ``{"deleted", "piece_set_id", "key"}``. An absent set raises `NotFoundError`,
    or gives ``deleted: False`` with ``missing_ok``. The Default set cannot be deleted (the
    server answers `ValidationError`).
    """
    try:
        with credentials.get_client() as client:
            piece_set = _find(client, key, piece_set_id)
            client.piece_sets.delete(piece_set)
    except NotFoundError as exc:
        return _gone(exc, missing_ok, piece_set_id, key)
    return _deleted(True, piece_set.id, piece_set.key)


@api_task(_DELETE, task_run_name=lambda: f"delete-piece-set-{_target()}")
async def adelete_piece_set(
    credentials: ActivepiecesCredentials,
    key: str | None = None,
    piece_set_id: str | None = None,
    missing_ok: bool = False,
) -> Json:
    """Async `delete_piece_set`."""
    try:
        async with credentials.get_async_client() as client:
            piece_set = await _afind(client, key, piece_set_id)
            await client.piece_sets.delete(piece_set)
    except NotFoundError as exc:
        return _gone(exc, missing_ok, piece_set_id, key)
    return _deleted(True, piece_set.id, piece_set.key)


sync_tasks = (ensure_piece_set, assign_piece_set, delete_piece_set)
"""Every sync piece-set task."""

async_tasks = (aensure_piece_set, aassign_piece_set, adelete_piece_set)
"""Every async piece-set task, in the same order as `sync_tasks`."""
