"""``client.projects``: the Projects API, sync and async, over the shared operations.

The methods here only validate arguments into an operation from `_project_ops` and drive it
with the client's transport; the logic (including ``ensure``'s state machine) is shared.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from activepieces_core import _project_ops as ops
from activepieces_core._http import AsyncTransport, Call, SyncTransport
from activepieces_core._project_ops import UNSET, EnsureResult, IfExists, SyncPiecesResult, Unset
from activepieces_core.errors import APIError
from activepieces_core.models import ColorName, Page, PiecesFilterType, Project, ProjectType

__all__ = ["AsyncProjectsResource", "ProjectsResource"]

R = TypeVar("R")
Types = Sequence[ProjectType | str] | ProjectType | str | None


def _ensure_op(
    transport: SyncTransport | AsyncTransport,
    external_id: str,
    display_name: str,
    *,
    metadata: Mapping[str, Any] | None,
    max_concurrent_jobs: int | None,
    releases_enabled: bool | None,
    icon_color: ColorName | str | None,
    pieces: Sequence[str] | Unset | None,
    global_connection_external_ids: Sequence[str] | None,
    alert_receiver_email: str | None,
    if_exists: IfExists,
) -> ops.Op[EnsureResult]:
    return ops.ensure(
        external_id,
        display_name,
        if_exists=if_exists,
        policy=transport.policy,
        create_fields={
            "metadata": metadata,
            "max_concurrent_jobs": max_concurrent_jobs,
            "global_connection_external_ids": global_connection_external_ids,
            "alert_receiver_email": alert_receiver_email,
        },
        converge_fields={
            "metadata": metadata,
            "max_concurrent_jobs": max_concurrent_jobs,
            "releases_enabled": releases_enabled,
            "icon_color": icon_color,
            "pieces": pieces,
        },
    )


def _next_cursor(page: Page[Project], seen: set[str]) -> str | None:
    """The cursor to follow, or None at the end (or if the server repeats a cursor)."""
    cursor = page.next
    if not cursor or not page.data or cursor in seen:
        return None
    seen.add(cursor)
    return cursor


class ProjectsResource:
    """Synchronous ``client.projects``."""

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def _run(self, op: ops.Op[R]) -> R:
        try:
            step = next(op)
            while True:
                if isinstance(step, Call):
                    try:
                        result = self._transport.execute(step)
                    except APIError as exc:
                        step = op.throw(exc)
                        continue
                    step = op.send(result)
                else:
                    self._transport.sleep(step.seconds)
                    step = op.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def list(
        self,
        *,
        external_id: str | None = None,
        display_name: str | None = None,
        types: Types = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Project]:
        """One page of projects (``data``, ``next``, ``previous``).

        ``display_name`` is a case-insensitive substring match; ``types`` filters TEAM/PERSONAL
        (an API key sees every user's PERSONAL project unless ``types=["TEAM"]``).
        """
        params = ops.list_params(external_id, display_name, types, limit, cursor)
        return self._run(ops.list_page(params))

    def iter(
        self,
        *,
        external_id: str | None = None,
        display_name: str | None = None,
        types: Types = None,
        limit: int | None = None,
    ) -> Iterator[Project]:
        """Every matching project, fetching pages lazily; ``limit`` is the page size."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = self.list(
                external_id=external_id,
                display_name=display_name,
                types=types,
                limit=limit,
                cursor=cursor,
            )
            yield from page.data
            cursor = _next_cursor(page, seen)
            if cursor is None:
                return

    def get(self, project_id: str) -> Project:
        """The project with this id (`NotFoundError` if absent or deleted)."""
        return self._run(ops.get(project_id))

    def get_by_external_id(self, external_id: str) -> Project | None:
        """The live project with this externalId, or None.

        Raises `AmbiguousExternalIdError` if the server shows more than one.
        """
        return self._run(ops.get_by_external_id(external_id))

    def create(
        self,
        display_name: str,
        *,
        external_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        max_concurrent_jobs: int | None = None,
        global_connection_external_ids: Sequence[str] | None = None,
        alert_receiver_email: str | None = None,
    ) -> Project:
        """Create a TEAM project. Never blindly retried: use `ensure` for idempotency."""
        body = ops.create_body(
            display_name,
            external_id=external_id,
            metadata=metadata,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
            alert_receiver_email=alert_receiver_email,
        )
        return self._run(ops.create(body))

    def update(
        self,
        project_id: str,
        *,
        display_name: str | None = None,
        external_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        icon_color: ColorName | str | None = None,
        releases_enabled: bool | None = None,
        pieces: Sequence[str] | None = None,
        pieces_filter_type: PiecesFilterType | str | None = None,
        max_concurrent_jobs: int | None = None,
        global_connection_external_ids: Sequence[str] | None = None,
    ) -> Project:
        """Update a project; None leaves a field unchanged. ``metadata`` replaces the object."""
        body = ops.update_body(
            display_name=display_name,
            external_id=external_id,
            metadata=metadata,
            icon_color=icon_color,
            releases_enabled=releases_enabled,
            pieces=pieces,
            pieces_filter_type=pieces_filter_type,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
        )
        return self._run(ops.update(project_id, body))

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

    def ensure(
        self,
        external_id: str,
        display_name: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        max_concurrent_jobs: int | None = None,
        releases_enabled: bool | None = None,
        icon_color: ColorName | str | None = None,
        pieces: Sequence[str] | Unset | None = UNSET,
        global_connection_external_ids: Sequence[str] | None = None,
        alert_receiver_email: str | None = None,
        if_exists: IfExists = "update",
    ) -> EnsureResult:
        """Get or create the project for ``external_id``, never creating a duplicate.

        See `AsyncProjectsResource.ensure` for the full contract.
        """
        return self._run(
            _ensure_op(
                self._transport,
                external_id,
                display_name,
                metadata=metadata,
                max_concurrent_jobs=max_concurrent_jobs,
                releases_enabled=releases_enabled,
                icon_color=icon_color,
                pieces=pieces,
                global_connection_external_ids=global_connection_external_ids,
                alert_receiver_email=alert_receiver_email,
                if_exists=if_exists,
            )
        )

    def sync_pieces(
        self, project_or_id: Project | str, pieces: Sequence[str] | None
    ) -> SyncPiecesResult:
        """Allow only ``pieces`` (ALLOWED) or all pieces (None -> NONE, list cleared).

        Names are normalised (``slack`` -> ``@activepieces/piece-slack``), sorted and unique;
        nothing is sent when the project is already in sync. Given an id, one GET reads it.
        """
        return self._run(ops.sync_pieces(project_or_id, pieces))


