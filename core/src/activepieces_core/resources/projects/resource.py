"""``client.projects``: the Projects API, sync and async, over the shared operations.

Each method only hands an operation from `_ops` to ``_run``, which drives it with
the client's transport; all logic (validation, ``ensure``'s state machine, the pieces diff)
is written once there. Keyword sets are typed once, as the TypedDicts `ListFilters`,
`CreateFields`, `UpdateFields` and `EnsureOptions`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from functools import partial

from typing_extensions import Unpack

from activepieces_core.models import Page, Project
from activepieces_core.models.contents import ProjectState, ReplaceResult
from activepieces_core.resources._base import AsyncResource, SyncResource
from activepieces_core.resources.contents import _ops as contents_ops
from activepieces_core.resources.contents import replace as replace_ops
from activepieces_core.resources.contents.export import export_async
from activepieces_core.resources.contents.replace import StateLike
from activepieces_core.resources.projects import _ops as ops
from activepieces_core.types.projects import (
    CreateFields,
    EnsureOptions,
    EnsureResult,
    ListFilters,
    SyncPiecesResult,
    UpdateFields,
)

__all__ = ["AsyncProjectsResource", "ProjectsResource"]


class ProjectsResource(SyncResource):
    """Synchronous ``client.projects``."""

    def list(self, *, cursor: str | None = None, **filters: Unpack[ListFilters]) -> Page[Project]:
        """One page of projects (``data``, ``next``, ``previous``); filters: `ListFilters`."""
        return self._run(ops.list_page(ops.list_params(filters, cursor)))

    def iter(self, **filters: Unpack[ListFilters]) -> Iterator[Project]:
        """Every matching project, fetching pages lazily; ``limit`` is the page size."""
        params = partial(ops.list_params, filters)  # validated before the first request
        params(None)
        return self._pages(lambda cursor: ops.list_page(params(cursor)))

    def pages(self, **filters: Unpack[ListFilters]) -> Iterator[Page[Project]]:
        """Every page of matching projects, in order; ``limit`` is the page size."""
        params = partial(ops.list_params, filters)
        params(None)
        return self._page_list(lambda cursor: ops.list_body(params(cursor)), ops.parse_page)

    def get(self, project_id: str) -> Project:
        """The project with this id (`NotFoundError` if absent or deleted)."""
        return self._run(ops.get(project_id))

    def get_by_external_id(self, external_id: str) -> Project | None:
        """The live project with this externalId, or None.

        Raises `AmbiguousExternalIdError` if the server shows more than one.
        """
        return self._run(ops.get_by_external_id(external_id))

    def find(
        self, project_id: str | None = None, *, external_id: str | None = None
    ) -> Project | None:
        """The project (TEAM or PERSONAL) with this id or, given ``external_id``, this
        externalId; None when there is none. Give exactly one (else `InvalidRequestError`).

        Raises `AmbiguousExternalIdError` if the server shows several with the externalId.
        """
        return self._run(ops.find(project_id, external_id))

    def create(self, display_name: str, **fields: Unpack[CreateFields]) -> Project:
        """Create a TEAM project (fields: `CreateFields`).

        Resent only after failures that provably wrote nothing (refused connection, 429);
        use `ensure` for idempotent creation.
        """
        return self._run(ops.create(display_name, **fields))

    def update(self, project_id: str, **fields: Unpack[UpdateFields]) -> Project:
        """Update a project (fields: `UpdateFields`; None leaves a field unchanged). Retried."""
        return self._run(ops.update(project_id, **fields))

    def delete(self, project_id: str | Project) -> None:
        """Delete (retried; a 404 on a retry counts as done). A PERSONAL `Project` is refused."""
        self._run(ops.delete(project_id))

    def delete_by_external_id(
        self, external_id: str, *, missing_ok: bool = False
    ) -> Project | None:
        """Delete the project with this externalId and return it as it was.

        Absent: None with ``missing_ok``, else `NotFoundError`. PERSONAL: `InvalidRequestError`.
        """
        return self._run(ops.delete_by_external_id(external_id, missing_ok=missing_ok))

    def discard(
        self, project_id: str | None = None, *, external_id: str | None = None
    ) -> str | None:
        """Delete the project with this id or, given ``external_id``, this externalId (exactly
        one) if there is one: the deleted project's id, None when there was nothing to delete.

        By externalId a PERSONAL project is refused (`InvalidRequestError`), as in
        `delete_by_external_id`; retried like `delete`.
        """
        return self._run(ops.discard(project_id, external_id))

    def ensure(
        self, external_id: str, display_name: str, **options: Unpack[EnsureOptions]
    ) -> EnsureResult:
        """Get or create the project for ``external_id``, never creating a duplicate.

        Options: `EnsureOptions` (None = not managed), including the 2026 fields
        ``notify_flow_owner_on_failure``, ``active_flows_limit``, ``worker_group_id``,
        ``execution_data_retention_days`` and ``sensitive``; bad values raise
        `InvalidRequestError` before any request. Steps: look up by externalId; if absent
        create it, and after any failure that may have reached the server (timeout, dropped
        connection, 5xx incl. the duplicate-externalId 500, 409) look up again before
        creating again (bounded by ``max_retries``); then converge with at most one update
        (after a create: the fields create cannot set; on an existing project: the managed
        fields that differ, only with ``if_exists="update"``).
        """
        return self._run(ops.ensure(external_id, display_name, self._transport.policy, **options))

    def sync_pieces(
        self, project_or_id: Project | str, pieces: Sequence[str] | None
    ) -> SyncPiecesResult:
        """Allow only ``pieces`` (ALLOWED) or all pieces (None -> NONE, stored list cleared).

        Names are normalised (``slack`` -> ``@activepieces/piece-slack``), sorted and unique;
        nothing is sent when the project is already in sync. Given an id, one GET reads it.
        """
        return self._run(ops.sync_pieces(project_or_id, pieces))

    def export_state(self, project: Project | str) -> ProjectState:
        """The project's contents as a replace body (flows verbatim, tables with their fields,
        folders with an external id, connection references, the pieces the flows use and the
        server's version): ``replace(p, export_state(p))`` answers all unchanged."""
        return self._run(contents_ops.export_state(project))

    def replace(self, project: Project | str, state: StateLike) -> ReplaceResult:
        """Make the project's flows, tables and folders exactly ``state``'s (those with an
        external id not in it are deleted) and add its connection references (never deleted).

        200 and 207 return (``failed`` lists what 207 could not apply); a replace already
        running is waited for (``retryAfter``, at most ``max_retries`` times, then
        `ReplaceInProgressError`); `ReplacePreflightError` (422), `PieceInstallError` (502),
        `FeatureDisabledError` (402, no ``environmentsEnabled``). A bad ``state`` is an
        `InvalidStateError` before any request; resent after an ambiguous failure (replace is
        idempotent, see docs/tenant-contents.md).
        """
        return self._run(replace_ops.replace(project, state, self._transport.policy))


