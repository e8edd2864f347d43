"""Parameters and results of the people resources: users, project members, invitations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from activepieces_core.models.people import (
    Invitation,
    InvitationStatus,
    InvitationType,
    ProjectMember,
)
from activepieces_core.models.requests import check_email

__all__ = [
    "InvitationFilters",
    "InviteAction",
    "InviteResult",
    "MemberFilters",
    "ProjectPeople",
    "RemoveAction",
    "RemoveResult",
    "UserFilters",
]


class UserFilters(TypedDict, total=False):
    """Filters of ``users.list`` / ``users.iter``: ``external_id`` (exact), ``limit`` (page
    size, server default 10)."""

    external_id: str | None
    limit: int | None


class MemberFilters(TypedDict, total=False):
    """Filters of ``project_members.list`` / ``iter``: ``project_role_id``, ``limit``."""

    project_role_id: str | None
    limit: int | None


class InvitationFilters(TypedDict, total=False):
    """Filters of ``invitations.list`` / ``iter``: ``type`` (default PROJECT; the server
    requires one), ``project_id``, ``status``, ``limit``."""

    type: InvitationType | str | None
    project_id: str | None
    status: InvitationStatus | str | None
    limit: int | None


InviteAction = Literal["unchanged", "invited", "role_updated", "invitation_updated"]
RemoveAction = Literal["removed", "absent"]


@dataclass(frozen=True)
class ProjectPeople:
    """A project's members and listed invitations, keyed by normalised e-mail."""

    project_id: str
    members: Mapping[str, ProjectMember] = field(default_factory=dict)
    invitations: Mapping[str, Invitation] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls, project_id: str, members: Iterable[ProjectMember], invitations: Iterable[Invitation]
    ) -> ProjectPeople:
        """Key listed members and invitations by e-mail (invitations of other projects are
        left out, so a platform-wide invitation listing may be passed whole)."""
        return cls(
            project_id,
            {m.email: m for m in members if m.email},
            {check_email(i.email): i for i in invitations if i.project_id in (None, project_id)},
        )

    def role_of(self, email: str) -> str | None:
        """The person's role: as a member, else as invited; None if neither."""
        key = check_email(email)
        member = self.members.get(key)
        if member is not None:
            return member.role
        invitation = self.invitations.get(key)
        return invitation.role if invitation is not None else None

    @property
    def emails(self) -> set[str]:
        """Everyone the project has or is waiting for."""
        return set(self.members) | set(self.invitations)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{projectId, members: {email: role}, invitations: {email: role}}``."""
        return {
            "projectId": self.project_id,
            "members": {e: m.role for e, m in sorted(self.members.items())},
            "invitations": {e: i.role for e, i in sorted(self.invitations.items())},
        }


@dataclass(frozen=True)
class InviteResult:
    """What ``invite`` did: ``unchanged``, ``invited``, ``role_updated`` (membership) or
    ``invitation_updated`` (a waiting invitation re-sent with the new role)."""

    project_id: str
    email: str
    role: str
    action: InviteAction
    member: ProjectMember | None = None
    invitation: Invitation | None = None

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; never contains the invitation link."""
        return {
            "projectId": self.project_id,
            "email": self.email,
            "role": self.role,
            "action": self.action,
            "memberId": self.member.id if self.member is not None else None,
            "invitationId": self.invitation.id if self.invitation is not None else None,
        }


@dataclass(frozen=True)
class RemoveResult:
    """What ``remove`` did: ``removed`` (a membership and/or invitations) or ``absent``."""

    project_id: str
    email: str
    action: RemoveAction
    removed_member: bool = False
    removed_invitations: int = 0

    @property
    def changed(self) -> bool:
        return self.action == "removed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "projectId": self.project_id,
            "email": self.email,
            "action": self.action,
            "removedMember": self.removed_member,
            "removedInvitations": self.removed_invitations,
        }
