"""``client.piece_sets``: piece sets (``/v1/piece-sets``), sync and async, over `_ops`.

On platforms whose plan has ``managePiecesEnabled`` a project's visible pieces come from its
piece set (the platform's Default set unless another is assigned), not from the project plan.
`PieceSetsResource.mechanism` says which of the two governs a platform (probed once per
client, overridable with `set_mechanism`); `PieceSetsResource.listing` learns it from the
listing's first page, which a caller that lists the sets anyway would send next.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Sequence

from activepieces_core.errors import InvalidRequestError
from activepieces_core.models import Page, Project
from activepieces_core.models.piece_set import PieceSet, PiecesMechanism
from activepieces_core.resources._base import AsyncResource, SyncResource
from activepieces_core.resources.piece_sets import _ops as ops
from activepieces_core.resources.piece_sets._ops import MAX_PAGE_SIZE
from activepieces_core.types.piece_sets import PieceSetEnsureResult, PiecesWish

__all__ = ["AsyncPieceSetsResource", "PieceSetsResource"]


def _mechanism(value: PiecesMechanism | str | None) -> PiecesMechanism | None:
    if value is None:
        return None
    try:
        return PiecesMechanism(value)
    except ValueError:
        choices = ", ".join(m.value for m in PiecesMechanism)
        raise InvalidRequestError(
            f"mechanism must be one of {choices} or None, got {value!r}"
        ) from None


class _Mechanism:
    """The per-client answer of ``mechanism()``: probed once, or set by the caller."""

    _known: PiecesMechanism | None = None

    def set_mechanism(self, mechanism: PiecesMechanism | str | None) -> None:
        """Fix the answer of ``mechanism()`` (no probe), or None to probe again next time."""
        self._known = _mechanism(mechanism)


class PieceSetsResource(SyncResource, _Mechanism):
    """Synchronous ``client.piece_sets``."""

    def mechanism(self) -> PiecesMechanism:
        """``PIECE_SETS`` or ``PROJECT_PLAN``: probed with ``GET /piece-sets?limit=1`` (402 or
        404 -> the legacy project plan), then cached for this client."""
        if self._known is None:
            self._known = self._run(ops.probe_mechanism())
        return self._known

    def supported(self) -> bool:
        """True when piece sets govern this platform (see `mechanism`)."""
        return self.mechanism() is PiecesMechanism.PIECE_SETS

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[PieceSet]:
        """One page (``limit`` 1..100, server default 10), ordered by creation."""
        return self._run(ops.list_page(ops.list_params(limit, cursor)))

    def iter(self, *, limit: int = MAX_PAGE_SIZE) -> Iterator[PieceSet]:
        """Every set of the platform, fetching pages of ``limit`` lazily."""
        ops.check_limit(limit)
        return self._pages(lambda cursor: ops.list_page(ops.list_params(limit, cursor)))

    def pages(self, *, limit: int = MAX_PAGE_SIZE) -> Generator[Page[PieceSet], None, None]:
        """Every page of the platform's sets (``limit`` rows each), in order, fetched lazily."""
        ops.check_limit(limit)
        return self._page_list(
            lambda cursor: ops.list_body(ops.list_params(limit, cursor)), ops.parse_page
        )

    def listing(self, *, limit: int = MAX_PAGE_SIZE) -> Iterator[Page[PieceSet]]:
        """Every page of the platform's sets where piece sets govern it, none where they do
        not: the first page is the probe (`mechanism`, cached as it answers), so learning both
        costs one request less than `mechanism` then `pages`."""
        pages = self.pages(limit=limit)  # the limit checked; nothing sent until asked
        if self._known is PiecesMechanism.PROJECT_PLAN:
            return
        try:
            try:
                first = next(pages)
            except ops.LEGACY_ANSWERS:
                self._known = PiecesMechanism.PROJECT_PLAN
                return
            self._known = PiecesMechanism.PIECE_SETS
            yield first
            yield from pages
        finally:
            pages.close()

    def get(self, piece_set_id: str) -> PieceSet:
        """The set with this id (`NotFoundError` if absent)."""
        return self._run(ops.get(piece_set_id))

    def get_by_key(self, key: str) -> PieceSet | None:
        """The set with this key, or None (reads pages until found: the list has no filter)."""
        return self._run(ops.get_by_key(key))

    def for_project(self, project: Project | str) -> PieceSet:
        """The set a project resolves to: its assigned set, else the platform's Default set."""
        return self._run(ops.for_project(project))

    def create(self, name: str, key: str | None = None) -> PieceSet:
        """Create a set (include_all, nothing hidden). Resent only when nothing can have been
        written; use `ensure` for idempotent creation. Without ``key`` the newest server
        invents one from the name."""
        return self._run(ops.create(name, key))

    def update(
        self,
        piece_set: PieceSet | str,
        *,
        name: str | None = None,
        key: str | None = None,
        pieces: PiecesWish | None = None,
    ) -> PieceSet:
        """Change name, key and/or the piece selection (replaced whole); None leaves a field.
        Action/trigger selections are never sent, so they are kept. Retried."""
        return self._run(ops.update(piece_set, name=name, key=key, pieces=pieces))

    def delete(self, piece_set: PieceSet | str) -> None:
        """Delete (its projects move to the Default set). Retried; a 404 on a retry counts as
        done. The Default set cannot be deleted."""
        self._run(ops.delete(piece_set))

    def duplicate(self, piece_set: PieceSet | str, name: str) -> PieceSet:
        """A copy of the set's config under ``name`` (a create: see `create`)."""
        return self._run(ops.duplicate(piece_set, name))

    def assign(self, piece_set: PieceSet | str, projects: Sequence[Project | str]) -> None:
        """Move ``projects`` (at least one) to this set. Idempotent, retried."""
        self._run(ops.assign(piece_set, projects))

    def unassign(self, piece_set: PieceSet | str, project: Project | str) -> None:
        """Send ``project`` back to the Default set (no-op if it is not on this set)."""
        self._run(ops.unassign(piece_set, project))

    def ensure(
        self,
        key: str,
        name: str,
        *,
        pieces: PiecesWish | None = None,
        if_exists: str = "update",
    ) -> PieceSetEnsureResult:
        """Get or create the set with ``key`` and converge its name and pieces, never creating
        a duplicate (looks the key up before creating and after any failure that may have
        written). ``pieces``: e.g. ``PieceSelection.allow(["slack"])``; None leaves it."""
        policy = self._transport.policy
        return self._run(ops.ensure(key, name, policy, pieces=pieces, if_exists=if_exists))