class AsyncProjectsResource(AsyncResource):
    """Asynchronous ``client.projects``: the same surface as `ProjectsResource`, awaited."""

    async def list(
        self, *, cursor: str | None = None, **filters: Unpack[ListFilters]
    ) -> Page[Project]:
        """One page of projects (``data``, ``next``, ``previous``); filters: `ListFilters`."""
        return await self._run(ops.list_page(ops.list_params(filters, cursor)))

    def iter(self, **filters: Unpack[ListFilters]) -> AsyncIterator[Project]:
        """Every matching project, fetching pages lazily; ``limit`` is the page size."""
        params = partial(ops.list_params, filters)
        params(None)
        return self._pages(lambda cursor: ops.list_page(params(cursor)))

    def pages(self, **filters: Unpack[ListFilters]) -> AsyncIterator[Page[Project]]:
        """Every page of matching projects, in order; ``limit`` is the page size.

        Under asyncio the next page is requested before this one is handed over, so the
        server prepares it while the caller works on this one; under trio pages are read one
        by one, each when the caller asks for it.
        """
        params = partial(ops.list_params, filters)
        params(None)
        return self._page_list(lambda cursor: ops.list_body(params(cursor)), ops.parse_page)

    async def get(self, project_id: str) -> Project:
        """The project with this id (`NotFoundError` if absent or deleted)."""
        return await self._run(ops.get(project_id))

    async def get_by_external_id(self, external_id: str) -> Project | None:
        """The live project with this externalId, or None (`AmbiguousExternalIdError` if many)."""
        return await self._run(ops.get_by_external_id(external_id))

    async def find(
        self, project_id: str | None = None, *, external_id: str | None = None
    ) -> Project | None:
        """The project with this id or this externalId, or None (see `ProjectsResource.find`)."""
        return await self._run(ops.find(project_id, external_id))

    async def create(self, display_name: str, **fields: Unpack[CreateFields]) -> Project:
        """Create a TEAM project (see `ProjectsResource.create`)."""
        return await self._run(ops.create(display_name, **fields))

    async def update(self, project_id: str, **fields: Unpack[UpdateFields]) -> Project:
        """Update a project (fields: `UpdateFields`; None leaves a field unchanged). Retried."""
        return await self._run(ops.update(project_id, **fields))

    async def delete(self, project_id: str | Project) -> None:
        """Delete (retried; a 404 on a retry counts as done). A PERSONAL `Project` is refused."""
        await self._run(ops.delete(project_id))

    async def delete_by_external_id(
        self, external_id: str, *, missing_ok: bool = False
    ) -> Project | None:
        """Delete the project with this externalId and return it as it was (see sync)."""
        return await self._run(ops.delete_by_external_id(external_id, missing_ok=missing_ok))

    async def discard(
        self, project_id: str | None = None, *, external_id: str | None = None
    ) -> str | None:
        """Delete the project with this id or externalId if there is one: its id, else None
        (see `ProjectsResource.discard`)."""
        return await self._run(ops.discard(project_id, external_id))

    async def ensure(
        self, external_id: str, display_name: str, **options: Unpack[EnsureOptions]
    ) -> EnsureResult:
        """Get or create the project for ``external_id`` (see `ProjectsResource.ensure`)."""
        policy = self._transport.policy
        return await self._run(ops.ensure(external_id, display_name, policy, **options))

    async def sync_pieces(
        self, project_or_id: Project | str, pieces: Sequence[str] | None
    ) -> SyncPiecesResult:
        """Allow only ``pieces`` (ALLOWED) or all pieces (None); no request when in sync."""
        return await self._run(ops.sync_pieces(project_or_id, pieces))

    async def export_state(self, project: Project | str) -> ProjectState:
        """The project's contents as a replace body (see `ProjectsResource.export_state`); the
        independent listings are read concurrently."""
        return await export_async(self, project)

    async def replace(self, project: Project | str, state: StateLike) -> ReplaceResult:
        """Replace the project's contents with ``state`` (see `ProjectsResource.replace`)."""
        return await self._run(replace_ops.replace(project, state, self._transport.policy))
