"""The client's resources, one place per API: ``projects``, ``piece_sets`` and ``people``
(``users``, ``project_roles``, ``project_members``, ``invitations``).

Each holds its operations (``_ops``: generators written once, without I/O) and its sync and
async surface classes; `_base` drives the operations over either transport.
"""

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
    "AsyncInvitationsResource",
    "AsyncPieceSetsResource",
    "AsyncProjectMembersResource",
    "AsyncProjectRolesResource",
    "AsyncProjectsResource",
    "AsyncUsersResource",
    "InvitationsResource",
    "PieceSetsResource",
    "ProjectMembersResource",
    "ProjectRolesResource",
    "ProjectsResource",
    "UsersResource",
]
