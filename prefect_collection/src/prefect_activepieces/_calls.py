"""Project operations as data: the sync and async tasks share everything but the awaiting.

Each builder maps task arguments to one call on the core ``projects`` resource plus a ``shape``
turning its result into plain JSON-safe data (what Prefect persists and shows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from activepieces_core.errors import NotFoundError
from prefect_activepieces.credentials import ActivepiecesCredentials

__all__ = [
    "Call",
    "arun",
    "create",
    "delete",
    "ensure",
    "get",
    "list_all",
    "run",
    "sync_pieces",
    "update",
]


class _Raise:
    """Marker: let `NotFoundError` propagate."""


_RAISE = _Raise()


def _project(project: Any) -> dict[str, Any]:
    data: dict[str, Any] = project.to_dict()
    return data


def _maybe_project(project: Any) -> dict[str, Any] | None:
    return None if project is None else _project(project)


@dataclass(frozen=True)
class Call:
    """One call on ``client.projects``: ``method(*args, **kwargs)``, then ``shape(result)``."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    shape: Callable[[Any], Any] = _project
    # The method returns an iterator over all pages: drain it before shaping.
    collect: bool = False
    # Returned instead of raising when the server answers 404.
    missing: Any = _RAISE


def _on_missing(call: Call, exc: NotFoundError) -> Any:
    if isinstance(call.missing, _Raise):
        raise exc
    return call.missing


def run(credentials: ActivepiecesCredentials, call: Call) -> Any:
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


async def arun(credentials: ActivepiecesCredentials, call: Call) -> Any:
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


def _list_or_none(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def create(
    display_name: str,
    *,
    external_id: str | None,
    metadata: Mapping[str, Any] | None,
    max_concurrent_jobs: int | None,
    global_connection_external_ids: Sequence[str] | None,
    alert_receiver_email: str | None,
) -> Call:
    """``projects.create``: one POST, never blindly retried by the client."""
    return Call(
        "create",
        (display_name,),
        {
            "external_id": external_id,
            "metadata": None if metadata is None else dict(metadata),
            "max_concurrent_jobs": max_concurrent_jobs,
            "global_connection_external_ids": _list_or_none(global_connection_external_ids),
            "alert_receiver_email": alert_receiver_email,
        },
    )


def ensure(external_id: str, display_name: str | None, **fields: Any) -> Call:
    """``projects.ensure``: look up by external id, then create or converge; idempotent.

    ``fields`` holds the optional fields; keys missing from it keep the client's defaults.
    """
    kwargs = dict(fields)
    for key in ("pieces", "global_connection_external_ids"):
        if isinstance(kwargs.get(key), (list, tuple)):
            kwargs[key] = list(kwargs[key])
    return Call(
        "ensure",
        (external_id, display_name or external_id),
        kwargs,
        shape=lambda result: {"project": _project(result.project), "action": result.action},
    )


def get(project_id: str | None, external_id: str | None) -> Call:
    """``projects.get`` by id, or ``get_by_external_id`` (``None`` when absent)."""
    if (project_id is None) == (external_id is None):
        raise ValueError("pass exactly one of project_id or external_id")
    if project_id is not None:
        return Call("get", (project_id,))
    return Call("get_by_external_id", (external_id,), shape=_maybe_project)


def list_all(
    *,
    external_id: str | None,
    display_name: str | None,
    types: Sequence[str] | None,
    page_size: int | None,
) -> Call:
    """``projects.iter``: every page, as a list of project dicts."""
    return Call(
        "iter",
        kwargs={
            "external_id": external_id,
            "display_name": display_name,
            "types": _list_or_none(types),
            "limit": page_size,
        },
        shape=lambda projects: [_project(p) for p in projects],
        collect=True,
    )


def update(project_id: str, **fields: Any) -> Call:
    """``projects.update``: ``None`` fields are left unchanged."""
    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}
    return Call("update", (project_id,), kwargs)


def sync_pieces(project_id: str, pieces: Sequence[str] | None) -> Call:
    """``projects.sync_pieces``: an allow-list (``None`` = all pieces); no write when equal."""
    return Call(
        "sync_pieces",
        (project_id, _list_or_none(pieces)),
        shape=lambda result: {"project": _project(result.project), "changed": result.changed},
    )


def delete(project_id: str | None, external_id: str | None, *, missing_ok: bool) -> Call:
    """``projects.delete`` by id, or ``delete_by_external_id``.

    Returns ``{"deleted", "project_id", "external_id"}``; with ``missing_ok`` a project that
    does not exist is reported as ``deleted: False`` instead of raising `NotFoundError`.
    """
    if (project_id is None) == (external_id is None):
        raise ValueError("pass exactly one of project_id or external_id")
    if project_id is not None:
        gone = {"deleted": False, "project_id": project_id, "external_id": None}
        return Call(
            "delete",
            (project_id,),
            shape=lambda _: {**gone, "deleted": True},
            missing=gone if missing_ok else _RAISE,
        )
    missing = {"deleted": False, "project_id": None, "external_id": external_id}
    return Call(
        "delete_by_external_id",
        (external_id,),
        {"missing_ok": missing_ok},
        shape=lambda project: (
            missing
            if project is None
            else {"deleted": True, "project_id": project.id, "external_id": external_id}
        ),
        missing=missing if missing_ok else _RAISE,
    )
