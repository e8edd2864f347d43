"""What the archives of one apply share, each read once (on first use) for all its tenants.

* the server's version (``GET /v1/flags``: the same for every project of a platform), which a
  replace body names;
* the platform's project members and PROJECT invitations: one paged listing of each
  (``GET /v1/platform-project-members/users``, ``GET /v1/user-invitations?type=PROJECT``),
  grouped by project, when more than `PLATFORM_WIDE_INVITATIONS` tenants are archived (the
  member kind's threshold); fewer are read per project. A listing longer than one page per
  archived tenant (a large platform, a few deletions) is dropped and read per project, so it
  never costs more than twice the per-project reads; a server that does not serve the members
  listing (404, 403, 402) is read per project too;
* the piece sets tenants are on (a named set is read once; a tenant's own set is its own).

Read before the first delete and used by every tenant of the apply: an apply is one moment of
the platform, as its plan is. A read that fails is not kept: the next tenant reads again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.constants import DEFAULT_PAGE_SIZE, PLATFORM_WIDE_INVITATIONS
from activepieces_core.errors import AuthorizationError, FeatureDisabledError, NotFoundError
from activepieces_core.models.piece_set import PieceSet
from activepieces_core.resources.contents.export import server_version
from activepieces_core.tenants.spec import OWNED_SET_PREFIX
from activepieces_core.types.people import ProjectPeople

__all__ = ["PlatformReads"]

T = TypeVar("T")


class _InProject(Protocol):
    @property
    def project_id(self) -> str | None: ...


R = TypeVar("R", bound=_InProject)
#: Rows of a platform-wide listing by project id; None: read per project instead.
Grouped = dict[str | None, list[Any]] | None


class PlatformReads:
    """The reads an apply's archives share; ``tenants`` is how many it archives."""

    def __init__(self, tenants: int, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.tenants = tenants
        self.page_size = page_size
        self._reads: dict[str, asyncio.Task[Any]] = {}

    async def _once(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        """``read()``'s result, read by the first caller and awaited by the others."""
        task = self._reads.get(key)
        if task is None:

            async def run() -> T:
                return await read()

            task = self._reads[key] = asyncio.ensure_future(run())
        try:
            # Shielded: one tenant's cancellation must not cancel the others' read.
            result: T = await asyncio.shield(task)
        except Exception:
            if self._reads.get(key) is task:
                del self._reads[key]  # not kept: the next tenant reads again
            raise
        return result

    async def version(self, client: AsyncActivepiecesClient) -> str:
        """The server's version (``GET /v1/flags``), once."""
        return await self._once("version", lambda: server_version(client.projects))

    async def piece_set(self, client: AsyncActivepiecesClient, piece_set_id: str) -> PieceSet:
        """The piece set ``piece_set_id``: a named one read once, a tenant's own each time."""
        key = f"piece_set:{piece_set_id}"
        found = await self._once(key, lambda: client.piece_sets.get(piece_set_id))
        if (found.key or "").startswith(OWNED_SET_PREFIX):
            self._reads.pop(key, None)  # one tenant's own set: nobody else needs it kept
        return found

    async def _grouped(self, rows: AsyncIterator[R]) -> Grouped:
        """``rows`` by project id; None once they run past one page per archived tenant."""
        found: dict[str | None, list[Any]] = {}
        budget = self.tenants * self.page_size
        async for row in rows:
            budget -= 1
            if budget < 0:
                return None
            found.setdefault(row.project_id, []).append(row)
        return found

    async def _members(self, client: AsyncActivepiecesClient) -> Grouped:
        try:
            return await self._grouped(client.project_members.iter_platform(limit=self.page_size))
        except (NotFoundError, AuthorizationError, FeatureDisabledError):
            return None  # not served to this key or server: per project

    async def people(self, client: AsyncActivepiecesClient, project_id: str) -> ProjectPeople:
        """The members and waiting invitations of ``project_id`` (one request at a time, see
        `acapture`)."""
        size = self.page_size
        members: Grouped = None
        waiting: Grouped = None
        if self.tenants > PLATFORM_WIDE_INVITATIONS:
            members = await self._once("members", lambda: self._members(client))
            waiting = await self._once(
                "invitations",
                lambda: self._grouped(client.invitations.iter(type="PROJECT", limit=size)),
            )
        if members is not None:
            rows = members.get(project_id, [])
        else:
            rows = [m async for m in client.project_members.iter(project_id, limit=size)]
        if waiting is not None:
            invitations = waiting.get(project_id, [])
        else:
            found = client.invitations.iter(project_id=project_id, limit=size)
            invitations = [i async for i in found]
        return ProjectPeople.from_rows(project_id, rows, invitations)
