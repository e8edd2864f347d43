"""Operators for one person in one project: invite (or change their role), remove.

Both converge through core's ``client.project_members``: inviting someone who already has the
role sends nothing; a different role updates their membership or their waiting invitation;
faults never duplicate an invitation. Results never contain the invitation link (a bearer
token that lets its holder join): it stays out of XCom and logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from activepieces_provider.links.projects import ActivepiecesProjectLink
from activepieces_provider.operators._base import ActivepiecesProjectOperator, argument_bool

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The role given when none is named (as a tenant document's default ``member_role``).
DEFAULT_ROLE = "Editor"


class ActivepiecesInviteMemberOperator(ActivepiecesProjectOperator):
    """Give a person a role in a project: invite them, or change the role they have.

    With a platform API key the server accepts the invitation at once: an existing user becomes
    a member immediately, anyone else when they sign up. An unknown role name fails before
    anything is sent (the platform's role names are read first).

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project.
    :param email: the person's e-mail (normalised: trimmed, lower-cased).
    :param role: project role name, e.g. ``Admin``, ``Editor``, ``Operator``, ``Viewer`` or a
        custom role (default ``Editor``).
    :return: ``{"projectId", "email", "role", "action", "memberId", "invitationId"}`` with
        ``action`` ``invited`` / ``role_updated`` / ``invitation_updated`` / ``unchanged``.
    """

    template_fields: Sequence[str] = (*ActivepiecesProjectOperator.template_fields, "email", "role")
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(self, *, email: str, role: str = DEFAULT_ROLE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.email = email
        self.role = role

    def execute(self, context: Context) -> dict[str, Any]:
        self.check_target()
        role = str(self.role or DEFAULT_ROLE).strip()
        with self.client() as client:
            project = self.require_target(client)
            roles = client.project_roles.names()
            result = client.project_members.invite(project, str(self.email), role, roles=roles)
        self.log.info("%s in project %s: %s (%s)", result.email, project.id, result.action, role)
        self.push_project_link(context, project.id)
        return result.to_dict()


class ActivepiecesRemoveMemberOperator(ActivepiecesProjectOperator):
    """Remove a person from a project: their membership and any waiting invitation.

    The user stays on the platform (and in other projects).

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project.
    :param email: the person's e-mail.
    :param missing_ok: succeed (``action: "absent"``) when they are not in the project
        (default); ``False`` fails instead.
    :return: ``{"projectId", "email", "action": "removed"|"absent", "removedMember",
        "removedInvitations"}``.
    """

    template_fields: Sequence[str] = (*ActivepiecesProjectOperator.template_fields, "email")
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(self, *, email: str, missing_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.email = email
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> dict[str, Any]:
        missing_ok = argument_bool("missing_ok", self.missing_ok)
        self.check_target()
        with self.client() as client:
            project = self.require_target(client)
            result = client.project_members.remove(project, str(self.email))
        self.log.info("%s in project %s: %s", result.email, project.id, result.action)
        self.push_project_link(context, project.id)
        if result.action == "absent" and not missing_ok:
            from activepieces_provider.exceptions import MemberNotFoundError

            raise MemberNotFoundError(result.email, project.id)
        return result.to_dict()
