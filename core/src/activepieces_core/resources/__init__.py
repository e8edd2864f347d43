"""The client's resources, one place per API: ``projects``, ``piece_sets``, ``people``
(``users``, ``project_roles``, ``project_members``, ``invitations``) and ``contents``
(``flows``, ``folders``, ``tables``, ``app_connections``).

Each holds its operations (``_ops``: generators written once, without I/O) and its sync and
async surface classes; `_base` drives the operations over either transport.
"""

from activepieces_core.resources.contents import (
    AppConnectionsResource,
    AsyncAppConnectionsResource,
    AsyncFlowsResource,
    AsyncFoldersResource,
    AsyncTablesResource,
    FlowsResource,
    FoldersResource,
    TablesResource,
)
from activepieces_core.resources.people import (
    AsyncInvitationsResource,
    AsyncProjectMembersResource,
    AsyncProjectRolesResource,
    AsyncUsersResource,
    InvitationsResource,
    ProjectMembersResource,
    ProjectRolesResource,
    UsersResource,
)
from activepieces_core.resources.piece_sets import AsyncPieceSetsResource, PieceSetsResource
from activepieces_core.resources.projects import AsyncProjectsResource, ProjectsResource

__all__ = [
    "AppConnectionsResource",
    "AsyncAppConnectionsResource",
    "AsyncFlowsResource",
    "AsyncFoldersResource",
    "AsyncInvitationsResource",
    "AsyncPieceSetsResource",
    "AsyncProjectMembersResource",
    "AsyncProjectRolesResource",
    "AsyncProjectsResource",
    "AsyncTablesResource",
    "AsyncUsersResource",
    "FlowsResource",
    "FoldersResource",
    "InvitationsResource",
    "PieceSetsResource",
    "ProjectMembersResource",
    "ProjectRolesResource",
    "ProjectsResource",
    "TablesResource",
    "UsersResource",
]
