"""Parameters and results of ``client.projects``: filters, fields, options, ``ensure``'s result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, TypedDict

from activepieces_core.models import ColorName, PiecesFilterType, Project, ProjectType

__all__ = [
    "UNSET",
    "CreateFields",
    "EnsureAction",
    "EnsureOptions",
    "EnsureResult",
    "IfExists",
    "ListFilters",
    "SyncPiecesResult",
    "Unset",
    "UpdateFields",
]

IfExists = Literal["update", "return", "fail"]
EnsureAction = Literal["created", "updated", "unchanged"]


class _Unset(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "Leave this setting alone" (distinct from None, which means "all pieces" for ``pieces``).
UNSET = _Unset.UNSET
Unset = Literal[_Unset.UNSET]


class ListFilters(TypedDict, total=False):
    """Filters of ``projects.list`` / ``projects.iter``.

    ``external_id``: exact match; ``display_name``: case-insensitive substring;
    ``types``: TEAM and/or PERSONAL (an API key sees every user's PERSONAL project unless
    ``types=["TEAM"]``); ``limit``: page size (server default 50).
    """

    external_id: str | None
    display_name: str | None
    types: Sequence[ProjectType | str] | ProjectType | str | None
    limit: int | None


class CreateFields(TypedDict, total=False):
    """Optional fields of ``projects.create`` (validated before sending)."""

    external_id: str | None
    metadata: Mapping[str, Any] | None
    max_concurrent_jobs: int | None
    global_connection_external_ids: Sequence[str] | None
    alert_receiver_email: str | None


class UpdateFields(TypedDict, total=False):
    """Fields of ``projects.update``; None (or absent) leaves a field unchanged.

    ``metadata`` replaces the whole object; ``pieces`` replaces the stored list.
    ``active_flows_limit`` and ``execution_data_retention_days`` are positive integers;
    ``worker_group_id`` (non-blank) is applied only where the platform has worker groups.
    """

    display_name: str | None
    external_id: str | None
    metadata: Mapping[str, Any] | None
    icon_color: ColorName | str | None
    releases_enabled: bool | None
    pieces: Sequence[str] | None
    pieces_filter_type: PiecesFilterType | str | None
    max_concurrent_jobs: int | None
    global_connection_external_ids: Sequence[str] | None
    notify_flow_owner_on_failure: bool | None
    worker_group_id: str | None
    execution_data_retention_days: int | None
    sensitive: bool | None
    active_flows_limit: int | None


class EnsureOptions(TypedDict, total=False):
    """Options of ``projects.ensure``.

    ``pieces``: UNSET (default) leaves the filter, None = all pieces, a list = allow-list.
    ``global_connection_external_ids`` and ``alert_receiver_email`` are applied at creation
    only (the API does not return them, so they cannot be compared).
    ``notify_flow_owner_on_failure``, ``active_flows_limit``, ``worker_group_id``,
    ``execution_data_retention_days`` and ``sensitive`` (the fields of `UpdateFields`, checked
    by the same rule before any request) are compared and converged like the others; None =
    not managed. Create cannot set them, so a fresh project gets them in the one follow-up
    update. ``if_exists``: "update" (default, converge) | "return" (leave) | "fail" (raise).
    """

    metadata: Mapping[str, Any] | None
    max_concurrent_jobs: int | None
    releases_enabled: bool | None
    icon_color: ColorName | str | None
    pieces: Sequence[str] | Unset | None
    global_connection_external_ids: Sequence[str] | None
    alert_receiver_email: str | None
    notify_flow_owner_on_failure: bool | None
    active_flows_limit: int | None
    worker_group_id: str | None
    execution_data_retention_days: int | None
    sensitive: bool | None
    if_exists: IfExists | str  # checked at run time; str so config-driven callers type-check


@dataclass(frozen=True)
class EnsureResult:
    """What ``ensure`` did: ``action`` is ``created``, ``updated`` or ``unchanged``."""

    project: Project
    action: EnsureAction

    @property
    def created(self) -> bool:
        """True when the project did not exist before."""
        return self.action == "created"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{"action": ..., "project": {...camelCase...}}``."""
        return {"action": self.action, "project": self.project.to_dict()}


@dataclass(frozen=True)
class SyncPiecesResult:
    """The project after ``sync_pieces`` and whether an update was sent."""

    project: Project
    changed: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{"changed": ..., "project": {...}}``."""
        return {"changed": self.changed, "project": self.project.to_dict()}
