"""``client.app_connections``: the connections a project sees (``GET
/v1/app-connections?projectId=``, every page), never their secrets.

``scope="PLATFORM"`` lists only global connections (each with the ``project_ids`` it is
shared with); ``"PROJECT"`` only the project's own; None both.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator

from activepieces_core.models import Project
from activepieces_core.models.contents import AppConnection
from activepieces_core.resources._base import AsyncResource, SyncResource, all_rows
from activepieces_core.resources.contents import _ops as ops
from activepieces_core.resources.contents._ops import ConnectionScope

__all__ = ["AppConnectionsResource", "AsyncAppConnectionsResource"]


class AppConnectionsResource(SyncResource):
    """Synchronous ``client.app_connections``."""

    def list(
        self, project: Project | str, scope: ConnectionScope = None
    ) -> builtins.list[AppConnection]:
        """Every connection the project sees (``scope``: None, "PROJECT" or "PLATFORM")."""
        return self._run(all_rows(ops.connections_page(project, scope)))

    def iter(
        self, project: Project | str, scope: ConnectionScope = None
    ) -> Iterator[AppConnection]:
        """The project's connections, fetching pages lazily."""
        return self._pages(ops.connections_page(project, scope))


class AsyncAppConnectionsResource(AsyncResource):
    """Asynchronous ``client.app_connections``."""

    async def list(
        self, project: Project | str, scope: ConnectionScope = None
    ) -> builtins.list[AppConnection]:
        """Every connection the project sees (``scope``: None, "PROJECT" or "PLATFORM")."""
        return await self._run(all_rows(ops.connections_page(project, scope)))

    def iter(
        self, project: Project | str, scope: ConnectionScope = None
    ) -> AsyncIterator[AppConnection]:
        """The project's connections, fetching pages lazily."""
        return self._pages(ops.connections_page(project, scope))