class AsyncProjectsResource:
    """Asynchronous ``client.projects``: the same surface as `ProjectsResource`, awaited."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def _run(self, op: ops.Op[R]) -> R:
        try:
            step = next(op)
            while True:
                if isinstance(step, Call):
                    try:
                        result = await self._transport.execute(step)
                    except APIError as exc:
                        step = op.throw(exc)
                        continue
                    step = op.send(result)
                else:
                    await self._transport.sleep(step.seconds)
                    step = op.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def list(
        self,
        *,
        external_id: str | None = None,
        display_name: str | None = None,
        types: Types = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Project]:
        """One page of projects (``data``, ``next``, ``previous``)."""
        params = ops.list_params(external_id, display_name, types, limit, cursor)
        return await self._run(ops.list_page(params))

    async def iter(
        self,
        *,
        external_id: str | None = None,
        display_name: str | None = None,
        types: Types = None,
        limit: int | None = None,
    ) -> AsyncIterator[Project]:
        """Every matching project, fetching pages lazily; ``limit`` is the page size."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = await self.list(
                external_id=external_id,
                display_name=display_name,
                types=types,
                limit=limit,
                cursor=cursor,
            )
            for project in page.data:
                yield project
            cursor = _next_cursor(page, seen)
            if cursor is None:
                return

    async def get(self, project_id: str) -> Project:
        """The project with this id (`NotFoundError` if absent or deleted)."""
        return await self._run(ops.get(project_id))

    async def get_by_external_id(self, external_id: str) -> Project | None:
        """The live project with this externalId, or None (`AmbiguousExternalIdError` if many)."""
        return await self._run(ops.get_by_external_id(external_id))

    async def create(
        self,
        display_name: str,
        *,
        external_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        max_concurrent_jobs: int | None = None,
        global_connection_external_ids: Sequence[str] | None = None,
        alert_receiver_email: str | None = None,
    ) -> Project:
        """Create a TEAM project. Never blindly retried: use `ensure` for idempotency."""
        body = ops.create_body(
            display_name,
            external_id=external_id,
            metadata=metadata,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
            alert_receiver_email=alert_receiver_email,
        )
        return await self._run(ops.create(body))

    async def update(
        self,
        project_id: str,
        *,
        display_name: str | None = None,
        external_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        icon_color: ColorName | str | None = None,
        releases_enabled: bool | None = None,
        pieces: Sequence[str] | None = None,
        pieces_filter_type: PiecesFilterType | str | None = None,
        max_concurrent_jobs: int | None = None,
        global_connection_external_ids: Sequence[str] | None = None,
    ) -> Project:
        """Update a project; None leaves a field unchanged. ``metadata`` replaces the object."""
        body = ops.update_body(
            display_name=display_name,
            external_id=external_id,
            metadata=metadata,
            icon_color=icon_color,
            releases_enabled=releases_enabled,
            pieces=pieces,
            pieces_filter_type=pieces_filter_type,
            max_concurrent_jobs=max_concurrent_jobs,
            global_connection_external_ids=global_connection_external_ids,
        )
        return await self._run(ops.update(project_id, body))

    async def delete(self, project_id: str | Project) -> None:
        """Delete (retried; a 404 on a retry counts as done). A PERSONAL `Project` is refused."""
        await self._run(ops.delete(project_id))

    async def delete_by_external_id(
        self, external_id: str, *, missing_ok: bool = False
    ) -> Project | None:
        """Delete the project with this externalId and return it as it was (see sync)."""
        return await self._run(ops.delete_by_external_id(external_id, missing_ok=missing_ok))

    async def ensure(
        self,
        external_id: str,
        display_name: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        max_concurrent_jobs: int | None = None,
        releases_enabled: bool | None = None,
        icon_color: ColorName | str | None = None,
        pieces: Sequence[str] | Unset | None = UNSET,
        global_connection_external_ids: Sequence[str] | None = None,
        alert_receiver_email: str | None = None,
        if_exists: IfExists = "update",
    ) -> EnsureResult:
        """Get or create the project for ``external_id``, never creating a duplicate.

        1. Look it up by externalId. 2. If absent, create it; after any failure that may
        have reached the server (timeout, dropped connection, 5xx incl. the duplicate-
        externalId 500, 409) look up again before creating again (bounded by
        ``max_retries``). 3. Converge with at most one update: after a fresh create for
        the fields create cannot set (releases, icon, pieces), and for an existing project
        when ``if_exists="update"``. ``"return"`` leaves it as is; ``"fail"`` raises
        `ExternalIdConflictError`. ``pieces``: UNSET leaves the filter, None = all pieces,
        a list = allow-list. ``global_connection_external_ids`` and
        ``alert_receiver_email`` are applied at creation only (the API does not return them,
        so they cannot be compared).
        """
        return await self._run(
            _ensure_op(
                self._transport,
                external_id,
                display_name,
                metadata=metadata,
                max_concurrent_jobs=max_concurrent_jobs,
                releases_enabled=releases_enabled,
                icon_color=icon_color,
                pieces=pieces,
                global_connection_external_ids=global_connection_external_ids,
                alert_receiver_email=alert_receiver_email,
                if_exists=if_exists,
            )
        )

    async def sync_pieces(
        self, project_or_id: Project | str, pieces: Sequence[str] | None
    ) -> SyncPiecesResult:
        """Allow only ``pieces`` (ALLOWED) or all pieces (None); no request when in sync."""
        return await self._run(ops.sync_pieces(project_or_id, pieces))
