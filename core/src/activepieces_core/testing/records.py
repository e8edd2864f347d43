"""The records every store of the emulator shares, and the view of the state the sub-stores use.

This module sits below `.state` (the projects store), `.people` and `.piece_sets`: the state
builds the people and piece-set stores, which reach back to it only through `StateView`, so
the imports run one way (state -> people/piece_sets -> records).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from activepieces_core._json import dumps

from ._ids import IdGenerator
from .pagination import Key

T = TypeVar("T")


@dataclass
class User:
    """A platform's user as the projects routes see it (owner ids, ``externalUserId``)."""

    id: str
    name: str
    external_id: str | None = None


@dataclass
class Platform:
    """One platform: its API key, owner, users and plan settings."""

    id: str
    api_key: str
    owner_id: str
    team_projects_limit: int | None = None  # billedTeamProjectsLimit (None: no limit)
    global_connections_enabled: bool = False
    project_roles_enabled: bool = True
    worker_groups_enabled: bool = False
    manage_pieces_enabled: bool = False
    environments_enabled: bool = False  # plan flag gating POST /v1/projects/:id/replace
    custom_roles_enabled: bool = False  # project-role create/update/delete (402 without)
    ignore_plan_pieces: bool = False  # newest servers may drop plan.pieces (piece sets)
    default_piece_set_id: str = ""
    users: list[User] = field(default_factory=list)
    users_limit: int | None = None  # the plan's seat cap (None = no cap), see `.people`
    invitations_auto_accept: bool = True  # SERVICE invitations are ACCEPTED (upstream)
    smtp_configured: bool = False  # without SMTP a PENDING invitation's response has `link`

    def __repr__(self) -> str:  # never show the key
        return f"Platform(id={self.id!r}, team_projects_limit={self.team_projects_limit!r})"


class ProjectRecord:
    """One stored project: its API shape (without ``deleted``) and its soft-delete time."""

    __slots__ = ("_json", "deleted", "public")

    def __init__(self, public: dict[str, Any], deleted: str | None = None) -> None:
        self.public = public
        self.deleted = deleted
        self._json: tuple[dict[str, Any], bytes] | None = None

    @property
    def json(self) -> bytes:
        """The serialised ``public`` dict, cached (list pages are built from these).

        ``public`` is replaced on every write, never mutated, so the cache is keyed on the
        dict's identity: a serialisation racing a write can never leave stale bytes behind.
        """
        public, cached = self.public, self._json
        if cached is None or cached[0] is not public:
            cached = (public, dumps(public))
            self._json = cached
        return cached[1]

    @property
    def key(self) -> Key:
        p = self.public
        return (p["type"], p["displayName"], p["id"])

    def as_get(self) -> dict[str, Any]:
        return {**self.public, "deleted": self.deleted}


def json_copy(value: T) -> T:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars), several times faster than
    ``copy.deepcopy`` (no memo, no dispatch): what the stores hand out of their records."""
    return cast(T, _copy(value))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copy(item) for item in value)
    return value


class StateView(Protocol):
    """What the people and piece-set stores use of `EmulatorState` (platforms and projects)."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def ids(self) -> IdGenerator: ...

    def platform(self, platform_id: str | None = None) -> Platform: ...

    def record(self, project_id: str) -> ProjectRecord | None: ...

    def get_project(self, project_id: str) -> dict[str, Any]: ...

    def order(self, platform_id: str) -> list[Key]: ...

    def replace(self, project_id: str, changes: Mapping[str, Any]) -> dict[str, Any]: ...

    def add_personal_project(self, platform_id: str, owner_id: str, first_name: str) -> None: ...
