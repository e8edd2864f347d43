"""``client.flows``: a project's flows (``GET /v1/flows?projectId=``), every page; each
`Flow` has its version, and `Flow.body` is it as the server sent it."""

from __future__ import annotations

from activepieces_core.models import Project
from activepieces_core.models.contents import Flow
from activepieces_core.resources.contents import _ops as ops
from activepieces_core.resources.contents._listing import AsyncListing, Listing
from activepieces_core.resources.contents._ops import PageOp

__all__ = ["AsyncFlowsResource", "FlowsResource"]


class FlowsResource(Listing[Flow]):
    """Synchronous ``client.flows``: ``list(project)``, ``iter(project)``."""

    def _pages_of(self, project: Project | str) -> PageOp[Flow]:
        return ops.flows_page(project)


class AsyncFlowsResource(AsyncListing[Flow]):
    """Asynchronous ``client.flows``: ``await list(project)``, ``iter(project)``."""

    def _pages_of(self, project: Project | str) -> PageOp[Flow]:
        return ops.flows_page(project)
