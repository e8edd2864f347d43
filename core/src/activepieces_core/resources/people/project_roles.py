"""``client.project_roles``: the role names a platform has (``GET /v1/project-roles``)."""

from __future__ import annotations

import builtins

from activepieces_core.models.people import ProjectRole
from activepieces_core.resources._base import AsyncResource, SyncResource
from activepieces_core.resources.people import _ops as ops

__all__ = ["AsyncProjectRolesResource", "ProjectRolesResource"]


class ProjectRolesResource(SyncResource):
    """Synchronous ``client.project_roles``."""

    def list(self) -> builtins.list[ProjectRole]:
        """Every role: the DEFAULT ones (Admin, Editor, Operator, Viewer) and the platform's."""
        return self._run(ops.list_roles())

    def names(self) -> builtins.list[str]:
        """The role names, e.g. to pass as ``roles=`` to ``project_members.invite``."""
        return [role.name for role in self.list()]


class AsyncProjectRolesResource(AsyncResource):
    """Asynchronous ``client.project_roles``."""

    async def list(self) -> builtins.list[ProjectRole]:
        """Every role: the DEFAULT ones (Admin, Editor, Operator, Viewer) and the platform's."""
        return await self._run(ops.list_roles())

    async def names(self) -> builtins.list[str]:
        """The role names, e.g. to pass as ``roles=`` to ``project_members.invite``."""
        return [role.name for role in await self.list()]
