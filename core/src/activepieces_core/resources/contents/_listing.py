"""The surface every per-project listing shares: ``list`` (every row) and ``iter`` (lazily)."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator
from typing import Generic, TypeVar

from pydantic import BaseModel

from activepieces_core.models import Project
from activepieces_core.resources._base import AsyncResource, SyncResource, all_rows
from activepieces_core.resources.contents._ops import PageOp

__all__ = ["AsyncListing", "Listing"]

M = TypeVar("M", bound=BaseModel)


class Listing(SyncResource, Generic[M]):
    """``list(project)`` / ``iter(project)`` over the pages ``_pages_of(project)`` reads."""

    def _pages_of(self, project: Project | str) -> PageOp[M]:
        raise NotImplementedError

    def list(self, project: Project | str) -> builtins.list[M]:
        """Every row of the project's listing (all pages)."""
        return self._run(all_rows(self._pages_of(project)))

    def iter(self, project: Project | str) -> Iterator[M]:
        """The project's rows, fetching pages lazily."""
        return self._pages(self._pages_of(project))


class AsyncListing(AsyncResource, Generic[M]):
    """The async `Listing`."""

    def _pages_of(self, project: Project | str) -> PageOp[M]:
        raise NotImplementedError

    async def list(self, project: Project | str) -> builtins.list[M]:
        """Every row of the project's listing (all pages)."""
        return await self._run(all_rows(self._pages_of(project)))

    def iter(self, project: Project | str) -> AsyncIterator[M]:
        """The project's rows, fetching pages lazily."""
        return self._pages(self._pages_of(project))
