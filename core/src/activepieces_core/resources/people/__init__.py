"""The people of a platform: ``client.users``, ``client.project_roles``,
``client.project_members`` and ``client.invitations``.

Their operations share `_ops` (input checks, listings, writes); ``invite``/``remove``, which
converge one person's place in a project across members and invitations, are in `_membership`.
"""

from activepieces_core.resources.people.invitations import (
    AsyncInvitationsResource,
    InvitationsResource,
)
from activepieces_core.resources.people.project_members import (
    AsyncProjectMembersResource,
    ProjectMembersResource,
)
from activepieces_core.resources.people.project_roles import (
    AsyncProjectRolesResource,
    ProjectRolesResource,
)
from activepieces_core.resources.people.users import AsyncUsersResource, UsersResource

__all__ = [
    "AsyncInvitationsResource",
    "AsyncProjectMembersResource",
    "AsyncProjectRolesResource",
    "AsyncUsersResource",
    "InvitationsResource",
    "ProjectMembersResource",
    "ProjectRolesResource",
    "UsersResource",
]