class AsyncPieceSetsResource(AsyncResource, _Mechanism):
    """Asynchronous ``client.piece_sets``: the same surface as `PieceSetsResource`, awaited."""

    async def mechanism(self) -> PiecesMechanism:
        """``PIECE_SETS`` or ``PROJECT_PLAN`` (probed once, see `PieceSetsResource.mechanism`)."""
        if self._known is None:
            self._known = await self._run(ops.probe_mechanism())
        return self._known

    async def supported(self) -> bool:
        """True when piece sets govern this platform."""
        return (await self.mechanism()) is PiecesMechanism.PIECE_SETS

    async def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[PieceSet]:
        """One page (``limit`` 1..100, server default 10), ordered by creation."""
        return await self._run(ops.list_page(ops.list_params(limit, cursor)))

    def iter(self, *, limit: int = MAX_PAGE_SIZE) -> AsyncIterator[PieceSet]:
        """Every set of the platform, fetching pages of ``limit`` lazily."""
        ops.check_limit(limit)
        return self._pages(lambda cursor: ops.list_page(ops.list_params(limit, cursor)))

    def pages(self, *, limit: int = MAX_PAGE_SIZE) -> AsyncGenerator[Page[PieceSet], None]:
        """Every page of the platform's sets, in order; under asyncio the next page is requested
        before this one is handed over (see `AsyncProjectsResource.pages`)."""
        ops.check_limit(limit)
        return self._page_list(
            lambda cursor: ops.list_body(ops.list_params(limit, cursor)), ops.parse_page
        )

    async def listing(self, *, limit: int = MAX_PAGE_SIZE) -> AsyncIterator[Page[PieceSet]]:
        """Every page of the platform's sets where piece sets govern it, none where they do
        not (the first page is the probe; see `PieceSetsResource.listing`)."""
        pages = self.pages(limit=limit)  # the limit checked; nothing sent until asked
        if self._known is PiecesMechanism.PROJECT_PLAN:
            return
        try:
            try:
                first = await pages.__anext__()
            except ops.LEGACY_ANSWERS:
                self._known = PiecesMechanism.PROJECT_PLAN
                return
            self._known = PiecesMechanism.PIECE_SETS
            yield first
            async for page in pages:
                yield page
        finally:
            await pages.aclose()

    async def get(self, piece_set_id: str) -> PieceSet:
        """The set with this id (`NotFoundError` if absent)."""
        return await self._run(ops.get(piece_set_id))

    async def get_by_key(self, key: str) -> PieceSet | None:
        """The set with this key, or None."""
        return await self._run(ops.get_by_key(key))

    async def for_project(self, project: Project | str) -> PieceSet:
        """The set a project resolves to (its assigned set, else Default)."""
        return await self._run(ops.for_project(project))

    async def create(self, name: str, key: str | None = None) -> PieceSet:
        """Create a set (see `PieceSetsResource.create`)."""
        return await self._run(ops.create(name, key))

    async def update(
        self,
        piece_set: PieceSet | str,
        *,
        name: str | None = None,
        key: str | None = None,
        pieces: PiecesWish | None = None,
    ) -> PieceSet:
        """Change name, key and/or pieces (see `PieceSetsResource.update`)."""
        return await self._run(ops.update(piece_set, name=name, key=key, pieces=pieces))

    async def delete(self, piece_set: PieceSet | str) -> None:
        """Delete (see `PieceSetsResource.delete`)."""
        await self._run(ops.delete(piece_set))

    async def duplicate(self, piece_set: PieceSet | str, name: str) -> PieceSet:
        """A copy under ``name`` (see `PieceSetsResource.duplicate`)."""
        return await self._run(ops.duplicate(piece_set, name))

    async def assign(self, piece_set: PieceSet | str, projects: Sequence[Project | str]) -> None:
        """Move ``projects`` to this set. Idempotent, retried."""
        await self._run(ops.assign(piece_set, projects))

    async def unassign(self, piece_set: PieceSet | str, project: Project | str) -> None:
        """Send ``project`` back to the Default set."""
        await self._run(ops.unassign(piece_set, project))

    async def ensure(
        self,
        key: str,
        name: str,
        *,
        pieces: PiecesWish | None = None,
        if_exists: str = "update",
    ) -> PieceSetEnsureResult:
        """Get or create the set with ``key`` (see `PieceSetsResource.ensure`)."""
        policy = self._transport.policy
        return await self._run(ops.ensure(key, name, policy, pieces=pieces, if_exists=if_exists))
