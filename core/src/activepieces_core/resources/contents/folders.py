"""``client.folders``: a project's flow folders (``GET /v1/folders?projectId=``), every page."""

from __future__ import annotations

from activepieces_core.models import Project
from activepieces_core.models.contents import Folder
from activepieces_core.resources.contents import _ops as ops
from activepieces_core.resources.contents._listing import AsyncListing, Listing
from activepieces_core.resources.contents._ops import PageOp

__all__ = ["AsyncFoldersResource", "FoldersResource"]


class FoldersResource(Listing[Folder]):
    """Synchronous ``client.folders``: ``list(project)``, ``iter(project)``."""

    def _pages_of(self, project: Project | str) -> PageOp[Folder]:
        return ops.folders_page(project)


class AsyncFoldersResource(AsyncListing[Folder]):
    """Asynchronous ``client.folders``: ``await list(project)``, ``iter(project)``."""

    def _pages_of(self, project: Project | str) -> PageOp[Folder]:
        return ops.folders_page(project)
